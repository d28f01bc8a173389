/* The body of a failed validation: the 422 RFC 9457 envelope with its
 * error list (keys in the conformance fixtures' order: type, title,
 * status, detail, errors; each error type, loc, msg, input, ctx with input
 * and ctx left out when NULL), the 415 problems, and the small JSON
 * objects the fixtures expect for the 400s. */
#include <stdio.h>
#include <string.h>

#include "validator_internal.h"

#define DEFAULT_TYPE_BASE "https://squall.dev/errors/"

static int put(sq_buf *out, const char *s) {
    return sq_buf_append(out, s, strlen(s)) < 0 ? SQ_ENOMEM : 0;
}

static int put_string(sq_buf *out, const char *s) {
    int rc = sq_json_write_string(out, s, strlen(s));
    return rc < 0 ? rc : 0;
}

/* A value from the request. It was checked or replaced to be valid UTF-8;
 * should the writer still refuse it, null is written instead of a broken
 * document. */
static int put_value(sq_buf *out, const sq_json_value *v) {
    size_t mark = out->len;
    int rc = sq_json_write_value(out, v);
    if (rc == SQ_EINVAL) {
        out->len = mark;
        return put(out, "null");
    }
    return rc < 0 ? rc : 0;
}

static int render_error(sq_buf *out, const sq_validation_error *e) {
    int rc;
    if ((rc = put(out, "{\"type\":")) || (rc = put_string(out, e->type ? e->type : "value_error")) ||
        (rc = put(out, ",\"loc\":")))
        return rc;
    if (e->loc) {
        if ((rc = put_value(out, e->loc)))
            return rc;
    } else if ((rc = put(out, "[]"))) {
        return rc;
    }
    if ((rc = put(out, ",\"msg\":")) || (rc = put_string(out, e->msg ? e->msg : "")))
        return rc;
    if (e->input && ((rc = put(out, ",\"input\":")) || (rc = put_value(out, e->input))))
        return rc;
    if (e->ctx && ((rc = put(out, ",\"ctx\":")) || (rc = put_value(out, e->ctx))))
        return rc;
    return put(out, "}");
}

static int render_422(const sq_validation *val, const char *type_base, sq_buf *out) {
    char head[64];
    int rc;
    if ((rc = put(out, "{\"type\":")))
        return rc;
    size_t bl = strlen(type_base);
    char type[512];
    if (bl > sizeof type - 32)
        bl = sizeof type - 32;
    memcpy(type, type_base, bl);
    memcpy(type + bl, "validation-error", sizeof "validation-error");
    if ((rc = put_string(out, type)))
        return rc;
    if ((rc = put(out, ",\"title\":\"Request Validation Failed\",\"status\":422,\"detail\":")))
        return rc;
    snprintf(head, sizeof head, "\"%zu validation error%s in request\"", val->num_errors,
             val->num_errors == 1 ? "" : "s");
    if ((rc = put(out, head)) || (rc = put(out, ",\"errors\":[")))
        return rc;
    for (size_t i = 0; i < val->num_errors; i++) {
        if (i && (rc = put(out, ",")))
            return rc;
        if ((rc = render_error(out, &val->errors[i])))
            return rc;
    }
    return put(out, "]}");
}

static int render_small(sq_buf *out, const char *key, const char *text) {
    int rc;
    if ((rc = put(out, "{")) || (rc = put_string(out, key)) || (rc = put(out, ":")) ||
        (rc = put_string(out, text)))
        return rc;
    return put(out, "}");
}

int sq_problem_render_validation(const sq_validation *val, const char *type_base, sq_buf *out) {
    if (!type_base)
        type_base = DEFAULT_TYPE_BASE;
    switch (val->problem) {
    case SQ_VPROBLEM_MEDIA_TYPE:
        return sq_problem_render(415, "Unsupported Media Type",
                                 val->problem_detail ? val->problem_detail : "Unsupported media type",
                                 type_base, out);
    case SQ_VPROBLEM_CHARSET:
        return sq_problem_render(415, "Unsupported Charset",
                                 val->problem_detail ? val->problem_detail : "Unsupported charset", type_base,
                                 out);
    case SQ_VPROBLEM_TOO_LARGE:
        return sq_problem_render(413, "Payload Too Large",
                                 val->problem_detail ? val->problem_detail : "Payload too large", type_base,
                                 out);
    case SQ_VPROBLEM_MALFORMED_JSON:
        return render_small(out, "detail",
                            val->problem_detail ? val->problem_detail : "Invalid request format");
    case SQ_VPROBLEM_TOO_DEEP:
    case SQ_VPROBLEM_NO_BOUNDARY:
    case SQ_VPROBLEM_BAD_FORM:
        return render_small(out, "error", val->problem_detail ? val->problem_detail : "Bad request");
    default:
        return render_422(val, type_base, out);
    }
}

