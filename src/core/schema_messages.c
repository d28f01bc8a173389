/* Error text for the validator, built in the error list's arena only when
 * there is an error (valid documents never get here). The wording follows
 * pydantic v2 for the keywords pydantic has, and the jsonschema libraries
 * for the others, as the conformance fixtures expect. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema_internal.h"

char *sq__msg_printf(sq_arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *out = sq_arena_alloc(a, (size_t)n + 1);
    if (!out) return NULL;
    if ((size_t)n < sizeof small) {
        memcpy(out, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(out, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return out;
}

char *sq__msg_json(sq_arena *a, const sq_json_value *v) {
    sq_buf b;
    sq_buf_init(&b);
    char *out = NULL;
    if (sq_json_write_value(&b, v) == 0) out = sq_arena_strndup(a, b.data ? b.data : "", b.len);
    sq_buf_free(&b);
    return out;
}

char *sq__msg_number(sq_arena *a, const sq_json_value *v) {
    if (v->type == SQ_JSON_INT) return sq__msg_printf(a, "%lld", (long long)v->u.i);
    if (v->type == SQ_JSON_FLOAT) {
        char tmp[40];
        if (sq__format_double(v->u.f, tmp, sizeof tmp)) return NULL;
        return sq_arena_strndup(a, tmp, strlen(tmp));
    }
    if (v->type == SQ_JSON_BIGINT) return sq_arena_strndup(a, v->u.str.ptr, v->u.str.len);
    return sq__msg_json(a, v);
}

/* One enum member as Python's repr() shows it: 'text', 3, 1.5, True, None. */
static int append_repr(sq_buf *b, const sq_json_value *v) {
    switch (v->type) {
    case SQ_JSON_STRING: {
        int has_single = memchr(v->u.str.ptr, '\'', v->u.str.len) != NULL;
        int has_double = memchr(v->u.str.ptr, '"', v->u.str.len) != NULL;
        const char *q = (has_single && !has_double) ? "\"" : "'";
        int rc = sq_buf_append(b, q, 1);
        if (!rc) rc = sq_buf_append(b, v->u.str.ptr, v->u.str.len);
        if (!rc) rc = sq_buf_append(b, q, 1);
        return rc;
    }
    case SQ_JSON_TRUE: return sq_buf_append(b, "True", 4);
    case SQ_JSON_FALSE: return sq_buf_append(b, "False", 5);
    case SQ_JSON_NULL: return sq_buf_append(b, "None", 4);
    default: return sq_json_write_value(b, v);
    }
}

char *sq__msg_enum_expected(sq_arena *a, const sq_json_value *e) {
    sq_buf b;
    sq_buf_init(&b);
    int rc = 0;
    size_t n = e->u.arr.len;
    for (size_t i = 0; i < n && !rc; i++) {
        if (i > 0) rc = (i == n - 1) ? sq_buf_append(&b, " or ", 4) : sq_buf_append(&b, ", ", 2);
        if (!rc) rc = append_repr(&b, &e->u.arr.items[i]);
    }
    char *out = rc ? NULL : sq_arena_strndup(a, b.data ? b.data : "", b.len);
    sq_buf_free(&b);
    return out;
}
