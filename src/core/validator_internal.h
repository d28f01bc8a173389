/* Squall core, internal: what the route validator's files share.
 *
 * validator.c compiles a route spec into sq__param entries and a body plan;
 * param_coerce.c turns request text into typed JSON values following a
 * sq__value_plan; body_decode.c turns a request body into a JSON value by
 * its Content-Type; validation_problem.c renders the results. */
#ifndef SQUALL_VALIDATOR_INTERNAL_H
#define SQUALL_VALIDATOR_INTERNAL_H

#include "squall/arena.h"
#include "squall/common.h"
#include "squall/json.h"
#include "squall/schema.h"
#include "squall/validator.h"

/* ---- Coercion plans: what a text value must become ---- */

typedef enum sq__coerce_kind {
    SQ__COERCE_STRING = 0, /* kept as text (also: no declared type) */
    SQ__COERCE_INTEGER,
    SQ__COERCE_NUMBER,
    SQ__COERCE_BOOLEAN
} sq__coerce_kind;

typedef enum sq__coerce_format {
    SQ__FORMAT_NONE = 0,
    SQ__FORMAT_UUID,    /* uuid_parsing */
    SQ__FORMAT_DATE,    /* date_parsing */
    SQ__FORMAT_DATETIME /* datetime_parsing */
} sq__coerce_format;

typedef struct sq__scalar_plan {
    unsigned char kind;   /* sq__coerce_kind */
    unsigned char format; /* sq__coerce_format, strings only */
} sq__scalar_plan;

typedef struct sq__value_plan {
    sq__scalar_plan scalar; /* the value itself, or each item of an array */
    int is_array;           /* schema type "array": repeats (or a separator) make the list */
} sq__value_plan;

/* Derive the plan from a parameter's JSON Schema: "type" (a string, or a
 * list whose first non-null entry counts), "anyOf"/"oneOf" of a type and
 * null (Optional[...]), "enum" of strings, "format", "items". Anything it
 * does not recognise is left as text for the schema to judge. */
void sq__plan_from_schema(const sq_json_value *schema, sq__value_plan *out);

/* A coercion failure, in pydantic's words; the error's input is the text sent. */
typedef struct sq__coerce_error {
    const char *type; /* static */
    const char *msg;  /* static or arena */
} sq__coerce_error;

/* Coerce `text` (not NUL-terminated) to `plan` into *out. String results
 * point into `text` (no copy) unless normalised (uuid), then into `arena`.
 * Returns 0, 1 with *err filled (the value is not valid), or SQ_ENOMEM. */
int sq__coerce_scalar(const sq__scalar_plan *plan, const char *text, size_t len, sq_arena *arena,
                      sq_json_value *out, sq__coerce_error *err);

/* Text as a JSON string: points into `text` when it is valid UTF-8, else
 * an arena copy with each invalid byte replaced by U+FFFD. 0 or SQ_ENOMEM. */
int sq__utf8_text(const char *text, size_t len, sq_arena *arena, sq_json_value *out);

/* Build the JSON value an error reports as `input` for a failed coercion. */
const sq_json_value *sq__coerce_error_input(const sq__coerce_error *err, const char *text, size_t len,
                                            sq_arena *arena);

/* Rewrite a parameter's errors errors[0..n) in the jsonschema style (see
 * validation_problem.c). `value` is the coerced value or NULL, `raw` the
 * text as a JSON string, `format` the schema's "format" or NULL.
 * 0 or SQ_ENOMEM. */
int sq__restyle_param_errors(sq_validation_error *errors, size_t n, const sq_json_value *value,
                             const sq_json_value *raw, const char *format, sq_arena *arena);

/* ---- Compiled route spec ---- */

typedef enum sq__param_source {
    SQ__SOURCE_PATH = 0,
    SQ__SOURCE_QUERY,
    SQ__SOURCE_HEADER,
    SQ__SOURCE_COOKIE
} sq__param_source;

typedef struct sq__param {
    const char *name; /* handler's name, NUL-terminated (validator arena) */
    const char *key;  /* wire key; lowercased for headers */
    size_t key_len;
    const char *loc_key; /* second element of the error location */
    size_t loc_key_len;
    int source; /* sq__param_source */
    int required;
    const sq_json_value *default_value; /* NULL: none */
    const char *separator;              /* NULL: none */
    size_t separator_len;
    sq__value_plan plan;
    sq_schema *schema;    /* NULL: nothing beyond coercion */
    int jsonschema_style; /* "error_style": "jsonschema" */
    int format_asserted;  /* "coerce_format": false: the text stays, its format is only checked */
    const char *format;   /* the schema's "format" (NUL-terminated) or NULL */
} sq__param;

typedef enum sq__body_media {
    SQ__BODY_NONE = 0,
    SQ__BODY_JSON,
    SQ__BODY_FORM,     /* urlencoded (multipart accepted too) */
    SQ__BODY_MULTIPART /* multipart (urlencoded accepted too) */
} sq__body_media;

/* One top-level field of a form body, with the plan its text follows. */
typedef struct sq__form_field {
    const char *name;
    size_t name_len;
    sq__value_plan plan;
} sq__form_field;

/* A file field's own checks ("files" in the body spec). */
typedef struct sq__file_spec {
    const char *name;
    size_t name_len;
    int required;
    int check_magic;                    /* compare the bytes' signature with the declared type */
    const sq_json_value *content_types; /* array of allowed types, or NULL */
} sq__file_spec;

typedef struct sq__body_spec {
    int media; /* sq__body_media */
    int required;
    int max_depth;          /* JSON nesting limit; 0: the parser's default */
    sq_schema *schema;      /* NULL: any */
    sq__form_field *fields; /* from the schema's "properties" (form bodies) */
    size_t num_fields;
    sq__file_spec *files; /* "files" */
    size_t num_files;
} sq__body_spec;

/* ---- Body decoding ---- */

/* Result of decoding a body, before schema validation. */
typedef struct sq__body_result {
    const sq_json_value *value;      /* NULL: no body */
    int problem;                     /* sq_validation_problem, SQ_VPROBLEM_NONE if decoded */
    const char *problem_detail;      /* arena or static text, for the problem */
    const sq_validation_file *files; /* multipart file parts, in body order */
    size_t num_files;
} sq__body_result;

/* Decode req->body following `spec`. Coercion errors of form fields are
 * added to `errors` (location ["body", field(, index)]) and their names
 * recorded in `failed` so the schema's errors about them can be dropped.
 * Returns 0 or SQ_ENOMEM. */
typedef struct sq__failed_fields {
    const char **names;
    size_t *lens;
    size_t len, cap;
} sq__failed_fields;

int sq__body_decode(const sq__body_spec *spec, const sq_request *req, sq_arena *arena, sq_error_list *errors,
                    sq__failed_fields *failed, sq__body_result *out);

/* The checks of spec->files on the decoded parts (errors located
 * ["files", name]). 0 or SQ_ENOMEM. */
int sq__check_files(const sq__body_spec *spec, const sq_validation_file *files, size_t num_files,
                    sq_arena *arena, sq_error_list *errors);

/* Case-insensitive header lookup: the i-th header named `name`, from
 * index `from`; returns its index or -1. */
long sq__find_header(const sq_request *req, const char *name, size_t name_len, size_t from);

/* ASCII case-insensitive equality. */
int sq__ascii_ieq(const char *a, size_t alen, const char *b, size_t blen);

/* Small arena constructors. */
sq_json_value *sq__json_string(sq_arena *arena, const char *s, size_t len);
const sq_json_value *sq__json_null(void);

#endif
