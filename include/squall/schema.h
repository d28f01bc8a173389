/* Squall core: JSON Schema (Draft 2020-12, plus draft-07's `definitions`
 * and `dependencies`) compiled once into an immutable validator tree, and
 * validation of a parsed JSON document against it that collects every
 * error in pydantic's shape (type, loc, msg, input, ctx) as the conformance
 * fixtures expect.
 *
 * Ownership: sq_schema_compile copies what it needs from the document; the
 * compiled schema is immutable and thread-safe to share. Errors live in the
 * arena of the error list. Validating a valid document allocates nothing. */
#ifndef SQUALL_SCHEMA_H
#define SQUALL_SCHEMA_H

#include "squall/arena.h"
#include "squall/common.h"
#include "squall/json.h"
#include "squall/validator.h" /* sq_validation_error */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_schema sq_schema;

/* Compile. Unknown keywords are an error (annotations such as title,
 * description, examples, default, deprecated, $comment, readOnly,
 * writeOnly, contentMediaType, ... are accepted and ignored, as are unknown
 * `format` values). Returns NULL with a reason in errbuf on failure. */
sq_schema *sq_schema_compile(const sq_json_value *doc, char *errbuf, size_t errbuf_len);
void sq_schema_free(sq_schema *s);

/* A growable error list in an arena. */
typedef struct sq_error_list {
    sq_validation_error *items;
    size_t len;
    size_t cap;
    sq_arena *arena;
} sq_error_list;

void sq_error_list_init(sq_error_list *l, sq_arena *arena);
/* Appends a copy of *e (pointers inside are kept as they are). */
int sq_error_list_add(sq_error_list *l, const sq_validation_error *e);

/* A location under construction: a stack of path elements (strings or
 * integers) that the validator pushes and pops while descending. */
typedef struct sq_loc {
    sq_json_value items[64];
    size_t len;
} sq_loc;

/* Materialise the current location as an arena JSON array. */
const sq_json_value *sq_loc_to_json(const sq_loc *loc, sq_arena *arena);

/* Validate `instance`. Errors are appended to `errors` with `loc` (e.g.
 * ["body"] or ["query", "tags"]) as the prefix of their location.
 * Returns the number of errors added (0 = valid) or SQ_ENOMEM.
 * The errors added by one call are sorted by location (as the fixtures
 * list them); array indices the validator adds to a location are strings
 * ("2"), the caller's prefix is kept as given. Strings are accepted where
 * numbers/booleans are expected when they read as one (pydantic's lax
 * mode: "42" for an integer); the error `input` is the value as sent.
 * The rules are listed at the top of src/core/schema_validate.c. */
int sq_schema_validate(const sq_schema *s, const sq_json_value *instance, sq_loc *loc,
                       sq_error_list *errors);

/* Like sq_schema_validate, and also writes the values accepted by pydantic's
 * lax conversions back into the document ("42" -> 42 where an integer is
 * expected, "true" -> true for a boolean), so the handler receives typed
 * values. The document must be writable (e.g. parsed into the request's
 * arena). */
int sq_schema_validate_coerce(const sq_schema *s, sq_json_value *instance, sq_loc *loc,
                              sq_error_list *errors);

/* Like sq_schema_validate, and also points the key of every object member
 * that matches a declared property at the schema's own copy of that name
 * (the same bytes, valid while the schema lives; see
 * sq_schema_property_name). A binding that prepared an object for each
 * declared name once can then find it by the key's address, with no hash
 * or comparison of the bytes. The document must be writable; nothing else
 * in it changes. */
int sq_schema_validate_intern_keys(const sq_schema *s, sq_json_value *instance, sq_loc *loc,
                                   sq_error_list *errors);

/* The names declared under `properties` anywhere in the schema, in no
 * particular order (a name declared by several nodes is listed once per
 * node). The pointers are those sq_schema_validate_intern_keys writes into
 * member keys; they live as long as the schema. */
size_t sq_schema_num_property_names(const sq_schema *s);
const char *sq_schema_property_name(const sq_schema *s, size_t i, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
