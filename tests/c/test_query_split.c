/* sq_percent_decode and sq_query_split: one line per case, each input
 * placed right before an unmapped page so an over-read faults. */
#include <stdlib.h>

#include "sq_test.h"
#include "squall/http1_parser.h"

typedef struct {
    const char *in;
    int plus_is_space;
    int rc;          /* expected return: decoded length, or SQ_EINVAL */
    const char *out; /* expected bytes when rc >= 0 */
} decode_case;

static const decode_case decode_cases[] = {
    {"", 0, 0, ""},
    {"/plain/path", 0, 11, "/plain/path"},
    {"/a%20b", 0, 4, "/a b"},
    {"%41%4a%4A%7e%7E", 0, 5, "AJJ~~"},
    {"%e2%82%ac", 0, 3, "\xe2\x82\xac"},
    {"%2F%2f", 0, 2, "//"},
    {"a+b", 0, 3, "a+b"},
    {"a+b", 1, 3, "a b"},
    {"%2B+", 1, 2, "+ "},
    {"%25", 0, 1, "%"},
    {"%252", 0, 2, "%2"},
    {"%", 0, SQ_EINVAL, NULL},
    {"%4", 0, SQ_EINVAL, NULL},
    {"ab%", 1, SQ_EINVAL, NULL},
    {"ab%4", 1, SQ_EINVAL, NULL},
    {"%g1", 0, SQ_EINVAL, NULL},
    {"%1g", 0, SQ_EINVAL, NULL},
    {"% 1", 0, SQ_EINVAL, NULL},
    {"%-1", 0, SQ_EINVAL, NULL},
    {"%00", 0, SQ_EINVAL, NULL},     /* NUL refused in paths */
    {"/a%00b", 0, SQ_EINVAL, NULL},
    {"%00", 1, 1, "\0"},             /* but a query value may hold it */
};

static void test_percent_decode(void) {
    for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
        const decode_case *c = &decode_cases[i];
        size_t n = strlen(c->in);
        sq_guarded g = sq_test_guard(c->in, n);
        char *out = malloc(n + 1);
        sq_slice in = {g.data, n};
        int rc = sq_percent_decode(in, out, c->plus_is_space);
        SQ_CHECK_EQ_INT(rc, c->rc);
        if (c->rc >= 0 && rc == c->rc) SQ_CHECK(memcmp(out, c->out, (size_t)rc) == 0);
        if (sq_test_current_failed) fprintf(stderr, "  ^ in decode case %zu: %s\n", i, c->in);
        free(out);
        sq_test_guard_free(g);
    }
}

/* Pairs are written "key=value" joined by '|' for the expectation. */
typedef struct {
    const char *in;
    size_t cap;
    int rc;
    const char *pairs;
} split_case;

static const split_case split_cases[] = {
    {"", 8, 0, ""},
    {"a=1", 8, 1, "a=1"},
    {"a=1&b=2", 8, 2, "a=1|b=2"},
    {"a=1&a=2&b=3", 8, 3, "a=1|a=2|b=3"},       /* repeats kept, in order */
    {"b=2&a=1", 8, 2, "b=2|a=1"},
    {"a", 8, 1, "a="},                           /* no '=': empty value */
    {"a=", 8, 1, "a="},
    {"=v", 8, 1, "=v"},
    {"&&a=1&&&b=2&", 8, 2, "a=1|b=2"},          /* empty pieces skipped */
    {"&", 8, 0, ""},
    {"a=b=c", 8, 1, "a=b=c"},                    /* split on the first '=' */
    {"q=hello+world&x=%26%3D", 8, 2, "q=hello world|x=&="},
    {"k%20y=v%2Bw", 8, 1, "k y=v+w"},
    {"caf%C3%A9=%E2%82%AC", 8, 1, "caf\xc3\xa9=\xe2\x82\xac"},
    {"a=1&b=2&c=3", 2, SQ_ETOOBIG, NULL},
    {"a=1&b=2", 2, 2, "a=1|b=2"},
    {"a=%zz", 8, SQ_EINVAL, NULL},
    {"a%=1", 8, SQ_EINVAL, NULL},
    {"a=1&b=%4", 8, SQ_EINVAL, NULL},
};

static void test_query_split(void) {
    for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
        const split_case *c = &split_cases[i];
        size_t n = strlen(c->in);
        sq_guarded g = sq_test_guard(c->in, n);
        char *scratch = malloc(n + 1);
        sq_query_pair pairs[8];
        sq_slice q = {g.data, n};
        int rc = sq_query_split(q, scratch, pairs, c->cap);
        SQ_CHECK_EQ_INT(rc, c->rc);
        if (rc >= 0 && rc == c->rc) {
            char got[256];
            size_t o = 0;
            for (int p = 0; p < rc; p++) {
                if (p) got[o++] = '|';
                memcpy(got + o, pairs[p].key.base, pairs[p].key.len);
                o += pairs[p].key.len;
                got[o++] = '=';
                memcpy(got + o, pairs[p].value.base, pairs[p].value.len);
                o += pairs[p].value.len;
                /* decoded text lives in the scratch buffer */
                SQ_CHECK(pairs[p].key.base >= scratch && pairs[p].key.base + pairs[p].key.len <= scratch + n);
                SQ_CHECK(pairs[p].value.base >= scratch && pairs[p].value.base + pairs[p].value.len <= scratch + n);
            }
            got[o] = 0;
            if (strcmp(got, c->pairs) != 0) {
                fprintf(stderr, "split case %zu: got \"%s\", want \"%s\"\n", i, got, c->pairs);
                sq_test_current_failed = 1;
            }
        }
        if (sq_test_current_failed) fprintf(stderr, "  ^ in split case %zu: %s\n", i, c->in);
        free(scratch);
        sq_test_guard_free(g);
    }
}

int main(void) {
    SQ_RUN(test_percent_decode);
    SQ_RUN(test_query_split);
    return SQ_TEST_SUMMARY();
}
