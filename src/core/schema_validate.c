/* JSON Schema validation of a parsed document against a compiled schema.
 *
 * Two modes share one walker: "collect" records every error (pydantic's
 * shape: type, loc, msg, input, ctx) and "probe" only answers valid or not,
 * stopping at the first failure and allocating nothing; anyOf/oneOf/not/if
 * and `contains` probe their subschemas. Nothing is allocated unless an
 * error is recorded, so validating a valid document allocates nothing (the
 * one exception: uniqueItems over more than 128 items borrows scratch space
 * from the error arena).
 *
 * Rules taken from the conformance fixtures and from what FastAPI (pydantic
 * v2, lax mode) users expect:
 *  - A type mismatch stops the checks of that subschema (pydantic reports
 *    one error per value, not one per keyword).
 *  - Lax numbers: a string that reads as a number is accepted where the
 *    schema wants `integer`/`number` and not `string` ("42" -> 42, "2.5" ->
 *    2.5, "3.0" -> 3 for integers; surrounding whitespace allowed); if it
 *    does not read as one the error is int_parsing / float_parsing, as
 *    pydantic says. Lax booleans: "true/false/1/0/yes/no/on/off/t/f/y/n"
 *    (any case) and the numbers 0/1. sq_schema_validate_coerce also writes
 *    the converted value back into the document.
 *  - `integer` accepts a float with no fractional part (JSON Schema says
 *    1.0 is an integer); 2.5 gives int_from_float.
 *  - A string expected but something else given is reported as the fixtures
 *    do: type "type_error", "Input should be a valid unknown".
 *  - Array indices in `loc` are strings ("2"), as in the fixtures.
 *  - minItems says "item" whatever the count, maxItems says "items" (the
 *    fixtures' wording).
 *  - Keywords pydantic has no error for (const, not, oneOf, anyOf,
 *    min/maxProperties, dependencies, ...) give type "validation_error"
 *    with the jsonschema-rs wording the fixtures use; additionalProperties
 *    false gives "Additional properties are not allowed" with ctx
 *    {additional_properties, unexpected_field}, one per extra key.
 *  - format: email is reported as string_pattern_mismatch with the email
 *    pattern (the fixtures' behaviour); date-time as datetime_parsing, and
 *    the other formats with pydantic's types.
 *  - anyOf/oneOf with no match: when exactly one branch admits the value's
 *    type (Optional[X] is anyOf [X, null]), that branch's own errors are
 *    reported instead of one summary error.
 *  - The errors of one call are sorted by location (the fixtures list them
 *    so: ["age"] before ["email"] before ["name"]), stable otherwise. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bytes_eq.h"
#include "schema_internal.h"

#define MAX_DEPTH 1000

typedef struct vctx {
    const sq_schema *schema;
    sq_loc *loc;
    size_t prefix_len; /* loc items given by the caller */
    size_t overflow;   /* pushes beyond the 64-item loc capacity */
    sq_error_list *errors;
    sq_arena *arena;
    int collect;
    int coerce;
    int intern_keys; /* point matched member keys at the schema's names */
    int depth;
    int nomem;
    size_t steps;   /* subschema visits so far: a budget against schemas whose
                     * overlapping anyOf/oneOf branches re-walk deep values */
    int exhausted;
} vctx;

#define MAX_STEPS 20000000u

/* ======================================================================
 * JSON equality
 * ====================================================================== */

static int is_num(const sq_json_value *v) {
    return v->type == SQ_JSON_INT || v->type == SQ_JSON_FLOAT || v->type == SQ_JSON_BIGINT;
}

static double num_val(const sq_json_value *v) {
    if (v->type == SQ_JSON_INT) return (double)v->u.i;
    if (v->type == SQ_JSON_FLOAT) return v->u.f;
    char tmp[64];
    size_t n = v->u.str.len < sizeof tmp - 1 ? v->u.str.len : sizeof tmp - 1;
    memcpy(tmp, v->u.str.ptr, n);
    tmp[n] = 0;
    if (v->u.str.len >= sizeof tmp - 1) return v->u.str.ptr[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    return sq__strtod_c(tmp, NULL);
}

int sq__json_equal(const sq_json_value *a, const sq_json_value *b) {
    if (is_num(a) && is_num(b)) {
        if (a->type == SQ_JSON_INT && b->type == SQ_JSON_INT) return a->u.i == b->u.i;
        if (a->type == SQ_JSON_BIGINT && b->type == SQ_JSON_BIGINT)
            return a->u.str.len == b->u.str.len && memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0;
        return num_val(a) == num_val(b);
    }
    if (a->type != b->type) return 0;
    switch (a->type) {
    case SQ_JSON_STRING:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0;
    case SQ_JSON_ARRAY:
        if (a->u.arr.len != b->u.arr.len) return 0;
        for (size_t i = 0; i < a->u.arr.len; i++)
            if (!sq__json_equal(&a->u.arr.items[i], &b->u.arr.items[i])) return 0;
        return 1;
    case SQ_JSON_OBJECT:
        if (a->u.obj.len != b->u.obj.len) return 0;
        {
            /* same keys in the same order (also right with duplicate keys) */
            size_t i = 0;
            for (; i < a->u.obj.len; i++) {
                const sq_json_member *x = &a->u.obj.members[i], *y = &b->u.obj.members[i];
                if (x->key_len != y->key_len || memcmp(x->key, y->key, x->key_len) ||
                    !sq__json_equal(&x->value, &y->value))
                    break;
            }
            if (i == a->u.obj.len) return 1;
        }
        for (size_t i = 0; i < a->u.obj.len; i++) {
            const sq_json_member *m = &a->u.obj.members[i];
            const sq_json_value *o = sq_json_get(b, m->key, m->key_len);
            if (!o || !sq__json_equal(&m->value, o)) return 0;
        }
        return 1;
    default:
        return 1; /* null, true, false */
    }
}

static uint64_t json_hash(const sq_json_value *v) {
    uint64_t h = 1469598103934665603ull;
    if (is_num(v)) {
        double d = num_val(v);
        if (d == 0) d = 0; /* -0 == 0 */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return (bits ^ 0x9e3779b97f4a7c15ull) * 1099511628211ull;
    }
    switch (v->type) {
    case SQ_JSON_STRING:
        for (size_t i = 0; i < v->u.str.len; i++) h = (h ^ (unsigned char)v->u.str.ptr[i]) * 1099511628211ull;
        return h;
    case SQ_JSON_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++) h = (h ^ json_hash(&v->u.arr.items[i])) * 1099511628211ull;
        return h + 7;
    case SQ_JSON_OBJECT: {
        uint64_t sum = 0;
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const sq_json_member *m = &v->u.obj.members[i];
            uint64_t kh = 1469598103934665603ull;
            for (size_t k = 0; k < m->key_len; k++) kh = (kh ^ (unsigned char)m->key[k]) * 1099511628211ull;
            sum += kh * 31 + json_hash(&m->value); /* order independent */
        }
        return sum + 11;
    }
    default:
        return (uint64_t)v->type * 0x9e3779b97f4a7c15ull;
    }
}

/* ======================================================================
 * Locations and error records
 * ====================================================================== */

static void loc_push_key(vctx *c, const char *k, size_t n) {
    if (c->loc->len >= 64) {
        c->overflow++;
        return;
    }
    sq_json_value *it = &c->loc->items[c->loc->len++];
    it->type = SQ_JSON_STRING;
    it->u.str.ptr = k;
    it->u.str.len = n;
}

static void loc_push_index(vctx *c, size_t i) {
    if (c->loc->len >= 64) {
        c->overflow++;
        return;
    }
    sq_json_value *it = &c->loc->items[c->loc->len++];
    it->type = SQ_JSON_INT;
    it->u.i = (int64_t)i;
}

