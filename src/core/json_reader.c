/* Strict RFC 8259 JSON reader: one pass, recursive descent with a depth
 * limit, values built directly in the caller's arena. Strings without
 * escapes point into the input; the others are decoded into the arena.
 * Array elements and object members are first collected on a scratch stack
 * (so each container is one exact-size arena allocation) and copied out
 * when the container closes. A value is parsed straight into its scratch
 * slot, reserved before it is read: parsing into a local and copying it in
 * made the copy's 16-byte loads wait on the value's narrower stores, which
 * cannot be forwarded to them, on every member and item.
 *
 * The parse functions take the cursor and return the cursor just past what
 * they read, or NULL once the error is recorded in the parser: the cursor
 * lives in a register instead of being loaded and stored through the
 * parser around every byte and token. */
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

/* Inlining is steered on the hot path (see parse_value): the rare or long
 * cases stay out of line so that the loops that inline the common ones
 * stay small. Only hints: other compilers get plain functions. */
#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NOINLINE
#define ALWAYS_INLINE inline
#endif

typedef struct parser {
    const char *end;
    sq_arena *arena;
    int max_depth;
    /* scratch stack of members, stack[0, top) in use, room for cap;
     * arrays use the .value field only. Indices, not pointers: growing the
     * stack moves it. */
    sq_json_member *stack;
    size_t top, cap;
    sq_json_member inline_stack[SCRATCH_INLINE];
    /* scan_string's window [win, win_end): bit i of win_mask marks win[i];
     * win_end is win + 64, or win while the window is empty */
    const char *win, *win_end;
    uint64_t win_mask;
    sq_json_value *root;   /* where the document's value goes (arena) */
    sq_json_value discard; /* a value read only for its errors (scratch_nomem) */
    const char *err_at;
    const char *err_reason;
    int err_code;
} parser;

/* Where a container writes itself when it closes. Not a pointer: a value
 * nested inside it may grow, and so move, the scratch stack that holds the
 * container's own slot. Scalars never move the stack and take a pointer. */
#define DEST_ROOT 0
#define DEST_DISCARD 1
#define DEST_SLOT(i) ((i) + 2) /* scratch slot i */

static sq_json_value *dest_value(parser *ps, size_t dest) {
    if (dest >= 2) return &ps->stack[dest - 2].value;
    return dest == DEST_ROOT ? ps->root : &ps->discard;
}

/* Records the first error; returns NULL for the caller to pass up. */
static const char *fail(parser *ps, const char *at, const char *reason) {
    if (!ps->err_reason) {
        ps->err_at = at;
        ps->err_reason = reason;
        ps->err_code = SQ_EINVAL;
    }
    return NULL;
}

/* `at` is where the cursor stood when the allocation failed. */
static const char *fail_nomem(parser *ps, const char *at) {
    ps->err_at = at;
    ps->err_reason = "out of memory";
    ps->err_code = SQ_ENOMEM;
    return NULL;
}

