/* Squall core: incremental, zero-copy HTTP/1.1 request parser (RFC 9112).
 *
 * The parser fills a caller-owned struct with slices into the caller's
 * buffer: no allocation, no callbacks (picohttpparser's model). Call it
 * again with the same buffer, grown, after SQ_EINCOMPLETE; it resumes
 * without re-scanning what it already accepted.
 *
 * It is strict: anything RFC 9112 does not allow, and anything that could
 * let two parsers disagree on message boundaries (request smuggling), is
 * refused with an HTTP status in req->error_status. */
#ifndef SQUALL_HTTP1_PARSER_H
#define SQUALL_HTTP1_PARSER_H

#include "squall/common.h"
#include "squall/handler.h" /* sq_header_view */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_http1_limits {
    size_t max_request_line; /* -> 414 */
    size_t max_header_bytes; /* whole head incl. request line -> 431 */
    size_t max_headers;      /* must be <= the headers array capacity -> 431 */
} sq_http1_limits;

typedef struct sq_http1_request {
    /* Output (valid after a return > 0). Slices point into the buffer. */
    sq_slice method;
    sq_slice target;
    sq_slice path;         /* target's path part (origin-form, or the path of absolute-form), raw */
    sq_slice query;        /* after '?', without it; len 0 if none */
    int version_minor;     /* 0 or 1 */
    sq_header_view *headers; /* caller-provided array */
    size_t headers_cap;      /* its capacity */
    size_t num_headers;

    /* Framing derived from the headers. */
    int64_t content_length;  /* -1 when absent */
    unsigned chunked : 1;    /* Transfer-Encoding: chunked (final, and the only coding) */
    unsigned keep_alive : 1; /* after HTTP/1.0/1.1 rules and Connection */
    unsigned expect_continue : 1;
    unsigned has_host : 1;
    unsigned upgrade : 1;    /* Connection: upgrade + Upgrade present (not served) */

    /* On SQ_EINVAL / SQ_ETOOBIG: the status to answer (400, 414, 417, 431,
     * 501, 505) and a short static reason for the log and the problem
     * detail. The connection must be closed after answering: the framing
     * of anything behind the refused request is unknown. */
    int error_status;
    const char *error_reason;

    /* Private resume state. Zero the whole struct (sq_http1_request_init)
     * before the first call for a new request. */
    size_t _scan_pos;   /* where the search for the next LF resumes */
    size_t _line_start; /* first byte of the line being received */
    int _state;
} sq_http1_request;

/* The error_reason of the two 431 refusals that name another limit than the
 * header block's size; a caller tells them apart by pointer, not by text. */
extern const char sq_http1_reason_too_many_headers[];
extern const char sq_http1_reason_trailers_too_large[];

/* Prepare `req` for a new request; `headers` is the caller's array. */
void sq_http1_request_init(sq_http1_request *req, sq_header_view *headers, size_t headers_cap);

/* Returns the length of the request head (> 0) once it is complete and
 * valid (the body, if any, starts at buf + that length); SQ_EINCOMPLETE
 * when more bytes are needed; SQ_EINVAL or SQ_ETOOBIG with
 * req->error_status set (400, 414, 417, 431, 501, 505).
 *
 * `len` may grow between calls (a shorter one than before: SQ_ESTATE); the
 * bytes already seen must not change.
 * The buffer may move between calls (compaction, realloc) if the caller
 * rebases the slices already stored (method, target, path, query, headers):
 * the private resume offsets are relative to `buf` and need no change.
 * Every slice points into `buf` except a path of "/" made up for an
 * absolute-form target without one, which is a static string.
 *
 * An incomplete line is refused as soon as one of its bytes makes it
 * invalid (a TLS hello or a control byte is answered at once) or it passes
 * a limit: an over-long request line (414) or head (431) is refused before
 * it ends. The result never depends on how the bytes were split between
 * calls. Once a result other than SQ_EINCOMPLETE is returned, further calls
 * return it again. The head may not exceed INT_MAX bytes (431).
 *
 * Accepted: origin-form, absolute-form (http/https; path and query taken
 * from it, path "/" -- a static string -- when it has none) and "*" with
 * OPTIONS; one empty line before the request line; HTTP/1.0 and 1.1 (a
 * higher 1.x is answered as 1.1). Slices (method, target, path, query,
 * header names and values) stay valid as long as the buffer. */
int sq_http1_parse_request(const char *buf, size_t len, sq_http1_request *req,
                           const sq_http1_limits *limits);

/* ---- Chunked transfer coding (request bodies) ---- */

typedef struct sq_chunked_limits {
    size_t max_body;          /* total decoded data -> 413 */
    size_t max_chunk_ext;     /* total extension bytes -> 400 */
    size_t max_trailer_bytes; /* -> 431 */
} sq_chunked_limits;

typedef struct sq_chunked_decoder {
    int error_status;         /* as above, on SQ_EINVAL / SQ_ETOOBIG */
    const char *error_reason;
    size_t body_len;          /* decoded bytes so far */
    /* private */
    int _state;
    uint64_t _remaining;      /* bytes left in the current chunk */
    size_t _num_chunks;
    size_t _ext_bytes;
    size_t _trailer_bytes;
    size_t _hex_digits;
} sq_chunked_decoder;

void sq_chunked_decoder_init(sq_chunked_decoder *d);

/* Decode in place. buf[0..*len) holds bytes not yet given to the decoder.
 * Strict RFC 9112 7.1: chunk-size is 1 to 16 hex digits (no prefix, sign or
 * space); extensions (`;name[=token|quoted-string]`, with BWS around `;`
 * and `=`) are checked and dropped; CRLF is required after every size line
 * and chunk (a bare CR or LF -> 400); trailer fields are checked like
 * header fields and dropped. After the end, further calls return
 * SQ_ESTATE; after an error, the same error again.
 * On return, buf[0..*len) holds the chunk data decoded by this call (the
 * framing removed); the caller keeps it and passes only newer bytes next
 * time, e.g. buf + *len after appending them there.
 * Returns SQ_EINCOMPLETE when the body is not finished (call again with
 * more bytes); a value >= 0 when the last chunk and the trailers are
 * complete: that many bytes after the body belong to the next request and
 * sit at buf + *len; SQ_EINVAL or SQ_ETOOBIG with d->error_status set.
 * Refuses bodies whose framing outweighs their data (more than 1,000
 * chunks averaging under 16 data bytes each). d->body_len counts all data. */
int sq_chunked_decode(sq_chunked_decoder *d, char *buf, size_t *len,
                      const sq_chunked_limits *limits);

/* ---- Helpers used by the server ---- */

/* Percent-decode `in` into `out` (which must hold in.len bytes). Returns the
 * decoded length, or SQ_EINVAL on a bad escape. `plus_is_space` for query
 * strings. An encoded NUL (%00) is refused in paths (plus_is_space == 0). */
int sq_percent_decode(sq_slice in, char *out, int plus_is_space);

/* Split a raw query string into pairs, percent-decoding into `scratch`
 * (which must hold query.len bytes). Returns the number of pairs written
 * (at most `cap`; more pairs -> SQ_ETOOBIG), or SQ_EINVAL. */
int sq_query_split(sq_slice query, char *scratch, sq_query_pair *pairs, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