static void loc_pop(vctx *c) {
    if (c->overflow) c->overflow--;
    else c->loc->len--;
}

/* The current location (plus an optional trailing key) as a JSON array;
 * indices the validator pushed become strings, as the fixtures show. */
static const sq_json_value *make_loc(vctx *c, const char *extra, size_t extra_len) {
    size_t n = c->loc->len + (extra ? 1 : 0);
    sq_json_value *arr = sq_arena_alloc(c->arena, sizeof *arr + n * sizeof(sq_json_value));
    if (!arr) return NULL;
    sq_json_value *items = arr + 1;
    for (size_t i = 0; i < c->loc->len; i++) {
        items[i] = c->loc->items[i];
        if (i >= c->prefix_len && items[i].type == SQ_JSON_INT) {
            char *s = sq__msg_printf(c->arena, "%lld", (long long)items[i].u.i);
            if (!s) return NULL;
            items[i].type = SQ_JSON_STRING;
            items[i].u.str.ptr = s;
            items[i].u.str.len = strlen(s);
        }
    }
    if (extra) {
        items[n - 1].type = SQ_JSON_STRING;
        items[n - 1].u.str.ptr = extra;
        items[n - 1].u.str.len = extra_len;
    }
    arr->type = SQ_JSON_ARRAY;
    arr->u.arr.items = items;
    arr->u.arr.len = n;
    return arr;
}

/* ctx object with up to three members; values are copied by struct. */
static const sq_json_value *make_ctx(vctx *c, const char *k1, const sq_json_value *v1, const char *k2,
                                     const sq_json_value *v2, const char *k3, const sq_json_value *v3) {
    size_t n = k3 ? 3 : k2 ? 2 : 1;
    sq_json_value *obj = sq_arena_alloc(c->arena, sizeof *obj);
    sq_json_member *m = sq_arena_alloc(c->arena, n * sizeof *m);
    if (!obj || !m) return NULL;
    const char *keys[3] = {k1, k2, k3};
    const sq_json_value *vals[3] = {v1, v2, v3};
    for (size_t i = 0; i < n; i++) {
        m[i].key = keys[i];
        m[i].key_len = strlen(keys[i]);
        m[i].value = *vals[i];
    }
    obj->type = SQ_JSON_OBJECT;
    obj->u.obj.members = m;
    obj->u.obj.len = n;
    return obj;
}

static const sq_json_value *int_value(vctx *c, int64_t x) {
    sq_json_value *v = sq_arena_alloc(c->arena, sizeof *v);
    if (!v) return NULL;
    v->type = SQ_JSON_INT;
    v->u.i = x;
    return v;
}

static const sq_json_value *str_value(vctx *c, const char *s, size_t n) {
    sq_json_value *v = sq_arena_alloc(c->arena, sizeof *v);
    if (!v) return NULL;
    v->type = SQ_JSON_STRING;
    v->u.str.ptr = s;
    v->u.str.len = n;
    return v;
}

static const sq_json_value false_value = {SQ_JSON_FALSE, {0}};

/* Record one error. In probe mode it only counts. `msg` NULL means the
 * message could not be built: out of memory. */
static int emit(vctx *c, const char *type, const char *msg, const sq_json_value *input,
                const sq_json_value *ctx, const char *extra, size_t extra_len) {
    if (!c->collect) return 1;
    sq_validation_error e;
    e.type = type;
    e.msg = msg;
    /* A scalar input may be a temporary of the walk (a lax conversion's
     * result, an anyOf/oneOf branch's, a propertyNames key): the error
     * keeps its own copy, in the error arena. Containers are always the
     * document's own values (the walker never copies one: see by_branch in
     * v_node), so the pointer is kept. */
    if (input && input->type != SQ_JSON_ARRAY && input->type != SQ_JSON_OBJECT) {
        sq_json_value *copy = sq_arena_alloc(c->arena, sizeof *copy);
        if (!copy) {
            c->nomem = 1;
            return 1;
        }
        *copy = *input;
        input = copy;
    }
    e.input = input;
    e.ctx = ctx;
    e.loc = make_loc(c, extra, extra_len);
    if (!msg || !e.loc || sq_error_list_add(c->errors, &e) < 0) {
        c->nomem = 1;
        return 1;
    }
    return 1;
}

/* A jsonschema-style "validation_error" whose message names the offending
 * value as JSON: `fmt` has exactly one %s, which receives that JSON. */
static int emit_about_value(vctx *c, const sq_json_value *x, const char *fmt) {
    char *j = sq__msg_json(c->arena, x);
    return emit(c, "validation_error", j ? sq__msg_printf(c->arena, fmt, j) : NULL, x, NULL, NULL, 0);
}

/* ======================================================================
 * Lax conversions (see the header comment)
 * ====================================================================== */

static int lax_number(const char *s, size_t len, int want_int, sq_json_value *out) {
    while (len && isspace((unsigned char)*s)) s++, len--;
    while (len && isspace((unsigned char)s[len - 1])) len--;
    if (len == 0 || len > 64) return 0;
    char tmp[72];
    size_t i = 0, o = 0;
    int neg = 0;
    if (s[i] == '+' || s[i] == '-') neg = s[i++] == '-';
    size_t int_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    size_t int_digits = i - int_start;
    size_t frac_digits = 0;
    int frac_nonzero = 0, has_exp = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t fs = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (s[i] != '0') frac_nonzero = 1;
            i++;
        }
        frac_digits = i - fs;
    }
    if (int_digits + frac_digits == 0) return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        has_exp = 1;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t es = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        if (i == es) return 0;
    }
    if (i != len) return 0;
    memcpy(tmp + o, s, len);
    o += len;
    tmp[o] = 0;
    if (want_int && !has_exp) {
        if (frac_nonzero) return 0;
        /* integer digits (any fraction is zeros) */
        int64_t x = 0;
        for (size_t k = int_start; k < int_start + int_digits; k++) {
            int d = s[k] - '0';
            if (x > (INT64_MAX - d) / 10) return 0; /* too big for a lax int */
            x = x * 10 + d;
        }
        out->type = SQ_JSON_INT;
        out->u.i = neg ? -x : x;
        return 1;
    }
    if (want_int) return 0; /* "1e3" is not an integer string for pydantic */
    double d = sq__strtod_c(tmp, NULL);
    if (!isfinite(d)) return 0;
    out->type = SQ_JSON_FLOAT;
    out->u.f = d;
    return 1;
}

static int lax_bool(const sq_json_value *v, sq_json_value *out) {
    if (v->type == SQ_JSON_INT && (v->u.i == 0 || v->u.i == 1)) {
        out->type = v->u.i ? SQ_JSON_TRUE : SQ_JSON_FALSE;
        return 1;
    }
    if (v->type == SQ_JSON_FLOAT && (v->u.f == 0 || v->u.f == 1)) {
        out->type = v->u.f != 0 ? SQ_JSON_TRUE : SQ_JSON_FALSE;
        return 1;
    }
    if (v->type != SQ_JSON_STRING || v->u.str.len > 5) return 0;
    static const char *const yes[] = {"true", "1", "yes", "on", "t", "y"};
    static const char *const no[] = {"false", "0", "no", "off", "f", "n"};
    char low[6];
    size_t n = v->u.str.len;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)v->u.str.ptr[i]);
    low[n] = 0;
    for (size_t i = 0; i < 6; i++) {
        if (strcmp(low, yes[i]) == 0) {
            out->type = SQ_JSON_TRUE;
            return 1;
        }
        if (strcmp(low, no[i]) == 0) {
            out->type = SQ_JSON_FALSE;
            return 1;
        }
    }
    return 0;
}

/* ======================================================================
 * The walker
 * ====================================================================== */

