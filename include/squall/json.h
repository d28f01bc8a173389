/* Squall core: JSON reader (RFC 8259, strict) into an arena-allocated tree,
 * and a JSON writer into a growable buffer.
 *
 * Ownership: every sq_json_value and every string it points to lives in the
 * arena passed to sq_json_parse (strings without escapes may instead point
 * straight into the input, which must then outlive the tree). */
#ifndef SQUALL_JSON_H
#define SQUALL_JSON_H

#include "squall/arena.h"
#include "squall/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sq_json_type {
    SQ_JSON_NULL = 0,
    SQ_JSON_FALSE,
    SQ_JSON_TRUE,
    SQ_JSON_INT,    /* fits int64: u.i */
    SQ_JSON_BIGINT, /* integer literal beyond int64: u.str holds its digits ("-123...") */
    SQ_JSON_FLOAT,  /* u.f (finite) */
    SQ_JSON_STRING, /* u.str: valid UTF-8 (lone surrogate escapes rejected) */
    SQ_JSON_ARRAY,  /* u.arr */
    SQ_JSON_OBJECT  /* u.obj, members in document order, duplicate keys kept */
} sq_json_type;

typedef struct sq_json_value sq_json_value;
typedef struct sq_json_member sq_json_member;

struct sq_json_value {
    sq_json_type type;
    union {
        int64_t i;
        double f;
        struct { const char *ptr; size_t len; } str; /* not NUL-terminated */
        struct { sq_json_value *items; size_t len; } arr;
        struct { sq_json_member *members; size_t len; } obj;
    } u;
};

struct sq_json_member {
    const char *key;
    size_t key_len;
    sq_json_value value;
};

typedef struct sq_json_parse_options {
    int max_depth;  /* 0 -> 256 */
} sq_json_parse_options;

typedef struct sq_json_error {
    size_t offset;      /* byte offset of the error in the input */
    const char *reason; /* static text, e.g. "unexpected character" */
} sq_json_error;

/* Parse a complete document. Returns 0 and *out, or SQ_EINVAL with *err
 * filled, or SQ_ENOMEM. `opts` may be NULL. */
int sq_json_parse(const char *input, size_t len, sq_arena *arena, const sq_json_parse_options *opts,
                  sq_json_value **out, sq_json_error *err);

/* Object member lookup (first match), NULL if absent. */
const sq_json_value *sq_json_get(const sq_json_value *obj, const char *key, size_t key_len);

/* Growable output buffer (malloc-backed). */
typedef struct sq_buf {
    char *data;
    size_t len;
    size_t cap;
} sq_buf;

void sq_buf_init(sq_buf *b);
int sq_buf_reserve(sq_buf *b, size_t extra); /* 0 or SQ_ENOMEM */
int sq_buf_append(sq_buf *b, const void *data, size_t len);
void sq_buf_free(sq_buf *b);

/* Writer primitives (all return 0 or SQ_ENOMEM / SQ_EINVAL). */
int sq_json_write_string(sq_buf *b, const char *s, size_t len); /* quotes + escapes; UTF-8 in */
int sq_json_write_int(sq_buf *b, int64_t v);
int sq_json_write_double(sq_buf *b, double v); /* shortest round-trip; NaN/Inf -> SQ_EINVAL */
int sq_json_write_value(sq_buf *b, const sq_json_value *v); /* compact serialisation */

#ifdef __cplusplus
}
#endif
#endif
