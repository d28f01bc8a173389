/* Strict RFC 8259 JSON reader: one pass, recursive descent with a depth
 * limit, values built directly in the caller's arena. Strings without
 * escapes point into the input; the others are decoded into the arena.
 * Array elements and object members are first collected on a scratch stack
 * (so each container is one exact-size arena allocation) and copied out
 * when the container closes. */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "squall/json.h"
#include "schema_internal.h"

#define SCRATCH_INLINE 64

typedef struct parser {
    const char *p;
    const char *end;
    const char *start;
    sq_arena *arena;
    int max_depth;
    /* scratch stack of members; arrays use the .value field only */
    sq_json_member *stack;
    size_t stack_len, stack_cap;
    sq_json_member inline_stack[SCRATCH_INLINE];
    const char *err_at;
    const char *err_reason;
    int err_code;
} parser;

static int fail(parser *ps, const char *at, const char *reason) {
    if (!ps->err_reason) {
        ps->err_at = at;
        ps->err_reason = reason;
        ps->err_code = SQ_EINVAL;
    }
    return -1;
}

static int fail_nomem(parser *ps) {
    ps->err_at = ps->p;
    ps->err_reason = "out of memory";
    ps->err_code = SQ_ENOMEM;
    return -1;
}

static void skip_ws_slow(parser *ps) {
    const char *p = ps->p, *end = ps->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    ps->p = p;
}

/* Compact JSON has no whitespace: one inlined compare decides the common
 * case, the loop is a call. */
static inline void skip_ws(parser *ps) {
    if (ps->p < ps->end && (unsigned char)*ps->p > ' ') return;
    skip_ws_slow(ps);
}

static int grow_scratch(parser *ps, sq_json_member **slot) {
    size_t ncap = ps->stack_cap * 2;
    sq_json_member *n;
    if (ps->stack == ps->inline_stack) {
        n = malloc(ncap * sizeof *n);
        if (n) memcpy(n, ps->stack, ps->stack_len * sizeof *n);
    } else {
        n = realloc(ps->stack, ncap * sizeof *n);
    }
    if (!n) return fail_nomem(ps);
    ps->stack = n;
    ps->stack_cap = ncap;
    *slot = &ps->stack[ps->stack_len++];
    return 0;
}

/* The scratch stack rarely grows: the common case is inlined. */
static inline int push_scratch(parser *ps, sq_json_member **slot) {
    if (ps->stack_len < ps->stack_cap) {
        *slot = &ps->stack[ps->stack_len++];
        return 0;
    }
    return grow_scratch(ps, slot);
}

/* ---- UTF-8 validation of one multi-byte sequence starting at p (>= 0x80).
 * Returns its length or 0 when invalid (overlong, surrogate, > U+10FFFF,
 * truncated). */