static const char *skip_ws_slow(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* Compact JSON has no whitespace: one inlined compare decides the common
 * case, the loop is a call. */
static inline const char *skip_ws(const char *p, const char *end) {
    if (p < end && (unsigned char)*p > ' ') return p;
    return skip_ws_slow(p, end);
}

/* skip_ws before a token whose usual byte is c: compact JSON has c right
 * there, and that case costs one compare (the caller's own check of c is
 * folded into it by the compiler); the next most common, one space before
 * it (Python's json.dumps writes ", " and ": "), costs no call either. */
static inline const char *skip_ws_to(const char *p, const char *end, char c) {
    if (p < end && *p == c) return p;
    if (end - p >= 2 && *p == ' ' && p[1] == c) return p + 1;
    return skip_ws(p, end);
}

/* Doubles the scratch stack; 0, or SQ_ENOMEM with the stack unchanged
 * and nothing recorded (see scratch_nomem). */
static NOINLINE int grow_scratch(parser *ps) {
    size_t len = ps->top, ncap = ps->cap * 2;
    sq_json_member *n;
    if (ps->stack == ps->inline_stack) {
        n = malloc(ncap * sizeof *n);
        if (n) memcpy(n, ps->stack, len * sizeof *n);
    } else {
        n = realloc(ps->stack, ncap * sizeof *n);
    }
    if (!n) return SQ_ENOMEM;
    ps->stack = n;
    ps->cap = ncap;
    return 0;
}

/* Room for one more scratch slot: 0, or SQ_ENOMEM. The stack rarely
 * grows: the common case is inlined. */
static inline int reserve_scratch(parser *ps) {
    if (ps->top == ps->cap) return grow_scratch(ps);
    return 0;
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

#if defined(__SSE2__)
/* Bit i set when p[i] is a byte string_special marks, for the 16 bytes at
 * p. One signed compare finds three kinds of byte: x ^ 2 < '!' holds for
 * control characters (x ^ 2 stays below 0x20), for '"' (0x22 becomes 0x20)
 * and for every byte >= 0x80 (still negative as a signed char), and for no
 * other byte (0x20 and 0x23 become 0x22 and 0x21). */
static inline unsigned special_mask16(const char *p) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit = _mm_or_si128(_mm_cmplt_epi8(_mm_xor_si128(x, _mm_set1_epi8(2)), _mm_set1_epi8('!')),
                               _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
    return (unsigned)_mm_movemask_epi8(hit);
}
#endif

/* The index of the lowest set bit of m (m != 0). GCC sign-extends the int
 * that __builtin_ctzll returns before adding it to a pointer: one more
 * step on the cursor's chain, which the 64-bit result of tzcnt (bsf on
 * processors without it, same result for m != 0) does not need. */
static inline size_t lowest_set_bit(uint64_t m) {
#if defined(__GNUC__) && defined(__x86_64__)
    uint64_t r = 0; /* an input, so the register is cleared first: some
                       processors wait on tzcnt's destination otherwise */
    __asm__("tzcnt %1, %0" : "+r"(r) : "r"(m) : "cc");
    return (size_t)r;
#else
    return (size_t)__builtin_ctzll(m);
#endif
}

/* The first byte at or after p that string_special marks, or end.
 *
 * With SSE2 the marks of 64 bytes at a time are kept as a bit mask (the
 * window, [win, win_end)), so a string that starts inside it, as
 * the next key or value usually does, finds its end with a shift and a bit
 * scan instead of a fresh load and compare that would wait for the cursor:
 * every string's scan used to sit on the one chain of dependent steps that
 * moves the cursor. The cursor never moves back, so p >= win whenever
 * p < win_end; the shift is p - win, not derived from win_end, to keep one
 * step off that chain. Vector loads are only made where 64 (or 16) bytes
 * remain before end (the input may sit right before an unmapped page); the
 * tail, and builds without SSE2, use the table, which marks the same
 * bytes. */
#if defined(__SSE2__)
static NOINLINE const char *scan_string_past_window(parser *ps, const char *p, const char *end);
#endif

static inline const char *scan_string(parser *ps, const char *p, const char *end) {
#if defined(__SSE2__)
    if (p < ps->win_end) {
        uint64_t m = ps->win_mask >> (size_t)(p - ps->win);
        if (m) return p + lowest_set_bit(m);
        p = ps->win_end;
    }
    return scan_string_past_window(ps, p, end);
#else
    (void)ps; /* no window: the table loop, inline as it is short */
    while (p < end && !string_special[(unsigned char)*p]) p++;
    return p;
#endif
}

#if defined(__SSE2__)
/* scan_string once the window has no mark at or after p */
static NOINLINE const char *scan_string_past_window(parser *ps, const char *p, const char *end) {
    while (end - p >= 64) {
        uint64_t m = (uint64_t)special_mask16(p) | (uint64_t)special_mask16(p + 16) << 16 |
                     (uint64_t)special_mask16(p + 32) << 32 | (uint64_t)special_mask16(p + 48) << 48;
        ps->win = p;
        ps->win_end = p + 64;
        ps->win_mask = m;
        if (m) return p + lowest_set_bit(m);
        p += 64;
    }
    while (end - p >= 16) {
        unsigned m = special_mask16(p);
        if (m) return p + __builtin_ctz(m);
        p += 16;
    }
    while (p < end && !string_special[(unsigned char)*p]) p++;
    return p;
}
#endif

/* The rest of parse_string, from the first byte at p that scan_string
 * stopped at and that is not a closing quote: escapes, multi-byte UTF-8,
 * errors. s is just past the opening quote. */
static NOINLINE const char *parse_string_slow(parser *ps, const char *s, const char *p, const char **out,
                                              size_t *out_len) {
    const char *end = ps->end;
    int has_escape = 0;
    for (;; p = scan_string(ps, p, end)) {
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
        /* scan_string stops at no other byte: c >= 0x80 */
        size_t n = sq__utf8_seq_len((const unsigned char *)p, (const unsigned char *)end);
        if (!n) return fail(ps, p, "invalid UTF-8");
        p += n;
    }
    size_t raw_len = (size_t)(p - s);
    const char *after = p + 1;
    if (!has_escape) {
        *out = s;
        *out_len = raw_len;
        return after;
    }
    /* Decoded text is never longer than the raw text. */
    char *o = sq_arena_alloc(ps->arena, raw_len ? raw_len : 1);
    if (!o) return fail_nomem(ps, after);
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
    return after;
}

/* s is just past the opening quote. Plain ASCII without escapes, the
 * common case, is one scan and points into the input. The slow path
 * writes to temporaries of its own: were it given out and out_len, their
 * address would escape, and a caller's locals (an object key) would live
 * in memory instead of registers on the fast path too. */
static inline const char *parse_string(parser *ps, const char *s, const char *end, const char **out,
                                       size_t *out_len) {
    const char *p;
#if defined(__SSE2__)
    uint64_t m;
    /* scan_string's first case, spelled out: a mark found in the window is
     * before end (the window lies inside the input), so it needs no check */
    if (s < ps->win_end && (m = ps->win_mask >> (size_t)(s - ps->win)) != 0) {
        p = s + lowest_set_bit(m);
    } else
#endif
    {
        p = scan_string(ps, s, end);
        if (p >= end) goto slow;
    }
    if (*p == '"') {
        *out = s;
        *out_len = (size_t)(p - s);
        return p + 1;
    }
slow:;
    const char *str;
    size_t len;
    p = parse_string_slow(ps, s, p, &str, &len);
    if (p) {
        *out = str;
        *out_len = len;
    }
    return p;
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

static inline int is_digit(char c) { return (unsigned)(c - '0') < 10; }

/* An integer literal of 19 or more digits (s its start, '-' included):
 * INT when it fits int64, else BIGINT with the literal's text. */
static NOINLINE const char *parse_long_int(const char *s, int neg, const char *int_start, const char *int_end,
                                           sq_json_value *v) {
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
        return int_end;
    }
    v->type = SQ_JSON_BIGINT;
    v->u.str.ptr = s;
    v->u.str.len = (size_t)(int_end - s);
    return int_end;
}

/* The fraction and exponent of a number whose integer part [int_start, p)
 * is read and valid, with value x (exact up to 19 digits); p is at its '.',
 * 'e' or 'E'.
 *
 * Clinger's fast path: up to 15 significant digits and a power of ten that
 * is exact in a double give a correctly rounded result with one
 * multiplication or division. Everything else goes to strtod_l in the C
 * locale (never the process locale, whose decimal point may be ','). The
 * digits are accumulated while they are scanned: leading zeros add nothing
 * to the mantissa, and trailing zeros of the fraction are dropped by
 * keeping the mantissa as it was at the last nonzero digit. */
static NOINLINE const char *parse_float(parser *ps, const char *s, int neg, const char *int_start, const char *p,
                                        uint64_t x, sq_json_value *v) {
    const char *end = ps->end;
    /* the integer part has no leading zero unless it is "0" (not x == 0: x
     * may have wrapped to 0 past 19 digits) */
    int int_digits = *int_start != '0' ? (int)(p - int_start) : 0;
    uint64_t mant = x, mant_nz = x;
    int frac_digits = 0, first_nz = 0, last_nz = 0; /* 1-based positions in the fraction */
    if (*p == '.') {
        p++;
        if (p >= end || !is_digit(*p)) return fail(ps, p, "invalid number");
        do {
            unsigned d = (unsigned)(*p++ - '0');
            mant = mant * 10 + d; /* may wrap past 19 digits: then more than 15 count */
            frac_digits++;
            if (d) {
                mant_nz = mant;
                last_nz = frac_digits;
                if (!first_nz) first_nz = frac_digits;
            }
        } while (p < end && is_digit(*p));
    }
    long exp10 = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || !is_digit(*p)) return fail(ps, p, "invalid number");
        while (p < end && is_digit(*p)) {
            if (exp10 < 100000) exp10 = exp10 * 10 + (*p - '0');
            p++;
        }
        if (eneg) exp10 = -exp10;
    }
    /* significant digits: from the first nonzero one to the last nonzero
     * one of the fraction (or the end of the integer part) */
    int ndig = int_digits ? int_digits + last_nz : (last_nz ? last_nz - first_nz + 1 : 0);
    long e = exp10 - last_nz;
    if (ndig <= 15 && e >= -22 && e <= 22) {
        double d = (double)mant_nz;
        if (e < 0) d /= pow10_exact[-e];
        else d *= pow10_exact[e];
        v->type = SQ_JSON_FLOAT;
        v->u.f = neg ? -d : d;
        return p;
    }
    char tmp[128];
    size_t n = (size_t)(p - s);
    char *heap = NULL, *buf = tmp;
    if (n >= sizeof tmp) {
        heap = malloc(n + 1);
        if (!heap) return fail_nomem(ps, p);
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
    return p;
}

/* p < end, at '-' or a digit. Integers of up to 18 digits, the common
 * case, are accumulated while they are scanned. */
static ALWAYS_INLINE const char *parse_number(parser *ps, const char *p, const char *end, sq_json_value *v) {
    const char *s = p;
    int neg = *p == '-';
    p += neg;
    if (p >= end || !is_digit(*p)) return fail(ps, s, "invalid number");
    const char *int_start = p;
    /* wraps past 19 digits, harmlessly: such literals go to parse_long_int */
    uint64_t x = (uint64_t)(*p++ - '0');
    if (x == 0) {
        if (p < end && is_digit(*p)) return fail(ps, s, "leading zero in number");
    } else {
        while (p < end && is_digit(*p)) x = x * 10 + (uint64_t)(*p++ - '0');
    }
    if (p < end && *p == '.') {
        /* The usual float, such as a price: a fraction, no exponent, 15
         * digits or fewer in all. The digits then form an exact integer
         * below 2^53 and 10^(fraction digits) is exact too, so one division
         * rounds correctly (Clinger's fast path, as in parse_float, whose
         * bookkeeping of leading and trailing zeros only matters for longer
         * literals). Anything else is read again by parse_float. */
        const char *frac = p + 1, *q = frac;
        uint64_t m = x; /* may wrap on long literals, which are not used */
        while (q < end && is_digit(*q)) m = m * 10 + (uint64_t)(*q++ - '0');
        /* q - int_start counts the digits and the '.' */
        if (q > frac && q - int_start <= 16 && !(q < end && (*q == 'e' || *q == 'E'))) {
            double d = (double)m / pow10_exact[q - frac];
            v->type = SQ_JSON_FLOAT;
            v->u.f = neg ? -d : d;
            return q;
        }
        return parse_float(ps, s, neg, int_start, p, x, v);
    }
    if (p < end && (*p == 'e' || *p == 'E')) return parse_float(ps, s, neg, int_start, p, x, v);
    if (p - int_start > 18) return parse_long_int(s, neg, int_start, p, v);
    v->type = SQ_JSON_INT;
    v->u.i = neg ? -(int64_t)x : (int64_t)x;
    return p;
}

/* The containers stay calls: inlining them into parse_value would make
 * parse_value the recursive function, paying a large prologue for every
 * scalar. This way parse_value is inlined into the container loops and a
 * scalar member costs no call at all. */
static NOINLINE const char *parse_object(parser *ps, const char *p, size_t dest, int depth);
static NOINLINE const char *parse_array(parser *ps, const char *p, size_t dest, int depth);

/* Literals are compared whole; a mismatch is reported at their start. */
static inline const char *match_lit(parser *ps, const char *p, const char *end, const char *lit, size_t n) {
    if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0) return fail(ps, p, "unexpected character");
    return p + n;
}

