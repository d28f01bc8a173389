/* application/x-www-form-urlencoded: table of bodies and the pairs they
 * decode to, rendered as "key=value|key=value" (decoded text; a NUL shows
 * as \0). Bodies sit right before an unmapped page. */
#include <stdlib.h>
#include <string.h>

#include "squall/form.h"
#include "sq_test.h"

static void render(const sq_query_pair *pairs, int n, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        o += (size_t)snprintf(out + o, cap - o, "%s%.*s=", i ? "|" : "", (int)pairs[i].key.len,
                              pairs[i].key.base);
        for (size_t k = 0; k < pairs[i].value.len && o + 3 < cap; k++) {
            char c = pairs[i].value.base[k];
            if (c == '\0') {
                out[o++] = '\\';
                out[o++] = '0';
            } else {
                out[o++] = c;
            }
        }
        out[o] = '\0';
    }
}

static void test_table(void) {
    static const struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"", ""},
        {"a=1", "a=1"},
        {"a=1&b=2", "a=1|b=2"},
        {"a=1&a=2&a=3", "a=1|a=2|a=3"},
        {"a=", "a="},
        {"a", "a="},
        {"=v", "=v"},
        {"&&a=1&&", "a=1"},
        {"&", ""},
        {"name=John+Doe", "name=John Doe"},
        {"q=%3Cscript%3E%20%26%3D", "q=<script> &="},
        {"e=caf%C3%A9", "e=caf\xC3\xA9"},
        {"k%5B%5D=1", "k[]=1"},
        {"x=%zz&y=%4", "x=%zz|y=%4"},
        {"x=%", "x=%"},
        {"x=100%25", "x=100%"},
        {"n=%00", "n=\\0"},
        {"a=b=c", "a=b=c"},
        {"a+b=c+d", "a b=c d"},
        {"email=a%40b.c&tags=x&tags=y", "email=a@b.c|tags=x|tags=y"},
        {"username=johndoe&password=secret&grant_type=password",
         "username=johndoe|password=secret|grant_type=password"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].body);
        sq_guarded g = sq_test_guard(cases[i].body, n);
        sq_slice body = {g.data, n};
        size_t maxp = sq_form_urlencoded_max_pairs(body);
        sq_query_pair pairs[16];
        char scratch[256];
        SQ_CHECK(maxp <= 16);
        int got = sq_form_urlencoded_parse(body, scratch, pairs, maxp);
        SQ_CHECK(got >= 0 && (size_t)got <= maxp);
        char out[512];
        render(pairs, got, out, sizeof out);
        if (strcmp(out, cases[i].want) != 0)
            fprintf(stderr, "  case %zu: \"%s\" -> \"%s\", want \"%s\"\n", i, cases[i].body, out,
                    cases[i].want);
        SQ_CHECK(strcmp(out, cases[i].want) == 0);
        sq_test_guard_free(g);
    }
}

static void test_cap(void) {
    sq_slice body = SQ_SLICE_LIT("a=1&b=2&c=3");
    sq_query_pair pairs[3];
    char scratch[16];
    SQ_CHECK_EQ_INT(sq_form_urlencoded_max_pairs(body), 3);
    SQ_CHECK_EQ_INT(sq_form_urlencoded_parse(body, scratch, pairs, 2), SQ_ETOOBIG);
    SQ_CHECK_SLICE(pairs[1].key, "b");
    SQ_CHECK_EQ_INT(sq_form_urlencoded_parse(body, scratch, pairs, 3), 3);
    SQ_CHECK_SLICE(pairs[2].value, "3");
    /* Empty pieces do not count against the cap. */
    sq_slice sparse = SQ_SLICE_LIT("&&&a=1&&&");
    SQ_CHECK_EQ_INT(sq_form_urlencoded_parse(sparse, scratch, pairs, 1), 1);
}

/* A big body decodes fully and the decoded text fits in body.len bytes. */
static void test_large(void) {
    enum { N = 20000 };
    char *body = malloc(N * 8);
    size_t len = 0;
    for (int i = 0; i < N; i++) len += (size_t)sprintf(body + len, "%sk=%%41", i ? "&" : "");
    sq_slice s = {body, len};
    size_t maxp = sq_form_urlencoded_max_pairs(s);
    SQ_CHECK_EQ_INT(maxp, N);
    sq_query_pair *pairs = malloc(maxp * sizeof *pairs);
    char *scratch = malloc(len);
    SQ_CHECK_EQ_INT(sq_form_urlencoded_parse(s, scratch, pairs, maxp), N);
    SQ_CHECK_SLICE(pairs[N - 1].value, "A");
    free(pairs);
    free(scratch);
    free(body);
}

int main(void) {
    SQ_RUN(test_table);
    SQ_RUN(test_cap);
    SQ_RUN(test_large);
    return SQ_TEST_SUMMARY();
}