const char *sq_validation_content_type(const sq_validation *val) {
    switch (val->problem) {
    case SQ_VPROBLEM_MALFORMED_JSON:
    case SQ_VPROBLEM_TOO_DEEP:
    case SQ_VPROBLEM_NO_BOUNDARY:
    case SQ_VPROBLEM_BAD_FORM:
        return "application/json";
    default:
        return "application/problem+json";
    }
}

/* ======================================================================
 * The jsonschema style of parameter errors
 *
 * A parameter compiled with "error_style": "jsonschema" reports constraint
 * failures the way JSON Schema validators word them (the conformance
 * fixtures' second dialect, e.g. query_params/50): type "validation_error",
 * a message such as "Value must be greater than 0", a ctx naming the
 * keyword and the offending value, and no input. The schema validator
 * speaks pydantic; this rewrites its errors for such a parameter.
 * ====================================================================== */

static sq_json_value *new_value(sq_arena *a, sq_json_type t) {
    sq_json_value *v = sq_arena_alloc(a, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = t;
    }
    return v;
}

static sq_json_value *int_value(sq_arena *a, int64_t i) {
    sq_json_value *v = new_value(a, SQ_JSON_INT);
    if (v)
        v->u.i = i;
    return v;
}

/* An object of up to three members; NULL values end the list. */
static const sq_json_value *ctx3(sq_arena *a, const char *k1, const sq_json_value *v1, const char *k2,
                                 const sq_json_value *v2, const char *k3, const sq_json_value *v3) {
    const char *keys[3] = {k1, k2, k3};
    const sq_json_value *vals[3] = {v1, v2, v3};
    size_t n = 0;
    while (n < 3 && keys[n] && vals[n])
        n++;
    sq_json_value *o = new_value(a, SQ_JSON_OBJECT);
    sq_json_member *m = sq_arena_alloc(a, (n ? n : 1) * sizeof *m);
    if (!o || !m)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        m[i].key = keys[i];
        m[i].key_len = strlen(keys[i]);
        m[i].value = *vals[i];
    }
    o->u.obj.members = m;
    o->u.obj.len = n;
    return o;
}

/* The first member's value of a pydantic ctx ({"gt": 0} -> 0). */
static const sq_json_value *ctx_first(const sq_validation_error *e) {
    if (!e->ctx || e->ctx->type != SQ_JSON_OBJECT || e->ctx->u.obj.len == 0)
        return NULL;
    return &e->ctx->u.obj.members[0].value;
}

static char *number_text(sq_arena *a, const sq_json_value *v) {
    sq_buf b;
    sq_buf_init(&b);
    char *out = NULL;
    if (v && sq_json_write_value(&b, v) == 0)
        out = sq_arena_strndup(a, b.data ? b.data : "", b.len);
    sq_buf_free(&b);
    return out;
}

static char *msg_with(sq_arena *a, const char *prefix, const sq_json_value *num, const char *suffix) {
    char *n = number_text(a, num);
    if (!n)
        return NULL;
    size_t pl = strlen(prefix), nl = strlen(n), sl = strlen(suffix);
    char *m = sq_arena_alloc(a, pl + nl + sl + 1);
    if (!m)
        return NULL;
    memcpy(m, prefix, pl);
    memcpy(m + pl, n, nl);
    memcpy(m + pl + nl, suffix, sl + 1);
    return m;
}

static size_t code_points(const sq_json_value *v) {
    size_t n = 0;
    if (v && v->type == SQ_JSON_STRING)
        for (size_t i = 0; i < v->u.str.len; i++)
            n += ((unsigned char)v->u.str.ptr[i] & 0xC0) != 0x80;
    return n;
}

static int scalar_equal(const sq_json_value *x, const sq_json_value *y) {
    if (x->type != y->type)
        return 0;
    switch (x->type) {
    case SQ_JSON_INT:
        return x->u.i == y->u.i;
    case SQ_JSON_FLOAT:
        return x->u.f == y->u.f;
    case SQ_JSON_STRING:
    case SQ_JSON_BIGINT:
        return x->u.str.len == y->u.str.len && memcmp(x->u.str.ptr, y->u.str.ptr, x->u.str.len) == 0;
    case SQ_JSON_NULL:
    case SQ_JSON_TRUE:
    case SQ_JSON_FALSE:
        return 1;
    default:
        return 0; /* parameters hold scalars only */
    }
}

