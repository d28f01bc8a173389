/* JSON Schema compiler: Draft 2020-12 plus draft-07's `definitions`,
 * `dependencies` and array-form `items`, and OpenAPI 3.0's `nullable`.
 *
 * The document is first deep-copied into the schema's arena, so every
 * sq_json_value the compiled nodes point at (enum values, constraint values
 * reported in error ctx) lives as long as the schema. Nodes are memoised by
 * the address of their source value: a $ref to a schema being compiled gets
 * the same node, which is how recursive schemas become cycles.
 *
 * Any keyword that is neither implemented nor a known annotation is a
 * compile error, so a typo never silently disables a check. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_internal.h"
#include "word_load.h"

typedef struct memo_entry {
    const sq_json_value *src;
    sq__snode *node;
} memo_entry;

typedef struct compiler {
    sq_schema *s;
    const sq_json_value *root;
    memo_entry *memo;
    size_t memo_len, memo_cap;
    char *errbuf;
    size_t errbuf_len;
    int failed;
    int depth;
} compiler;

static int cfail(compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cfail(compiler *c, const char *fmt, ...) {
    if (!c->failed && c->errbuf && c->errbuf_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->errbuf, c->errbuf_len, fmt, ap);
        va_end(ap);
    }
    c->failed = 1;
    return -1;
}

/* ---- deep copy into the schema arena ---- */
static int copy_value(sq_arena *a, sq_json_value *dst, const sq_json_value *src, int depth) {
    if (depth > 512) return -1;
    *dst = *src;
    switch (src->type) {
    case SQ_JSON_STRING:
    case SQ_JSON_BIGINT: {
        char *p = sq_arena_strndup(a, src->u.str.ptr, src->u.str.len);
        if (!p) return -1;
        dst->u.str.ptr = p;
        return 0;
    }
    case SQ_JSON_ARRAY: {
        size_t n = src->u.arr.len;
        if (!n) return 0;
        sq_json_value *items = sq_arena_alloc(a, n * sizeof *items);
        if (!items) return -1;
        for (size_t i = 0; i < n; i++)
            if (copy_value(a, &items[i], &src->u.arr.items[i], depth + 1)) return -1;
        dst->u.arr.items = items;
        return 0;
    }
    case SQ_JSON_OBJECT: {
        size_t n = src->u.obj.len;
        if (!n) return 0;
        sq_json_member *m = sq_arena_alloc(a, n * sizeof *m);
        if (!m) return -1;
        for (size_t i = 0; i < n; i++) {
            const sq_json_member *sm = &src->u.obj.members[i];
            m[i].key = sq_arena_strndup(a, sm->key, sm->key_len);
            if (!m[i].key) return -1;
            m[i].key_len = sm->key_len;
            if (copy_value(a, &m[i].value, &sm->value, depth + 1)) return -1;
        }
        dst->u.obj.members = m;
        return 0;
    }
    default:
        return 0;
    }
}

/* ---- regexes ---- */

/* Bytes that stand for themselves anywhere in a pattern. */
static int plain_literal(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == ' ' || c == ':' || c == '/' || c == ',' || c == '@' || c == '#' || c == '%' || c == '&' ||
           c == '=' || c == '!' || c == '~' || c == '<' || c == '>' || c == ';' || c == '\'';
}

/* The fixed-width shape ^(literal | \d | \d{n})*$ as one byte per subject
 * position (0 = a digit), or NULL (another shape: PCRE2 decides). */
static const unsigned char *fixed_shape(sq_arena *a, const char *src, size_t len, size_t *out_len) {
    if (len < 2 || src[0] != '^' || src[len - 1] != '$') return NULL;
    unsigned char prog[128];
    size_t n = 0;
    for (size_t i = 1; i < len - 1;) {
        unsigned char c = (unsigned char)src[i];
        if (plain_literal(c)) {
            if (n == sizeof prog) return NULL;
            prog[n++] = c;
            i++;
            continue;
        }
        if (c != '\\' || i + 1 >= len - 1 || src[i + 1] != 'd') return NULL;
        i += 2;
        size_t count = 1;
        if (i < len - 1 && src[i] == '{') {
            size_t j = i + 1, v = 0;
            while (j < len - 1 && src[j] >= '0' && src[j] <= '9' && v <= sizeof prog) v = v * 10 + (size_t)(src[j++] - '0');
            if (j == i + 1 || j >= len - 1 || src[j] != '}' || v == 0) return NULL;
            count = v;
            i = j + 1;
        }
        if (count > sizeof prog - n) return NULL;
        memset(prog + n, 0, count);
        n += count;
    }
    unsigned char *out = sq_arena_alloc(a, n ? n : 1);
    if (!out) return NULL; /* PCRE2 still answers */
    memcpy(out, prog, n);
    *out_len = n;
    return out;
}

/* The two 8-byte windows of a fixed shape of 8 to 16 positions (see
 * sq__regex). Built byte by byte and loaded with memcpy, as the subject
 * is, so the byte order of the machine does not matter. */
static void fixed_windows(sq__regex *re) {
    size_t n = re->fixed_len;
    re->fixed_windows = 0;
    if (!re->fixed || n < 8 || n > 16) return;
    for (int w = 0; w < 2; w++) {
        const unsigned char *prog = re->fixed + (w ? n - 8 : 0);
        unsigned char lit[8], lit_mask[8], digit_mask[8];
        for (int i = 0; i < 8; i++) {
            lit[i] = prog[i];
            lit_mask[i] = prog[i] ? 0xff : 0;
            digit_mask[i] = prog[i] ? 0 : 0x80;
        }
        memcpy(&re->win_lit[w], lit, 8);
        memcpy(&re->win_lit_mask[w], lit_mask, 8);
        memcpy(&re->win_digit_mask[w], digit_mask, 8);
    }
    re->fixed_windows = 1;
}

/* One window against 8 subject bytes: the literals equal, and every digit
 * position holds 0-9. XOR with '0' maps exactly '0'-'9' to 0-9; a byte t
 * is above 9 when ((t & 0x7f) + 0x76) or t itself has bit 7 set, and the
 * sum cannot carry into the next byte (0x7f + 0x76 < 0x100). */
