/* multipart/form-data: boundary extraction, a table of bodies and the parts
 * they give (rendered as "name;file=F;ct=C;h=N:data|..."; file= only when a
 * filename was present, h= the header count), the caps, and adversarial
 * bodies that must stay cheap. Bodies sit right before an unmapped page. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "squall/form.h"
#include "sq_test.h"

static void test_boundary(void) {
    static const struct {
        const char *ct;
        int rc;
        const char *want;
    } cases[] = {
        {"multipart/form-data; boundary=abc", 0, "abc"},
        {"multipart/form-data;boundary=abc", 0, "abc"},
        {"multipart/form-data; BOUNDARY=abc ; charset=utf-8", 0, "abc"},
        {"multipart/form-data; boundary=\"a b:c\"", 0, "a b:c"},
        {"multipart/form-data; charset=\"x;boundary=no\"; boundary=yes", 0, "yes"},
        {"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", 0,
         "----WebKitFormBoundary7MA4YWxkTrZu0gW"},
        {"multipart/form-data", SQ_ENOTFOUND, ""},
        {"multipart/form-data; charset=utf-8", SQ_ENOTFOUND, ""},
        {"multipart/form-data; boundaryx=abc", SQ_ENOTFOUND, ""},
        {"multipart/form-data; boundary=", SQ_EINVAL, ""},
        {"multipart/form-data; boundary=\"\"", SQ_EINVAL, ""},
        {"multipart/form-data; boundary=\"abc", SQ_EINVAL, ""},
        {"multipart/form-data; boundary=\"abc \"", SQ_EINVAL, ""},
        {"multipart/form-data; boundary=a\x01" "b", SQ_EINVAL, ""},
        {"multipart/form-data; boundary="
         "12345678901234567890123456789012345678901234567890123456789012345678901",
         SQ_EINVAL, ""},
        {"multipart/form-data; boundary="
         "1234567890123456789012345678901234567890123456789012345678901234567890",
         0, "1234567890123456789012345678901234567890123456789012345678901234567890"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].ct);
        sq_guarded g = sq_test_guard(cases[i].ct, n);
        sq_slice b;
        int rc = sq_multipart_boundary((sq_slice){g.data, n}, &b);
        if (rc != cases[i].rc) fprintf(stderr, "  boundary case %zu: %d\n", i, rc);
        SQ_CHECK_EQ_INT(rc, cases[i].rc);
        if (rc == 0) SQ_CHECK_SLICE(b, cases[i].want);
        sq_test_guard_free(g);
    }
}

static void render(const sq_multipart_result *res, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < res->num_parts && o < cap; i++) {
        const sq_multipart_part *p = &res->parts[i];
        o += (size_t)snprintf(out + o, cap - o, "%s%.*s", i ? "|" : "", (int)p->name.len,
                              p->name.base);
        if (p->has_filename && o < cap)
            o += (size_t)snprintf(out + o, cap - o, ";file=%.*s", (int)p->filename.len,
                                  p->filename.base);
        if (o < cap)
            o += (size_t)snprintf(out + o, cap - o, ";ct=%.*s;h=%zu:%.*s",
                                  (int)p->content_type.len, p->content_type.base, p->num_headers,
                                  (int)p->data.len, p->data.base);
    }
}

#define CT "Content-Type: text/plain\r\n"
#define CD(n) "Content-Disposition: form-data; name=\"" n "\"\r\n"
#define CDF(n, f) "Content-Disposition: form-data; name=\"" n "\"; filename=\"" f "\"\r\n"

static const struct {
    const char *body;
    int rc;
    const char *want; /* parts, or the start of error_reason */
} cases[] = {
    /* Fields and files (the conformance fixtures' shapes). */
    {"--b\r\n" CD("some") "\r\ndata\r\n--b--\r\n", 0, "some;ct=;h=1:data"},
    {"--b\r\n" CDF("test", "test.txt") CT "\r\n<file content>\r\n--b--\r\n", 0,
     "test;file=test.txt;ct=text/plain;h=2:<file content>"},
    {"--b\r\n" CDF("test2", "test2.txt") CT "x-custom: f2\r\n\r\n<file2 content>\r\n--b--\r\n", 0,
     "test2;file=test2.txt;ct=text/plain;h=3:<file2 content>"},
    {"--b\r\n" CDF("files", "file1.txt") CT "\r\nfirst file\r\n"
     "--b\r\n" CDF("files", "file2.txt") CT "\r\nsecond file\r\n"
     "--b\r\n" CD("tags") "\r\npython\r\n--b\r\n" CD("tags") "\r\nrust\r\n--b--\r\n", 0,
     "files;file=file1.txt;ct=text/plain;h=2:first file|files;file=file2.txt;ct=text/plain;h=2:"
     "second file|tags;ct=;h=1:python|tags;ct=;h=1:rust"},
    {"--b\r\n" CDF("file", "empty.txt") CT "\r\n\r\n--b--\r\n", 0,
     "file;file=empty.txt;ct=text/plain;h=2:"},
    {"--b\r\n" CDF("file", "") "Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n", 0,
     "file;file=;ct=application/octet-stream;h=2:"},
    {"--b\r\n" CD("e") "\r\n\r\n--b--", 0, "e;ct=;h=1:"},
    /* Data holding CRLFs, dashes and the boundary text not at a line start. */
    {"--b\r\n" CD("t") "\r\n\r\nline1\r\n--\r\n-b\r\nx--b\r\n\r\n--b--\r\n", 0,
     "t;ct=;h=1:\r\nline1\r\n--\r\n-b\r\nx--b\r\n"},
    /* "\r\n--b" followed by neither "--" nor CRLF is data, not a delimiter. */
    {"--b\r\n" CD("t") "\r\nA\r\n--bc\r\nB\r\n--b--", 0, "t;ct=;h=1:A\r\n--bc\r\nB"},
    /* Preamble, epilogue, transport padding, no CRLF after the close. */
    {"preamble\r\n--b\r\n" CD("a") "\r\n1\r\n--b  \t\r\n" CD("b") "\r\n2\r\n--b--epilogue", 0,
     "a;ct=;h=1:1|b;ct=;h=1:2"},
    {"--bX\r\n--b\r\n" CD("a") "\r\n1\r\n--b--", 0, "a;ct=;h=1:1"},
    /* Zero parts, and no body at all. */
    {"--b--\r\n", 0, ""},
    {"", 0, ""},
    /* Content-Disposition details. */
    {"--b\r\n" "content-disposition: FORM-DATA; filename=\"f.txt\"; NAME=up\r\n\r\nx\r\n--b--", 0,
     "up;file=f.txt;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=\"a\\\"q\\\\\"\r\n\r\nx\r\n--b--", 0,
     "a\"q\\;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=\"f\"; filename=\"C:\\dir\\f.txt\"\r\n\r\nx\r\n--b--",
     0, "f;file=C:\\dir\\f.txt;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=\"f\"; filename=\"a;b.txt\"\r\n\r\nx\r\n--b--", 0,
     "f;file=a;b.txt;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=\"f\"; filename=\"plain.txt\"; "
     "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\nx\r\n--b--",
     0, "f;file=\xE2\x82\xAC rates.txt;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=f; filename*=iso-8859-1'en'%E9t%E9\r\n\r\nx\r\n--b--",
     0, "f;file=\xC3\xA9t\xC3\xA9;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=f; filename=\"k.txt\"; filename*=koi8-r''%E9\r\n\r\nx\r\n--b--",
     0, "f;file=k.txt;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=f; filename*=UTF-8''bad%zz\r\n\r\nx\r\n--b--", 0,
     "f;ct=;h=1:x"},
    {"--b\r\n" "Content-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--b--", 0, ";ct=;h=1:x"},
    {"--b\r\n" CD("a") "Content-Type:   text/csv ; charset=utf-8  \r\n\r\nx\r\n--b--", 0,
     "a;ct=text/csv ; charset=utf-8;h=2:x"},
    /* Errors. */
    {"no boundary here", SQ_EINVAL, "multipart body without its boundary"},
    {"--b\r\n" CD("a") "\r\nunterminated", SQ_EINVAL, "multipart body without its closing"},
    {"--b\r\n" CD("a") "\r\nx\r\n--b", SQ_EINVAL, "multipart body without its closing"},
    {"--b\r\n" CD("a") "no empty line", SQ_EINVAL, "multipart part headers not terminated"},
    {"--b\r\n" "\r\nx\r\n--b--", SQ_EINVAL, "part without Content-Disposition"},
    {"--b\r\n" CT "\r\nx\r\n--b--", SQ_EINVAL, "part without Content-Disposition"},
    {"--b\r\n" "Content-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", SQ_EINVAL,
     "part Content-Disposition is not form-data"},
    {"--b\r\n" "Content-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--b--", SQ_EINVAL,
     "part Content-Disposition without a name"},
    {"--b\r\n" "Content-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", SQ_EINVAL,
     "unterminated quoted-string"},
    {"--b\r\n" CD("a") " folded: x\r\n\r\nx\r\n--b--", SQ_EINVAL, "folded part header line"},
    {"--b\r\n" CD("a") "NoColon\r\n\r\nx\r\n--b--", SQ_EINVAL, "part header line without"},
    {"--b\r\n" CD("a") "Bad Name: x\r\n\r\nx\r\n--b--", SQ_EINVAL, "invalid character in part"},
    {"--b\r\n" CD("a") "X: a\nb\r\n\r\nx\r\n--b--", SQ_EINVAL, "bare CR or LF"},
    {"--b\r\n" CD("a") "X: a\rb\r\n\r\nx\r\n--b--", SQ_EINVAL, "bare CR or LF"},
    /* A first delimiter line ending in a bare LF is not a delimiter: all of
     * it is preamble, up to the close delimiter (RFC 2046). */
    {"--b\n" CD("a") "\r\nx\r\n--b--", 0, ""},
    {"--b\n" CD("a") "\r\nx\r\n--b\r\n" CD("c") "\r\ny\r\n--b--", 0, "c;ct=;h=1:y"},
};

