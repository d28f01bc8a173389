/* application/x-www-form-urlencoded bodies, decoded the way the WHATWG URL
 * standard (and so browsers and Starlette) do: lenient, so any body parses. */
#include <string.h>

#include "squall/form.h"

size_t sq_form_urlencoded_max_pairs(sq_slice body) {
    size_t n = 1;
    const char *p = body.base, *end = body.base + body.len;
    while (p < end && (p = memchr(p, '&', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decode [s, s+n) into out; returns the decoded length (<= n). */
static size_t decode(const char *s, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            out[o++] = ' ';
        } else if (c == '%' && i + 2 < n && hex_value((unsigned char)s[i + 1]) >= 0 &&
                   hex_value((unsigned char)s[i + 2]) >= 0) {
            out[o++] = (char)(hex_value((unsigned char)s[i + 1]) * 16 +
                              hex_value((unsigned char)s[i + 2]));
            i += 2;
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

int sq_form_urlencoded_parse(sq_slice body, char *scratch, sq_query_pair *pairs, size_t cap) {
    size_t count = 0, used = 0;
    const char *p = body.base, *end = body.base + body.len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *piece_end = amp ? amp : end;
        if (piece_end > p) {
            if (count == cap) return SQ_ETOOBIG;
            const char *eq = memchr(p, '=', (size_t)(piece_end - p));
            const char *name_end = eq ? eq : piece_end;
            const char *value = eq ? eq + 1 : piece_end;
            char *name_out = scratch + used;
            size_t nlen = decode(p, (size_t)(name_end - p), name_out);
            used += nlen;
            char *value_out = scratch + used;
            size_t vlen = decode(value, (size_t)(piece_end - value), value_out);
            used += vlen;
            pairs[count].key = (sq_slice){name_out, nlen};
            pairs[count].value = (sq_slice){value_out, vlen};
            count++;
        }
        if (!amp) break;
        p = amp + 1;
    }
    return (int)count;
}