static int fixed_window_match(const sq__regex *re, int w, const char *s) {
    uint64_t x = sq__load64(s);
    if ((x ^ re->win_lit[w]) & re->win_lit_mask[w]) return 0;
    uint64_t t = x ^ 0x3030303030303030ull;
    uint64_t above9 = (((t & 0x7f7f7f7f7f7f7f7full) + 0x7676767676767676ull) | t) & 0x8080808080808080ull;
    return (above9 & re->win_digit_mask[w]) == 0;
}

/* The fixed shape against an ASCII subject: exact, as PCRE2 would answer
 * (^ anchors at the start; $ matches at the end or before a final "\n";
 * \d is 0-9 for ASCII text even with UCP). */
static int fixed_match(const sq__regex *re, const char *s, size_t len) {
    size_t n = re->fixed_len;
    if (len != n && !(len == n + 1 && s[n] == '\n')) return 0;
    if (re->fixed_windows) return fixed_window_match(re, 0, s) && fixed_window_match(re, 1, s + n - 8);
    for (size_t i = 0; i < n; i++) {
        unsigned char want = re->fixed[i], c = (unsigned char)s[i];
        if (want ? c != want : (c < '0' || c > '9')) return 0;
    }
    return 1;
}

/* ---- the atom-sequence shape (see sq__regex.seq_admits) ---- */

#define SEQ_MAX_ATOMS 64
/* Past these the automaton would still be exact, but PCRE2's answer could
 * be its match-limit error instead of a match (its backtracking over k
 * greedy atoms is at most len^k steps: 128^3 stays under the default limit
 * of 10 million), and the answer must stay PCRE2's. */
#define SEQ_MAX_REPEATS 3
#define SEQ_MAX_SUBJECT 128

/* Length of the atom at src[i] within [i, end): one plain character, a
 * backslash and a class letter (dDwWsS) or a punctuation mark, or a
 * [class] made of those and ranges; 0 for anything else (PCRE2 decides). */
static size_t seq_atom_len(const char *src, size_t i, size_t end) {
    unsigned char c = (unsigned char)src[i];
    if (plain_literal(c)) return 1;
    if (c == '\\') {
        if (i + 1 >= end) return 0;
        unsigned char e = (unsigned char)src[i + 1];
        if (e == 'd' || e == 'D' || e == 'w' || e == 'W' || e == 's' || e == 'S') return 2;
        /* a backslash before a non-alphanumeric ASCII mark is that mark */
        return e < 0x80 && e > ' ' && !((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
                   ? 2
                   : 0;
    }
    if (c != '[') return 0;
    size_t j = i + 1;
    if (j < end && src[j] == '^') j++;
    if (j < end && src[j] == ']') return 0; /* a leading ] is a literal: not handled */
    for (; j < end; j++) {
        unsigned char k = (unsigned char)src[j];
        if (k == ']') return j + 1 - i;
        if (k == '\\') {
            size_t n = seq_atom_len(src, j, end);
            if (n != 2) return 0;
            j++;
            continue;
        }
        /* no nested [ (POSIX classes), controls or non-ASCII members */
        if (k == '[' || k < ' ' || k >= 0x7f) return 0;
    }
    return 0;
}

/* The atom-sequence automaton of a pattern, or 0 when it has another shape
 * or the build cannot tell (then PCRE2 answers as before). Which ASCII
 * bytes an atom admits is asked of PCRE2 itself, with the pattern's own
 * options, so classes, ranges and \s mean exactly what PCRE2 makes of them. */
static int seq_shape(sq_arena *a, sq__regex *re, const char *src, size_t len) {
    uint32_t nl = 0;
    /* `$` also matches before a final newline; only "\n" is handled */
    if (pcre2_config(PCRE2_CONFIG_NEWLINE, &nl) < 0 || nl != PCRE2_NEWLINE_LF) return 0;
    if (len < 3 || src[0] != '^' || src[len - 1] != '$') return 0;
    size_t atom_at[SEQ_MAX_ATOMS], atom_len[SEQ_MAX_ATOMS];
    size_t n = 0, repeats = 0;
    uint64_t repeat = 0;
    for (size_t i = 1; i < len - 1;) {
        size_t al = seq_atom_len(src, i, len - 1);
        if (al == 0) return 0;
        size_t q = i + al, count = 1;
        int plus = 0;
        if (q < len - 1 && src[q] == '+') {
            plus = 1;
            q++;
        } else if (q < len - 1 && src[q] == '{') {
            size_t j = q + 1, v = 0;
            while (j < len - 1 && src[j] >= '0' && src[j] <= '9' && v <= SEQ_MAX_ATOMS) v = v * 10 + (size_t)(src[j++] - '0');
            if (j == q + 1 || j >= len - 1 || src[j] != '}' || v == 0) return 0;
            count = v;
            q = j + 1;
        }
        /* lazy, possessive or other quantifiers: another shape */
        if (q < len - 1 && (src[q] == '+' || src[q] == '?' || src[q] == '*' || src[q] == '{')) return 0;
        if (count > SEQ_MAX_ATOMS - n || (plus && ++repeats > SEQ_MAX_REPEATS)) return 0;
        for (size_t k = 0; k < count; k++, n++) {
            atom_at[n] = i;
            atom_len[n] = al;
        }
        if (plus) repeat |= (uint64_t)1 << (n - 1);
        i = q;
    }
    if (n == 0) return 0;
    uint64_t *admits = sq_arena_alloc(a, 128 * sizeof *admits);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!admits || !md) {
        pcre2_match_data_free(md);
        return 0;
    }
    memset(admits, 0, 128 * sizeof *admits);
    int ok = 1;
    for (size_t k = 0; k < n && ok; k++) {
        if (k && atom_at[k] == atom_at[k - 1]) { /* a {n} copy: same bytes */
            for (int b = 0; b < 128; b++)
                if ((admits[b] >> (k - 1)) & 1) admits[b] |= (uint64_t)1 << k;
            continue;
        }
        int errcode;
        PCRE2_SIZE erroff;
        pcre2_code *code = pcre2_compile((PCRE2_SPTR)(src + atom_at[k]), atom_len[k], PCRE2_UTF | PCRE2_UCP, &errcode,
                                         &erroff, NULL);
        if (!code) {
            ok = 0;
            break;
        }
        for (int b = 0; b < 128 && ok; b++) {
            unsigned char subject = (unsigned char)b;
            int rc = pcre2_match(code, &subject, 1, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, NULL);
            if (rc >= 0) admits[b] |= (uint64_t)1 << k;
            else if (rc != PCRE2_ERROR_NOMATCH) ok = 0;
        }
        pcre2_code_free(code);
    }
    pcre2_match_data_free(md);
    if (!ok) return 0;
    re->seq_admits = admits;
    re->seq_repeat = repeat;
    re->seq_last = (uint64_t)1 << (n - 1);
    return 1;
}

/* The atom-sequence automaton over s: 1 match, 0 no match, -1 when the
 * subject is not short ASCII (PCRE2 decides). Anchored at the start; `$`
 * matches at the end or before a final "\n", as in PCRE2. */
static int seq_match(const sq__regex *re, const char *s, size_t len) {
    if (len > SEQ_MAX_SUBJECT) return -1;
    const uint64_t *admits = re->seq_admits;
    uint64_t rep = re->seq_repeat, d = 0, before_last = 0, start = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) return -1;
        before_last = d;
        /* an atom continues the one before it, repeats itself when it has
         * `+`, or (first byte only) starts the match */
        d = ((d << 1) | start | (d & rep)) & admits[c];
        start = 0;
        /* no prefix of the pattern matches: the anchored pattern cannot,
         * unless this is a final "\n" that `$` may stand before */
        if (!d) return i + 1 == len && c == '\n' && (before_last & re->seq_last);
    }
    if (d & re->seq_last) return 1;
    return len && s[len - 1] == '\n' && (before_last & re->seq_last);
}