static void test_table(void) {
    sq_slice boundary = SQ_SLICE_LIT("b");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].body);
        sq_guarded g = sq_test_guard(cases[i].body, n);
        sq_arena arena;
        sq_arena_init(&arena);
        sq_multipart_result res;
        int rc = sq_multipart_parse((sq_slice){g.data, n}, boundary, NULL, &arena, &res);
        char out[1024];
        if (rc == 0) {
            render(&res, out, sizeof out);
            SQ_CHECK(res.error_reason == NULL);
        } else {
            snprintf(out, sizeof out, "%s", res.error_reason ? res.error_reason : "(null)");
            SQ_CHECK(res.num_parts == 0);
        }
        int ok = rc == cases[i].rc &&
                 (rc == 0 ? strcmp(out, cases[i].want) == 0
                          : strncmp(out, cases[i].want, strlen(cases[i].want)) == 0);
        if (!ok)
            fprintf(stderr, "  case %zu: rc %d (want %d): \"%s\" want \"%s\"\n", i, rc,
                    cases[i].rc, out, cases[i].want);
        SQ_CHECK(ok);
        /* Part data, when not decoded, points into the body. */
        for (size_t k = 0; rc == 0 && k < res.num_parts; k++)
            SQ_CHECK(res.parts[k].data.len == 0 || (res.parts[k].data.base >= g.data &&
                                                    res.parts[k].data.base + res.parts[k].data.len <=
                                                        g.data + n));
        sq_arena_free(&arena);
        sq_test_guard_free(g);
    }
}

