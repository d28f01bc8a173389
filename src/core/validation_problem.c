/* The body of a failed validation: the 422 RFC 9457 envelope with its
 * error list (keys in the conformance fixtures' order: type, title,
 * status, detail, errors; each error type, loc, msg, input, ctx with input
 * and ctx left out when NULL), the 415 problems, and the small JSON
 * objects the fixtures expect for the 400s. */
#include <stdio.h>
#include <string.h>

#include "validator_internal.h"

#define DEFAULT_TYPE_BASE "https://squall.dev/errors/"

static int put(sq_buf *out, const char *s) { return sq_buf_append(out, s, strlen(s)) < 0 ? SQ_ENOMEM : 0; }

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
        if ((rc = put_value(out, e->loc))) return rc;
    } else if ((rc = put(out, "[]"))) {
        return rc;
    }
    if ((rc = put(out, ",\"msg\":")) || (rc = put_string(out, e->msg ? e->msg : ""))) return rc;
    if (e->input && ((rc = put(out, ",\"input\":")) || (rc = put_value(out, e->input)))) return rc;
    if (e->ctx && ((rc = put(out, ",\"ctx\":")) || (rc = put_value(out, e->ctx)))) return rc;
    return put(out, "}");
}

static int render_422(const sq_validation *val, const char *type_base, sq_buf *out) {
    char head[64];
    int rc;
    if ((rc = put(out, "{\"type\":"))) return rc;
    size_t bl = strlen(type_base);
    char type[512];
    if (bl > sizeof type - 32) bl = sizeof type - 32;
    memcpy(type, type_base, bl);
    memcpy(type + bl, "validation-error", sizeof "validation-error");
    if ((rc = put_string(out, type))) return rc;
    if ((rc = put(out, ",\"title\":\"Request Validation Failed\",\"status\":422,\"detail\":"))) return rc;
    snprintf(head, sizeof head, "\"%zu validation error%s in request\"", val->num_errors,
             val->num_errors == 1 ? "" : "s");
    if ((rc = put(out, head)) || (rc = put(out, ",\"errors\":["))) return rc;
    for (size_t i = 0; i < val->num_errors; i++) {
        if (i && (rc = put(out, ","))) return rc;
        if ((rc = render_error(out, &val->errors[i]))) return rc;
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
    if (!type_base) type_base = DEFAULT_TYPE_BASE;
    switch (val->problem) {
    case SQ_VPROBLEM_MEDIA_TYPE:
        return sq_problem_render(415, "Unsupported Media Type",
                                 val->problem_detail ? val->problem_detail : "Unsupported media type", type_base, out);
    case SQ_VPROBLEM_CHARSET:
        return sq_problem_render(415, "Unsupported Charset",
                                 val->problem_detail ? val->problem_detail : "Unsupported charset", type_base, out);
    case SQ_VPROBLEM_TOO_LARGE:
        return sq_problem_render(413, "Payload Too Large",
                                 val->problem_detail ? val->problem_detail : "Payload too large", type_base, out);
    case SQ_VPROBLEM_MALFORMED_JSON:
        return render_small(out, "detail", val->problem_detail ? val->problem_detail : "Invalid request format");
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