int sq__regex_compile(sq_schema *s, const char *src, size_t len, sq__regex **out, char *errbuf,
                      size_t errbuf_len) {
    int errcode;
    PCRE2_SIZE erroff;
    /* UTF mode with UCP so \d, \w match what ECMA-262's Unicode mode and
     * Python's re do for non-ASCII text; unanchored, as the spec says. */
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)src, len, PCRE2_UTF | PCRE2_UCP,
                                     &errcode, &erroff, NULL);
    if (!code) {
        char msg[128];
        pcre2_get_error_message(errcode, (PCRE2_UCHAR *)msg, sizeof msg);
        if (errbuf && errbuf_len)
            snprintf(errbuf, errbuf_len, "invalid pattern '%.*s' at offset %zu: %s", (int)(len > 200 ? 200 : len),
                     src, (size_t)erroff, msg);
        return -1;
    }
    sq__regex *re = sq_arena_alloc(&s->arena, sizeof *re);
    if (!re) {
        pcre2_code_free(code);
        if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "out of memory");
        return -1;
    }
    re->code = code;
    re->src = sq_arena_strndup(&s->arena, src, len);
    re->src_len = len;
    re->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    re->fixed_len = 0;
    re->fixed = fixed_shape(&s->arena, src, len, &re->fixed_len);
    fixed_windows(re);
    re->seq_admits = NULL;
    re->seq_repeat = re->seq_last = 0;
    if (!re->fixed) (void)seq_shape(&s->arena, re, src, len);
    if (s->num_regexes == s->cap_regexes) {
        size_t ncap = s->cap_regexes ? s->cap_regexes * 2 : 8;
        sq__regex **n = realloc(s->regexes, ncap * sizeof *n);
        if (!n) {
            pcre2_code_free(code);
            if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "out of memory");
            return -1;
        }
        s->regexes = n;
        s->cap_regexes = ncap;
    }
    s->regexes[s->num_regexes++] = re;
    if (!re->src) {
        if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "out of memory");
        return -1;
    }
    *out = re;
    return 0;
}

/* Match data is per thread and made once (the compiled schema is shared
 * by threads and immutable): after a thread's first pattern match no match
 * allocates. The pthread key's destructor frees it when the thread ends. */
static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static _Thread_local pcre2_match_data *tl_md;

static void md_destroy(void *p) { pcre2_match_data_free(p); }
static void md_key_init(void) { (void)pthread_key_create(&md_key, md_destroy); }

static pcre2_match_data *thread_match_data(void) {
    if (tl_md) return tl_md;
    pthread_once(&md_once, md_key_init);
    tl_md = pcre2_match_data_create(1, NULL);
    if (tl_md) (void)pthread_setspecific(md_key, tl_md);
    return tl_md;
}

static int is_ascii(const char *s, size_t len) {
    unsigned char any = 0;
    for (size_t i = 0; i < len; i++) any |= (unsigned char)s[i];
    return any < 0x80;
}

int sq__regex_search(const sq__regex *re, const char *subject, size_t len) {
    int ascii;
    if (re->fixed) {
        /* A fixed-shape match is all ASCII (literals, 0-9, a final "\n"),
         * so it is PCRE2's answer too; without one, only an ASCII subject
         * is decided here (with UCP, \d matches other scripts' digits). */
        if (fixed_match(re, subject, len)) return 1;
        if (is_ascii(subject, len)) return 0;
        ascii = 0;
    } else {
        if (re->seq_admits) {
            int r = seq_match(re, subject, len);
            if (r >= 0) return r;
        }
        ascii = is_ascii(subject, len);
    }
    pcre2_match_data *md = thread_match_data();
    if (!md) return -1;
    /* pcre2_match runs the JIT code when there is some, after checking the
     * subject is valid UTF-8: values that did not come through the JSON
     * reader (percent-decoded query strings) may not be, and matching
     * invalid UTF-8 in UTF mode without the check is undefined. Invalid
     * UTF-8 counts as no match. */
    int rc;
    if (re->jit && ascii) {
        /* ASCII is valid UTF-8, so the check pcre2_match would make is
         * already done: call the JIT code directly (same result). */
        rc = pcre2_jit_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, NULL);
    } else {
        rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, NULL);
    }
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH || (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)) return 0;
    return -1;
}