/* Every header of a part is reported, in order, with its value trimmed. */
static void test_headers(void) {
    static const char body[] = "--xyz\r\n" CDF("test2", "test2.txt") CT "x-custom:  f2 \r\n\r\n"
                               "<file2 content>\r\n--xyz--\r\n";
    sq_arena arena;
    sq_arena_init(&arena);
    sq_multipart_result res;
    SQ_CHECK_EQ_INT(sq_multipart_parse(SQ_SLICE_LIT(body), SQ_SLICE_LIT("xyz"), NULL, &arena, &res),
                    0);
    SQ_CHECK_EQ_INT(res.num_parts, 1);
    if (res.num_parts == 1) {
        const sq_multipart_part *p = &res.parts[0];
        SQ_CHECK_EQ_INT(p->num_headers, 3);
        SQ_CHECK_SLICE(p->headers[0].name, "Content-Disposition");
        SQ_CHECK_SLICE(p->headers[0].value, "form-data; name=\"test2\"; filename=\"test2.txt\"");
        SQ_CHECK_SLICE(p->headers[1].name, "Content-Type");
        SQ_CHECK_SLICE(p->headers[2].name, "x-custom");
        SQ_CHECK_SLICE(p->headers[2].value, "f2");
        SQ_CHECK_SLICE(p->data, "<file2 content>");
    }
    sq_arena_free(&arena);
}

