/* Percent-decoding of paths and query components (RFC 3986 2.1). */
#include <limits.h>

#include "http1_chars.h"
#include "squall/http1_parser.h"

int sq_percent_decode(sq_slice in, char *out, int plus_is_space) {
    if (in.len > INT_MAX) return SQ_EINVAL;
    const unsigned char *s = (const unsigned char *)in.base;
    size_t n = in.len, o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '%') {
            if (n - i < 3 || !sq__is_hex(s[i + 1]) || !sq__is_hex(s[i + 2])) return SQ_EINVAL;
            c = (unsigned char)(sq__hex_value(s[i + 1]) << 4 | sq__hex_value(s[i + 2]));
            /* A NUL inside a path would truncate it for any C string API
             * downstream (file names, logs): refuse it. */
            if (c == 0 && !plus_is_space) return SQ_EINVAL;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out[o++] = (char)c;
    }
    return (int)o;
}