/* Whitespace before the value is skipped here, as one more case of the
 * switch, so compact JSON pays nothing for it. A scalar is written to v, a
 * container to dest when it closes (v is the same value).
 *
 * end (ps->end) is passed down from the caller's local: read through ps
 * it would be loaded again after every store of a string pointer into the
 * tree, which the compiler must assume could have changed it. */
static ALWAYS_INLINE const char *parse_value(parser *ps, const char *p, const char *end, sq_json_value *v,
                                             size_t dest, int depth) {
again:
    if (p >= end) return fail(ps, p, "unexpected end of input");
    /* strings and numbers are the most common values: tested before the
     * switch */
    if (*p == '"') {
        v->type = SQ_JSON_STRING;
        return parse_string(ps, p + 1, end, &v->u.str.ptr, &v->u.str.len);
    }
    if (is_digit(*p)) return parse_number(ps, p, end, v);
    switch (*p) {
    case ' ':
        /* one space (as after json.dumps's ": " and ", ") needs no call */
        p = end - p >= 2 && (unsigned char)p[1] > ' ' ? p + 1 : skip_ws_slow(p, end);
        goto again;
    case '\t':
    case '\n':
    case '\r':
        p = skip_ws_slow(p, end);
        goto again;
    case '{':
        if (depth >= ps->max_depth) return fail(ps, p, "nesting too deep");
        return parse_object(ps, p, dest, depth);
    case '[':
        if (depth >= ps->max_depth) return fail(ps, p, "nesting too deep");
        return parse_array(ps, p, dest, depth);
    case 't':
        v->type = SQ_JSON_TRUE;
        return match_lit(ps, p, end, "true", 4);
    case 'f':
        v->type = SQ_JSON_FALSE;
        return match_lit(ps, p, end, "false", 5);
    case 'n':
        v->type = SQ_JSON_NULL;
        return match_lit(ps, p, end, "null", 4);
    default:
        if (*p == '-') return parse_number(ps, p, end, v);
        return fail(ps, p, "unexpected character");
    }
}