static int v_node(vctx *c, const sq__snode *n, sq_json_value *inst);

static uint32_t inst_bits(const sq_json_value *v) {
    switch (v->type) {
    case SQ_JSON_NULL: return SQ__T_NULL;
    case SQ_JSON_TRUE:
    case SQ_JSON_FALSE: return SQ__T_BOOL;
    case SQ_JSON_INT:
    case SQ_JSON_BIGINT: return SQ__T_INT | SQ__T_NUM;
    case SQ_JSON_FLOAT: return v->u.f == floor(v->u.f) ? (SQ__T_INT | SQ__T_NUM) : SQ__T_NUM;
    case SQ_JSON_STRING: return SQ__T_STR;
    case SQ_JSON_ARRAY: return SQ__T_ARR;
    case SQ_JSON_OBJECT: return SQ__T_OBJ;
    }
    return 0;
}

/* inst_bits by JSON type, a float counted as a number only. */
static const uint8_t type_bits[] = {
    [SQ_JSON_NULL] = SQ__T_NULL,  [SQ_JSON_FALSE] = SQ__T_BOOL,
    [SQ_JSON_TRUE] = SQ__T_BOOL,  [SQ_JSON_INT] = SQ__T_INT | SQ__T_NUM,
    [SQ_JSON_BIGINT] = SQ__T_INT | SQ__T_NUM, [SQ_JSON_FLOAT] = SQ__T_NUM,
    [SQ_JSON_STRING] = SQ__T_STR, [SQ_JSON_ARRAY] = SQ__T_ARR,
    [SQ_JSON_OBJECT] = SQ__T_OBJ,
};

/* 1 when the node's `type` admits v as it is (no lax conversion): the same
 * answer as inst_bits(v) & types, without the integrality test of a float
 * unless only `integer` could admit it. */
static inline int type_admits(uint32_t types, const sq_json_value *v) {
    if (types == SQ__T_ANY) return 1;
    if (type_bits[v->type] & types) return 1;
    return v->type == SQ_JSON_FLOAT && (types & SQ__T_INT) && v->u.f == floor(v->u.f);
}

/* The types a node admits, following $ref (for anyOf/oneOf pruning). */
static uint32_t node_types(const sq__snode *n) {
    uint32_t t = SQ__T_ANY;
    for (int hops = 0; n && hops < 16; hops++) {
        if (n->bool_schema == 2) return 0;
        t &= n->types;
        n = n->ref;
    }
    return t;
}

static int type_error(vctx *c, const sq__snode *n, const sq_json_value *inst) {
    if (!c->collect) return 1;
    uint32_t t = n->types & ~(uint32_t)SQ__T_NULL;
    if (t == 0) return emit(c, "none_required", "Input should be None", inst, NULL, NULL, 0);
    if (t & SQ__T_INT) {
        if (inst->type == SQ_JSON_STRING)
            return emit(c, "int_parsing", "Input should be a valid integer, unable to parse string as an integer",
                        inst, NULL, NULL, 0);
        if (inst->type == SQ_JSON_FLOAT)
            return emit(c, "int_from_float", "Input should be a valid integer, got a number with a fractional part",
                        inst, NULL, NULL, 0);
        return emit(c, "int_type", "Input should be a valid integer", inst, NULL, NULL, 0);
    }
    if (t & SQ__T_NUM) {
        if (inst->type == SQ_JSON_STRING)
            return emit(c, "float_parsing", "Input should be a valid number, unable to parse string as a number",
                        inst, NULL, NULL, 0);
        return emit(c, "float_type", "Input should be a valid number", inst, NULL, NULL, 0);
    }
    if (t & SQ__T_BOOL) {
        if (inst->type == SQ_JSON_STRING || is_num(inst))
            return emit(c, "bool_parsing", "Input should be a valid boolean, unable to interpret input", inst, NULL,
                        NULL, 0);
        return emit(c, "bool_type", "Input should be a valid boolean", inst, NULL, NULL, 0);
    }
    if (t & SQ__T_STR) return emit(c, "type_error", "Input should be a valid unknown", inst, NULL, NULL, 0);
    if (t & SQ__T_ARR) return emit(c, "list_type", "Input should be a valid list", inst, NULL, NULL, 0);
    if (n->num_props)
        return emit(c, "model_attributes_type", "Input should be a valid dictionary or object to extract fields from",
                    inst, NULL, NULL, 0);
    return emit(c, "dict_type", "Input should be a valid dictionary", inst, NULL, NULL, 0);
}

/* -1 / 0 / 1 comparing a number instance with a schema limit. */
/* Integers beyond int64 (BIGINT, kept as their digits) compared exactly:
 * as doubles 9223372036854775807 and 9223372036854775808 are equal. A
 * BIGINT is outside int64's range, so its sign alone places it against an
 * INT; two BIGINTs compare by sign, digit count, then digits. */
static int bigint_cmp(const sq_json_value *a, const sq_json_value *b) {
    if (a->type == SQ_JSON_INT) return -bigint_cmp(b, a);
    int a_neg = a->u.str.ptr[0] == '-';
    if (b->type == SQ_JSON_INT) return a_neg ? -1 : 1;
    int b_neg = b->u.str.ptr[0] == '-';
    if (a_neg != b_neg) return a_neg ? -1 : 1;
    size_t al = a->u.str.len - (size_t)a_neg, bl = b->u.str.len - (size_t)b_neg;
    int r = al != bl ? (al < bl ? -1 : 1) : memcmp(a->u.str.ptr + a_neg, b->u.str.ptr + b_neg, al);
    r = r < 0 ? -1 : r > 0;
    return a_neg ? -r : r;
}

static inline int num_cmp(const sq_json_value *x, const sq_json_value *lim, double limd) {
    if (x->type == SQ_JSON_INT && lim->type == SQ_JSON_INT) return x->u.i < lim->u.i ? -1 : x->u.i > lim->u.i;
    if ((x->type == SQ_JSON_BIGINT || lim->type == SQ_JSON_BIGINT) && x->type != SQ_JSON_FLOAT &&
        lim->type != SQ_JSON_FLOAT)
        return bigint_cmp(x, lim);
    double xd = num_val(x);
    return xd < limd ? -1 : xd > limd;
}

static int is_multiple(const sq_json_value *x, const sq__snode *n) {
    if (x->type == SQ_JSON_INT && n->multiple_of_v->type == SQ_JSON_INT) return x->u.i % n->multiple_of_v->u.i == 0;
    double xd = num_val(x), m = n->multiple_of;
    if (!isfinite(xd)) return 0;
    double q = xd / m;
    if (isfinite(q) && q == floor(q)) return 1;
    /* Binary floats: 0.3 is not exactly 3 * 0.1, so accept a remainder
     * within a relative epsilon of 0 or of m. */
    double r = fabs(fmod(xd, m));
    double eps = 1e-9 * m;
    return r <= eps || m - r <= eps;
}