/* ---- helpers ---- */
static int key_is(const sq_json_member *m, const char *lit) {
    size_t n = strlen(lit);
    return m->key_len == n && memcmp(m->key, lit, n) == 0;
}

static int is_number(const sq_json_value *v) {
    return v->type == SQ_JSON_INT || v->type == SQ_JSON_FLOAT || v->type == SQ_JSON_BIGINT;
}

static double num_of(const sq_json_value *v) {
    if (v->type == SQ_JSON_INT) return (double)v->u.i;
    if (v->type == SQ_JSON_FLOAT) return v->u.f;
    return sq__strtod_c(v->u.str.ptr, NULL); /* BIGINT digits are NUL-terminated copies */
}

static int get_count(compiler *c, const sq_json_member *m, size_t *out) {
    const sq_json_value *v = &m->value;
    if (v->type == SQ_JSON_INT && v->u.i >= 0) {
        *out = (size_t)v->u.i;
        return 0;
    }
    if (v->type == SQ_JSON_FLOAT && v->u.f >= 0 && v->u.f == floor(v->u.f) && v->u.f < 1e18) {
        *out = (size_t)v->u.f;
        return 0;
    }
    return cfail(c, "'%.*s' must be a non-negative integer", (int)m->key_len, m->key);
}

static sq__snode *compile_node(compiler *c, const sq_json_value *v);

/* Lists a node's property names for sq_schema_property_name. -1 on ENOMEM. */
static int remember_names(sq_schema *s, const sq__prop *props, size_t n) {
    if (s->num_names + n > s->cap_names) {
        size_t ncap = s->cap_names ? s->cap_names * 2 : 16;
        while (ncap < s->num_names + n) ncap *= 2;
        sq__key *names = realloc(s->names, ncap * sizeof *names);
        if (!names) return -1;
        s->names = names;
        s->cap_names = ncap;
    }
    for (size_t i = 0; i < n; i++) {
        s->names[s->num_names].key = props[i].key;
        s->names[s->num_names].key_len = props[i].key_len;
        s->num_names++;
    }
    return 0;
}

static int compile_list(compiler *c, const sq_json_member *m, sq__snode ***out, size_t *n) {
    if (m->value.type != SQ_JSON_ARRAY || m->value.u.arr.len == 0)
        return cfail(c, "'%.*s' must be a non-empty array of schemas", (int)m->key_len, m->key);
    size_t len = m->value.u.arr.len;
    sq__snode **list = sq_arena_alloc(&c->s->arena, len * sizeof *list);
    if (!list) return cfail(c, "out of memory");
    for (size_t i = 0; i < len; i++) {
        list[i] = compile_node(c, &m->value.u.arr.items[i]);
        if (!list[i]) return -1;
    }
    *out = list;
    *n = len;
    return 0;
}

static int key_list(compiler *c, const sq_json_value *v, const char *kw, sq__key **out, size_t *n) {
    if (v->type != SQ_JSON_ARRAY) return cfail(c, "'%s' must be an array of strings", kw);
    size_t len = v->u.arr.len;
    sq__key *keys = len ? sq_arena_alloc(&c->s->arena, len * sizeof *keys) : NULL;
    if (len && !keys) return cfail(c, "out of memory");
    for (size_t i = 0; i < len; i++) {
        const sq_json_value *k = &v->u.arr.items[i];
        if (k->type != SQ_JSON_STRING) return cfail(c, "'%s' must be an array of strings", kw);
        keys[i].key = k->u.str.ptr;
        keys[i].key_len = k->u.str.len;
    }
    *out = keys;
    *n = len;
    return 0;
}

static int type_bit(const sq_json_value *t, uint32_t *bits) {
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"null", SQ__T_NULL},   {"boolean", SQ__T_BOOL}, {"integer", SQ__T_INT},
                 {"number", SQ__T_NUM},  {"string", SQ__T_STR},   {"array", SQ__T_ARR},
                 {"object", SQ__T_OBJ}};
    if (t->type != SQ_JSON_STRING) return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (t->u.str.len == strlen(names[i].name) && memcmp(t->u.str.ptr, names[i].name, t->u.str.len) == 0) {
            *bits |= names[i].bit;
            return 0;
        }
    }
    return -1;
}

/* Resolve a local reference: "#", "#/a/b~1c/0" (JSON pointer, ~0 ~1 and
 * %XX escapes). */
static const sq_json_value *resolve_pointer(compiler *c, const char *ref, size_t len) {
    if (len == 0 || ref[0] != '#') return NULL;
    const sq_json_value *cur = c->root;
    size_t i = 1;
    if (i == len) return cur;
    if (ref[i] != '/') return NULL;
    char tok[256];
    while (i < len) {
        i++; /* skip '/' */
        size_t t = 0;
        while (i < len && ref[i] != '/') {
            char ch = ref[i];
            if (ch == '~' && i + 1 < len && (ref[i + 1] == '0' || ref[i + 1] == '1')) {
                ch = ref[i + 1] == '0' ? '~' : '/';
                i += 2;
            } else if (ch == '%' && i + 2 < len) {
                char hx[3] = {ref[i + 1], ref[i + 2], 0};
                char *end;
                long x = strtol(hx, &end, 16);
                if (*end) return NULL;
                ch = (char)x;
                i += 3;
            } else {
                i++;
            }
            if (t + 1 >= sizeof tok) return NULL;
            tok[t++] = ch;
        }
        if (cur->type == SQ_JSON_OBJECT) {
            cur = sq_json_get(cur, tok, t);
        } else if (cur->type == SQ_JSON_ARRAY) {
            tok[t] = 0;
            char *end;
            unsigned long idx = strtoul(tok, &end, 10);
            if (t == 0 || *end || idx >= cur->u.arr.len) return NULL;
            cur = &cur->u.arr.items[idx];
        } else {
            return NULL;
        }
        if (!cur) return NULL;
    }
    return cur;
}

/* Annotations and containers compiled only through $ref: accepted, no
 * validation of their own. */
