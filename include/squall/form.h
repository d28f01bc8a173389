/* Squall core: form bodies, application/x-www-form-urlencoded and
 * multipart/form-data (RFC 7578).
 *
 * Both parsers take the complete body in memory (the server has already
 * read and de-chunked it, within its body limit) and return slices: no
 * callbacks, no copies of part data. Work is linear in the body's length
 * whatever its content: delimiters are found with memchr/memmem-style
 * scanning, never a per-byte state machine, and every count and size a
 * client controls is capped (python-multipart's and Starlette's DoS
 * advisories: many tiny parts, CR/LF floods, endless header lines).
 *
 * Ownership: slices point into the body (or, when something had to be
 * decoded, into `scratch` or the arena given): valid while both are. The
 * parsers never write to the body. */
#ifndef SQUALL_FORM_H
#define SQUALL_FORM_H

#include "squall/arena.h"
#include "squall/common.h"
#include "squall/handler.h" /* sq_query_pair, sq_header_view */

#ifdef __cplusplus
extern "C" {
#endif

/* ===== application/x-www-form-urlencoded ===== */

/* Upper bound of the number of pairs sq_form_urlencoded_parse can return for
 * `body` (1 + number of '&'), to size the pairs array. */
size_t sq_form_urlencoded_max_pairs(sq_slice body);

/* Split `body` on '&' into name/value pairs in order, repeats kept (the
 * WHATWG urlencoded parser, as Starlette does): empty pieces are skipped, a
 * piece without '=' is a name with an empty value, '+' is a space, %XX is
 * decoded, and a '%' not followed by two hex digits is kept as is (so any
 * body parses: never SQ_EINVAL). Bytes are not checked for UTF-8: that is the
 * validator's job. Decoded text goes to `scratch`, which must hold body.len
 * bytes; pair slices point into it.
 * Returns the number of pairs, or SQ_ETOOBIG if there are more than `cap`
 * (the first `cap` are filled). */
int sq_form_urlencoded_parse(sq_slice body, char *scratch, sq_query_pair *pairs, size_t cap);

/* ===== multipart/form-data ===== */

typedef struct sq_multipart_limits {
    size_t max_parts;             /* default 1000 */
    size_t max_part_header_bytes; /* one part's header block, CRLFs included: default 8 KiB */
    size_t max_field_size;        /* data of a part without filename: default 1 MiB */
} sq_multipart_limits;

/* The defaults above. */
sq_multipart_limits sq_multipart_limits_default(void);

typedef struct sq_multipart_part {
    /* Content-Disposition's name parameter (quoted-string unescaped). */
    sq_slice name;
    /* filename or filename* (RFC 5987, UTF-8 or ISO-8859-1, converted to
     * UTF-8; it wins over filename). has_filename tells "absent" (0: a
     * plain field) from "present but empty" (1 with len 0: a file input
     * left empty, which FastAPI reports as a missing file). */
    sq_slice filename;
    int has_filename;
    /* The part's Content-Type value, trimmed; len 0 when absent (RFC 7578:
     * text/plain for fields, application/octet-stream for files). */
    sq_slice content_type;
    /* Every header of the part, in order, names as received (case kept). */
    const sq_header_view *headers;
    size_t num_headers;
    /* The part's body, without the CRLF that precedes the next delimiter. */
    sq_slice data;
} sq_multipart_part;

typedef struct sq_multipart_result {
    const sq_multipart_part *parts; /* arena */
    size_t num_parts;
    /* On error: a short static reason for the log and the 400 body
     * ("part header block too large", ...), and the index of the part being
     * parsed. NULL / 0 on success. */
    const char *error_reason;
    size_t error_part;
} sq_multipart_result;

/* Find the boundary parameter of a Content-Type value such as
 * `multipart/form-data; boundary="abc"` (token or quoted-string, parameter
 * name case-insensitive; the media type itself is not checked).
 * Returns 0 with *boundary pointing into content_type; SQ_ENOTFOUND when
 * there is no boundary parameter (the caller answers 400, see
 * SQ_VPROBLEM_NO_BOUNDARY); SQ_EINVAL when it is empty, longer than 70
 * bytes, ends with a space, or holds a byte outside 0x20..0x7E, '"' or '\'. */
int sq_multipart_boundary(sq_slice content_type, sq_slice *boundary);

/* Parse a complete multipart/form-data body delimited by `boundary` (as
 * returned by sq_multipart_boundary). `limits` may be NULL for the defaults.
 * The parts array, header arrays and any decoded name/filename live in
 * `arena`.
 *
 * Accepted: a preamble before the first delimiter and an epilogue after the
 * last; spaces/tabs after a delimiter (transport padding); zero parts
 * ("--b--"); a '\' in a quoted-string escapes only '"' and '\' (so an old
 * browser's "C:\dir\f.txt" is kept whole).
 * Refused with SQ_EINVAL and a reason: no first delimiter, no closing
 * delimiter (truncated body), a delimiter line not ending in CRLF, a header
 * line without ':' or starting with whitespace, a part without
 * Content-Disposition: form-data with a name.
 * Refused with SQ_ETOOBIG (the caller answers 413 or 400): more than
 * max_parts parts, a header block over max_part_header_bytes, a field (no
 * filename) over max_field_size.
 * Returns 0, SQ_EINVAL, SQ_ETOOBIG or SQ_ENOMEM; *out is always set. */
int sq_multipart_parse(sq_slice body, sq_slice boundary, const sq_multipart_limits *limits,
                       sq_arena *arena, sq_multipart_result *out);

#ifdef __cplusplus
}
#endif
#endif
