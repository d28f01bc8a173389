/* The byte loop behind sq__json_escape (json_escape.h): escapes what JSON
 * requires and, when asked, replaces bytes that are not UTF-8 with \ufffd. */
#include "json_escape.h"

#include "schema_internal.h" /* sq__utf8_seq_len */

char *sq__json_escape_rest(char *o, const char *s, size_t n, int check_utf8) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 && check_utf8) {
            size_t len = sq__utf8_seq_len((const unsigned char *)s + i, (const unsigned char *)s + n);
            if (len) {
                memcpy(o, s + i, len);
                o += len;
                i += len - 1;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
            }
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    return o;
}