static int v_number(vctx *c, const sq__snode *n, const sq_json_value *x, const sq_json_value *input) {
    int errs = 0;
    uint32_t f = n->flags;
    if ((f & SQ__HAS_MINIMUM) && num_cmp(x, n->minimum_v, n->minimum) < 0) {
        if (!c->collect) return 1;
        errs += emit(c, "greater_than_equal",
                     sq__msg_printf(c->arena, "Input should be greater than or equal to %s",
                                    sq__msg_number(c->arena, n->minimum_v)),
                     input, make_ctx(c, "ge", n->minimum_v, NULL, NULL, NULL, NULL), NULL, 0);
    }
    if ((f & SQ__HAS_EXCL_MIN) && num_cmp(x, n->excl_min_v, n->excl_min) <= 0) {
        if (!c->collect) return 1;
        errs += emit(c, "greater_than",
                     sq__msg_printf(c->arena, "Input should be greater than %s", sq__msg_number(c->arena, n->excl_min_v)),
                     input, make_ctx(c, "gt", n->excl_min_v, NULL, NULL, NULL, NULL), NULL, 0);
    }
    if ((f & SQ__HAS_MAXIMUM) && num_cmp(x, n->maximum_v, n->maximum) > 0) {
        if (!c->collect) return 1;
        errs += emit(c, "less_than_equal",
                     sq__msg_printf(c->arena, "Input should be less than or equal to %s",
                                    sq__msg_number(c->arena, n->maximum_v)),
                     input, make_ctx(c, "le", n->maximum_v, NULL, NULL, NULL, NULL), NULL, 0);
    }
    if ((f & SQ__HAS_EXCL_MAX) && num_cmp(x, n->excl_max_v, n->excl_max) >= 0) {
        if (!c->collect) return 1;
        errs += emit(c, "less_than",
                     sq__msg_printf(c->arena, "Input should be less than %s", sq__msg_number(c->arena, n->excl_max_v)),
                     input, make_ctx(c, "lt", n->excl_max_v, NULL, NULL, NULL, NULL), NULL, 0);
    }
    if ((f & SQ__HAS_MULTIPLE) && !is_multiple(x, n)) {
        if (!c->collect) return 1;
        errs += emit(c, "multiple_of",
                     sq__msg_printf(c->arena, "Input should be a multiple of %s", sq__msg_number(c->arena, n->multiple_of_v)),
                     input, make_ctx(c, "multiple_of", n->multiple_of_v, NULL, NULL, NULL, NULL), NULL, 0);
    }
    return errs;
}

static size_t utf8_count(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static const char *format_error_type(sq__format f, const char **msg) {
    switch (f) {
    case SQ__FMT_UUID: *msg = "Input should be a valid UUID"; return "uuid_parsing";
    case SQ__FMT_DATE: *msg = "Input should be a valid date"; return "date_parsing";
    case SQ__FMT_DATE_TIME: *msg = "Input should be a valid datetime"; return "datetime_parsing";
    case SQ__FMT_TIME: *msg = "Input should be a valid time"; return "time_parsing";
    case SQ__FMT_DURATION: *msg = "Input should be a valid timedelta"; return "time_delta_parsing";
    case SQ__FMT_URI: *msg = "Input should be a valid URL"; return "url_parsing";
    case SQ__FMT_IPV4: *msg = "Input is not a valid IPv4 address"; return "ip_v4_address";
    case SQ__FMT_IPV6: *msg = "Input is not a valid IPv6 address"; return "ip_v6_address";
    default: *msg = NULL; return "validation_error";
    }
}

/* pydantic's UUID message names the first bad character when there is one. */
static const char *uuid_message(vctx *c, const sq_json_value *x) {
    const char *s = x->u.str.ptr;
    size_t len = x->u.str.len, start = 0;
    if (len >= 9 && memcmp(s, "urn:uuid:", 9) == 0) start = 9;
    for (size_t i = start; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isxdigit(ch) || ch == '-') continue;
        size_t clen = 1;
        if (ch >= 0xC0) clen = ch >= 0xF0 ? 4 : ch >= 0xE0 ? 3 : 2;
        if (i + clen > len) clen = len - i;
        return sq__msg_printf(c->arena,
                              "Input should be a valid UUID, invalid character: expected an optional prefix of "
                              "`urn:uuid:` followed by [0-9a-fA-F-], found `%.*s` at %zu",
                              (int)clen, s + i, i);
    }
    return "Input should be a valid UUID";
}

/* The string's length in code points as far as minLength/maxLength can
 * tell: a UTF-8 string of b bytes has between b/4 and b code points, so
 * count only when the byte length cannot decide. */
static size_t length_for_bounds(const sq__snode *n, const sq_json_value *x) {
    uint32_t f = n->flags;
    size_t bytes = x->u.str.len;
    int need = ((f & SQ__HAS_MIN_LEN) && bytes >= n->min_len && bytes / 4 < n->min_len) ||
               ((f & SQ__HAS_MAX_LEN) && bytes > n->max_len);
    return need ? utf8_count(x->u.str.ptr, bytes) : bytes;
}

static int v_string(vctx *c, const sq__snode *n, const sq_json_value *x, const sq_json_value *input) {
    int errs = 0;
    uint32_t f = n->flags;
    if (f & (SQ__HAS_MIN_LEN | SQ__HAS_MAX_LEN)) {
        size_t cps = length_for_bounds(n, x);
        if ((f & SQ__HAS_MIN_LEN) && cps < n->min_len) {
            if (!c->collect) return 1;
            errs += emit(c, "string_too_short",
                         sq__msg_printf(c->arena, "String should have at least %zu character%s", n->min_len,
                                        n->min_len == 1 ? "" : "s"),
                         input, make_ctx(c, "min_length", int_value(c, (int64_t)n->min_len), NULL, NULL, NULL, NULL),
                         NULL, 0);
        }
        if ((f & SQ__HAS_MAX_LEN) && cps > n->max_len) {
            if (!c->collect) return 1;
            errs += emit(c, "string_too_long",
                         sq__msg_printf(c->arena, "String should have at most %zu character%s", n->max_len,
                                        n->max_len == 1 ? "" : "s"),
                         input, make_ctx(c, "max_length", int_value(c, (int64_t)n->max_len), NULL, NULL, NULL, NULL),
                         NULL, 0);
        }
    }
    if (n->pattern && sq__regex_search(n->pattern, x->u.str.ptr, x->u.str.len) != 1) {
        if (!c->collect) return 1;
        const sq__regex *re = n->pattern;
        errs += emit(c, "string_pattern_mismatch",
                     sq__msg_printf(c->arena, "String should match pattern '%s'", re->src), input,
                     make_ctx(c, "pattern", str_value(c, re->src, re->src_len), NULL, NULL, NULL, NULL), NULL, 0);
    }
    if (n->format == SQ__FMT_EMAIL) {
        const sq__regex *re = c->schema->email_re;
        if (re && sq__regex_search(re, x->u.str.ptr, x->u.str.len) != 1) {
            if (!c->collect) return 1;
            errs += emit(c, "string_pattern_mismatch",
                         sq__msg_printf(c->arena, "String should match pattern '%s'", re->src), input,
                         make_ctx(c, "pattern", str_value(c, re->src, re->src_len), NULL, NULL, NULL, NULL), NULL, 0);
        }
    } else if (n->format != SQ__FMT_NONE && !sq__format_check(n->format, x->u.str.ptr, x->u.str.len)) {
        if (!c->collect) return 1;
        const char *msg;
        const char *type = format_error_type(n->format, &msg);
        if (n->format == SQ__FMT_UUID) msg = uuid_message(c, x);
        if (!msg) {
            char *j = sq__msg_json(c->arena, x);
            msg = j ? sq__msg_printf(c->arena, "%s is not a \"hostname\"", j) : NULL;
        }
        errs += emit(c, type, msg, input, NULL, NULL, 0);
    }
    return errs;
}

typedef struct hash_idx {
    uint64_t h;
    size_t i;
} hash_idx;

static int cmp_hash_idx(const void *a, const void *b) {
    const hash_idx *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* 1 when all items are distinct. */
static int items_unique(vctx *c, const sq_json_value *arr) {
    size_t n = arr->u.arr.len;
    const sq_json_value *it = arr->u.arr.items;
    if (n <= 128) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (sq__json_equal(&it[i], &it[j])) return 0;
        return 1;
    }
    hash_idx *h = sq_arena_alloc(c->arena, n * sizeof *h);
    if (!h) {
        c->nomem = 1;
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        h[i].h = json_hash(&it[i]);
        h[i].i = i;
    }
    qsort(h, n, sizeof *h, cmp_hash_idx);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && h[j].h == h[i].h) j++;
        for (size_t a = i; a < j; a++)
            for (size_t b = a + 1; b < j; b++)
                if (sq__json_equal(&it[h[a].i], &it[h[b].i])) return 0;
        i = j;
    }
    return 1;
}

