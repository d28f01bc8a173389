/* libFuzzer driver for sq_chunked_decode.
 * Input: byte 0 picks small limits, the rest is a chunked body (maybe
 * followed by the next request). Decodes it at once and in pieces and
 * requires the same data, status and leftover; checks the invariants. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "squall/http1_parser.h"

typedef struct {
    int rc;
    int status;
    size_t decoded;
    size_t consumed;
    size_t body_len;
} result;

static result decode(char *work, const char *in, size_t n, const sq_chunked_limits *l,
                     uint32_t seed, int whole) {
    sq_chunked_decoder d;
    sq_chunked_decoder_init(&d);
    result r = {SQ_EINCOMPLETE, 0, 0, 0, 0};
    size_t given = 0;
    do {
        size_t k = n - given;
        if (!whole) {
            seed = seed * 1103515245u + 12345u;
            size_t want = 1 + (seed >> 16) % 9;
            if (want < k) k = want;
        }
        memmove(work + r.decoded, in + given, k);
        size_t len = k;
        r.rc = sq_chunked_decode(&d, work + r.decoded, &len, l);
        assert(len <= k);
        assert(r.rc == SQ_EINCOMPLETE || r.rc == SQ_EINVAL || r.rc == SQ_ETOOBIG || r.rc >= 0);
        if (r.rc >= 0) {
            assert((size_t)r.rc <= k - len);
            /* the bytes after the body were moved right behind the data */
            assert(memcmp(work + r.decoded + len, in + given + k - (size_t)r.rc, (size_t)r.rc) == 0);
        }
        r.decoded += len;
        given += k;
        if (r.rc >= 0) given -= (size_t)r.rc;
    } while (r.rc == SQ_EINCOMPLETE && given < n);
    r.consumed = given;
    r.status = d.error_status;
    r.body_len = d.body_len;
    assert((r.rc == SQ_EINVAL || r.rc == SQ_ETOOBIG) == (r.status != 0));
    if (r.status) {
        assert(r.status == 400 || r.status == 413 || r.status == 431);
        assert((r.rc == SQ_ETOOBIG) == (r.status == 413 || r.status == 431));
        assert(d.error_reason && d.error_reason[0]);
    }
    assert(r.body_len == r.decoded);
    assert(r.body_len <= l->max_body);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t knob = data[0];
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    sq_chunked_limits l = {1 << 20, 4096, 16384};
    if (knob & 1) l.max_body = (size_t)(knob >> 2) * 3;
    if (knob & 2) l.max_chunk_ext = (size_t)(knob >> 4) * 2;
    if (knob & 4) l.max_trailer_bytes = (size_t)(knob >> 3) * 3;

    char *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);
    memcpy(a, in, n); /* exact-size copy: ASan sees any over-read */
    result whole = decode(a, in, n, &l, 0, 1);
    result parts = decode(b, in, n, &l, knob * 2654435761u + 7, 0);
    assert(whole.status == parts.status);
    assert(whole.decoded == parts.decoded);
    assert(memcmp(a, b, whole.decoded) == 0);
    assert((whole.rc >= 0) == (parts.rc >= 0));
    if (whole.rc < 0) assert(whole.rc == parts.rc);
    else assert(whole.consumed == parts.consumed);
    free(a);
    free(b);
    return 0;
}
