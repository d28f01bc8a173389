/* JSON reader: table of valid and invalid documents (RFC 8259 strictness),
 * numbers, strings and escapes, depth limit, guarded buffers. */
#include <math.h>
#include <stdlib.h>

#include "sq_test.h"
#include "squall/json.h"

static int parse_guarded(const char *text, size_t len, sq_arena *a, sq_json_value **out,
                         sq_json_error *err, int max_depth) {
    sq_guarded g = sq_test_guard(text, len);
    sq_json_parse_options o = {max_depth};
    int rc = sq_json_parse(g.data, len, a, &o, out, err);
    /* Strings may point into the input: copy the tree's pointers are only
     * checked by the caller for scalar results, so keep the map until here. */
    sq_test_guard_free(g);
    return rc;
}

static void test_valid_invalid_table(void) {
    static const struct {
        const char *in;
        int ok;
    } cases[] = {
        {"null", 1}, {"true", 1}, {"false", 1}, {" 0 ", 1}, {"-0", 1}, {"1.5e3", 1},
        {"[]", 1}, {"{}", 1}, {"[1,2,3]", 1}, {"{\"a\":1,\"a\":2}", 1}, {"\"\\u00e9\"", 1},
        {"\"\\ud83d\\ude00\"", 1}, {"\"caf\xc3\xa9\"", 1}, {"\t\r\n[ 1 , { } ]\n", 1},
        {"", 0}, {" ", 0}, {"[1,]", 0}, {"{\"a\":1,}", 0}, {"01", 0}, {"-", 0}, {"1.", 0},
        {".5", 0}, {"1e", 0}, {"+1", 0}, {"NaN", 0}, {"Infinity", 0}, {"-Infinity", 0},
        {"nul", 0}, {"tru", 0}, {"[1 2]", 0}, {"{\"a\" 1}", 0}, {"{a:1}", 0},
        {"'x'", 0}, {"\"a\tb\"", 0}, {"\"\\x\"", 0}, {"\"\\ud800\"", 0}, {"\"\\udc00\"", 0},
        {"\"\\ud800\\u0041\"", 0}, {"\"\xff\"", 0}, {"\"\xc0\xaf\"", 0}, {"\"\xed\xa0\x80\"", 0},
        {"\"\xf4\x90\x80\x80\"", 0}, {"\"abc", 0}, {"[1] x", 0}, {"/* c */ 1", 0},
        {"[1]//", 0}, {"\"\\u12\"", 0}, {"1e400", 0}, {"[", 0}, {"{", 0}, {"{\"a\":", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sq_arena a;
        sq_arena_init(&a);
        sq_json_value *v = NULL;
        sq_json_error err = {0, NULL};
        int rc = parse_guarded(cases[i].in, strlen(cases[i].in), &a, &v, &err, 0);
        if ((rc == 0) != cases[i].ok) {
            fprintf(stderr, "case %zu '%s': rc=%d\n", i, cases[i].in, rc);
            SQ_CHECK((rc == 0) == cases[i].ok);
        }
        if (rc) SQ_CHECK(err.reason != NULL && err.offset <= strlen(cases[i].in));
        sq_arena_free(&a);
    }
}

static sq_json_value *parse(sq_arena *a, const char *s) {
    sq_json_value *v = NULL;
    sq_json_error err;
    if (sq_json_parse(s, strlen(s), a, NULL, &v, &err)) return NULL;
    return v;
}

static void test_numbers(void) {
    sq_arena a;
    sq_arena_init(&a);
    sq_json_value *v = parse(&a, "[0,-0,42,-17,9223372036854775807,-9223372036854775808,"
                                 "9223372036854775808,123456789012345678901234,1.5,-2.25e-3,"
                                 "0.1,1e22,1e23,2.2250738585072014e-308,5e-324,"
                                 "0.30000000000000004,1E2,3.141592653589793238]");
    SQ_CHECK(v && v->type == SQ_JSON_ARRAY && v->u.arr.len == 18);
    if (!v) goto out;
    sq_json_value *it = v->u.arr.items;
    SQ_CHECK(it[0].type == SQ_JSON_INT && it[0].u.i == 0);
    SQ_CHECK(it[1].type == SQ_JSON_INT && it[1].u.i == 0);
    SQ_CHECK(it[2].u.i == 42 && it[3].u.i == -17);
    SQ_CHECK(it[4].type == SQ_JSON_INT && it[4].u.i == INT64_MAX);
    SQ_CHECK(it[5].type == SQ_JSON_INT && it[5].u.i == INT64_MIN);
    SQ_CHECK(it[6].type == SQ_JSON_BIGINT && it[6].u.str.len == 19 &&
             memcmp(it[6].u.str.ptr, "9223372036854775808", 19) == 0);
    SQ_CHECK(it[7].type == SQ_JSON_BIGINT && it[7].u.str.len == 24);
    SQ_CHECK(it[8].type == SQ_JSON_FLOAT && it[8].u.f == 1.5);
    SQ_CHECK(it[9].u.f == -2.25e-3);
    SQ_CHECK(it[10].u.f == 0.1);
    SQ_CHECK(it[11].u.f == 1e22);
    SQ_CHECK(it[12].u.f == 1e23);
    SQ_CHECK(it[13].u.f == 2.2250738585072014e-308);
    SQ_CHECK(it[14].u.f == 5e-324);
    SQ_CHECK(it[15].u.f == 0.30000000000000004);
    SQ_CHECK(it[16].type == SQ_JSON_FLOAT && it[16].u.f == 100.0);
    SQ_CHECK(it[17].u.f == 3.141592653589793);
out:
    sq_arena_free(&a);
}

/* The float mantissa is accumulated while the digits are scanned; these
 * are the cases that bookkeeping must get right, each compared with
 * strtod: leading zeros of the fraction, trailing zeros, an integer part
 * whose wrapped 64-bit value is 0 (10 * 2^63), 16 significant digits. */
static void test_float_mantissa_edges(void) {
    static const char *cases[] = {
        "0.000123", "1.2300", "100.0", "0.0", "-0.0", "0.0e5", "92233720368547758080.5",
        "92233720368547758080e0", "123456789012345.6", "12345678901234.5", "1.000000000000000000001",
        "0.00000000000000000000000000001", "10.01e-3", "-7.50E+2", "4.0000000000000000000000000000",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sq_arena a;
        sq_arena_init(&a);
        sq_json_value *v = NULL;
        sq_json_error err;
        int rc = parse_guarded(cases[i], strlen(cases[i]), &a, &v, &err, 0);
        double want = strtod(cases[i], NULL);
        if (rc || v->type != SQ_JSON_FLOAT || memcmp(&v->u.f, &want, sizeof want) != 0) {
            fprintf(stderr, "case '%s': rc=%d\n", cases[i], rc);
            SQ_CHECK(0);
        }
        sq_arena_free(&a);
    }
}

/* Error reasons and offsets are part of the 422 replies. */
static void test_number_error_offsets(void) {
    static const struct {
        const char *in;
        size_t offset;
        const char *reason;
    } cases[] = {
        {"01", 0, "leading zero in number"}, {"[-01]", 1, "leading zero in number"},
        {"-a", 0, "invalid number"}, {"1.x", 2, "invalid number"}, {"1e+", 3, "invalid number"},
        {"[1.5e]", 5, "invalid number"}, {"1e400", 0, "number out of range"},
        {"{\"a\":1 x", 7, "expected ',' or '}'"}, {"[1 , 2 x", 7, "expected ',' or ']'"},
        {"{\"a\" 1}", 5, "expected ':'"}, {"{ \"a\":1, 2}", 9, "expected string key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sq_arena a;
        sq_arena_init(&a);
        sq_json_value *v = NULL;
        sq_json_error err = {0, NULL};
        int rc = parse_guarded(cases[i].in, strlen(cases[i].in), &a, &v, &err, 0);
        if (rc != SQ_EINVAL || err.offset != cases[i].offset || strcmp(err.reason, cases[i].reason) != 0) {
            fprintf(stderr, "case '%s': rc=%d offset=%zu reason=%s\n", cases[i].in, rc, err.offset,
                    err.reason ? err.reason : "(none)");
            SQ_CHECK(0);
        }
        sq_arena_free(&a);
    }
}

static void test_strings_and_objects(void) {
    sq_arena a;
    sq_arena_init(&a);
    const char *doc = "{\"plain\":\"abc\",\"esc\":\"a\\n\\\"b\\u00e9\\ud83d\\ude00\\/\","
                      "\"k\":1,\"k\":2,\"nested\":{\"x\":[true,false,null]}}";
    sq_json_value *v = parse(&a, doc);
    SQ_CHECK(v && v->type == SQ_JSON_OBJECT && v->u.obj.len == 5);
    if (!v) goto out;
    const sq_json_value *plain = sq_json_get(v, "plain", 5);
    SQ_CHECK(plain && plain->type == SQ_JSON_STRING && plain->u.str.len == 3);
    /* an unescaped string points into the input */
    SQ_CHECK(plain && plain->u.str.ptr >= doc && plain->u.str.ptr < doc + strlen(doc));
    const sq_json_value *esc = sq_json_get(v, "esc", 3);
    const char want[] = "a\n\"b\xc3\xa9\xf0\x9f\x98\x80/";
    SQ_CHECK(esc && esc->u.str.len == sizeof want - 1 && memcmp(esc->u.str.ptr, want, sizeof want - 1) == 0);
    const sq_json_value *k = sq_json_get(v, "k", 1);
    SQ_CHECK(k && k->u.i == 1); /* first match */
    SQ_CHECK(v->u.obj.members[3].value.u.i == 2); /* duplicate kept in order */
    const sq_json_value *n = sq_json_get(v, "nested", 6);
    const sq_json_value *x = sq_json_get(n, "x", 1);
    SQ_CHECK(x && x->type == SQ_JSON_ARRAY && x->u.arr.len == 3 && x->u.arr.items[2].type == SQ_JSON_NULL);
    SQ_CHECK(sq_json_get(v, "missing", 7) == NULL);
out:
    sq_arena_free(&a);
}

/* scan_string keeps the marks of 64 bytes at a time. Strings of every
 * length up to past two windows, one after another (so that they start at
 * every offset of a window), some with an escape or a two-byte character
 * halfway; then a control character at every offset of a string that
 * starts after another one. */
static void test_strings_across_scan_windows(void) {
    enum { N = 150 };
    sq_buf doc, want;
    sq_buf_init(&doc);
    sq_buf_init(&want);
    sq_buf_append(&doc, "[", 1);
    size_t want_off[N + 1];
    for (int n = 0; n < N; n++) {
        if (n) sq_buf_append(&doc, ",", 1);
        sq_buf_append(&doc, "\"", 1);
        want_off[n] = want.len;
        for (int i = 0; i < n; i++) {
            char c = (char)('a' + (n + i) % 26);
            if (i == n / 2 && n % 3 == 1) {
                sq_buf_append(&doc, "\\n", 2);
                sq_buf_append(&want, "\n", 1);
            } else if (i == n / 2 && n % 3 == 2) {
                sq_buf_append(&doc, "\xc3\xa9", 2);
                sq_buf_append(&want, "\xc3\xa9", 2);
            } else {
                sq_buf_append(&doc, &c, 1);
                sq_buf_append(&want, &c, 1);
            }
        }
        sq_buf_append(&doc, "\"", 1);
    }
    want_off[N] = want.len;
    sq_buf_append(&doc, "]", 1);
    sq_arena a;
    sq_arena_init(&a);
    sq_json_value *v = NULL;
    sq_json_error err;
    /* unescaped strings point into the input: keep it mapped for the checks */
    sq_guarded g = sq_test_guard(doc.data, doc.len);
    SQ_CHECK_EQ_INT(sq_json_parse(g.data, doc.len, &a, NULL, &v, &err), 0);
    SQ_CHECK(v && v->type == SQ_JSON_ARRAY && v->u.arr.len == N);
    for (int n = 0; v && n < N; n++) {
        const sq_json_value *s = &v->u.arr.items[n];
        size_t len = want_off[n + 1] - want_off[n];
        if (s->type != SQ_JSON_STRING || s->u.str.len != len ||
            memcmp(s->u.str.ptr, want.data + want_off[n], len) != 0) {
            fprintf(stderr, "string %d differs\n", n);
            SQ_CHECK(0);
        }
    }
    sq_test_guard_free(g);
    sq_arena_free(&a);

    char bad[256];
    for (int k = 0; k < 140; k++) {
        int len = snprintf(bad, sizeof bad, "[\"%.*s\",\"%.*s\x01z\"]", 40,
                           "0123456789012345678901234567890123456789", k,
                           "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                           "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
        sq_arena_init(&a);
        err.reason = NULL;
        SQ_CHECK_EQ_INT(parse_guarded(bad, (size_t)len, &a, &v, &err, 0), SQ_EINVAL);
        if (err.offset != (size_t)(45 + k) || !err.reason || strcmp(err.reason, "control character in string") != 0) {
            fprintf(stderr, "k=%d: offset %zu reason %s\n", k, err.offset, err.reason ? err.reason : "(none)");
            SQ_CHECK(0);
        }
        sq_arena_free(&a);
    }
    sq_buf_free(&doc);
    sq_buf_free(&want);
}

static void test_depth_limit(void) {
    char deep[4001];
    for (int i = 0; i < 2000; i++) deep[i] = '[';
    for (int i = 0; i < 2000; i++) deep[2000 + i] = ']';
    deep[4000] = 0;
    sq_arena a;
    sq_arena_init(&a);
    sq_json_value *v;
    sq_json_error err;
    SQ_CHECK_EQ_INT(sq_json_parse(deep, 4000, &a, NULL, &v, &err), SQ_EINVAL);
    SQ_CHECK(err.offset == 256);
    /* exactly at the limit is fine */
    sq_json_parse_options o = {10};
    SQ_CHECK_EQ_INT(sq_json_parse(deep + 1990, 20, &a, &o, &v, &err), 0);
    SQ_CHECK_EQ_INT(sq_json_parse(deep + 1989, 22, &a, &o, &v, &err), SQ_EINVAL);
    sq_arena_free(&a);
}

static void test_large_array_grows_scratch(void) {
    sq_buf b;
    sq_buf_init(&b);
    sq_buf_append(&b, "[", 1);
    for (int i = 0; i < 5000; i++) {
        if (i) sq_buf_append(&b, ",", 1);
        sq_json_write_int(&b, i);
    }
    sq_buf_append(&b, "]", 1);
    sq_arena a;
    sq_arena_init(&a);
    sq_json_value *v;
    sq_json_error err;
    SQ_CHECK_EQ_INT(sq_json_parse(b.data, b.len, &a, NULL, &v, &err), 0);
    SQ_CHECK(v->u.arr.len == 5000 && v->u.arr.items[4999].u.i == 4999);
    sq_arena_free(&a);
    sq_buf_free(&b);
}

int main(void) {
    SQ_RUN(test_valid_invalid_table);
    SQ_RUN(test_numbers);
    SQ_RUN(test_float_mantissa_edges);
    SQ_RUN(test_number_error_offsets);
    SQ_RUN(test_strings_and_objects);
    SQ_RUN(test_strings_across_scan_windows);
    SQ_RUN(test_depth_limit);
    SQ_RUN(test_large_array_grows_scratch);
    return SQ_TEST_SUMMARY();
}
