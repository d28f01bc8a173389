/* Squall core: one access-log line per request on stderr (off by default).
 * Request bytes are attacker-controlled: control characters, quotes and
 * backslashes are escaped so a line can never be forged or split. */
#include "connection_internal.h"

#include <stdio.h>
#include <unistd.h>

static size_t put_escaped(char *dst, size_t cap, sq_slice s) {
    static const char HEX[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < s.len && n + 4 < cap; i++) {
        unsigned char c = (unsigned char)s.base[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = 'x';
            dst[n++] = HEX[c >> 4];
            dst[n++] = HEX[c & 15];
        } else {
            dst[n++] = (char)c;
        }
    }
    return n;
}

void sq__access_log(sq_server *s, const sq__conn *c, const sq_responder *ex) {
    if (!s->cfg.access_log) return;
    char line[2048];
    size_t n = 0;
    sq_slice host = {c ? c->client_host : "-", c ? c->client_host_len : 1};
    n += put_escaped(line + n, sizeof line - n, host);
    line[n++] = ' ';
    line[n++] = '"';
    n += put_escaped(line + n, 200, ex->parsed.method);
    line[n++] = ' ';
    n += put_escaped(line + n, 1500, ex->parsed.target);
    int w = snprintf(line + n, sizeof line - n, " HTTP/1.%d\" %d %zu\n", ex->parsed.version_minor,
                     ex->status, ex->bytes_out);
    if (w > 0) n += (size_t)w < sizeof line - n ? (size_t)w : sizeof line - n - 1;
    ssize_t r = write(2, line, n);
    (void)r;
}