/* ======================================================================
 * Leaves: children checked inline
 *
 * A leaf's checks (see schema_internal.h) are answered here as valid or
 * not, without a v_node call or a location push. Only "valid" is trusted:
 * on any doubt (a failed check, a lax conversion, a float that `integer`
 * would rewrite, a spent step budget or depth limit) the caller runs
 * v_node, which decides again, reports errors at the right location and
 * enforces the limits. A valid leaf costs one step, as a v_node visit does.
 * ====================================================================== */

/* The int64 and double ranges (see sq__snode) answer the common cases; a
 * float is compared with every bound as a double, as num_cmp does. */
static int number_in_bounds(const sq__snode *n, const sq_json_value *x) {
    if (x->type == SQ_JSON_INT && n->int_bounds) return x->u.i >= n->int_lo && x->u.i <= n->int_hi;
    if (x->type == SQ_JSON_FLOAT && n->dbl_bounds) {
        double v = x->u.f;
        return (n->dbl_lo_strict ? v > n->dbl_lo : v >= n->dbl_lo) && (n->dbl_hi_strict ? v < n->dbl_hi : v <= n->dbl_hi);
    }
    uint32_t f = n->flags;
    if ((f & SQ__HAS_MINIMUM) && num_cmp(x, n->minimum_v, n->minimum) < 0) return 0;
    if ((f & SQ__HAS_EXCL_MIN) && num_cmp(x, n->excl_min_v, n->excl_min) <= 0) return 0;
    if ((f & SQ__HAS_MAXIMUM) && num_cmp(x, n->maximum_v, n->maximum) > 0) return 0;
    if ((f & SQ__HAS_EXCL_MAX) && num_cmp(x, n->excl_max_v, n->excl_max) >= 0) return 0;
    if ((f & SQ__HAS_MULTIPLE) && !is_multiple(x, n)) return 0;
    return 1;
}

/* Email is never a leaf's format (it needs the schema's email pattern). */
static int string_passes(const sq__snode *n, const sq_json_value *x) {
    uint32_t f = n->flags;
    if (f & (SQ__HAS_MIN_LEN | SQ__HAS_MAX_LEN)) {
        size_t cps = length_for_bounds(n, x);
        if ((f & SQ__HAS_MIN_LEN) && cps < n->min_len) return 0;
        if ((f & SQ__HAS_MAX_LEN) && cps > n->max_len) return 0;
    }
    if (n->pattern && sq__regex_search(n->pattern, x->u.str.ptr, x->u.str.len) != 1) return 0;
    return n->format == SQ__FMT_NONE || sq__format_check(n->format, x->u.str.ptr, x->u.str.len);
}

/* The keyword group that applies to each JSON type's values in a leaf. */
static const uint8_t leaf_group[] = {
    [SQ_JSON_INT] = SQ__G_NUMBER, [SQ_JSON_BIGINT] = SQ__G_NUMBER, [SQ_JSON_FLOAT] = SQ__G_NUMBER,
    [SQ_JSON_STRING] = SQ__G_STRING, [SQ_JSON_OBJECT] = 0, /* sized for every type */
};

static inline int leaf_valid(vctx *c, const sq__snode *n, const sq_json_value *x) {
    /* not a leaf, or a value its type admits only after conversion */
    if (!(type_bits[x->type] & n->leaf_types)) return 0;
    if (c->steps >= MAX_STEPS || c->depth >= MAX_DEPTH) return 0;
    uint32_t g = n->groups & leaf_group[x->type];
    if (g && !(g == SQ__G_NUMBER ? number_in_bounds(n, x) : string_passes(n, x))) return 0;
    c->steps++;
    return 1;
}

/* v_node for a member's value at its key's location. */
static int v_member_full(vctx *c, const sq__snode *sub, sq_json_member *m) {
    loc_push_key(c, m->key, m->key_len);
    int e = v_node(c, sub, &m->value);
    loc_pop(c);
    return e;
}

/* A member's value: inline when it is a valid leaf, else the full walk. */
static inline int v_member(vctx *c, const sq__snode *sub, sq_json_member *m) {
    return leaf_valid(c, sub, &m->value) ? 0 : v_member_full(c, sub, m);
}

static int v_item_full(vctx *c, const sq__snode *sub, sq_json_value *item, size_t i) {
    loc_push_index(c, i);
    int e = v_node(c, sub, item);
    loc_pop(c);
    return e;
}

/* The same for an array item. */
static inline int v_item(vctx *c, const sq__snode *sub, sq_json_value *item, size_t i) {
    return leaf_valid(c, sub, item) ? 0 : v_item_full(c, sub, item, i);
}

static int v_array(vctx *c, const sq__snode *n, sq_json_value *x) {
    int errs = 0;
    size_t len = x->u.arr.len;
    uint32_t f = n->flags;
    if ((f & SQ__HAS_MIN_ITEMS) && len < n->min_items) {
        if (!c->collect) return 1;
        errs += emit(c, "too_short",
                     sq__msg_printf(c->arena, "List should have at least %zu item after validation", n->min_items), x,
                     make_ctx(c, "min_length", int_value(c, (int64_t)n->min_items), NULL, NULL, NULL, NULL), NULL, 0);
    }
    if ((f & SQ__HAS_MAX_ITEMS) && len > n->max_items) {
        if (!c->collect) return 1;
        errs += emit(c, "too_long",
                     sq__msg_printf(c->arena, "List should have at most %zu items after validation", n->max_items), x,
                     make_ctx(c, "max_length", int_value(c, (int64_t)n->max_items), NULL, NULL, NULL, NULL), NULL, 0);
    }
    for (size_t i = 0; i < len; i++) {
        const sq__snode *sub = i < n->num_prefix_items ? n->prefix_items[i] : n->items;
        if (!sub) {
            if (i >= n->num_prefix_items) break;
            continue;
        }
        int e = v_item(c, sub, &x->u.arr.items[i], i);
        if (e && !c->collect) return 1;
        errs += e;
    }
    if ((f & SQ__UNIQUE) && !items_unique(c, x)) {
        if (!c->collect) return 1;
        errs += emit_about_value(c, x, "%s has non-unique elements");
    }
    if (n->contains) {
        size_t matches = 0;
        int saved = c->collect;
        c->collect = 0;
        for (size_t i = 0; i < len; i++)
            if (v_node(c, n->contains, &x->u.arr.items[i]) == 0) matches++;
        c->collect = saved;
        size_t min = (f & SQ__HAS_MIN_CONTAINS) ? n->min_contains : 1;
        if (matches < min) {
            if (!c->collect) return 1;
            char *j = sq__msg_json(c->arena, x);
            errs += emit(c, "validation_error",
                         j ? (matches == 0 ? sq__msg_printf(c->arena, "%s does not contain items matching the given schema", j)
                                           : sq__msg_printf(c->arena, "%s contains fewer than %zu matching items", j, min))
                           : NULL,
                         x, NULL, NULL, 0);
        }
        if ((f & SQ__HAS_MAX_CONTAINS) && matches > n->max_contains) {
            if (!c->collect) return 1;
            char *j = sq__msg_json(c->arena, x);
            errs += emit(c, "validation_error",
                         j ? sq__msg_printf(c->arena, "%s contains more than %zu matching items", j, n->max_contains) : NULL,
                         x, NULL, NULL, 0);
        }
    }
    return errs;
}

