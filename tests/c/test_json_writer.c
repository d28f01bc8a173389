/* JSON writer: escapes, ints, shortest doubles, round trip through the
 * reader. */
#include <math.h>
#include <string.h>

#include "sq_test.h"
#include "squall/json.h"

#define CHECK_OUT(b, lit)                                                          \
    SQ_CHECK_SLICE(((sq_slice){(b).data, (b).len}), lit)

static void test_strings(void) {
    sq_buf b;
    sq_buf_init(&b);
    SQ_CHECK_EQ_INT(sq_json_write_string(&b, "a\"b\\c\n\t\x01\x1f caf\xc3\xa9 /", 17), 0);
    CHECK_OUT(b, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f caf\xc3\xa9 /\"");
    b.len = 0;
    SQ_CHECK_EQ_INT(sq_json_write_string(&b, "", 0), 0);
    CHECK_OUT(b, "\"\"");
    /* invalid UTF-8 (lone continuation, truncated sequence) -> U+FFFD */
    b.len = 0;
    SQ_CHECK_EQ_INT(sq_json_write_string(&b, "a\x80" "b\xe2\x82", 5), 0);
    CHECK_OUT(b, "\"a\\ufffdb\\ufffd\\ufffd\"");
    b.len = 0;
    SQ_CHECK_EQ_INT(sq_json_write_string(&b, "\xe2\x82\xac\xf0\x9f\x98\x80", 7), 0);
    CHECK_OUT(b, "\"\xe2\x82\xac\xf0\x9f\x98\x80\"");
    sq_buf_free(&b);
}

/* Strings built from pieces whose escaped form is known, at every length up
 * to 70 bytes, so each escape lands in every lane of the 8- and 4-byte fast
 * path and in the byte loop (json_escape.h). */
static void test_strings_against_pieces(void) {
    static const struct {
        const char *in, *out;
    } pieces[] = {
        {"a", "a"}, {"Z", "Z"}, {" ", " "}, {"/", "/"}, {"\"", "\\\""}, {"\\", "\\\\"},
        {"\n", "\\n"}, {"\x01", "\\u0001"}, {"\x1f", "\\u001f"}, {"\x7f", "\x7f"},
        {"\xc3\xa9", "\xc3\xa9"}, {"\xe2\x82\xac", "\xe2\x82\xac"}, {"\x80", "\\ufffd"}, {"\xff", "\\ufffd"},
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    unsigned seed = 12345;
    char in[128], want[512];
    sq_buf b;
    sq_buf_init(&b);
    for (int round = 0; round < 4000; round++) {
        size_t il = 0, wl = 0;
        size_t target = (size_t)round % 70;
        while (il < target) {
            seed = seed * 1103515245u + 12345u;
            /* mostly plain letters, as real text is */
            size_t k = (seed >> 16) % 8 < 6 ? 0 : (seed >> 8) % np;
            size_t a = strlen(pieces[k].in), o = strlen(pieces[k].out);
            memcpy(in + il, pieces[k].in, a);
            memcpy(want + wl, pieces[k].out, o);
            il += a;
            wl += o;
        }
        b.len = 0;
        SQ_CHECK_EQ_INT(sq_json_write_string(&b, in, il), 0);
        int ok = b.len == wl + 2 && b.data[0] == '"' && memcmp(b.data + 1, want, wl) == 0 && b.data[wl + 1] == '"';
        SQ_CHECK(ok);
        if (!ok) break;
    }
    sq_buf_free(&b);
}

static void test_numbers(void) {
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {1.0, "1.0"}, {0.1, "0.1"}, {-2.5, "-2.5"}, {0.0, "0.0"}, {1e22, "1e+22"},
        {0.30000000000000004, "0.30000000000000004"}, {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"}, {123.456, "123.456"},
    };
    sq_buf b;
    sq_buf_init(&b);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        b.len = 0;
        SQ_CHECK_EQ_INT(sq_json_write_double(&b, cases[i].d), 0);
        CHECK_OUT(b, cases[i].want);
    }
    SQ_CHECK_EQ_INT(sq_json_write_double(&b, NAN), SQ_EINVAL);
    SQ_CHECK_EQ_INT(sq_json_write_double(&b, INFINITY), SQ_EINVAL);
    SQ_CHECK_EQ_INT(sq_json_write_double(&b, -INFINITY), SQ_EINVAL);
    b.len = 0;
    sq_json_write_int(&b, INT64_MIN);
    CHECK_OUT(b, "-9223372036854775808");
    b.len = 0;
    sq_json_write_int(&b, 0);
    CHECK_OUT(b, "0");
    sq_buf_free(&b);
}

static void test_round_trip(void) {
    const char *doc = "{\"a\":[1,-2,3.5,true,false,null,\"x\\ny\"],\"b\":{},\"c\":[],"
                      "\"big\":123456789012345678901234567890,\"e\":\"\\u00e9\"}";
    const char *want = "{\"a\":[1,-2,3.5,true,false,null,\"x\\ny\"],\"b\":{},\"c\":[],"
                       "\"big\":123456789012345678901234567890,\"e\":\"\xc3\xa9\"}";
    sq_arena a;
    sq_arena_init(&a);
    sq_json_value *v;
    sq_json_error err;
    SQ_CHECK_EQ_INT(sq_json_parse(doc, strlen(doc), &a, NULL, &v, &err), 0);
    sq_buf b;
    sq_buf_init(&b);
    SQ_CHECK_EQ_INT(sq_json_write_value(&b, v), 0);
    CHECK_OUT(b, want);
    sq_buf_free(&b);
    sq_arena_free(&a);
}

static void test_random_doubles_round_trip(void) {
    uint64_t x = 88172645463325252ull;
    sq_buf b;
    sq_buf_init(&b);
    sq_arena a;
    sq_arena_init(&a);
    for (int i = 0; i < 2000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d)) continue;
        b.len = 0;
        SQ_CHECK_EQ_INT(sq_json_write_double(&b, d), 0);
        sq_json_value *v;
        sq_json_error err;
        int rc = sq_json_parse(b.data, b.len, &a, NULL, &v, &err);
        SQ_CHECK_EQ_INT(rc, 0);
        if (rc == 0) SQ_CHECK(v->type == SQ_JSON_FLOAT && memcmp(&v->u.f, &d, sizeof d) == 0);
        sq_arena_reset(&a);
    }
    sq_arena_free(&a);
    sq_buf_free(&b);
}

int main(void) {
    SQ_RUN(test_strings);
    SQ_RUN(test_strings_against_pieces);
    SQ_RUN(test_numbers);
    SQ_RUN(test_round_trip);
    SQ_RUN(test_random_doubles_round_trip);
    return SQ_TEST_SUMMARY();
}