/* Binary file data with NULs, CRs and LFs, and a boundary of 70 bytes. */
static void test_binary(void) {
    const char *bd = "1234567890123456789012345678901234567890123456789012345678901234567890";
    char body[512];
    size_t o = (size_t)sprintf(body, "--%s\r\n" CDF("image", "test.png") "Content-Type: image/png\r\n\r\n", bd);
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, '\r', '\n', '-', '-'};
    memcpy(body + o, png, sizeof png);
    o += sizeof png;
    o += (size_t)sprintf(body + o, "\r\n--%s--\r\n", bd);
    sq_guarded g = sq_test_guard(body, o);
    sq_arena arena;
    sq_arena_init(&arena);
    sq_multipart_result res;
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){g.data, o}, (sq_slice){bd, strlen(bd)}, NULL, &arena, &res), 0);
    SQ_CHECK_EQ_INT(res.num_parts, 1);
    if (res.num_parts == 1) {
        SQ_CHECK_EQ_INT(res.parts[0].data.len, sizeof png);
        SQ_CHECK(memcmp(res.parts[0].data.base, png, sizeof png) == 0);
    }
    sq_arena_free(&arena);
    sq_test_guard_free(g);
    /* A boundary over 70 bytes is refused by the parser too. */
    sq_arena_init(&arena);
    char longb[72];
    memset(longb, 'a', 71);
    longb[71] = '\0';
    SQ_CHECK_EQ_INT(sq_multipart_parse(SQ_SLICE_LIT("--x--"), (sq_slice){longb, 71}, NULL, &arena, &res),
                    SQ_EINVAL);
    SQ_CHECK_EQ_INT(sq_multipart_parse(SQ_SLICE_LIT("--x--"), (sq_slice){longb, 0}, NULL, &arena, &res),
                    SQ_EINVAL);
    sq_arena_free(&arena);
}

/* Build a body of `count` parts, each "name=f<i>" holding `data`. */
static char *build_parts(size_t count, const char *data, int with_filename, size_t *len) {
    size_t dlen = strlen(data);
    size_t cap = count * (dlen + 128) + 16;
    char *b = malloc(cap);
    size_t o = 0;
    for (size_t i = 0; i < count; i++)
        o += (size_t)snprintf(b + o, cap - o,
                              "--b\r\nContent-Disposition: form-data; name=\"f%zu\"%s\r\n\r\n%s\r\n",
                              i, with_filename ? "; filename=\"x\"" : "", data);
    o += (size_t)snprintf(b + o, cap - o, "--b--\r\n");
    *len = o;
    return b;
}

static void test_limits(void) {
    sq_multipart_limits lim = sq_multipart_limits_default();
    SQ_CHECK_EQ_INT(lim.max_parts, 1000);
    SQ_CHECK_EQ_INT(lim.max_part_header_bytes, 8192);
    SQ_CHECK_EQ_INT(lim.max_field_size, 1024 * 1024);
    sq_arena arena;
    sq_arena_init(&arena);
    sq_multipart_result res;
    size_t len;

    /* max_parts: exactly at the cap is fine, one more is refused. */
    char *b = build_parts(1000, "v", 0, &len);
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, len}, SQ_SLICE_LIT("b"), NULL, &arena, &res), 0);
    SQ_CHECK_EQ_INT(res.num_parts, 1000);
    SQ_CHECK_SLICE(res.parts[999].name, "f999");
    free(b);
    b = build_parts(1001, "v", 0, &len);
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, len}, SQ_SLICE_LIT("b"), NULL, &arena, &res),
                    SQ_ETOOBIG);
    SQ_CHECK(res.error_reason && strstr(res.error_reason, "too many"));
    SQ_CHECK_EQ_INT(res.error_part, 1000);
    free(b);

    /* max_field_size applies to fields, not to files. */
    lim.max_field_size = 4;
    b = build_parts(2, "1234", 0, &len);
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, len}, SQ_SLICE_LIT("b"), &lim, &arena, &res), 0);
    free(b);
    b = build_parts(2, "12345", 0, &len);
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, len}, SQ_SLICE_LIT("b"), &lim, &arena, &res),
                    SQ_ETOOBIG);
    SQ_CHECK(res.error_reason && strstr(res.error_reason, "field too large"));
    free(b);
    b = build_parts(2, "12345", 1, &len);
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, len}, SQ_SLICE_LIT("b"), &lim, &arena, &res), 0);
    free(b);

    /* max_part_header_bytes: the header block (lines with their CRLFs). */
    static const char hb[] = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--";
    size_t block = strlen("Content-Disposition: form-data; name=\"a\"\r\n");
    lim = sq_multipart_limits_default();
    lim.max_part_header_bytes = block;
    SQ_CHECK_EQ_INT(sq_multipart_parse(SQ_SLICE_LIT(hb), SQ_SLICE_LIT("b"), &lim, &arena, &res), 0);
    lim.max_part_header_bytes = block - 1;
    SQ_CHECK_EQ_INT(sq_multipart_parse(SQ_SLICE_LIT(hb), SQ_SLICE_LIT("b"), &lim, &arena, &res),
                    SQ_ETOOBIG);
    SQ_CHECK(res.error_reason && strstr(res.error_reason, "header block too large"));
    lim.max_parts = 0;
    SQ_CHECK_EQ_INT(sq_multipart_parse(SQ_SLICE_LIT(hb), SQ_SLICE_LIT("b"), &lim, &arena, &res),
                    SQ_ETOOBIG);
    sq_arena_free(&arena);
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Adversarial bodies (the python-multipart / Starlette advisories): each
 * must be refused or parsed quickly. The time bound is very loose (these
 * take milliseconds; a quadratic parser takes minutes on 8 MiB) so the test
 * is not flaky under sanitizers on a busy machine. */
