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
 *      "schema": {JSON Schema},  // of the coerced value: integer, number, boolean, string
 *                                //   (with format/pattern/lengths), enum, array of those
 *      "error_style": "pydantic" // optional: or "jsonschema" (below)
 *      "coerce_format": true     // optional: false asserts "format" on the text (below)
 *     }, ...
 *   ],
 *   "body": {                    // optional
 *     "media": "json" | "form" | "multipart",
 *     "required": true,
 *     "schema": {JSON Schema},   // Draft 2020-12 (+ draft-07 definitions/dependencies)
 *     "embed_fields": false,     // form/multipart: schema is an object of fields
 *     "max_depth": 32,           // optional: JSON nesting limit (deeper -> 400)
 *     "files": {                 // optional, multipart: checks of file fields
 *       "image": {"required": true, "content_types": ["image/png"],
 *                 "validate_magic_numbers": true}}
 *   }
 * }
 *
 * Details of the spec (sq_validator_compile checks them):
 * - "required" is false when absent; "default" is then reported when the
 *   parameter is absent (values[i] points into the validator: it lives as
 *   long as the validator). "key" defaults to "name".
 * - Header keys are compared case-insensitively and reported lowercased in
 *   error locations (["headers", "x-api-key"]); cookie errors use
 *   ["cookie", name], the others ["query"|"path", key].
 * - A query scalar repeated takes the last value (as Starlette's
 *   QueryParams); a header scalar the first occurrence; arrays take every
 *   repeat, each split on "separator" when one is declared.
 * - Coercion follows the schema: "type" (or the first non-null type of a
 *   list, or of an anyOf/oneOf with null), "format" uuid/date/date-time,
 *   "items" for arrays. Booleans accept true/false/1/0/yes/no/on/off/t/f/y/n
 *   in any case, and the empty string as false. The coerced value is then
 *   validated against the compiled schema (constraints, enum, ...).
 * - Bodies: "json" accepts application/json and application/<x>+json with
 *   charset utf-8 (or none), and a body without Content-Type; "form" and
 *   "multipart" accept both form encodings. A form becomes a JSON object of
 *   its fields ("tags[]" is the field "tags"; repeats make a list when the
 *   schema's property is an array, else the last value wins), each text
 *   coerced following the schema's "properties", then validated like JSON.
 * - File parts: a multipart part with a filename is a file. In the body
 *   object its field's value is the filename (a JSON string, so a schema
 *   declaring files as {"type": "string", "format": "binary"}, or an array
 *   of those, validates them); its bytes, content type and headers are in
 *   sq_validation.files, in body order, for the binding to build UploadFile
 *   objects (match them to fields by `field`). A part with an empty
 *   filename and no data (a file input left empty) is left out, so a
 *   required file is reported "missing" as FastAPI does.
 * - "error_style": "jsonschema" words a parameter's constraint errors as
 *   JSON Schema validators do, the conformance fixtures' second dialect:
 *   {"type": "validation_error", "msg": "Value must be greater than 0",
 *   "ctx": {"exclusive_minimum": 0, "value": 0}} with no "input" (likewise
 *   minLength/maxLength, minimum/maximum, multipleOf, pattern, formats,
 *   minItems/maxItems, uniqueItems). "missing" and parsing errors keep
 *   pydantic's words. In the fixtures, the parameters written with
 *   "required": true and no "annotation" expect this style.
 * - "coerce_format": false (added) leaves a string with a "format" (uuid,
 *   date, date-time) as the text sent instead of parsing and normalising
 *   it; the schema's format check still rejects a bad value, worded
 *   without a parser's reason ("Input should be a valid UUID"). For a
 *   parameter the handler takes as a plain string with a format
 *   constraint, and for a router's typed segment ({id:uuid}).
 * - "files" checks file parts by field name, errors located ["files",
 *   name]: "missing" when required and absent; a Content-Type outside
 *   "content_types"; with validate_magic_numbers, an empty file ("File
 *   buffer is empty") or bytes whose signature (PNG, JPEG, GIF, PDF, ZIP,
 *   gzip, BMP, WebP) contradicts the declared type ("File type mismatch:
 *   MIME type is image/png but magic numbers indicate image/jpeg").
 * - Unknown keys in the spec are errors, like unknown schema keywords.
 * - Every outcome other than "valid" has num_errors > 0: a 415/400/413
 *   (status and problem set) carries one error describing it (type
 *   "unsupported_media_type", "unsupported_charset", "json_invalid",
 *   "json_too_deep", "form_invalid" or "too_large", loc ["body"]), and
 *   sq_problem_render_validation renders the status's own body.
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

    /* Added: why a non-422 status was chosen (sq_validation_problem) and the
     * detail text to show; sq_problem_render_validation renders it. */
    int problem;
    const char *problem_detail;    /* NUL-terminated, static or arena; may be NULL */

    /* Added: the file parts of a multipart body, in body order (see "File
     * parts" above). NULL / 0 for other bodies. */
    const struct sq_validation_file *files;
    size_t num_files;
} sq_validation;