size_t sq__utf8_seq_len(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t avail = (size_t)(end - p);
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail < 2 || (p[1] & 0xC0) != 0x80) return 0;
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && p[1] >= 0xA0) return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0; /* overlong */
        if (c == 0xF4 && p[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static size_t utf8_encode(unsigned cp, char *o) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* 1 for the bytes the string scanner must look at: '"', '\\', control
 * characters and the bytes of multi-byte UTF-8 sequences. */
static const unsigned char string_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* The first byte at or after p that string_special marks, or end. Most
 * strings are short plain ASCII, so with SSE2 one 16-byte compare usually
 * finds the closing quote at once. A vector load is only made while 16
 * bytes remain before end (the input may sit right before an unmapped
 * page); the tail, and builds without SSE2, use the table, which marks the
 * same bytes. */
static inline const char *scan_string(const char *p, const char *end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(' ');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: x < ' ' holds for control characters and for
         * every byte >= 0x80 (negative as a signed char) */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                   _mm_cmplt_epi8(x, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask) return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && !string_special[(unsigned char)*p]) p++;
    return p;
}

/* ps->p is just past the opening quote. */
static int parse_string(parser *ps, const char **out, size_t *out_len) {
    const char *s = ps->p, *p = s, *end = ps->end;
    int has_escape = 0;
    for (;;) {
        p = scan_string(p, end);
        if (p >= end) return fail(ps, p, "unterminated string");
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c == '\\') {
            has_escape = 1;
            if (p + 1 >= end) return fail(ps, p, "unterminated string");
            p += 2; /* the escape is checked when decoding */
            continue;
        }
        if (c < 0x20) return fail(ps, p, "control character in string");
        if (c >= 0x80) {
            size_t n = sq__utf8_seq_len((const unsigned char *)p, (const unsigned char *)end);
            if (!n) return fail(ps, p, "invalid UTF-8");
            p += n;
            continue;
        }
        p++;
    }
    size_t raw_len = (size_t)(p - s);
    ps->p = p + 1;
    if (!has_escape) {
        *out = s;
        *out_len = raw_len;
        return 0;
    }
    /* Decoded text is never longer than the raw text. */
    char *o = sq_arena_alloc(ps->arena, raw_len ? raw_len : 1);
    if (!o) return fail_nomem(ps);
    char *w = o;
    const char *q = s;
    while (q < p) {
        if (*q != '\\') {
            *w++ = *q++;
            continue;
        }
        char e = q[1];
        switch (e) {
        case '"': *w++ = '"'; q += 2; break;
        case '\\': *w++ = '\\'; q += 2; break;
        case '/': *w++ = '/'; q += 2; break;
        case 'b': *w++ = '\b'; q += 2; break;
        case 'f': *w++ = '\f'; q += 2; break;
        case 'n': *w++ = '\n'; q += 2; break;
        case 'r': *w++ = '\r'; q += 2; break;
        case 't': *w++ = '\t'; q += 2; break;
        case 'u': {
            unsigned cp;
            if (p - q < 6 || hex4(q + 2, &cp)) return fail(ps, q, "invalid \\u escape");
            q += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return fail(ps, q - 6, "lone surrogate in \\u escape");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(ps, q - 6, "lone surrogate in \\u escape");
            }
            w += utf8_encode(cp, w);
            break;
        }
        default:
            return fail(ps, q, "invalid escape");
        }
    }
    *out = o;
    *out_len = (size_t)(w - o);
    return 0;
}