/* The scratch stack could not grow for the value at p. The slot used to be
 * taken after the value was read, so the value's own errors come first and
 * the out-of-memory error is reported just past it: read it into a slot of
 * its own, for its errors only. */
static NOINLINE const char *scratch_nomem(parser *ps, const char *p, int depth) {
    p = parse_value(ps, p, ps->end, &ps->discard, DEST_DISCARD, depth);
    if (!p) return NULL;
    return fail_nomem(ps, p);
}

/* p is at '['. */
static NOINLINE const char *parse_array(parser *ps, const char *p, size_t dest, int depth) {
    const char *end = ps->end;
    size_t base = ps->top;
    p = skip_ws(p + 1, end);
    if (p < end && *p == ']') {
        sq_json_value *v = dest_value(ps, dest);
        v->type = SQ_JSON_ARRAY;
        v->u.arr.items = NULL;
        v->u.arr.len = 0;
        return p + 1;
    }
    for (;;) {
        if (reserve_scratch(ps)) return scratch_nomem(ps, p, depth + 1);
        size_t i = ps->top++;
        p = parse_value(ps, p, end, &ps->stack[i].value, DEST_SLOT(i), depth + 1);
        if (!p) return NULL;
        p = skip_ws_to(p, end, ',');
        if (p >= end) return fail(ps, p, "unterminated array");
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ']') {
            p++;
            break;
        }
        return fail(ps, p, "expected ',' or ']'");
    }
    size_t n = ps->top - base;
    sq_json_value *items = sq_arena_alloc(ps->arena, n * sizeof *items);
    if (!items) return fail_nomem(ps, p);
    for (size_t i = 0; i < n; i++) items[i] = ps->stack[base + i].value;
    ps->top = base;
    sq_json_value *v = dest_value(ps, dest);
    v->type = SQ_JSON_ARRAY;
    v->u.arr.items = items;
    v->u.arr.len = n;
    return p;
}

