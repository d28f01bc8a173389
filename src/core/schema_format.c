/* `format` checks for strings. JSON Schema makes `format` an annotation by
 * default; Squall asserts the formats a FastAPI user gets checked by
 * pydantic (uuid, date, date-time, time, duration, email, ...) plus the
 * network ones, and treats every other format (binary, decimal, int32 ...)
 * as an annotation.
 *
 * Where RFC 3339 and pydantic differ, pydantic's lax rules win because that
 * is what FastAPI users send: date-time accepts ' ' as well as 'T' and an
 * absent offset (a naive datetime); uuid accepts the 32-digit form without
 * hyphens and a "urn:uuid:" prefix; duration accepts ISO 8601 and
 * [-][H]H:MM:SS[.f]. */
#include <arpa/inet.h>
#include <string.h>

#include "schema_internal.h"

sq__format sq__format_lookup(const char *name, size_t len) {
    static const struct {
        const char *name;
        sq__format f;
    } table[] = {{"email", SQ__FMT_EMAIL},         {"uuid", SQ__FMT_UUID},
                 {"date", SQ__FMT_DATE},           {"date-time", SQ__FMT_DATE_TIME},
                 {"time", SQ__FMT_TIME},           {"duration", SQ__FMT_DURATION},
                 {"uri", SQ__FMT_URI},             {"ipv4", SQ__FMT_IPV4},
                 {"ipv6", SQ__FMT_IPV6},           {"hostname", SQ__FMT_HOSTNAME}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0) return table[i].f;
    return SQ__FMT_NONE;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* n digits at s -> value, or -1 */
static int digits(const char *s, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int check_uuid(const char *s, size_t len) {
    if (len >= 9 && memcmp(s, "urn:uuid:", 9) == 0) {
        s += 9;
        len -= 9;
    }
    if (len == 32) {
        for (size_t i = 0; i < 32; i++)
            if (!is_hex(s[i])) return 0;
        return 1;
    }
    if (len != 36) return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!is_hex(s[i])) {
            return 0;
        }
    }
    return 1;
}

static int days_in_month(int y, int m) {
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

static int check_date(const char *s, size_t len) {
    if (len != 10 || s[4] != '-' || s[7] != '-') return 0;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1) return 0;
    return d <= days_in_month(y, m);
}

/* HH:MM[:SS[.frac]][Z|+HH:MM|-HH:MM|+HHMM]; need_seconds for date-time
 * strictness is not required by pydantic. */
static int check_time(const char *s, size_t len) {
    if (len < 5 || s[2] != ':') return 0;
    int h = digits(s, 2), mi = digits(s + 3, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59) return 0;
    size_t i = 5;
    if (i < len && s[i] == ':') {
        if (len < i + 3) return 0;
        int sec = digits(s + i + 1, 2);
        if (sec < 0 || sec > 60) return 0; /* 60: leap second */
        i += 3;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            size_t f = ++i;
            while (i < len && is_digit(s[i])) i++;
            if (i == f) return 0;
        }
    }
    if (i == len) return 1;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) return 1;
    if (s[i] != '+' && s[i] != '-') return 0;
    i++;
    size_t rest = len - i;
    int oh, om;
    if (rest == 5 && s[i + 2] == ':') {
        oh = digits(s + i, 2);
        om = digits(s + i + 3, 2);
    } else if (rest == 4) {
        oh = digits(s + i, 2);
        om = digits(s + i + 2, 2);
    } else if (rest == 2) {
        oh = digits(s + i, 2);
        om = 0;
    } else {
        return 0;
    }
    return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
}

static int check_date_time(const char *s, size_t len) {
    if (len < 16) return 0;
    if (!check_date(s, 10)) return 0;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return 0;
    return check_time(s + 11, len - 11);
}

