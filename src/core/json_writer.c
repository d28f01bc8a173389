/* Compact JSON writer into a sq_buf. Strings are escaped per RFC 8259
 * (the two mandatory escapes, the short forms, \u00XX for the remaining
 * control characters; other valid UTF-8 is copied as is, invalid bytes
 * become \ufffd). Doubles are written in
 * the shortest form that reads back to the same bits, and always look like
 * floats ("1.0", not "1") so a float stays a float for Python readers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json_escape.h"
#include "schema_internal.h"
#include "squall/json.h"

int sq_json_write_string(sq_buf *b, const char *s, size_t len) {
    /* Worst case every byte becomes \u00XX (6 bytes). */
    if (len > (SIZE_MAX - 2) / 6) return SQ_ENOMEM;
    int rc = sq_buf_reserve(b, len * 6 + 2);
    if (rc) return rc;
    char *o = b->data + b->len;
    *o++ = '"';
    o = sq__json_escape(o, s, len, 1);
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

int sq_json_write_int(sq_buf *b, int64_t v) {
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return sq_buf_append(b, p, (size_t)(e - p));
}

/* snprintf follows the process locale: turn a ',' decimal point back. */
static void fix_decimal_point(char *s) {
    for (; *s; s++)
        if (*s == ',') *s = '.';
}

int sq__format_double(double v, char *out, size_t out_len) {
    if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) return SQ_EINVAL;
    if (v == 0) {
        snprintf(out, out_len, "%s", signbit(v) ? "-0.0" : "0.0");
        return 0;
    }
    /* Whether %.{p}g reads back exactly is monotonic in p and always true
     * at 17: binary search the smallest p in 1..17. */
    char tmp[40], best[40];
    int lo = 1, hi = 17;
    best[0] = '\0';
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (snprintf(tmp, sizeof tmp, "%.*g", mid, v) >= (int)sizeof tmp) return SQ_EINVAL;
        fix_decimal_point(tmp);
        if (sq__strtod_c(tmp, NULL) == v) {
            hi = mid;
            memcpy(best, tmp, sizeof best);
        } else {
            lo = mid + 1;
        }
    }
    if (hi == 17 && snprintf(best, sizeof best, "%.17g", v) >= (int)sizeof best) return SQ_EINVAL;
    memcpy(tmp, best, sizeof tmp);
    fix_decimal_point(tmp);
    /* Make it read as a float: "1" -> "1.0"; "1e+20" stays. */
    size_t n = strlen(tmp);
    if (!strpbrk(tmp, ".e") && n + 2 < sizeof tmp) {
        tmp[n++] = '.';
        tmp[n++] = '0';
        tmp[n] = '\0';
    }
    snprintf(out, out_len, "%s", tmp);
    return 0;
}

int sq_json_write_double(sq_buf *b, double v) {
    char tmp[40];
    int rc = sq__format_double(v, tmp, sizeof tmp);
    if (rc) return rc;
    return sq_buf_append(b, tmp, strlen(tmp));
}

static int write_value(sq_buf *b, const sq_json_value *v, int depth) {
    int rc = 0;
    if (depth > 10000) return SQ_EINVAL;
    switch (v->type) {
    case SQ_JSON_NULL: return sq_buf_append(b, "null", 4);
    case SQ_JSON_FALSE: return sq_buf_append(b, "false", 5);
    case SQ_JSON_TRUE: return sq_buf_append(b, "true", 4);
    case SQ_JSON_INT: return sq_json_write_int(b, v->u.i);
    case SQ_JSON_BIGINT: return sq_buf_append(b, v->u.str.ptr, v->u.str.len);
    case SQ_JSON_FLOAT: return sq_json_write_double(b, v->u.f);
    case SQ_JSON_STRING: return sq_json_write_string(b, v->u.str.ptr, v->u.str.len);
    case SQ_JSON_ARRAY:
        if ((rc = sq_buf_append(b, "[", 1))) return rc;
        for (size_t i = 0; i < v->u.arr.len; i++) {
            if (i && (rc = sq_buf_append(b, ",", 1))) return rc;
            if ((rc = write_value(b, &v->u.arr.items[i], depth + 1))) return rc;
        }
        return sq_buf_append(b, "]", 1);
    case SQ_JSON_OBJECT:
        if ((rc = sq_buf_append(b, "{", 1))) return rc;
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const sq_json_member *m = &v->u.obj.members[i];
            if (i && (rc = sq_buf_append(b, ",", 1))) return rc;
            if ((rc = sq_json_write_string(b, m->key, m->key_len))) return rc;
            if ((rc = sq_buf_append(b, ":", 1))) return rc;
            if ((rc = write_value(b, &m->value, depth + 1))) return rc;
        }
        return sq_buf_append(b, "}", 1);
    }
    return SQ_EINVAL;
}

int sq_json_write_value(sq_buf *b, const sq_json_value *v) { return write_value(b, v, 0); }