/* p is at '{'. */
static NOINLINE const char *parse_object(parser *ps, const char *p, size_t dest, int depth) {
    const char *end = ps->end;
    size_t base = ps->top;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        sq_json_value *v = dest_value(ps, dest);
        v->type = SQ_JSON_OBJECT;
        v->u.obj.members = NULL;
        v->u.obj.len = 0;
        return p + 1;
    }
    for (;;) {
        p = skip_ws_to(p, end, '"');
        if (p >= end || *p != '"') return fail(ps, p, "expected string key");
        const char *key;
        size_t key_len;
        p = parse_string(ps, p + 1, end, &key, &key_len);
        if (!p) return NULL;
        p = skip_ws_to(p, end, ':');
        if (p >= end || *p != ':') return fail(ps, p, "expected ':'");
        if (reserve_scratch(ps)) return scratch_nomem(ps, p + 1, depth + 1);
        size_t i = ps->top++;
        sq_json_member *slot = &ps->stack[i];
        slot->key = key;
        slot->key_len = key_len;
        p = parse_value(ps, p + 1, end, &slot->value, DEST_SLOT(i), depth + 1);
        if (!p) return NULL;
        p = skip_ws_to(p, end, ',');
        if (p >= end) return fail(ps, p, "unterminated object");
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}') {
            p++;
            break;
        }
        return fail(ps, p, "expected ',' or '}'");
    }
    size_t n = ps->top - base;
    sq_json_member *m = sq_arena_alloc(ps->arena, n * sizeof *m);
    if (!m) return fail_nomem(ps, p);
    memcpy(m, ps->stack + base, n * sizeof *m);
    ps->top = base;
    sq_json_value *v = dest_value(ps, dest);
    v->type = SQ_JSON_OBJECT;
    v->u.obj.members = m;
    v->u.obj.len = n;
    return p;
}