/* Lengths, then the first byte, before comparing: most mismatches end early. */
static int key_eq(const char *a, size_t al, const char *b, size_t bl) {
    return al == bl && (al == 0 || (a[0] == b[0] && sq__bytes_eq(a, b, al)));
}

static int has_key(const sq_json_value *obj, const char *k, size_t n) { return sq_json_get(obj, k, n) != NULL; }

static int v_object(vctx *c, const sq__snode *n, sq_json_value *x) {
    int errs = 0;
    size_t len = x->u.obj.len;
    uint32_t f = n->flags;
    uint64_t seen = 0; /* required keys (first 64) found through properties */
    /* Locals for the node's fields the member loop reads: its calls could
     * (as far as the compiler knows) change the node, forcing reloads. */
    const sq__prop *props = n->props;
    size_t num_props = n->num_props, num_pattern_props = n->num_pattern_props;
    const sq__snode *property_names = n->property_names;
    /* Members usually come in the schema's order: the property at the same
     * index is tried first when that is exact (property keys distinct). */
    size_t in_order = n->props_distinct ? num_props : 0;
    sq_json_member *members = x->u.obj.members;
    for (size_t i = 0; i < len; i++) {
        sq_json_member *m = &members[i];
        int matched = 0;
        const sq__prop *p = NULL;
        if (i < in_order && key_eq(props[i].key, props[i].key_len, m->key, m->key_len)) {
            p = &props[i];
        } else {
            /* the others in order: the first match wins */
            for (size_t k = 0; k < num_props; k++) {
                if (key_eq(props[k].key, props[k].key_len, m->key, m->key_len)) {
                    p = &props[k];
                    break;
                }
            }
        }
        if (p) {
            matched = 1;
            if (c->intern_keys) m->key = p->key; /* the same bytes, owned by the schema */
            seen |= p->req_bit;
            int e = v_member(c, p->schema, m);
            if (e && !c->collect) return 1;
            errs += e;
        }
        for (size_t k = 0; k < num_pattern_props; k++) {
            int r = sq__regex_search(&n->pattern_props[k].re, m->key, m->key_len);
            if (r != 1) continue;
            matched = 1;
            int e = v_member(c, n->pattern_props[k].schema, m);
            if (e && !c->collect) return 1;
            errs += e;
        }
        if (!matched) {
            if (f & SQ__ADDL_FALSE) {
                if (!c->collect) return 1;
                const sq_json_value *key = str_value(c, m->key, m->key_len);
                errs += emit(c, "validation_error", "Additional properties are not allowed", x,
                             key ? make_ctx(c, "additional_properties", &false_value, "unexpected_field", key, NULL, NULL)
                                 : NULL,
                             m->key, m->key_len);
            } else if (n->additional) {
                int e = v_member(c, n->additional, m);
                if (e && !c->collect) return 1;
                errs += e;
            }
        }
        if (property_names) {
            sq_json_value kv;
            kv.type = SQ_JSON_STRING;
            kv.u.str.ptr = m->key;
            kv.u.str.len = m->key_len;
            loc_push_key(c, m->key, m->key_len);
            int saved = c->coerce;
            c->coerce = 0; /* never write into a key copy */
            int e = v_node(c, property_names, &kv);
            c->coerce = saved;
            loc_pop(c);
            if (e && !c->collect) return 1;
            errs += e;
        }
    }
    /* every required key found through its property: nothing to look up */
    size_t nreq = n->num_required;
    int all_seen = nreq <= 64 && seen == (nreq == 64 ? ~(uint64_t)0 : ((uint64_t)1 << nreq) - 1);
    for (size_t r = 0; r < nreq && !all_seen; r++) {
        if (r < 64 && (seen >> r) & 1) continue;
        const sq__key *k = &n->required[r];
        if (has_key(x, k->key, k->key_len)) continue;
        if (!c->collect) return 1;
        errs += emit(c, "missing", "Field required", x, NULL, k->key, k->key_len);
    }
    if ((f & SQ__HAS_MIN_PROPS) && len < n->min_props) {
        if (!c->collect) return 1;
        char *j = sq__msg_json(c->arena, x);
        errs += emit(c, "validation_error",
                     j ? sq__msg_printf(c->arena, "%s has less than %zu propert%s", j, n->min_props,
                                        n->min_props == 1 ? "y" : "ies")
                       : NULL,
                     x, NULL, NULL, 0);
    }
    if ((f & SQ__HAS_MAX_PROPS) && len > n->max_props) {
        if (!c->collect) return 1;
        char *j = sq__msg_json(c->arena, x);
        errs += emit(c, "validation_error",
                     j ? sq__msg_printf(c->arena, "%s has more than %zu propert%s", j, n->max_props,
                                        n->max_props == 1 ? "y" : "ies")
                       : NULL,
                     x, NULL, NULL, 0);
    }
    for (size_t d = 0; d < n->num_dep_required; d++) {
        const sq__dep_required *dr = &n->dep_required[d];
        if (!has_key(x, dr->trigger.key, dr->trigger.key_len)) continue;
        for (size_t k = 0; k < dr->num_keys; k++) {
            if (has_key(x, dr->keys[k].key, dr->keys[k].key_len)) continue;
            if (!c->collect) return 1;
            errs += emit(c, "validation_error",
                         sq__msg_printf(c->arena, "\"%.*s\" is a required property", (int)dr->keys[k].key_len,
                                        dr->keys[k].key),
                         x, NULL, NULL, 0);
        }
    }
    for (size_t d = 0; d < n->num_dep_schemas; d++) {
        const sq__dep_schema *ds = &n->dep_schemas[d];
        if (!has_key(x, ds->trigger.key, ds->trigger.key_len)) continue;
        int e = v_node(c, ds->schema, x);
        if (e && !c->collect) return 1;
        errs += e;
    }
    return errs;
}

/* Probe each branch; returns the number that match and the first match. */
static size_t count_matches(vctx *c, sq__snode *const *list, size_t n, sq_json_value *x, size_t stop_at,
                            size_t *first) {
    int saved = c->collect;
    c->collect = 0;
    size_t matches = 0;
    for (size_t i = 0; i < n; i++) {
        if (v_node(c, list[i], x) == 0) {
            if (matches == 0) *first = i;
            if (++matches >= stop_at) break;
        }
    }
    c->collect = saved;
    return matches;
}

/* When exactly one branch admits the instance's type, report its errors. */
static int pruned_branch(sq__snode *const *list, size_t n, const sq_json_value *x) {
    uint32_t bits = inst_bits(x);
    if (x->type == SQ_JSON_STRING) bits |= SQ__T_INT | SQ__T_NUM | SQ__T_BOOL; /* lax candidates */
    int found = -1;
    for (size_t i = 0; i < n; i++) {
        if (node_types(list[i]) & bits) {
            if (found >= 0) return -1;
            found = (int)i;
        }
    }
    if (found >= 0) return found;
    /* No branch admits the type: Optional[X] given a wrong type reports X's
     * error, as pydantic does. */
    for (size_t i = 0; i < n; i++) {
        if (node_types(list[i]) != SQ__T_NULL) {
            if (found >= 0) return -1;
            found = (int)i;
        }
    }
    return found;
}

/* The schema python/squall/_schema.py gives decimal.Decimal: anyOf [number,
 * string matching this pattern]. Keep the two texts identical. */
static const char decimal_pattern[] = "^\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*$";

/* 1 when n is that Decimal schema: its failures then get pydantic's
 * decimal_parsing / decimal_type instead of the anyOf summary. */