static int is_annotation(const sq_json_member *m) {
    static const char *const names[] = {
        "title", "description", "examples", "example", "default", "deprecated", "readOnly",
        "writeOnly", "$comment", "$schema", "$id", "$anchor", "$dynamicAnchor", "$vocabulary",
        "contentEncoding", "contentMediaType", "contentSchema", "$defs", "definitions",
        /* OpenAPI 3.x annotations found in FastAPI / fixture schemas, and
         * its `components` section as a container of $ref targets
         * ("#/components/schemas/Pet"), like $defs */
        "discriminator", "xml", "externalDocs", "components",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (key_is(m, names[i])) return 1;
    /* OpenAPI specification extensions */
    return m->key_len >= 2 && m->key[0] == 'x' && m->key[1] == '-';
}

static int set_number(compiler *c, const sq_json_member *m, double *d, const sq_json_value **v) {
    if (!is_number(&m->value)) return cfail(c, "'%.*s' must be a number", (int)m->key_len, m->key);
    *d = num_of(&m->value);
    *v = &m->value;
    return 0;
}

/* The int64 range of a node's number bounds, when they are all int64 (see
 * sq__snode.int_bounds): the same answers as comparing with each bound. */
static void compute_int_bounds(sq__snode *n) {
    uint32_t f = n->flags;
    const sq_json_value *bounds[4] = {
        (f & SQ__HAS_MINIMUM) ? n->minimum_v : NULL, (f & SQ__HAS_EXCL_MIN) ? n->excl_min_v : NULL,
        (f & SQ__HAS_MAXIMUM) ? n->maximum_v : NULL, (f & SQ__HAS_EXCL_MAX) ? n->excl_max_v : NULL};
    n->int_bounds = 0;
    if (f & SQ__HAS_MULTIPLE) return;
    for (int i = 0; i < 4; i++)
        if (bounds[i] && bounds[i]->type != SQ_JSON_INT) return;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    int empty = 0;
    if (bounds[0] && bounds[0]->u.i > lo) lo = bounds[0]->u.i;
    if (bounds[1]) {
        if (bounds[1]->u.i == INT64_MAX) empty = 1; /* nothing is above it */
        else if (bounds[1]->u.i + 1 > lo) lo = bounds[1]->u.i + 1;
    }
    if (bounds[2] && bounds[2]->u.i < hi) hi = bounds[2]->u.i;
    if (bounds[3]) {
        if (bounds[3]->u.i == INT64_MIN) empty = 1;
        else if (bounds[3]->u.i - 1 < hi) hi = bounds[3]->u.i - 1;
    }
    n->int_lo = empty ? 1 : lo;
    n->int_hi = empty ? 0 : hi;
    n->int_bounds = 1;
}

/* The double range of a node's number bounds for float instances (see
 * sq__snode.dbl_bounds). Of an inclusive bound m and a strict bound e on
 * one side, x >= m && x > e is x > e when e >= m and x >= m otherwise. */
static void compute_dbl_bounds(sq__snode *n) {
    uint32_t f = n->flags;
    n->dbl_bounds = !(f & SQ__HAS_MULTIPLE);
    n->dbl_lo = -HUGE_VAL;
    n->dbl_lo_strict = 0;
    if (f & SQ__HAS_MINIMUM) n->dbl_lo = n->minimum;
    if ((f & SQ__HAS_EXCL_MIN) && (!(f & SQ__HAS_MINIMUM) || n->excl_min >= n->minimum)) {
        n->dbl_lo = n->excl_min;
        n->dbl_lo_strict = 1;
    }
    n->dbl_hi = HUGE_VAL;
    n->dbl_hi_strict = 0;
    if (f & SQ__HAS_MAXIMUM) n->dbl_hi = n->maximum;
    if ((f & SQ__HAS_EXCL_MAX) && (!(f & SQ__HAS_MAXIMUM) || n->excl_max <= n->maximum)) {
        n->dbl_hi = n->excl_max;
        n->dbl_hi_strict = 1;
    }
}

/* Keyword groups and the leaf mark of a compiled node (see schema_internal.h).
 * Only the node's own fields are read: a $ref target may still be under
 * construction here (recursive schemas), and a $ref makes a node no leaf. */
static void classify(sq__snode *n) {
    uint32_t g = 0, f = n->flags;
    if (n->ref || n->enum_v || (f & SQ__HAS_CONST)) g |= SQ__G_VALUE;
    if (f & (SQ__HAS_MINIMUM | SQ__HAS_MAXIMUM | SQ__HAS_EXCL_MIN | SQ__HAS_EXCL_MAX | SQ__HAS_MULTIPLE))
        g |= SQ__G_NUMBER;
    if ((f & (SQ__HAS_MIN_LEN | SQ__HAS_MAX_LEN)) || n->pattern || n->format != SQ__FMT_NONE) g |= SQ__G_STRING;
    if ((f & (SQ__HAS_MIN_ITEMS | SQ__HAS_MAX_ITEMS | SQ__UNIQUE)) || n->num_prefix_items || n->items || n->contains)
        g |= SQ__G_ARRAY;
    if ((f & (SQ__ADDL_FALSE | SQ__HAS_MIN_PROPS | SQ__HAS_MAX_PROPS)) || n->num_props || n->num_pattern_props ||
        n->additional || n->property_names || n->num_required || n->num_dep_required || n->num_dep_schemas)
        g |= SQ__G_OBJECT;
    if (n->num_all_of || n->num_any_of || n->num_one_of || n->not_ || n->if_) g |= SQ__G_APPLY;
    n->groups = g;
    if (g & SQ__G_NUMBER) {
        compute_int_bounds(n);
        compute_dbl_bounds(n);
    }
    int leaf = n->bool_schema == 0 && !(g & (SQ__G_VALUE | SQ__G_ARRAY | SQ__G_OBJECT | SQ__G_APPLY)) &&
               n->format != SQ__FMT_EMAIL;
    n->leaf_types = leaf ? n->types : 0;
    n->ref_only = n->ref && g == SQ__G_VALUE && !n->enum_v && !(f & SQ__HAS_CONST) && n->types == SQ__T_ANY;
}

static int compile_keywords(compiler *c, sq__snode *n, const sq_json_value *v) {
    sq_arena *a = &c->s->arena;
    const sq_json_value *excl_min_bool = NULL, *excl_max_bool = NULL;
    const sq_json_value *items_v = NULL;
    for (size_t i = 0; i < v->u.obj.len && !c->failed; i++) {
        const sq_json_member *m = &v->u.obj.members[i];
        const sq_json_value *mv = &m->value;
        if (key_is(m, "type")) {
            uint32_t bits = 0;
            if (mv->type == SQ_JSON_ARRAY) {
                for (size_t k = 0; k < mv->u.arr.len; k++)
                    if (type_bit(&mv->u.arr.items[k], &bits)) return cfail(c, "unknown type in 'type'");
            } else if (type_bit(mv, &bits)) {
                return cfail(c, "unknown type in 'type'");
            }
            n->types = bits;
        } else if (key_is(m, "enum")) {
            if (mv->type != SQ_JSON_ARRAY) return cfail(c, "'enum' must be an array");
            n->enum_v = mv;
        } else if (key_is(m, "const")) {
            n->const_v = mv;
            n->flags |= SQ__HAS_CONST;
            n->const_json = sq__msg_json(a, mv);
            if (!n->const_json) return cfail(c, "out of memory");
        } else if (key_is(m, "nullable")) {
            if (mv->type != SQ_JSON_TRUE && mv->type != SQ_JSON_FALSE) return cfail(c, "'nullable' must be a boolean");
            n->nullable = mv->type == SQ_JSON_TRUE;
        } else if (key_is(m, "minimum")) {
            if (set_number(c, m, &n->minimum, &n->minimum_v)) return -1;
            n->flags |= SQ__HAS_MINIMUM;
        } else if (key_is(m, "maximum")) {
            if (set_number(c, m, &n->maximum, &n->maximum_v)) return -1;
            n->flags |= SQ__HAS_MAXIMUM;
        } else if (key_is(m, "exclusiveMinimum")) {
            /* draft-04 / OpenAPI 3.0 spell it as a boolean next to minimum */
            if (mv->type == SQ_JSON_TRUE || mv->type == SQ_JSON_FALSE) {
                excl_min_bool = mv;
                continue;
            }
            if (set_number(c, m, &n->excl_min, &n->excl_min_v)) return -1;
            n->flags |= SQ__HAS_EXCL_MIN;
        } else if (key_is(m, "exclusiveMaximum")) {
            if (mv->type == SQ_JSON_TRUE || mv->type == SQ_JSON_FALSE) {
                excl_max_bool = mv;
                continue;
            }
            if (set_number(c, m, &n->excl_max, &n->excl_max_v)) return -1;
            n->flags |= SQ__HAS_EXCL_MAX;
        } else if (key_is(m, "multipleOf")) {
            if (set_number(c, m, &n->multiple_of, &n->multiple_of_v)) return -1;
            if (!(n->multiple_of > 0)) return cfail(c, "'multipleOf' must be greater than 0");
            n->flags |= SQ__HAS_MULTIPLE;
        } else if (key_is(m, "minLength")) {
            if (get_count(c, m, &n->min_len)) return -1;
            n->flags |= SQ__HAS_MIN_LEN;
        } else if (key_is(m, "maxLength")) {
            if (get_count(c, m, &n->max_len)) return -1;
            n->flags |= SQ__HAS_MAX_LEN;
        } else if (key_is(m, "pattern")) {
            if (mv->type != SQ_JSON_STRING) return cfail(c, "'pattern' must be a string");
            if (sq__regex_compile(c->s, mv->u.str.ptr, mv->u.str.len, &n->pattern, c->errbuf, c->errbuf_len)) {
                c->failed = 1;
                return -1;
            }
        } else if (key_is(m, "format")) {
            if (mv->type != SQ_JSON_STRING) return cfail(c, "'format' must be a string");
            n->format = sq__format_lookup(mv->u.str.ptr, mv->u.str.len);
            if (n->format == SQ__FMT_EMAIL && !c->s->email_re) {
                if (sq__regex_compile(c->s, SQ__EMAIL_PATTERN, strlen(SQ__EMAIL_PATTERN), &c->s->email_re,
                                      c->errbuf, c->errbuf_len)) {
                    c->failed = 1;
                    return -1;
                }
            }
        } else if (key_is(m, "properties")) {
            if (mv->type != SQ_JSON_OBJECT) return cfail(c, "'properties' must be an object");
            size_t np = mv->u.obj.len;
            n->props = np ? sq_arena_alloc(a, np * sizeof *n->props) : NULL;
            if (np && !n->props) return cfail(c, "out of memory");
            for (size_t k = 0; k < np; k++) {
                const sq_json_member *pm = &mv->u.obj.members[k];
                n->props[k].key = pm->key;
                n->props[k].key_len = pm->key_len;
                n->props[k].req_index = -1;
                n->props[k].req_bit = 0;
                n->props[k].schema = compile_node(c, &pm->value);
                if (!n->props[k].schema) return -1;
            }
            n->num_props = np;
            if (remember_names(c->s, n->props, np)) return cfail(c, "out of memory");
            n->props_distinct = 1;
            for (size_t k = 0; k < np && n->props_distinct; k++)
                for (size_t j = 0; j < k; j++)
                    if (n->props[j].key_len == n->props[k].key_len &&
                        memcmp(n->props[j].key, n->props[k].key, n->props[k].key_len) == 0) {
                        n->props_distinct = 0;
                        break;
                    }
        } else if (key_is(m, "required")) {
            if (key_list(c, mv, "required", &n->required, &n->num_required)) return -1;
        } else if (key_is(m, "additionalProperties")) {
            if (mv->type == SQ_JSON_FALSE) {
                n->flags |= SQ__ADDL_FALSE;
            } else if (mv->type != SQ_JSON_TRUE) {
                n->additional = compile_node(c, mv);
                if (!n->additional) return -1;
            }
        } else if (key_is(m, "patternProperties")) {
            if (mv->type != SQ_JSON_OBJECT) return cfail(c, "'patternProperties' must be an object");
            size_t np = mv->u.obj.len;
            n->pattern_props = np ? sq_arena_alloc(a, np * sizeof *n->pattern_props) : NULL;
            if (np && !n->pattern_props) return cfail(c, "out of memory");
            for (size_t k = 0; k < np; k++) {
                const sq_json_member *pm = &mv->u.obj.members[k];
                sq__regex *re;
                if (sq__regex_compile(c->s, pm->key, pm->key_len, &re, c->errbuf, c->errbuf_len)) {
                    c->failed = 1;
                    return -1;
                }
                n->pattern_props[k].re = *re;
                n->pattern_props[k].schema = compile_node(c, &pm->value);
                if (!n->pattern_props[k].schema) return -1;
            }
            n->num_pattern_props = np;
        } else if (key_is(m, "propertyNames")) {
            n->property_names = compile_node(c, mv);
            if (!n->property_names) return -1;
        } else if (key_is(m, "minProperties")) {
            if (get_count(c, m, &n->min_props)) return -1;
            n->flags |= SQ__HAS_MIN_PROPS;
        } else if (key_is(m, "maxProperties")) {
            if (get_count(c, m, &n->max_props)) return -1;
            n->flags |= SQ__HAS_MAX_PROPS;
        } else if (key_is(m, "dependentRequired") || key_is(m, "dependentSchemas") ||
                   key_is(m, "dependencies")) {
            /* draft-07 `dependencies` mixes both forms: an array value is
             * dependentRequired, a schema value dependentSchemas. */
            int only_req = key_is(m, "dependentRequired"), only_schema = key_is(m, "dependentSchemas");
            if (mv->type != SQ_JSON_OBJECT) return cfail(c, "'%.*s' must be an object", (int)m->key_len, m->key);
            size_t nd = mv->u.obj.len;
            sq__dep_required *dr = nd ? sq_arena_alloc(a, (n->num_dep_required + nd) * sizeof *dr) : NULL;
            sq__dep_schema *ds = nd ? sq_arena_alloc(a, (n->num_dep_schemas + nd) * sizeof *ds) : NULL;
            if (nd && (!dr || !ds)) return cfail(c, "out of memory");
            if (n->num_dep_required) memcpy(dr, n->dep_required, n->num_dep_required * sizeof *dr);
            if (n->num_dep_schemas) memcpy(ds, n->dep_schemas, n->num_dep_schemas * sizeof *ds);
            size_t nr = n->num_dep_required, ns = n->num_dep_schemas;
            for (size_t k = 0; k < nd; k++) {
                const sq_json_member *dm = &mv->u.obj.members[k];
                if (dm->value.type == SQ_JSON_ARRAY && !only_schema) {
                    dr[nr].trigger.key = dm->key;
                    dr[nr].trigger.key_len = dm->key_len;
                    if (key_list(c, &dm->value, "dependentRequired", &dr[nr].keys, &dr[nr].num_keys)) return -1;
                    nr++;
                } else if (!only_req && (dm->value.type == SQ_JSON_OBJECT || dm->value.type == SQ_JSON_TRUE ||
                                         dm->value.type == SQ_JSON_FALSE)) {
                    ds[ns].trigger.key = dm->key;
                    ds[ns].trigger.key_len = dm->key_len;
                    ds[ns].schema = compile_node(c, &dm->value);
                    if (!ds[ns].schema) return -1;
                    ns++;
                } else {
                    return cfail(c, "invalid value in '%.*s'", (int)m->key_len, m->key);
                }
            }
            if (nd) {
                n->dep_required = dr;
                n->num_dep_required = nr;
                n->dep_schemas = ds;
                n->num_dep_schemas = ns;
            }
        } else if (key_is(m, "items")) {
            items_v = mv; /* needs prefixItems first: handled after the loop */
        } else if (key_is(m, "prefixItems")) {
            if (compile_list(c, m, &n->prefix_items, &n->num_prefix_items)) return -1;
        } else if (key_is(m, "additionalItems")) {
            /* draft-07: applies after an array-form `items` */
            n->items = compile_node(c, mv);
            if (!n->items) return -1;
        } else if (key_is(m, "minItems")) {
            if (get_count(c, m, &n->min_items)) return -1;
            n->flags |= SQ__HAS_MIN_ITEMS;
        } else if (key_is(m, "maxItems")) {
            if (get_count(c, m, &n->max_items)) return -1;
            n->flags |= SQ__HAS_MAX_ITEMS;
        } else if (key_is(m, "uniqueItems")) {
            if (mv->type != SQ_JSON_TRUE && mv->type != SQ_JSON_FALSE) return cfail(c, "'uniqueItems' must be a boolean");
            if (mv->type == SQ_JSON_TRUE) n->flags |= SQ__UNIQUE;
        } else if (key_is(m, "contains")) {
            n->contains = compile_node(c, mv);
            if (!n->contains) return -1;
        } else if (key_is(m, "minContains")) {
            if (get_count(c, m, &n->min_contains)) return -1;
            n->flags |= SQ__HAS_MIN_CONTAINS;
        } else if (key_is(m, "maxContains")) {
            if (get_count(c, m, &n->max_contains)) return -1;
            n->flags |= SQ__HAS_MAX_CONTAINS;
        } else if (key_is(m, "allOf")) {
            if (compile_list(c, m, &n->all_of, &n->num_all_of)) return -1;
        } else if (key_is(m, "anyOf")) {
            if (compile_list(c, m, &n->any_of, &n->num_any_of)) return -1;
        } else if (key_is(m, "oneOf")) {
            if (compile_list(c, m, &n->one_of, &n->num_one_of)) return -1;
        } else if (key_is(m, "not")) {
            n->not_ = compile_node(c, mv);
            if (!n->not_) return -1;
            n->not_json = sq__msg_json(a, mv);
            if (!n->not_json) return cfail(c, "out of memory");
        } else if (key_is(m, "if")) {
            n->if_ = compile_node(c, mv);
            if (!n->if_) return -1;
        } else if (key_is(m, "then")) {
            n->then_ = compile_node(c, mv);
            if (!n->then_) return -1;
        } else if (key_is(m, "else")) {
            n->else_ = compile_node(c, mv);
            if (!n->else_) return -1;
        } else if (key_is(m, "$ref")) {
            if (mv->type != SQ_JSON_STRING) return cfail(c, "'$ref' must be a string");
            const sq_json_value *target = resolve_pointer(c, mv->u.str.ptr, mv->u.str.len);
            if (!target)
                return cfail(c, "unresolvable $ref '%.*s' (only local JSON pointers are supported)",
                             (int)(mv->u.str.len > 200 ? 200 : mv->u.str.len), mv->u.str.ptr);
            n->ref = compile_node(c, target);
            if (!n->ref) return -1;
        } else if (is_annotation(m)) {
            /* no validation */
        } else {
            return cfail(c, "unknown JSON Schema keyword '%.*s'", (int)(m->key_len > 100 ? 100 : m->key_len), m->key);
        }
    }
    if (c->failed) return -1;
    if (excl_min_bool && excl_min_bool->type == SQ_JSON_TRUE) {
        if (!(n->flags & SQ__HAS_MINIMUM)) return cfail(c, "boolean 'exclusiveMinimum' needs 'minimum'");
        n->flags = (n->flags & ~(uint32_t)SQ__HAS_MINIMUM) | SQ__HAS_EXCL_MIN;
        n->excl_min = n->minimum;
        n->excl_min_v = n->minimum_v;
    }
    if (excl_max_bool && excl_max_bool->type == SQ_JSON_TRUE) {
        if (!(n->flags & SQ__HAS_MAXIMUM)) return cfail(c, "boolean 'exclusiveMaximum' needs 'maximum'");
        n->flags = (n->flags & ~(uint32_t)SQ__HAS_MAXIMUM) | SQ__HAS_EXCL_MAX;
        n->excl_max = n->maximum;
        n->excl_max_v = n->maximum_v;
    }
    if (items_v) {
        if (items_v->type == SQ_JSON_ARRAY) {
            /* draft-07 array form: a tuple, like 2020-12's prefixItems */
            if (n->num_prefix_items) return cfail(c, "array-form 'items' together with 'prefixItems'");
            sq_json_member fake = {"items", 5, *items_v};
            if (items_v->u.arr.len == 0) {
                /* an empty tuple constrains nothing */
            } else if (compile_list(c, &fake, &n->prefix_items, &n->num_prefix_items)) {
                return -1;
            }
        } else {
            if (n->items) return cfail(c, "'items' together with 'additionalItems'");
            n->items = compile_node(c, items_v);
            if (!n->items) return -1;
        }
    }
    /* Link required keys to properties so validation marks them in one pass. */
    for (size_t r = 0; r < n->num_required && r < 64; r++) {
        for (size_t k = 0; k < n->num_props; k++) {
            if (n->props[k].key_len == n->required[r].key_len &&
                memcmp(n->props[k].key, n->required[r].key, n->required[r].key_len) == 0 &&
                n->props[k].req_index < 0) {
                n->props[k].req_index = (int)r;
                n->props[k].req_bit = (uint64_t)1 << r;
                break;
            }
        }
    }
    if (n->nullable && n->types != SQ__T_ANY) n->types |= SQ__T_NULL;
    classify(n);
    return 0;
}

static sq__snode *compile_node(compiler *c, const sq_json_value *v) {
    if (c->failed) return NULL;
    for (size_t i = 0; i < c->memo_len; i++)
        if (c->memo[i].src == v) return c->memo[i].node;
    if (v->type != SQ_JSON_OBJECT && v->type != SQ_JSON_TRUE && v->type != SQ_JSON_FALSE) {
        cfail(c, "a schema must be an object or a boolean");
        return NULL;
    }
    if (c->depth > 200) {
        cfail(c, "schema nested too deeply");
        return NULL;
    }
    sq__snode *n = sq_arena_alloc(&c->s->arena, sizeof *n);
    if (!n) {
        cfail(c, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->types = SQ__T_ANY;
    if (c->memo_len == c->memo_cap) {
        size_t ncap = c->memo_cap ? c->memo_cap * 2 : 32;
        memo_entry *m = realloc(c->memo, ncap * sizeof *m);
        if (!m) {
            cfail(c, "out of memory");
            return NULL;
        }
        c->memo = m;
        c->memo_cap = ncap;
    }
    c->memo[c->memo_len].src = v;
    c->memo[c->memo_len].node = n;
    c->memo_len++;
    if (v->type == SQ_JSON_TRUE) {
        n->bool_schema = 1;
        return n;
    }
    if (v->type == SQ_JSON_FALSE) {
        n->bool_schema = 2;
        return n;
    }
    c->depth++;
    int rc = compile_keywords(c, n, v);
    c->depth--;
    return rc ? NULL : n;
}

sq_schema *sq_schema_compile(const sq_json_value *doc, char *errbuf, size_t errbuf_len) {
    if (errbuf && errbuf_len) errbuf[0] = '\0';
    if (!doc) {
        if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "no schema");
        return NULL;
    }
    sq_schema *s = calloc(1, sizeof *s);
    if (!s) {
        if (errbuf && errbuf_len) snprintf(errbuf, errbuf_len, "out of memory");
        return NULL;
    }
    sq_arena_init(&s->arena);
    compiler c;
    memset(&c, 0, sizeof c);
    c.s = s;
    c.errbuf = errbuf;
    c.errbuf_len = errbuf_len;
    sq_json_value *root = sq_arena_alloc(&s->arena, sizeof *root);
    if (!root || copy_value(&s->arena, root, doc, 0)) {
        cfail(&c, "out of memory or document too deep");
        goto error;
    }
    c.root = root;
    s->root = compile_node(&c, root);
    if (!s->root) goto error;
    free(c.memo);
    return s;
error:
    free(c.memo);
    sq_schema_free(s);
    return NULL;
}

void sq_schema_free(sq_schema *s) {
    if (!s) return;
    free(s->names);
    for (size_t i = 0; i < s->num_regexes; i++) pcre2_code_free(s->regexes[i]->code);
    free(s->regexes);
    sq_arena_free(&s->arena);
    free(s);
}

size_t sq_schema_num_property_names(const sq_schema *s) { return s ? s->num_names : 0; }

const char *sq_schema_property_name(const sq_schema *s, size_t i, size_t *len) {
    if (!s || i >= s->num_names) return NULL;
    if (len) *len = s->names[i].key_len;
    return s->names[i].key;
}