int sq_json_parse(const char *input, size_t len, sq_arena *arena, const sq_json_parse_options *opts,
                  sq_json_value **out, sq_json_error *err) {
    parser ps;
    ps.end = input + len;
    ps.arena = arena;
    ps.max_depth = (opts && opts->max_depth > 0) ? opts->max_depth : 256;
    ps.stack = ps.inline_stack;
    ps.top = 0;
    ps.cap = SCRATCH_INLINE;
    ps.win = ps.win_end = input; /* empty */
    ps.win_mask = 0;
    ps.err_at = NULL;
    ps.err_reason = NULL;
    ps.err_code = 0;
    int rc = 0;
    const char *p;
    sq_json_value *v = sq_arena_alloc(arena, sizeof *v);
    if (!v) {
        rc = SQ_ENOMEM;
        goto done;
    }
    ps.root = v;
    p = parse_value(&ps, input, ps.end, v, DEST_ROOT, 0);
    if (!p) {
        rc = ps.err_code ? ps.err_code : SQ_EINVAL;
        goto done;
    }
    p = skip_ws(p, ps.end);
    if (p != ps.end) {
        fail(&ps, p, "trailing characters after document");
        rc = SQ_EINVAL;
        goto done;
    }
    *out = v;
done:
    if (ps.stack != ps.inline_stack) free(ps.stack);
    if (rc && err) {
        /* no err_at only when the root value could not be allocated */
        err->offset = ps.err_at ? (size_t)(ps.err_at - input) : 0;
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