static int is_decimal_any_of(const sq__snode *n) {
    if (n->num_any_of != 2) return 0;
    const sq__snode *num = n->any_of[0], *str = n->any_of[1];
    if (num->types != (SQ__T_INT | SQ__T_NUM) && num->types != SQ__T_NUM) return 0;
    if (str->types != SQ__T_STR || str->pattern == NULL) return 0;
    return str->pattern->src_len == sizeof decimal_pattern - 1 &&
           memcmp(str->pattern->src, decimal_pattern, sizeof decimal_pattern - 1) == 0;
}

static int decimal_error(vctx *c, const sq_json_value *x) {
    if (x->type == SQ_JSON_STRING) return emit(c, "decimal_parsing", "Input should be a valid decimal", x, NULL, NULL, 0);
    return emit(c, "decimal_type", "Decimal input should be an integer, float, string or Decimal object", x, NULL,
                NULL, 0);
}

/* Coercing: the value as the branch of anyOf (the first that matches) or
 * oneOf (the only one) converts it, e.g. Optional[int] given "15" -> 15.
 * Runs before the node's other keywords, so they check the value the
 * handler will get; a document that coerces without errors is then valid
 * as coerced. Returns 1 when *x was converted. The branch the probe found
 * valid usually records no error on this pass, but it can: the step budget
 * may run out inside it, or a member it converted in place may then fail a
 * later keyword of the branch (allOf [{items: integer}, {uniqueItems}]
 * given ["1", 1]). Those errors may keep x as their input, so x must be
 * the document's own value or a scalar (see v_node). */
static int convert_by_branches(vctx *c, const sq__snode *n, sq_json_value *x) {
    /* Every conversion changes the type (text to number or boolean, a
     * number to a boolean, an integral float to an int); a container's
     * members are converted in place, not the container. */
    sq_json_type before = x->type;
    size_t first = 0;
    if (n->num_any_of && count_matches(c, n->any_of, n->num_any_of, x, 1, &first) == 1) {
        /* A Decimal given as text keeps it ("1.50" stays exact for the
         * converter) rather than becoming a double through the lax number branch. */
        size_t text_branch = 0;
        int keep_text = x->type == SQ_JSON_STRING && is_decimal_any_of(n) &&
                        count_matches(c, n->any_of + 1, 1, x, 1, &text_branch) == 1;
        if (!keep_text) v_node(c, n->any_of[first], x);
    }
    if (n->num_one_of && count_matches(c, n->one_of, n->num_one_of, x, 2, &first) == 1) v_node(c, n->one_of[first], x);
    return x->type != before;
}

static int v_combinators(vctx *c, const sq__snode *n, sq_json_value *x) {
    int errs = 0;
    for (size_t i = 0; i < n->num_all_of; i++) {
        int e = v_node(c, n->all_of[i], x);
        if (e && !c->collect) return 1;
        errs += e;
    }
    if (n->num_any_of) {
        size_t first = 0;
        if (count_matches(c, n->any_of, n->num_any_of, x, 1, &first) == 0) {
            if (!c->collect) return 1;
            int b = pruned_branch(n->any_of, n->num_any_of, x);
            if (is_decimal_any_of(n)) {
                errs += decimal_error(c, x);
            } else if (b >= 0) {
                errs += v_node(c, n->any_of[b], x);
            } else {
                errs += emit_about_value(c, x, "%s is not valid under any of the schemas listed in the 'anyOf' keyword");
            }
        }
    }
    if (n->num_one_of) {
        size_t first = 0;
        size_t m = count_matches(c, n->one_of, n->num_one_of, x, 2, &first);
        if (m == 0) {
            if (!c->collect) return 1;
            int b = pruned_branch(n->one_of, n->num_one_of, x);
            if (b >= 0) {
                errs += v_node(c, n->one_of[b], x);
            } else {
                errs += emit_about_value(c, x, "%s is not valid under any of the schemas listed in the 'oneOf' keyword");
            }
        } else if (m > 1) {
            if (!c->collect) return 1;
            errs += emit_about_value(c, x, "%s is valid under more than one of the schemas listed in the 'oneOf' keyword");
        }
    }
    if (n->not_) {
        int saved = c->collect;
        c->collect = 0;
        int e = v_node(c, n->not_, x);
        c->collect = saved;
        if (e == 0) {
            if (!c->collect) return 1;
            char *j = sq__msg_json(c->arena, x);
            errs += emit(c, "validation_error",
                         j ? sq__msg_printf(c->arena, "%s is not allowed for %s", n->not_json, j) : NULL, x, NULL, NULL, 0);
        }
    }
    if (n->if_) {
        int saved = c->collect;
        c->collect = 0;
        int e = v_node(c, n->if_, x);
        c->collect = saved;
        const sq__snode *branch = e == 0 ? n->then_ : n->else_;
        if (branch) {
            int be = v_node(c, branch, x);
            if (be && !c->collect) return 1;
            errs += be;
        }
    }
    return errs;
}

/* `true` admits everything, `false` nothing. */
static int v_bool_schema(vctx *c, const sq__snode *n, const sq_json_value *inst) {
    if (n->bool_schema == 1) return 0;
    if (!c->collect) return 1;
    char *j = sq__msg_json(c->arena, inst);
    return emit(c, "validation_error", j ? sq__msg_printf(c->arena, "False schema does not allow %s", j) : NULL, inst,
                NULL, NULL, 0);
}

/* $ref, enum and const: the keywords about the value as a whole. In probe
 * mode it stops at the first failure. */
static int v_value_keywords(vctx *c, const sq__snode *n, sq_json_value *x, const sq_json_value *input) {
    int errs = 0;
    if (n->ref) {
        errs += v_node(c, n->ref, x);
        if (errs && !c->collect) return errs;
    }
    if (n->enum_v) {
        int found = 0;
        for (size_t i = 0; i < n->enum_v->u.arr.len && !found; i++)
            found = sq__json_equal(x, &n->enum_v->u.arr.items[i]);
        if (!found) {
            if (!c->collect) return errs + 1;
            const char *exp = sq__msg_enum_expected(c->arena, n->enum_v);
            errs += emit(c, "enum", exp ? sq__msg_printf(c->arena, "Input should be %s", exp) : NULL, input,
                         exp ? make_ctx(c, "expected", str_value(c, exp, strlen(exp)), NULL, NULL, NULL, NULL) : NULL,
                         NULL, 0);
        }
    }
    if ((n->flags & SQ__HAS_CONST) && !sq__json_equal(x, n->const_v)) {
        if (!c->collect) return errs + 1;
        errs += emit(c, "validation_error", sq__msg_printf(c->arena, "%s was expected", n->const_json), input, NULL,
                     NULL, 0);
    }
    return errs;
}