/* ---- numbers ---- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void init_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

double sq__strtod_c(const char *nul_terminated, char **endp) {
    pthread_once(&c_locale_once, init_c_locale);
    return c_locale ? strtod_l(nul_terminated, endp, c_locale) : strtod(nul_terminated, endp);
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int parse_number(parser *ps, sq_json_value *v) {
    const char *s = ps->p, *p = s, *end = ps->end;
    int neg = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9') return fail(ps, s, "invalid number");
    const char *int_start = p;
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9') return fail(ps, s, "leading zero in number");
    } else {
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    const char *int_end = p;
    int is_float = 0;
    const char *frac_start = NULL, *frac_end = NULL;
    if (p < end && *p == '.') {
        p++;
        frac_start = p;
        if (p >= end || *p < '0' || *p > '9') return fail(ps, p, "invalid number");
        while (p < end && *p >= '0' && *p <= '9') p++;
        frac_end = p;
        is_float = 1;
    }
    long exp10 = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || *p < '0' || *p > '9') return fail(ps, p, "invalid number");
        while (p < end && *p >= '0' && *p <= '9') {
            if (exp10 < 100000) exp10 = exp10 * 10 + (*p - '0');
            p++;
        }
        if (eneg) exp10 = -exp10;
        is_float = 1;
    }
    ps->p = p;
    if (!is_float) {
        size_t nd = (size_t)(int_end - int_start);
        if (nd <= 18) {
            int64_t x = 0;
            for (const char *q = int_start; q < int_end; q++) x = x * 10 + (*q - '0');
            v->type = SQ_JSON_INT;
            v->u.i = neg ? -x : x;
            return 0;
        }
        /* 19+ digits: accumulate in uint64 with overflow check. */
        uint64_t x = 0;
        int overflow = 0;
        for (const char *q = int_start; q < int_end; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (x > (UINT64_MAX - d) / 10) {
                overflow = 1;
                break;
            }
            x = x * 10 + d;
        }
        if (!overflow && ((!neg && x <= (uint64_t)INT64_MAX) || (neg && x <= (uint64_t)INT64_MAX + 1))) {
            v->type = SQ_JSON_INT;
            v->u.i = neg ? (int64_t)(0 - x) : (int64_t)x;
            return 0;
        }
        v->type = SQ_JSON_BIGINT;
        v->u.str.ptr = s;
        v->u.str.len = (size_t)(p - s);
        return 0;
    }
    /* Clinger's fast path: up to 15 significant digits and a power of ten
     * that is exact in a double give a correctly rounded result with one
     * multiplication or division. Everything else goes to strtod_l in the C
     * locale (never the process locale, whose decimal point may be ','). */
    uint64_t mant = 0;
    int ndig = 0;
    const char *q = int_start;
    while (q < int_end && *q == '0') q++;
    for (; q < int_end; q++, ndig++) mant = mant * 10 + (uint64_t)(*q - '0');
    long e = exp10;
    if (frac_start) {
        const char *fe = frac_end;
        while (fe > frac_start && fe[-1] == '0') fe--; /* trailing zeros change nothing */
        for (q = frac_start; q < fe; q++) {
            if (ndig == 0 && *q == '0') {
                e--;
                continue;
            }
            mant = mant * 10 + (uint64_t)(*q - '0');
            ndig++;
            e--;
            if (ndig > 15) break;
        }
    }
    if (ndig <= 15 && e >= -22 && e <= 22) {
        double d = (double)mant;
        if (e < 0) d /= pow10_exact[-e];
        else d *= pow10_exact[e];
        v->type = SQ_JSON_FLOAT;
        v->u.f = neg ? -d : d;
        return 0;
    }
    char tmp[128];
    size_t n = (size_t)(p - s);
    char *heap = NULL, *buf = tmp;
    if (n >= sizeof tmp) {
        heap = malloc(n + 1);
        if (!heap) return fail_nomem(ps);
        buf = heap;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    double d = sq__strtod_c(buf, NULL);
    free(heap);
    if (d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
        return fail(ps, s, "number out of range");
    v->type = SQ_JSON_FLOAT;
    v->u.f = d;
    return 0;
}

static int parse_value(parser *ps, sq_json_value *v, int depth);

static int parse_array(parser *ps, sq_json_value *v, int depth) {
    size_t base = ps->stack_len;
    ps->p++; /* '[' */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        v->type = SQ_JSON_ARRAY;
        v->u.arr.items = NULL;
        v->u.arr.len = 0;
        return 0;
    }
    for (;;) {
        sq_json_value tmp;
        if (parse_value(ps, &tmp, depth + 1)) return -1;
        sq_json_member *slot;
        if (push_scratch(ps, &slot)) return -1;
        slot->value = tmp;
        skip_ws(ps);
        if (ps->p >= ps->end) return fail(ps, ps->p, "unterminated array");
        if (*ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            continue;
        }
        if (*ps->p == ']') {
            ps->p++;
            break;
        }
        return fail(ps, ps->p, "expected ',' or ']'");
    }
    size_t n = ps->stack_len - base;
    sq_json_value *items = sq_arena_alloc(ps->arena, n * sizeof *items);
    if (!items) return fail_nomem(ps);
    for (size_t i = 0; i < n; i++) items[i] = ps->stack[base + i].value;
    ps->stack_len = base;
    v->type = SQ_JSON_ARRAY;
    v->u.arr.items = items;
    v->u.arr.len = n;
    return 0;
}

