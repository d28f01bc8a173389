/* Squall core: the response head (status line, Date, Server, the handler's
 * headers, framing and Connection) appended to a connection's output. */
#include "connection_internal.h"

#include <string.h>

const char *sq__reason_phrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static int is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int name_is(sq_slice name, const char *lower, size_t len) {
    if (name.len != len) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name.base[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lower[i]) return 0;
    }
    return 1;
}

int sq__headers_check(const sq_header_out *h, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (h[i].name.len == 0) return SQ_EINVAL;
        /* The core owns the framing: a second one would desynchronise the client. */
        if (name_is(h[i].name, "content-length", 14) || name_is(h[i].name, "transfer-encoding", 17))
            return SQ_EINVAL;
        for (size_t j = 0; j < h[i].name.len; j++)
            if (!is_tchar((unsigned char)h[i].name.base[j])) return SQ_EINVAL;
        for (size_t j = 0; j < h[i].value.len; j++) {
            char c = h[i].value.base[j];
            if (c == '\r' || c == '\n' || c == '\0') return SQ_EINVAL;
        }
    }
    return 0;
}

size_t sq__headers_size(const sq_header_out *h, size_t n) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += h[i].name.len + h[i].value.len + 4;
    return total;
}

void sq__headers_serialize(const sq_header_out *h, size_t n, char *dst) {
    for (size_t i = 0; i < n; i++) {
        memcpy(dst, h[i].name.base, h[i].name.len);
        dst += h[i].name.len;
        *dst++ = ':';
        *dst++ = ' ';
        if (h[i].value.len) memcpy(dst, h[i].value.base, h[i].value.len);
        dst += h[i].value.len;
        *dst++ = '\r';
        *dst++ = '\n';
    }
}

static char *put(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}
#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *put_u64(char *p, uint64_t v) {
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

int sq__write_head(sq_server *s, sq_buf *out, const sq__head *h) {
    const char *reason = sq__reason_phrase(h->status);
    size_t reason_len = strlen(reason);
    const char *date = sq__date_line(&s->date);
    size_t date_len = s->date.len;
    size_t server_len = s->server_name_copy ? strlen(s->server_name_copy) : 0;
    size_t user_len = h->block ? h->block_len : sq__headers_size(h->headers, h->num_headers);
    size_t need = 32 + reason_len + date_len + (server_len ? server_len + 10 : 0) + user_len +
                  h->extra_len + 64 + 32;
    if (sq_buf_reserve(out, need) < 0) return SQ_ENOMEM;
    char *p = out->data + out->len;
    p = PUT_LIT(p, "HTTP/1.1 ");
    int st = h->status;
    if (st < 100 || st > 999) st = 500;
    *p++ = (char)('0' + st / 100);
    *p++ = (char)('0' + st / 10 % 10);
    *p++ = (char)('0' + st % 10);
    *p++ = ' ';
    p = put(p, reason, reason_len);
    p = PUT_LIT(p, "\r\n");
    p = put(p, date, date_len);
    if (server_len) {
        p = PUT_LIT(p, "Server: ");
        p = put(p, s->server_name_copy, server_len);
        p = PUT_LIT(p, "\r\n");
    }
    if (h->block) {
        if (user_len) p = put(p, h->block, user_len);
    } else {
        sq__headers_serialize(h->headers, h->num_headers, p);
        p += user_len;
    }
    if (h->extra_len) p = put(p, h->extra, h->extra_len);
    switch (h->framing) {
    case SQ__FRAME_LENGTH:
        p = PUT_LIT(p, "Content-Length: ");
        p = put_u64(p, h->content_length);
        p = PUT_LIT(p, "\r\n");
        break;
    case SQ__FRAME_CHUNKED: p = PUT_LIT(p, "Transfer-Encoding: chunked\r\n"); break;
    default: break;
    }
    if (h->conn_close) p = PUT_LIT(p, "Connection: close\r\n");
    else if (h->conn_keep_alive) p = PUT_LIT(p, "Connection: keep-alive\r\n");
    p = PUT_LIT(p, "\r\n");
    out->len = (size_t)(p - out->data);
    return 0;
}
