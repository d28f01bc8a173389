/* libFuzzer driver for sq_http1_parse_request.
 * Input: byte 0 picks small limits (so the limit paths are reached), the
 * rest is the request. Checks the result's invariants, then parses again
 * in pieces (from a buffer whose unread tail is poisoned) and requires the
 * identical result. */
#include <assert.h>
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "squall/http1_parser.h"

#define CAP 24

typedef struct {
    int rc;
    sq_http1_request req;
    sq_header_view headers[CAP];
} outcome;

static int in_buf(sq_slice s, const char *buf, size_t len) {
    return s.base >= buf && s.len <= len && (size_t)(s.base - buf) <= len - s.len;
}

static void check_invariants(const outcome *o, const char *buf, size_t len,
                             const sq_http1_limits *l) {
    const sq_http1_request *r = &o->req;
    assert(o->rc == SQ_EINCOMPLETE || o->rc == SQ_EINVAL || o->rc == SQ_ETOOBIG || o->rc > 0);
    assert(o->rc <= 0 || (size_t)o->rc <= len);
    assert((o->rc == SQ_EINVAL || o->rc == SQ_ETOOBIG) == (r->error_status != 0));
    if (r->error_status) {
        int s = r->error_status;
        assert(s == 400 || s == 414 || s == 417 || s == 431 || s == 501 || s == 505);
        assert((o->rc == SQ_ETOOBIG) == (s == 414 || s == 431));
        assert(r->error_reason && r->error_reason[0]);
    }
    assert(r->num_headers <= CAP && r->num_headers <= l->max_headers);
    if (o->rc > 0) {
        size_t n = (size_t)o->rc;
        assert(n <= l->max_header_bytes);
        assert(in_buf(r->method, buf, n) && r->method.len > 0);
        assert(in_buf(r->target, buf, n) && r->target.len > 0);
        assert(in_buf(r->path, buf, n) || (r->path.len == 1 && r->path.base[0] == '/'));
        assert(in_buf(r->query, buf, n));
        for (size_t i = 0; i < r->num_headers; i++) {
            assert(in_buf(r->headers[i].name, buf, n) && r->headers[i].name.len > 0);
            assert(in_buf(r->headers[i].value, buf, n));
            assert(memchr(r->headers[i].value.base, '\r', r->headers[i].value.len) == NULL);
            assert(memchr(r->headers[i].value.base, '\n', r->headers[i].value.len) == NULL);
        }
        assert(r->version_minor == 0 || r->version_minor == 1);
        assert(!(r->chunked && r->content_length >= 0)); /* never both */
        assert(r->content_length >= -1);
        assert(buf[n - 1] == '\n' && buf[n - 2] == '\r');
    }
}

static void same_slice(sq_slice a, const char *abuf, sq_slice b, const char *bbuf) {
    assert(a.len == b.len);
    assert(a.len == 0 || memcmp(a.base, b.base, a.len) == 0);
    if (a.base >= abuf && a.base < abuf + 65536 && a.len) assert(a.base - abuf == b.base - bbuf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t knob = data[0];
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    sq_http1_limits l = {8192, 16384, 100};
    if (knob & 1) l.max_request_line = 8 + (knob >> 4) * 4;
    if (knob & 2) l.max_header_bytes = 24 + (knob >> 3) * 8;
    if (knob & 4) l.max_headers = 1 + (knob >> 5);
    if (l.max_headers > CAP) l.max_headers = CAP;

    static outcome whole, parts;
    memset(&whole, 0, sizeof whole);
    sq_http1_request_init(&whole.req, whole.headers, CAP);
    whole.rc = sq_http1_parse_request(in, len, &whole.req, &l);
    check_invariants(&whole, in, len, &l);

    /* the same bytes in pieces: one byte each when knob bit 3 is set,
     * else sizes 1..8 from a generator seeded by the knob */
    char *buf = malloc(len ? len : 1);
    memcpy(buf, in, len);
    ASAN_POISON_MEMORY_REGION(buf, len);
    memset(&parts, 0, sizeof parts);
    sq_http1_request_init(&parts.req, parts.headers, CAP);
    parts.rc = SQ_EINCOMPLETE;
    size_t given = 0;
    uint32_t seed = knob * 2654435761u + 1;
    while (parts.rc == SQ_EINCOMPLETE && given < len) {
        size_t k = 1;
        if (!(knob & 8)) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % 8;
        }
        if (k > len - given) k = len - given;
        ASAN_UNPOISON_MEMORY_REGION(buf + given, k);
        given += k;
        parts.rc = sq_http1_parse_request(buf, given, &parts.req, &l);
        check_invariants(&parts, buf, given, &l);
    }
    if (len == 0) parts.rc = sq_http1_parse_request(buf, 0, &parts.req, &l);
    ASAN_UNPOISON_MEMORY_REGION(buf, len);

    assert(parts.rc == whole.rc);
    assert(parts.req.error_status == whole.req.error_status);
    if (whole.rc > 0) {
        same_slice(whole.req.method, in, parts.req.method, buf);
        same_slice(whole.req.target, in, parts.req.target, buf);
        same_slice(whole.req.path, in, parts.req.path, buf);
        same_slice(whole.req.query, in, parts.req.query, buf);
        assert(whole.req.num_headers == parts.req.num_headers);
        for (size_t i = 0; i < whole.req.num_headers; i++) {
            same_slice(whole.headers[i].name, in, parts.headers[i].name, buf);
            same_slice(whole.headers[i].value, in, parts.headers[i].value, buf);
        }
        assert(whole.req.content_length == parts.req.content_length);
        assert(whole.req.chunked == parts.req.chunked);
        assert(whole.req.keep_alive == parts.req.keep_alive);
        assert(whole.req.expect_continue == parts.req.expect_continue);
        assert(whole.req.upgrade == parts.req.upgrade);
        assert(whole.req.version_minor == parts.req.version_minor);
    }
    free(buf);

    /* the helpers the server applies next: decoding never grows the text,
     * pairs lie in the scratch buffer */
    if (whole.rc > 0) {
        sq_slice path = whole.req.path, query = whole.req.query;
        char *out = malloc(path.len + query.len + 1);
        int dn = sq_percent_decode(path, out, 0);
        assert(dn == SQ_EINVAL || (dn >= 0 && (size_t)dn <= path.len));
        if (dn >= 0) assert(memchr(out, 0, (size_t)dn) == NULL); /* no NUL, raw or %00 */
        sq_query_pair pairs[8];
        int qn = sq_query_split(query, out, pairs, 8);
        assert(qn == SQ_EINVAL || qn == SQ_ETOOBIG || (qn >= 0 && qn <= 8));
        for (int i = 0; i < qn; i++) {
            assert(pairs[i].key.base >= out && pairs[i].key.base + pairs[i].key.len <= out + query.len);
            assert(pairs[i].value.base >= out &&
                   pairs[i].value.base + pairs[i].value.len <= out + query.len);
        }
        free(out);
    }
    return 0;
}