static int parse_object(parser *ps, sq_json_value *v, int depth) {
    size_t base = ps->stack_len;
    ps->p++; /* '{' */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        v->type = SQ_JSON_OBJECT;
        v->u.obj.members = NULL;
        v->u.obj.len = 0;
        return 0;
    }
    for (;;) {
        if (ps->p >= ps->end || *ps->p != '"') return fail(ps, ps->p, "expected string key");
        ps->p++;
        const char *key;
        size_t key_len;
        if (parse_string(ps, &key, &key_len)) return -1;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') return fail(ps, ps->p, "expected ':'");
        ps->p++;
        skip_ws(ps);
        sq_json_value tmp;
        if (parse_value(ps, &tmp, depth + 1)) return -1;
        sq_json_member *slot;
        if (push_scratch(ps, &slot)) return -1;
        slot->key = key;
        slot->key_len = key_len;
        slot->value = tmp;
        skip_ws(ps);
        if (ps->p >= ps->end) return fail(ps, ps->p, "unterminated object");
        if (*ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            continue;
        }
        if (*ps->p == '}') {
            ps->p++;
            break;
        }
        return fail(ps, ps->p, "expected ',' or '}'");
    }
    size_t n = ps->stack_len - base;
    sq_json_member *m = sq_arena_alloc(ps->arena, n * sizeof *m);
    if (!m) return fail_nomem(ps);
    memcpy(m, ps->stack + base, n * sizeof *m);
    ps->stack_len = base;
    v->type = SQ_JSON_OBJECT;
    v->u.obj.members = m;
    v->u.obj.len = n;
    return 0;
}

static int match_lit(parser *ps, const char *lit, size_t n) {
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
        return fail(ps, ps->p, "unexpected character");
    ps->p += n;
    return 0;
}

static int parse_value(parser *ps, sq_json_value *v, int depth) {
    if (ps->p >= ps->end) return fail(ps, ps->p, "unexpected end of input");
    switch (*ps->p) {
    case '{':
        if (depth >= ps->max_depth) return fail(ps, ps->p, "nesting too deep");
        return parse_object(ps, v, depth);
    case '[':
        if (depth >= ps->max_depth) return fail(ps, ps->p, "nesting too deep");
        return parse_array(ps, v, depth);
    case '"': {
        ps->p++;
        const char *s;
        size_t n;
        if (parse_string(ps, &s, &n)) return -1;
        v->type = SQ_JSON_STRING;
        v->u.str.ptr = s;
        v->u.str.len = n;
        return 0;
    }
    case 't':
        v->type = SQ_JSON_TRUE;
        return match_lit(ps, "true", 4);
    case 'f':
        v->type = SQ_JSON_FALSE;
        return match_lit(ps, "false", 5);
    case 'n':
        v->type = SQ_JSON_NULL;
        return match_lit(ps, "null", 4);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return parse_number(ps, v);
        return fail(ps, ps->p, "unexpected character");
    }
}

int sq_json_parse(const char *input, size_t len, sq_arena *arena, const sq_json_parse_options *opts,
                  sq_json_value **out, sq_json_error *err) {
    parser ps;
    ps.start = input;
    ps.p = input;
    ps.end = input + len;
    ps.arena = arena;
    ps.max_depth = (opts && opts->max_depth > 0) ? opts->max_depth : 256;
    ps.stack = ps.inline_stack;
    ps.stack_len = 0;
    ps.stack_cap = SCRATCH_INLINE;
    ps.err_at = NULL;
    ps.err_reason = NULL;
    ps.err_code = 0;
    int rc = 0;
    sq_json_value *v = sq_arena_alloc(arena, sizeof *v);
    if (!v) {
        rc = SQ_ENOMEM;
        goto done;
    }
    skip_ws(&ps);
    if (parse_value(&ps, v, 0)) {
        rc = ps.err_code ? ps.err_code : SQ_EINVAL;
        goto done;
    }
    skip_ws(&ps);
    if (ps.p != ps.end) {
        fail(&ps, ps.p, "trailing characters after document");
        rc = SQ_EINVAL;
        goto done;
    }
    *out = v;
done:
    if (ps.stack != ps.inline_stack) free(ps.stack);
    if (rc && err) {
        err->offset = ps.err_at ? (size_t)(ps.err_at - input) : (size_t)(ps.p - input);
        err->reason = ps.err_reason ? ps.err_reason : "out of memory";
    }
    return rc;
}

const sq_json_value *sq_json_get(const sq_json_value *obj, const char *key, size_t key_len) {
    if (!obj || obj->type != SQ_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < obj->u.obj.len; i++) {
        const sq_json_member *m = &obj->u.obj.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0) return &m->value;
    }
    return NULL;
}