/* ISO 8601 duration (P[nY][nM][nW][nD][T[nH][nM][n[.f]S]]) or [-]H:MM:SS[.f]. */
static int check_duration(const char *s, size_t len) {
    size_t i = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    if (i < len && s[i] == 'P') {
        i++;
        int any = 0, in_time = 0;
        const char *order = "YMWD";
        const char *torder = "HMS";
        size_t pos = 0, tpos = 0;
        while (i < len) {
            if (s[i] == 'T') {
                if (in_time) return 0;
                in_time = 1;
                i++;
                if (i == len) return 0;
                continue;
            }
            size_t st = i;
            while (i < len && is_digit(s[i])) i++;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                while (i < len && is_digit(s[i])) i++;
            }
            if (i == st || i >= len) return 0;
            char u = s[i++];
            if (!in_time) {
                while (order[pos] && order[pos] != u) pos++;
                if (!order[pos]) return 0;
                pos++;
            } else {
                while (torder[tpos] && torder[tpos] != u) tpos++;
                if (!torder[tpos]) return 0;
                tpos++;
            }
            any = 1;
        }
        return any;
    }
    /* clock form */
    size_t st = i;
    while (i < len && is_digit(s[i])) i++;
    if (i == st || i >= len || s[i] != ':') return 0;
    i++;
    if (len < i + 5 || !is_digit(s[i]) || !is_digit(s[i + 1]) || s[i + 2] != ':' || !is_digit(s[i + 3]) ||
        !is_digit(s[i + 4]))
        return 0;
    i += 5;
    if (i < len && s[i] == '.') {
        size_t f = ++i;
        while (i < len && is_digit(s[i])) i++;
        if (i == f) return 0;
    }
    return i == len;
}

static int check_ipv4(const char *s, size_t len) {
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.') return 0;
            i++;
        }
        size_t st = i;
        int v = 0;
        while (i < len && is_digit(s[i]) && i - st < 4) v = v * 10 + (s[i++] - '0');
        size_t n = i - st;
        if (n == 0 || n > 3 || v > 255) return 0;
        if (n > 1 && s[st] == '0') return 0; /* leading zeros are ambiguous (octal) */
    }
    return i == len;
}

static int check_ipv6(const char *s, size_t len) {
    char tmp[64];
    unsigned char out[16];
    if (len == 0 || len >= sizeof tmp) return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (memchr(s, '%', len)) return 0; /* no zone ids */
    return inet_pton(AF_INET6, tmp, out) == 1;
}

static int check_hostname(const char *s, size_t len) {
    if (len && s[len - 1] == '.') len--;
    if (len == 0 || len > 253) return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') return 0;
            label = 0;
            continue;
        }
        if (!(is_alpha(c) || is_digit(c) || c == '-')) return 0;
        if (c == '-' && label == 0) return 0;
        if (++label > 63) return 0;
    }
    return label > 0 && s[len - 1] != '-';
}

/* RFC 3986 absolute URI: scheme ":" hier-part, only URI characters and
 * well-formed %XX escapes (no spaces, no raw non-ASCII). */
static int check_uri(const char *s, size_t len) {
    size_t i = 0;
    if (len == 0 || !is_alpha(s[0])) return 0;
    while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) i++;
    if (i >= len || s[i] != ':') return 0;
    i++;
    static const char allowed[] = "-._~:/?#[]@!$&'()*+,;=";
    for (; i < len; i++) {
        char c = s[i];
        if (is_alpha(c) || is_digit(c) || strchr(allowed, c)) {
            if (c == '\0') return 0;
            continue;
        }
        if (c == '%' && i + 2 < len && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
            i += 2;
            continue;
        }
        return 0;
    }
    return 1;
}

int sq__format_check(sq__format f, const char *s, size_t len) {
    switch (f) {
    case SQ__FMT_UUID: return check_uuid(s, len);
    case SQ__FMT_DATE: return check_date(s, len);
    case SQ__FMT_DATE_TIME: return check_date_time(s, len);
    case SQ__FMT_TIME: return check_time(s, len);
    case SQ__FMT_DURATION: return check_duration(s, len);
    case SQ__FMT_URI: return check_uri(s, len);
    case SQ__FMT_IPV4: return check_ipv4(s, len);
    case SQ__FMT_IPV6: return check_ipv6(s, len);
    case SQ__FMT_HOSTNAME: return check_hostname(s, len);
    default: return 1;
    }
}
