/* Internal: pieces of the HTTP/1.1 request parser shared between its files. */
#ifndef SQUALL_HTTP1_INTERNAL_H
#define SQUALL_HTTP1_INTERNAL_H

#include "squall/http1_parser.h"

/* Record a refusal on `req` and return the matching code: SQ_ETOOBIG for
 * the limit statuses (413, 414, 431), SQ_EINVAL for everything else. */
int sq__http1_fail(sq_http1_request *req, int status, const char *reason);

/* Derive the framing fields (content_length, chunked, keep_alive,
 * expect_continue, has_host, upgrade) from the complete header list and
 * refuse the combinations RFC 9112 forbids. Returns 0 or a failure code
 * from sq__http1_fail. */
int sq__http1_derive_framing(sq_http1_request *req);

/* 1 when p[0..n) may be a Host value or an absolute-form authority. */
int sq__http1_valid_host(const char *p, size_t n);

#endif