static const char *format_message(const char *format) {
    static const struct {
        const char *format, *msg;
    } t[] = {
        {"email", "Invalid email format"},         {"ipv4", "Invalid IPv4 address format"},
        {"ipv6", "Invalid IPv6 address format"},   {"date", "Invalid date format"},
        {"date-time", "Invalid date-time format"}, {"time", "Invalid time format"},
        {"uuid", "Invalid UUID format"},           {"uri", "Invalid URI format"},
        {"hostname", "Invalid hostname format"},   {"duration", "Invalid duration format"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (strcmp(t[i].format, format) == 0)
            return t[i].msg;
    return "Invalid format";
}

/* Rewrite one error; `value` is the parameter's coerced value (NULL when
 * coercion failed: then `raw` is the text). Returns 0, or SQ_ENOMEM. */
static int restyle(sq_validation_error *e, const sq_json_value *value, const sq_json_value *raw,
                   const char *format, sq_arena *a) {
    const char *t = e->type;
    const sq_json_value *limit = ctx_first(e);
    const sq_json_value *val = value ? value : (raw ? raw : e->input);
    const char *msg = NULL;
    const sq_json_value *ctx = NULL;
    sq_json_value *fmt = NULL;
    if (format) {
        fmt = new_value(a, SQ_JSON_STRING);
        if (!fmt)
            return SQ_ENOMEM;
        fmt->u.str.ptr = format;
        fmt->u.str.len = strlen(format);
    }
    int is_format_error = format && (strcmp(t, "string_pattern_mismatch") == 0 ||
                                     strcmp(t, "date_parsing") == 0 || strcmp(t, "datetime_parsing") == 0 ||
                                     strcmp(t, "time_parsing") == 0 || strncmp(t, "ip_", 3) == 0 ||
                                     strcmp(t, "value_error") == 0 || strcmp(t, "url_parsing") == 0);
    if (is_format_error) {
        msg = format_message(format);
        ctx = ctx3(a, "format", fmt, "value", val, NULL, NULL);
    } else if (strcmp(t, "string_pattern_mismatch") == 0) {
        msg = "String does not match pattern";
        ctx = ctx3(a, "pattern", limit, "value", val, NULL, NULL);
    } else if (strcmp(t, "string_too_short") == 0 || strcmp(t, "string_too_long") == 0) {
        int short_ = t[7] == 't' && t[11] == 's';
        msg = msg_with(a, short_ ? "String length must be at least " : "String length must not exceed ",
                       limit, "");
        ctx = ctx3(a, short_ ? "min_length" : "max_length", limit, "actual_length",
                   int_value(a, (int64_t)code_points(val)), NULL, NULL);
    } else if (strcmp(t, "too_short") == 0 || strcmp(t, "too_long") == 0) {
        int short_ = t[4] == 's';
        size_t n = val && val->type == SQ_JSON_ARRAY ? val->u.arr.len : 0;
        msg = msg_with(a, short_ ? "Array must contain at least " : "Array must contain at most ", limit,
                       " items");
        ctx = ctx3(a, short_ ? "min_items" : "max_items", limit, "actual_items", int_value(a, (int64_t)n),
                   NULL, NULL);
    } else if (strcmp(t, "greater_than") == 0) {
        msg = msg_with(a, "Value must be greater than ", limit, "");
        ctx = ctx3(a, "exclusive_minimum", limit, "value", val, NULL, NULL);
    } else if (strcmp(t, "greater_than_equal") == 0) {
        msg = msg_with(a, "Value must be greater than or equal to ", limit, "");
        ctx = ctx3(a, "minimum", limit, "value", val, NULL, NULL);
    } else if (strcmp(t, "less_than") == 0) {
        msg = msg_with(a, "Value must be less than ", limit, "");
        ctx = ctx3(a, "exclusive_maximum", limit, "value", val, NULL, NULL);
    } else if (strcmp(t, "less_than_equal") == 0) {
        msg = msg_with(a, "Value must be less than or equal to ", limit, "");
        ctx = ctx3(a, "maximum", limit, "value", val, NULL, NULL);
    } else if (strcmp(t, "multiple_of") == 0) {
        msg = msg_with(a, "Value must be a multiple of ", limit, "");
        ctx = ctx3(a, "multiple_of", limit, "value", val, NULL, NULL);
    } else if (val && val->type == SQ_JSON_ARRAY && e->msg && strstr(e->msg, "non-unique")) {
        size_t dup = 0;
        for (size_t j = 1; j < val->u.arr.len && !dup; j++)
            for (size_t i = 0; i < j && !dup; i++)
                if (scalar_equal(&val->u.arr.items[i], &val->u.arr.items[j]))
                    dup = j;
        if (!dup)
            return 0;
        msg = "Array items must be unique";
        ctx = ctx3(a, "unique_items", new_value(a, SQ_JSON_TRUE), "duplicate_value", &val->u.arr.items[dup],
                   "duplicate_index", int_value(a, (int64_t)dup));
    } else {
        return 0; /* missing, type errors, enum...: no other wording */
    }
    if (!msg || !ctx)
        return SQ_ENOMEM;
    e->type = "validation_error";
    e->msg = msg;
    e->ctx = ctx;
    e->input = NULL;
    return 0;
}

int sq__restyle_param_errors(sq_validation_error *errors, size_t n, const sq_json_value *value,
                             const sq_json_value *raw, const char *format, sq_arena *arena) {
    for (size_t i = 0; i < n; i++) {
        int rc = restyle(&errors[i], value, raw, format, arena);
        if (rc != 0)
            return rc;
    }
    return 0;
}