static void test_adversarial(void) {
    enum { SIZE = 8 * 1024 * 1024 };
    char *b = malloc(SIZE + 64);
    sq_arena arena;
    sq_arena_init(&arena);
    sq_multipart_result res;
    double t0 = seconds();

    /* 1. A CR/LF flood inside one field's data. */
    size_t o = (size_t)sprintf(b, "--b\r\n" CD("a") "\r\n");
    for (; o < SIZE; o += 2) memcpy(b + o, "\r\n", 2);
    o += (size_t)sprintf(b + o, "\r\n--b--");
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, o}, SQ_SLICE_LIT("b"), NULL, &arena, &res),
                    SQ_ETOOBIG); /* field over 1 MiB */

    /* 2. Near-delimiters: "\r\n--b" followed by junk, over and over. */
    o = (size_t)sprintf(b, "--b\r\n" CDF("a", "f") "\r\n");
    while (o + 8 < SIZE) {
        memcpy(b + o, "\r\n--bX", 6);
        o += 6;
    }
    o += (size_t)sprintf(b + o, "\r\n--b--");
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, o}, SQ_SLICE_LIT("b"), NULL, &arena, &res), 0);
    SQ_CHECK_EQ_INT(res.num_parts, 1);

    /* 3. A header line that never ends. */
    o = (size_t)sprintf(b, "--b\r\nX-Long: ");
    memset(b + o, 'a', SIZE - o);
    o = SIZE;
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, o}, SQ_SLICE_LIT("b"), NULL, &arena, &res),
                    SQ_ETOOBIG);

    /* 4. A CR/LF flood in the preamble, no delimiter at all. */
    for (o = 0; o < SIZE; o += 2) memcpy(b + o, "\r\n", 2);
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, o}, SQ_SLICE_LIT("b"), NULL, &arena, &res),
                    SQ_EINVAL);

    /* 5. Many tiny parts: refused at max_parts, having looked at ~1000 only. */
    o = 0;
    while (o + 64 < SIZE) o += (size_t)sprintf(b + o, "--b\r\n" CD("x") "\r\n\r\n");
    o += (size_t)sprintf(b + o, "--b--");
    SQ_CHECK_EQ_INT(sq_multipart_parse((sq_slice){b, o}, SQ_SLICE_LIT("b"), NULL, &arena, &res),
                    SQ_ETOOBIG);

    double dt = seconds() - t0;
    if (dt > 5.0) fprintf(stderr, "  adversarial bodies took %.2f s\n", dt);
    SQ_CHECK(dt < 5.0);
    sq_arena_free(&arena);
    free(b);
}

int main(void) {
    SQ_RUN(test_boundary);
    SQ_RUN(test_table);
    SQ_RUN(test_headers);
    SQ_RUN(test_binary);
    SQ_RUN(test_limits);
    SQ_RUN(test_adversarial);
    return SQ_TEST_SUMMARY();
}
