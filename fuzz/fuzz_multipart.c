/* libFuzzer driver for the multipart parser. Input: a Content-Type line,
 * then the body. The boundary comes from the Content-Type (or "XyZ" when it
 * has none). Small caps so the fuzzer reaches them. Invariants: on success
 * parts are in body order, their data, headers and content type lie inside
 * the body, fields respect max_field_size, counts respect the caps; on
 * failure there is a reason and no parts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "squall/form.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

static int inside(sq_slice s, const char *base, size_t len) {
    return s.len == 0 || (s.base >= base && s.base + s.len <= base + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    if (!nl) return 0;
    sq_slice ct = {in, (size_t)(nl - in)};
    /* The body in its own allocation so ASan sees any over-read. */
    size_t blen = size - (size_t)(nl + 1 - in);
    char *body = malloc(blen ? blen : 1);
    if (!body) return 0;
    memcpy(body, nl + 1, blen);

    sq_slice boundary;
    int rc = sq_multipart_boundary(ct, &boundary);
    CHECK(rc == 0 || rc == SQ_ENOTFOUND || rc == SQ_EINVAL);
    if (rc == 0) {
        CHECK(boundary.len >= 1 && boundary.len <= 70 && inside(boundary, ct.base, ct.len));
    } else {
        boundary = (sq_slice){"XyZ", 3};
    }
    sq_multipart_limits lim = {50, 256, 1024};
    sq_arena arena;
    sq_arena_init(&arena);
    sq_multipart_result res;
    rc = sq_multipart_parse((sq_slice){body, blen}, boundary, &lim, &arena, &res);
    if (rc == 0) {
        CHECK(res.error_reason == NULL && res.num_parts <= lim.max_parts);
        const char *prev_end = body;
        for (size_t i = 0; i < res.num_parts; i++) {
            const sq_multipart_part *p = &res.parts[i];
            CHECK(inside(p->data, body, blen));
            CHECK(inside(p->content_type, body, blen));
            CHECK(p->data.len == 0 || p->data.base >= prev_end);
            if (p->data.len) prev_end = p->data.base + p->data.len;
            if (!p->has_filename) CHECK(p->data.len <= lim.max_field_size);
            CHECK(p->filename.len == 0 || p->has_filename);
            CHECK(p->name.len <= blen && p->filename.len <= 2 * blen);
            CHECK(p->num_headers >= 1);
            size_t hbytes = 0;
            for (size_t k = 0; k < p->num_headers; k++) {
                CHECK(inside(p->headers[k].name, body, blen) && p->headers[k].name.len > 0);
                CHECK(inside(p->headers[k].value, body, blen));
                hbytes += p->headers[k].name.len + p->headers[k].value.len + 3;
            }
            CHECK(hbytes <= lim.max_part_header_bytes);
        }
    } else {
        CHECK(rc == SQ_EINVAL || rc == SQ_ETOOBIG);
        CHECK(res.error_reason != NULL && res.num_parts == 0 && res.parts == NULL);
    }
    sq_arena_free(&arena);
    free(body);
    return 0;
}