/* One uploaded file. Slices point into the request body (data, content
 * type, headers) or the request arena (filename): valid as long as the
 * sq_validation. */
typedef struct sq_validation_file {
    sq_slice field;        /* the form field's name */
    sq_slice filename;     /* valid UTF-8 (invalid bytes replaced by U+FFFD); may be empty */
    sq_slice content_type; /* as sent, trimmed; len 0 when the part had none */
    sq_slice data;         /* the raw bytes */
    const sq_header_view *headers; /* every header of the part */
    size_t num_headers;
} sq_validation_file;

/* The non-422 outcomes of validation. The rendered bodies follow the
 * conformance fixtures: problem+json for 415, a small JSON object for the
 * 400s (see sq_validation_content_type). */
typedef enum sq_validation_problem {
    SQ_VPROBLEM_NONE = 0,       /* valid, or 422 with errors */
    SQ_VPROBLEM_MEDIA_TYPE,     /* 415 .../unsupported-media-type */
    SQ_VPROBLEM_CHARSET,        /* 415 .../unsupported-charset (detail names the charset) */
    SQ_VPROBLEM_MALFORMED_JSON, /* 400 {"detail": "Invalid request format"} */
    SQ_VPROBLEM_TOO_DEEP,       /* 400 {"error": "Request body exceeds maximum nesting depth of N"} */
    SQ_VPROBLEM_NO_BOUNDARY,    /* 400 {"error": "multipart/form-data requires 'boundary' parameter"} */
    SQ_VPROBLEM_BAD_FORM,       /* 400 {"error": "Failed to parse ..."} */
    SQ_VPROBLEM_TOO_LARGE       /* 413 .../payload-too-large (a multipart limit) */
} sq_validation_problem;

/* Content-Type of the body sq_problem_render_validation writes for `val`:
 * "application/problem+json" or "application/json". Static. */
const char *sq_validation_content_type(const sq_validation *val);

/* Compile a route spec. `path_params` is the list of parameter names the
 * route template declares (so a spec can be checked against it). On failure
 * returns NULL and writes a NUL-terminated reason into errbuf (an unknown
 * JSON Schema keyword is an error). */
sq_validator *sq_validator_compile(const char *spec_json, size_t len, char *errbuf, size_t errbuf_len);
void sq_validator_free(sq_validator *v);

/* Number of parameters and the name of each (as given in the spec). */
size_t sq_validator_num_params(const sq_validator *v);
const char *sq_validator_param_name(const sq_validator *v, size_t i);

/* The property names a JSON body's schema declares (see
 * sq_schema_property_name). After sq_validator_run, a member of the body's
 * tree whose key matched a declared property of a node that walked it may
 * have its key pointing at one of these copies (same bytes), so a binding
 * can map most keys by address to objects it made once (any other key is
 * still found by its bytes). Valid while the validator lives. */
size_t sq_validator_num_body_property_names(const sq_validator *v);
const char *sq_validator_body_property_name(const sq_validator *v, size_t i, size_t *len);

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

/* Render {"error": error, "message": message}: the body of the core's
 * limit refusals (413, 414, 431) and of 503 while unavailable, the shape
 * the conformance fixtures give those replies (status_codes/19, 21, 23). */
int sq_error_render(const char *error, const char *message, sq_buf *out);

#ifdef __cplusplus
}
#endif
#endif