static int v_node(vctx *c, const sq__snode *n, sq_json_value *inst) {
    if (n->bool_schema) return v_bool_schema(c, n, inst);
    if (++c->steps > MAX_STEPS) {
        if (!c->collect || c->exhausted) return 1;
        c->exhausted = 1;
        /* The one "aborted" error says where the budget ran out, and its
         * input is the instance as this node received it there: the
         * document's own value for a container, and for a scalar the value
         * as read so far (inside an anyOf/oneOf branch, or after a lax
         * conversion, that may be converted: 5 for "5"), copied into the
         * error arena by emit. Never a slot of the walk's stack. */
        return emit(c, "validation_error", "Validation aborted: the document is too complex for this schema", inst,
                    NULL, NULL, 0);
    }
    if (c->depth >= MAX_DEPTH) {
        if (!c->collect) return 1;
        return emit(c, "recursion_loop", "Recursion error - cyclic reference detected", inst, NULL, NULL, 0);
    }
    if (n->ref_only) {
        /* a bare {"$ref": ...}: the target decides (the full path below
         * would find nothing else to check, convert or write back) */
        c->depth++;
        int e = v_node(c, n->ref, inst);
        c->depth--;
        return e;
    }
    c->depth++;
    int errs = 0;
    sq_json_value *x = inst;
    sq_json_value converted;
    if (!type_admits(n->types, inst)) {
        int ok = 0;
        if (inst->type == SQ_JSON_STRING && (n->types & (SQ__T_INT | SQ__T_NUM)))
            ok = lax_number(inst->u.str.ptr, inst->u.str.len, !(n->types & SQ__T_NUM), &converted);
        if (!ok && (n->types & SQ__T_BOOL)) ok = lax_bool(inst, &converted);
        if (!ok) {
            errs = type_error(c, n, inst);
            goto done;
        }
        x = &converted; /* written back at the end when coercing */
    }
    /* inputs reported in errors are the value as sent */
    const sq_json_value *input = inst;
    uint32_t g = n->groups;
    sq_json_value by_branch;
    if (c->coerce && c->collect && (n->num_any_of || n->num_one_of)) {
        if (x->type == SQ_JSON_ARRAY || x->type == SQ_JSON_OBJECT) {
            /* A container is never replaced, only its members converted in
             * place: the branch walks the document's own value (x is inst
             * here), which its errors may keep. A copy on this frame would
             * leave them pointing at a dead stack slot. */
            convert_by_branches(c, n, x);
        } else {
            by_branch = *x; /* emit copies a scalar input: errors never keep &by_branch */
            if (convert_by_branches(c, n, &by_branch)) x = &by_branch; /* written back at the end */
        }
    }
    if (g & SQ__G_VALUE) {
        errs = v_value_keywords(c, n, x, input);
        if (errs && !c->collect) goto done;
    }
    switch (x->type) {
    case SQ_JSON_INT:
    case SQ_JSON_FLOAT:
    case SQ_JSON_BIGINT:
        if (g & SQ__G_NUMBER) errs += v_number(c, n, x, input);
        break;
    case SQ_JSON_STRING:
        if (g & SQ__G_STRING) errs += v_string(c, n, x, input);
        break;
    case SQ_JSON_ARRAY:
        if (g & SQ__G_ARRAY) errs += v_array(c, n, x);
        break;
    case SQ_JSON_OBJECT:
        if (g & SQ__G_OBJECT) errs += v_object(c, n, x);
        break;
    default:
        break;
    }
    if (errs && !c->collect) goto done;
    if (g & SQ__G_APPLY) errs += v_combinators(c, n, x);
done:
    /* Coercion writes the converted value back only when this value is
     * valid: an error's `input` points at the value and must stay as sent.
     * An integer written as 3.0 also reaches the handler as 3 (pydantic). */
    if (c->coerce && c->collect && errs == 0) {
        if (x != inst) {
            *inst = *x;
        } else if (inst->type == SQ_JSON_FLOAT && (n->types & SQ__T_INT) && !(n->types & SQ__T_NUM) &&
                   fabs(inst->u.f) < 9.2e18) {
            int64_t i = (int64_t)inst->u.f;
            inst->type = SQ_JSON_INT;
            inst->u.i = i;
        }
    }
    c->depth--;
    return errs;
}

/* ======================================================================
 * Entry points
 * ====================================================================== */

static int loc_item_cmp(const sq_json_value *a, const sq_json_value *b) {
    if (a->type == SQ_JSON_INT && b->type == SQ_JSON_INT) return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    if (a->type == SQ_JSON_INT) return -1;
    if (b->type == SQ_JSON_INT) return 1;
    if (a->type != SQ_JSON_STRING || b->type != SQ_JSON_STRING) return 0;
    /* index strings compare as numbers: "2" before "10" */
    size_t al = a->u.str.len, bl = b->u.str.len;
    int ad = al > 0, bd = bl > 0;
    for (size_t i = 0; i < al && ad; i++) ad = a->u.str.ptr[i] >= '0' && a->u.str.ptr[i] <= '9';
    for (size_t i = 0; i < bl && bd; i++) bd = b->u.str.ptr[i] >= '0' && b->u.str.ptr[i] <= '9';
    if (ad && bd && al != bl) return al < bl ? -1 : 1;
    size_t n = al < bl ? al : bl;
    int r = memcmp(a->u.str.ptr, b->u.str.ptr, n);
    if (r) return r < 0 ? -1 : 1;
    return al < bl ? -1 : al > bl;
}

static int loc_cmp(const sq_validation_error *a, const sq_validation_error *b) {
    const sq_json_value *x = a->loc, *y = b->loc;
    size_t n = x->u.arr.len < y->u.arr.len ? x->u.arr.len : y->u.arr.len;
    for (size_t i = 0; i < n; i++) {
        int r = loc_item_cmp(&x->u.arr.items[i], &y->u.arr.items[i]);
        if (r) return r;
    }
    return x->u.arr.len < y->u.arr.len ? -1 : x->u.arr.len > y->u.arr.len;
}

/* Stable merge sort of errors[lo, hi) using tmp. */
static void sort_errors(sq_validation_error *e, sq_validation_error *tmp, size_t n) {
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = loc_cmp(&e[j], &e[i]) < 0 ? e[j++] : e[i++];
            while (i < mid) tmp[k++] = e[i++];
            while (j < hi) tmp[k++] = e[j++];
        }
        memcpy(e, tmp, n * sizeof *e);
    }
}

static int validate(const sq_schema *s, sq_json_value *instance, sq_loc *loc, sq_error_list *errors, int coerce,
                    int intern_keys, size_t budget) {
    if (!s || !instance || !loc || !errors) return SQ_EINVAL;
    vctx c;
    c.schema = s;
    c.loc = loc;
    c.prefix_len = loc->len;
    c.overflow = 0;
    c.errors = errors;
    c.arena = errors->arena;
    c.collect = 1;
    c.coerce = coerce;
    c.intern_keys = intern_keys;
    c.depth = 0;
    c.nomem = 0;
    /* a smaller budget starts the count part way (the walk tests steps
     * against the constant MAX_STEPS) */
    c.steps = MAX_STEPS - (budget < MAX_STEPS ? budget : MAX_STEPS);
    c.exhausted = 0;
    size_t start = errors->len;
    v_node(&c, s->root, instance);
    loc->len = c.prefix_len;
    if (c.steps > MAX_STEPS && !c.exhausted) {
        /* the budget ran out inside a probe: say so at the top */
        c.overflow = 0;
        emit(&c, "validation_error", "Validation aborted: the document is too complex for this schema", instance,
             NULL, NULL, 0);
    }
    if (c.nomem) return SQ_ENOMEM;
    size_t added = errors->len - start;
    if (added > 1) {
        sq_validation_error *tmp = sq_arena_alloc(c.arena, added * sizeof *tmp);
        if (!tmp) return SQ_ENOMEM;
        sort_errors(errors->items + start, tmp, added);
    }
    return (int)added;
}

int sq_schema_validate(const sq_schema *s, const sq_json_value *instance, sq_loc *loc, sq_error_list *errors) {
    /* coerce == 0: the walker never writes through this pointer */
    return validate(s, (sq_json_value *)(uintptr_t)instance, loc, errors, 0, 0, MAX_STEPS);
}

int sq_schema_validate_coerce(const sq_schema *s, sq_json_value *instance, sq_loc *loc, sq_error_list *errors) {
    return validate(s, instance, loc, errors, 1, 0, MAX_STEPS);
}

int sq_schema_validate_intern_keys(const sq_schema *s, sq_json_value *instance, sq_loc *loc,
                                   sq_error_list *errors) {
    return validate(s, instance, loc, errors, 0, 1, MAX_STEPS);
}

int sq__schema_validate_budget(const sq_schema *s, sq_json_value *instance, sq_loc *loc, sq_error_list *errors,
                               int coerce, size_t budget) {
    return validate(s, instance, loc, errors, coerce != 0, 0, budget);
}
