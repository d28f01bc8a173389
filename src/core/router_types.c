/* The router's typed parameters: whether a path segment is an int, a float
 * or a uuid. Plain byte checks, no locale, no allocation, no strtod (which
 * would accept "inf", "0x1p3" and leading spaces). */
#include <stdint.h>

#include "router_internal.h"

int sq__route_parse_int(const char *s, size_t n) {
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i == n) return 0;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return 0;
        if (v > (limit - d) / 10) return 0;
        v = v * 10 + d;
    }
    return 1;
}

static size_t skip_digits(const char *s, size_t i, size_t n) {
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    return i;
}

int sq__route_parse_float(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    size_t int_start = i;
    i = skip_digits(s, i, n);
    size_t int_digits = i - int_start, frac_digits = 0;
    if (i < n && s[i] == '.') {
        size_t f = i + 1;
        i = skip_digits(s, f, n);
        frac_digits = i - f;
    }
    if (int_digits + frac_digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        size_t e = i;
        i = skip_digits(s, i, n);
        if (i == e) return 0;
    }
    return i == n;
}

static int is_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

int sq__route_parse_uuid(const char *s, size_t n) {
    if (n != 36) return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!is_hex((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}
