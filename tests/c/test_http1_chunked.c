/* Table-driven tests of sq_chunked_decode: each body is decoded at once
 * (from a copy ending right before an unmapped page), one byte per call,
 * and in pseudo-random pieces; all three must agree. */
#include <stdlib.h>

#include "sq_test.h"
#include "squall/http1_parser.h"

/* status 0: complete, `data` decoded and `rest` bytes left for the next
 * request; -1: SQ_EINCOMPLETE with `data` decoded so far; else the
 * error_status. */
typedef struct {
    const char *in;
    int status;
    const char *data;
    size_t rest;
    size_t max_body, max_ext, max_trailer; /* 0: defaults */
} chunked_case;

static const chunked_case cases[] = {
    /* ---- valid ---- */
    {"0\r\n\r\n", 0, "", 0, 0, 0, 0},
    {"5\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0, "hello world", 0, 0, 0, 0},
    {"A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", 0, "0123456789abcdefghij", 0, 0, 0, 0},
    {"0005\r\nhello\r\n000\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"0000000000000005\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, 0, 0, 0}, /* 16 digits */
    {"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", 0, "hello", 16, 0, 0, 0},
    {"5\r\nhe\r\nl\r\n0\r\n\r\n", 0, "he\r\nl", 0, 0, 0, 0}, /* CRLF inside data is data */
    {"5;a\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"5;a=b\r\nhello\r\n0;last\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"5;a=b;c=\"q;\\\"x\"\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"5 ;a = b ; c\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"5\t;\ta\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"5\r\nhello\r\n0\r\nX-Trailer: v\r\n\r\n", 0, "hello", 0, 0, 0, 0},
    {"5\r\nhello\r\n0\r\nA: 1\r\nB:\r\nC:  x y \t\r\n\r\n", 0, "hello", 0, 0, 0, 0},

    /* ---- incomplete ---- */
    {"", -1, "", 0, 0, 0, 0},
    {"5\r\nhel", -1, "hel", 0, 0, 0, 0},
    {"5\r\nhello\r\n", -1, "hello", 0, 0, 0, 0},
    {"5\r\nhello\r\n0\r\n", -1, "hello", 0, 0, 0, 0},
    {"5\r\nhello\r\n0\r\nA: 1\r\n", -1, "hello", 0, 0, 0, 0},
    {"5;a=\"x", -1, "", 0, 0, 0, 0},

    /* ---- chunk size ---- */
    {"\r\n", 400, NULL, 0, 0, 0, 0},
    {"x\r\n", 400, NULL, 0, 0, 0, 0},
    {"0x5\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"+5\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"-5\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {" 5\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5 \r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5\rhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"00000000000000005\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0}, /* 17 digits */
    {"FFFFFFFFFFFFFFFF\r\n", 413, NULL, 0, 0, 0, 0},
    {"5\r\nhello\r\n", 413, NULL, 0, .max_body = 4},
    {"5\r\nhello\r\n5\r\nhello\r\n0\r\n\r\n", 413, NULL, 0, .max_body = 9},
    {"5\r\nhello\r\n5\r\nhello\r\n0\r\n\r\n", 0, "hellohello", 0, .max_body = 10},
    /* ---- data terminator ---- */
    {"5\r\nhelloX\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5\r\nhello\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5\r\nhello\r0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5\r\nhello0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    /* ---- extensions ---- */
    {"5;\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;=b\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a=\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a \r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a=b \r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a=\"b\"x\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a=b@c\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a\x01\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;a=b\nhello\r\n0\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"5;abcdefgh\r\nhello\r\n0\r\n\r\n", 0, "hello", 0, .max_ext = 9},
    {"5;abcdefghi\r\nhello\r\n0\r\n\r\n", 400, NULL, 0, .max_ext = 9},
    {"5;abcd\r\nhello\r\n0;abcd\r\n\r\n", 400, NULL, 0, .max_ext = 9}, /* total per body */
    /* ---- trailers ---- */
    {"0\r\n X: 1\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\nX: 1\r\n\tY\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\nX : 1\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\nX\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\n: 1\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\nX: a\rb\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\nX: a\nb\r\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\nX: 1\n\r\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\n\n", 400, NULL, 0, 0, 0, 0},
    {"0\r\n\rX", 400, NULL, 0, 0, 0, 0},
    {"0\r\nX: 1234\r\n\r\n", 0, "", 0, .max_trailer = 9},
    {"0\r\nX: 12345\r\n\r\n", 431, NULL, 0, .max_trailer = 9},
};

/* Embedded NUL: the table uses strlen, so that case is run separately. */

static sq_chunked_limits case_limits(const chunked_case *c) {
    sq_chunked_limits l = {1 << 20, 4096, 16384};
    if (c->max_body) l.max_body = c->max_body;
    if (c->max_ext) l.max_chunk_ext = c->max_ext;
    if (c->max_trailer) l.max_trailer_bytes = c->max_trailer;
    return l;
}

typedef struct {
    int rc;
    int status;
    size_t decoded;    /* bytes of data produced */
    size_t consumed;   /* input bytes given before the final result */
    size_t body_len;
} result;

/* Feed `in` in pieces whose sizes come from `piece` (0: all at once).
 * Output accumulates at the front of `work` as the API intends. */
static result decode_in_pieces(char *work, const char *in, size_t n, const sq_chunked_limits *l,
                               unsigned piece) {
    sq_chunked_decoder d;
    sq_chunked_decoder_init(&d);
    result r = {SQ_EINCOMPLETE, 0, 0, 0, 0};
    size_t given = 0;
    unsigned seed = piece;
    while (r.rc == SQ_EINCOMPLETE && (given < n || (n == 0 && given == 0))) {
        size_t k = n - given;
        if (piece == 1) k = k ? 1 : 0;
        else if (piece > 1) {
            seed = seed * 1103515245u + 12345u;
            size_t want = 1 + (seed >> 16) % 7;
            if (want < k) k = want;
        }
        memmove(work + r.decoded, in + given, k);
        size_t len = k;
        r.rc = sq_chunked_decode(&d, work + r.decoded, &len, l);
        r.decoded += len;
        given += k;
        if (r.rc >= 0) given -= (size_t)r.rc; /* those bytes were not body */
        if (n == 0) break;
    }
    r.consumed = given;
    r.status = d.error_status;
    r.body_len = d.body_len;
    return r;
}

static void check_case(size_t idx, const chunked_case *c, const char *in, size_t n) {
    sq_chunked_limits l = case_limits(c);
    int before = sq_test_current_failed;
    sq_test_current_failed = 0;

    sq_guarded g = sq_test_guard(in, n);
    result whole = decode_in_pieces(g.data, g.data, n, &l, 0);
    if (c->status == 0) {
        SQ_CHECK_EQ_INT(whole.rc, c->rest);
        SQ_CHECK_EQ_INT(whole.status, 0);
        SQ_CHECK_EQ_INT(whole.decoded, strlen(c->data));
        SQ_CHECK_EQ_INT(whole.body_len, strlen(c->data));
        if (whole.decoded == strlen(c->data)) SQ_CHECK(memcmp(g.data, c->data, whole.decoded) == 0);
        /* the bytes after the body now follow the decoded data */
        if (whole.rc > 0) SQ_CHECK(memcmp(g.data + whole.decoded, in + n - c->rest, c->rest) == 0);
    } else if (c->status == -1) {
        SQ_CHECK_EQ_INT(whole.rc, SQ_EINCOMPLETE);
        SQ_CHECK_EQ_INT(whole.decoded, strlen(c->data));
        if (whole.decoded == strlen(c->data)) SQ_CHECK(memcmp(g.data, c->data, whole.decoded) == 0);
    } else {
        SQ_CHECK_EQ_INT(whole.rc, (c->status == 413 || c->status == 431) ? SQ_ETOOBIG : SQ_EINVAL);
        SQ_CHECK_EQ_INT(whole.status, c->status);
    }
    char *expect = malloc(n + 1);
    memcpy(expect, g.data, whole.decoded);

    for (unsigned piece = 1; piece <= 3; piece++) {
        char *work = malloc(n + 1);
        result r = decode_in_pieces(work, in, n, &l, piece);
        /* how many bytes follow the body depends on where the last piece ended */
        if (c->status == 0) SQ_CHECK(r.rc >= 0);
        else SQ_CHECK_EQ_INT(r.rc, whole.rc);
        SQ_CHECK_EQ_INT(r.status, whole.status);
        SQ_CHECK_EQ_INT(r.decoded, whole.decoded);
        SQ_CHECK_EQ_INT(r.body_len, whole.body_len);
        if (c->status == 0) SQ_CHECK_EQ_INT(r.consumed, n - c->rest);
        if (r.decoded == whole.decoded && c->status <= 0)
            SQ_CHECK(memcmp(work, expect, r.decoded) == 0);
        free(work);
    }
    free(expect);
    sq_test_guard_free(g);
    if (sq_test_current_failed) fprintf(stderr, "  ^ in chunked case %zu: %.40s\n", idx, c->in);
    sq_test_current_failed |= before;
}

static void test_table(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(i, &cases[i], cases[i].in, strlen(cases[i].in));
    /* a NUL in a trailer value: refused */
    static const char nul_trailer[] = "0\r\nX: a\0b\r\n\r\n";
    chunked_case c = {nul_trailer, 400, NULL, 0, 0, 0, 0};
    check_case(1000, &c, nul_trailer, sizeof nul_trailer - 1);
}

/* Appends "<hex>\r\n<size bytes>\r\n" and returns the new length. */
static size_t put_chunk(char *b, size_t o, size_t size) {
    o += (size_t)sprintf(b + o, "%zx\r\n", size);
    memset(b + o, 'd', size);
    o += size;
    memcpy(b + o, "\r\n", 2);
    return o + 2;
}

/* 1,000 tiny chunks are fine; the 1,001st is refused while the average is
 * under 16 bytes; big chunks keep the average up. */
static void test_small_chunk_flood(void) {
    sq_chunked_limits l = {1 << 20, 4096, 16384};
    char *b = malloc(200000);
    size_t o = 0;
    for (int i = 0; i < 1000; i++) o = put_chunk(b, o, 1);
    memcpy(b + o, "0\r\n\r\n", 5);
    sq_chunked_decoder d;
    sq_chunked_decoder_init(&d);
    size_t len = o + 5;
    SQ_CHECK_EQ_INT(sq_chunked_decode(&d, b, &len, &l), 0);
    SQ_CHECK_EQ_INT(len, 1000);

    o = 0;
    for (int i = 0; i < 1001; i++) o = put_chunk(b, o, 1);
    memcpy(b + o, "0\r\n\r\n", 5);
    sq_chunked_decoder_init(&d);
    len = o + 5;
    SQ_CHECK_EQ_INT(sq_chunked_decode(&d, b, &len, &l), SQ_EINVAL);
    SQ_CHECK_EQ_INT(d.error_status, 400);

    o = 0;
    for (int i = 0; i < 1500; i++) o = put_chunk(b, o, i % 2 ? 1 : 31);
    memcpy(b + o, "0\r\n\r\n", 5);
    sq_chunked_decoder_init(&d);
    len = o + 5;
    SQ_CHECK_EQ_INT(sq_chunked_decode(&d, b, &len, &l), 0);
    SQ_CHECK_EQ_INT(d.body_len, 750 * 32);
    free(b);
}

/* After the end or an error, further calls do not decode anything. */
static void test_calls_after_the_end(void) {
    sq_chunked_limits l = {1 << 20, 4096, 16384};
    char b[64];
    sq_chunked_decoder d;
    sq_chunked_decoder_init(&d);
    memcpy(b, "0\r\n\r\n", 5);
    size_t len = 5;
    SQ_CHECK_EQ_INT(sq_chunked_decode(&d, b, &len, &l), 0);
    len = 3;
    SQ_CHECK_EQ_INT(sq_chunked_decode(&d, b, &len, &l), SQ_ESTATE);
    SQ_CHECK_EQ_INT(len, 0);

    sq_chunked_decoder_init(&d);
    memcpy(b, "z", 1);
    len = 1;
    SQ_CHECK_EQ_INT(sq_chunked_decode(&d, b, &len, &l), SQ_EINVAL);
    memcpy(b, "0\r\n\r\n", 5);
    len = 5;
    SQ_CHECK_EQ_INT(sq_chunked_decode(&d, b, &len, &l), SQ_EINVAL);
    SQ_CHECK_EQ_INT(d.error_status, 400);
}

int main(void) {
    SQ_RUN(test_table);
    SQ_RUN(test_small_chunk_flood);
    SQ_RUN(test_calls_after_the_end);
    return SQ_TEST_SUMMARY();
}
