/* Squall core: a route's request validator.
 *
 * A language binding describes what a route declares as one JSON document
 * (the "route spec", below), compiles it once at start-up with
 * sq_validator_compile, and registers the result with the route. For every
 * request the server then extracts, coerces and validates path, query,
 * header and cookie parameters and the body in C, collects every error,
 * and either answers 422 (RFC 9457 problem+json, rendered by
 * sq_problem_render_validation) or hands the typed values to the handler in
 * sq_request.validation.
 *
 * Route spec (JSON):
 * {
 *   "parameters": [
 *     {"name": "item_id",        // the handler's name for it (reported back)
 *      "source": "path" | "query" | "header" | "cookie",
 *      "key": "item-id",         // the name on the wire (alias); headers match case-insensitively
 *      "required": true,         // missing -> error "missing"
 *      "default": <json>,        // used when absent and not required (may be absent: null)
 *      "separator": ",",         // optional: split a single query value into a list
 *      "schema": {JSON Schema}   // of the coerced value: integer, number, boolean, string
 *                                //   (with format/pattern/lengths), enum, array of those
 *     }, ...
 *   ],
 *   "body": {                    // optional
 *     "media": "json" | "form" | "multipart",
 *     "required": true,
 *     "schema": {JSON Schema},   // Draft 2020-12 (+ draft-07 definitions/dependencies)
 *     "embed_fields": false      // form/multipart: schema is an object of fields
 *   }
 * }
 *
 * Ownership: the validator is immutable after compilation and may be shared
 * by threads. A sq_validation lives in the request's arena: valid as long as
 * the sq_request that carries it. */
#ifndef SQUALL_VALIDATOR_H
#define SQUALL_VALIDATOR_H

#include "squall/arena.h"
#include "squall/common.h"
#include "squall/handler.h"
#include "squall/json.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_validator sq_validator;

/* One error, in pydantic's shape (the conformance fixtures' format). */
typedef struct sq_validation_error {
    const char *type;              /* "missing", "int_parsing", ... (static or arena) */
    const sq_json_value *loc;      /* array: ["query", "limit"], ["body", "items", 0, "sku"] */
    const char *msg;               /* NUL-terminated, arena */
    const sq_json_value *input;    /* the offending input; NULL = omit */
    const sq_json_value *ctx;      /* object or NULL = omit */
} sq_validation_error;

typedef struct sq_validation {
    /* One value per spec parameter, in spec order: the coerced value, the
     * default, or NULL when absent and optional without default. */
    const sq_json_value *const *values;
    size_t num_values;
    const sq_json_value *body;     /* parsed and validated body, NULL if none */
    const sq_validation_error *errors;
    size_t num_errors;
    int status;                    /* 0 when valid; else the reply status (422, 415, 400, 413) */
} sq_validation;

/* Compile a route spec. `path_params` is the list of parameter names the
 * route template declares (so a spec can be checked against it). On failure
 * returns NULL and writes a NUL-terminated reason into errbuf (an unknown
 * JSON Schema keyword is an error). */
sq_validator *sq_validator_compile(const char *spec_json, size_t len, char *errbuf, size_t errbuf_len);
void sq_validator_free(sq_validator *v);

/* Number of parameters and the name of each (as given in the spec). */
size_t sq_validator_num_params(const sq_validator *v);
const char *sq_validator_param_name(const sq_validator *v, size_t i);

/* Validate one request. `req` is the core's view (path params, query pairs,
 * headers, body). Everything allocated lives in `arena`. Returns 0 (result
 * in *out, possibly with errors), or SQ_ENOMEM. Never reads past the view. */
int sq_validator_run(const sq_validator *v, const sq_request *req, sq_arena *arena,
                     sq_validation *out);

/* Render the 422 (or other status) problem+json body for a failed
 * validation into `out` (appended). `type_base` is the URI prefix, e.g.
 * "https://squall.dev/errors/" -> ".../validation-error". */
int sq_problem_render_validation(const sq_validation *val, const char *type_base, sq_buf *out);

/* Render a generic RFC 9457 body {"type","title","status","detail"}. */
int sq_problem_render(int status, const char *title, const char *detail, const char *type_base,
                      sq_buf *out);

#ifdef __cplusplus
}
#endif
#endif
