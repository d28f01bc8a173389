/* The route validator: a route spec (see include/squall/validator.h)
 * compiled once into parameter entries with precomputed coercion plans and
 * compiled JSON Schemas; then, per request, every declared parameter is
 * extracted, coerced and validated, the body decoded and validated, and
 * every error collected in the request's arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validator_internal.h"

struct sq_validator {
    sq_arena arena; /* the spec text, its parsed tree, names; read-only after compile */
    sq__param *params;
    size_t num_params;
    int has_body;
    sq__body_spec body;
};

/* ======================================================================
 * Compilation
 * ====================================================================== */

static int set_err(char *errbuf, size_t errbuf_len, const char *fmt, const char *arg) {
    if (errbuf && errbuf_len)
        snprintf(errbuf, errbuf_len, fmt, arg ? arg : "");
    return -1;
}

static int is_str(const sq_json_value *v) {
    return v && v->type == SQ_JSON_STRING;
}

static int str_eq(const sq_json_value *v, const char *lit) {
    size_t n = strlen(lit);
    return is_str(v) && v->u.str.len == n && memcmp(v->u.str.ptr, lit, n) == 0;
}

/* true / false / absent (-> dflt); anything else is an error (-1). */
static int get_bool(const sq_json_value *obj, const char *key, int dflt) {
    const sq_json_value *b = sq_json_get(obj, key, strlen(key));
    if (!b)
        return dflt;
    if (b->type == SQ_JSON_TRUE)
        return 1;
    if (b->type == SQ_JSON_FALSE)
        return 0;
    return -1;
}

static sq_schema *compile_schema(const sq_json_value *doc, char *errbuf, size_t errbuf_len) {
    char reason[256];
    reason[0] = '\0';
    sq_schema *s = sq_schema_compile(doc, reason, sizeof reason);
    if (!s)
        set_err(errbuf, errbuf_len, "invalid schema: %s", reason);
    return s;
}

static const char *const source_names[] = {"path", "query", "header", "cookie"};

static int compile_param(sq_validator *v, const sq_json_value *spec, sq__param *p, char *errbuf,
                         size_t errbuf_len) {
    if (!spec || spec->type != SQ_JSON_OBJECT)
        return set_err(errbuf, errbuf_len, "a parameter must be an object%s", NULL);
    const sq_json_value *name = sq_json_get(spec, "name", 4);
    if (!is_str(name) || name->u.str.len == 0)
        return set_err(errbuf, errbuf_len, "a parameter needs a \"name\"%s", NULL);
    p->name = sq_arena_strndup(&v->arena, name->u.str.ptr, name->u.str.len);
    if (!p->name)
        return set_err(errbuf, errbuf_len, "out of memory%s", NULL);

    const sq_json_value *source = sq_json_get(spec, "source", 6);
    p->source = -1;
    for (int i = 0; i < 4; i++)
        if (str_eq(source, source_names[i]))
            p->source = i;
    if (p->source < 0)
        return set_err(errbuf, errbuf_len,
                       "parameter \"%s\": \"source\" must be path, query, header or cookie", p->name);

    const sq_json_value *key = sq_json_get(spec, "key", 3);
    if (key && !is_str(key))
        return set_err(errbuf, errbuf_len, "parameter \"%s\": \"key\" must be a string", p->name);
    if (!key)
        key = name;
    char *k = sq_arena_strndup(&v->arena, key->u.str.ptr, key->u.str.len);
    if (!k)
        return set_err(errbuf, errbuf_len, "out of memory%s", NULL);
    p->key_len = key->u.str.len;
    if (p->source == SQ__SOURCE_HEADER) /* compared case-insensitively, reported lowercased */
        for (size_t i = 0; i < p->key_len; i++)
            if (k[i] >= 'A' && k[i] <= 'Z')
                k[i] = (char)(k[i] + 32);
    p->key = k;
    p->loc_key = k;
    p->loc_key_len = p->key_len;

    p->required = get_bool(spec, "required", 0);
    if (p->required < 0)
        return set_err(errbuf, errbuf_len, "parameter \"%s\": \"required\" must be a boolean", p->name);
    p->default_value = sq_json_get(spec, "default", 7);

    const sq_json_value *sep = sq_json_get(spec, "separator", 9);
    if (sep && sep->type != SQ_JSON_NULL) {
        if (!is_str(sep) || sep->u.str.len == 0)
            return set_err(errbuf, errbuf_len, "parameter \"%s\": \"separator\" must be a non-empty string",
                           p->name);
        p->separator = sep->u.str.ptr;
        p->separator_len = sep->u.str.len;
    }

    const sq_json_value *style = sq_json_get(spec, "error_style", 11);
    if (style && !str_eq(style, "pydantic") && !str_eq(style, "jsonschema"))
        return set_err(errbuf, errbuf_len, "parameter \"%s\": \"error_style\" must be pydantic or jsonschema",
                       p->name);
    p->jsonschema_style = str_eq(style, "jsonschema");

    /* "coerce_format": false keeps a formatted string as the text sent and
     * only asserts its format (see validator.h). */
    int coerce_format = get_bool(spec, "coerce_format", 1);
    if (coerce_format < 0)
        return set_err(errbuf, errbuf_len, "parameter \"%s\": \"coerce_format\" must be a boolean", p->name);
    p->format_asserted = !coerce_format;

    const sq_json_value *schema = sq_json_get(spec, "schema", 6);
    if (schema && schema->type == SQ_JSON_OBJECT) {
        const sq_json_value *fmt = sq_json_get(schema, "format", 6);
        if (is_str(fmt)) {
            p->format = sq_arena_strndup(&v->arena, fmt->u.str.ptr, fmt->u.str.len);
            if (!p->format)
                return set_err(errbuf, errbuf_len, "out of memory%s", NULL);
        }
    }
    if (schema && schema->type != SQ_JSON_OBJECT && schema->type != SQ_JSON_TRUE)
        return set_err(errbuf, errbuf_len, "parameter \"%s\": \"schema\" must be an object", p->name);
    if (schema && schema->type == SQ_JSON_OBJECT) {
        sq__plan_from_schema(schema, &p->plan);
        if (p->format_asserted)
            p->plan.scalar.format = SQ__FORMAT_NONE;
        p->schema = compile_schema(schema, errbuf, errbuf_len);
        if (!p->schema)
            return -1;
    }
    static const char *const known[] = {"name",    "source",    "key",    "required",
                                        "default", "separator", "schema", "error_style",
                                        "coerce_format"};
    for (size_t i = 0; i < spec->u.obj.len; i++) {
        const sq_json_member *m = &spec->u.obj.members[i];
        size_t j = 0;
        while (j < sizeof known / sizeof *known &&
               !(strlen(known[j]) == m->key_len && memcmp(known[j], m->key, m->key_len) == 0))
            j++;
        if (j == sizeof known / sizeof *known)
            return set_err(errbuf, errbuf_len, "parameter \"%s\": unknown key", p->name);
    }
    return 0;
}

static int compile_body(sq_validator *v, const sq_json_value *spec, char *errbuf, size_t errbuf_len) {
    if (spec->type != SQ_JSON_OBJECT)
        return set_err(errbuf, errbuf_len, "\"body\" must be an object%s", NULL);
    sq__body_spec *b = &v->body;
    static const char *const known[] = {"media", "required", "schema", "embed_fields", "max_depth", "files"};
    for (size_t i = 0; i < spec->u.obj.len; i++) {
        const sq_json_member *m = &spec->u.obj.members[i];
        size_t j = 0;
        while (j < sizeof known / sizeof *known &&
               !(strlen(known[j]) == m->key_len && memcmp(known[j], m->key, m->key_len) == 0))
            j++;
        if (j == sizeof known / sizeof *known)
            return set_err(errbuf, errbuf_len, "body: unknown key%s", NULL);
    }
    const sq_json_value *media = sq_json_get(spec, "media", 5);
    if (!media || str_eq(media, "json"))
        b->media = SQ__BODY_JSON;
    else if (str_eq(media, "form"))
        b->media = SQ__BODY_FORM;
    else if (str_eq(media, "multipart"))
        b->media = SQ__BODY_MULTIPART;
    else
        return set_err(errbuf, errbuf_len, "body: \"media\" must be json, form or multipart%s", NULL);
    b->required = get_bool(spec, "required", 0);
    if (b->required < 0)
        return set_err(errbuf, errbuf_len, "body: \"required\" must be a boolean%s", NULL);
    if (get_bool(spec, "embed_fields", 0) < 0)
        return set_err(errbuf, errbuf_len, "body: \"embed_fields\" must be a boolean%s", NULL);
    const sq_json_value *depth = sq_json_get(spec, "max_depth", 9);
    if (depth) {
        if (depth->type != SQ_JSON_INT || depth->u.i < 1 || depth->u.i > 10000)
            return set_err(errbuf, errbuf_len, "body: \"max_depth\" must be an integer from 1 to 10000%s",
                           NULL);
        b->max_depth = (int)depth->u.i;
    }
    const sq_json_value *files = sq_json_get(spec, "files", 5);
    if (files && (files->type != SQ_JSON_OBJECT || b->media != SQ__BODY_MULTIPART))
        return set_err(errbuf, errbuf_len, "body: \"files\" must be an object, with media multipart%s", NULL);
    if (files && files->u.obj.len) {
        b->files = sq_arena_alloc(&v->arena, files->u.obj.len * sizeof *b->files);
        if (!b->files)
            return set_err(errbuf, errbuf_len, "out of memory%s", NULL);
        for (size_t i = 0; i < files->u.obj.len; i++) {
            const sq_json_member *m = &files->u.obj.members[i];
            sq__file_spec *f = &b->files[i];
            memset(f, 0, sizeof *f);
            f->name = m->key;
            f->name_len = m->key_len;
            if (m->value.type != SQ_JSON_OBJECT)
                return set_err(errbuf, errbuf_len, "body: a file spec must be an object%s", NULL);
            f->required = get_bool(&m->value, "required", 0);
            f->check_magic = get_bool(&m->value, "validate_magic_numbers", 0);
            if (f->required < 0 || f->check_magic < 0)
                return set_err(errbuf, errbuf_len, "body: file spec flags must be booleans%s", NULL);
            f->content_types = sq_json_get(&m->value, "content_types", 13);
            if (f->content_types && f->content_types->type != SQ_JSON_ARRAY)
                return set_err(errbuf, errbuf_len, "body: \"content_types\" must be an array%s", NULL);
        }
        b->num_files = files->u.obj.len;
    }
    const sq_json_value *schema = sq_json_get(spec, "schema", 6);
    if (schema && schema->type == SQ_JSON_OBJECT) {
        b->schema = compile_schema(schema, errbuf, errbuf_len);
        if (!b->schema)
            return -1;
        /* Form fields are text: each is coerced following its property. */
        const sq_json_value *props = sq_json_get(schema, "properties", 10);
        if (props && props->type == SQ_JSON_OBJECT && props->u.obj.len) {
            b->fields = sq_arena_alloc(&v->arena, props->u.obj.len * sizeof *b->fields);
            if (!b->fields)
                return set_err(errbuf, errbuf_len, "out of memory%s", NULL);
            for (size_t i = 0; i < props->u.obj.len; i++) {
                const sq_json_member *m = &props->u.obj.members[i];
                b->fields[i].name = m->key;
                b->fields[i].name_len = m->key_len;
                sq__plan_from_schema(&m->value, &b->fields[i].plan);
            }
            b->num_fields = props->u.obj.len;
        }
    } else if (schema && schema->type != SQ_JSON_TRUE) {
        return set_err(errbuf, errbuf_len, "body: \"schema\" must be an object%s", NULL);
    }
    v->has_body = 1;
    return 0;
}

sq_validator *sq_validator_compile(const char *spec_json, size_t len, char *errbuf, size_t errbuf_len) {
    if (errbuf && errbuf_len)
        errbuf[0] = '\0';
    sq_validator *v = calloc(1, sizeof *v);
    if (!v) {
        set_err(errbuf, errbuf_len, "out of memory%s", NULL);
        return NULL;
    }
    sq_arena_init(&v->arena);
    /* The parsed tree may point into its input: keep a copy we own. */
    char *text = sq_arena_strndup(&v->arena, spec_json ? spec_json : "", spec_json ? len : 0);
    if (!text) {
        set_err(errbuf, errbuf_len, "out of memory%s", NULL);
        goto error;
    }
    sq_json_value *doc = NULL;
    sq_json_error jerr = {0, NULL};
    if (sq_json_parse(text, len, &v->arena, NULL, &doc, &jerr) != 0) {
        set_err(errbuf, errbuf_len, "route spec is not valid JSON: %s",
                jerr.reason ? jerr.reason : "out of memory");
        goto error;
    }
    if (doc->type != SQ_JSON_OBJECT) {
        set_err(errbuf, errbuf_len, "route spec must be a JSON object%s", NULL);
        goto error;
    }
    for (size_t i = 0; i < doc->u.obj.len; i++) {
        const sq_json_member *m = &doc->u.obj.members[i];
        if (!(m->key_len == 10 && memcmp(m->key, "parameters", 10) == 0) &&
            !(m->key_len == 4 && memcmp(m->key, "body", 4) == 0)) {
            set_err(errbuf, errbuf_len, "route spec: unknown key%s", NULL);
            goto error;
        }
    }
    const sq_json_value *params = sq_json_get(doc, "parameters", 10);
    if (params && params->type != SQ_JSON_ARRAY) {
        set_err(errbuf, errbuf_len, "\"parameters\" must be an array%s", NULL);
        goto error;
    }
    if (params && params->u.arr.len) {
        v->params = calloc(params->u.arr.len, sizeof *v->params);
        if (!v->params) {
            set_err(errbuf, errbuf_len, "out of memory%s", NULL);
            goto error;
        }
        for (size_t i = 0; i < params->u.arr.len; i++) {
            v->num_params = i + 1; /* so sq_validator_free sees what was compiled */
            if (compile_param(v, &params->u.arr.items[i], &v->params[i], errbuf, errbuf_len) != 0)
                goto error;
        }
    }
    const sq_json_value *body = sq_json_get(doc, "body", 4);
    if (body && body->type != SQ_JSON_NULL && compile_body(v, body, errbuf, errbuf_len) != 0)
        goto error;
    return v;
error:
    sq_validator_free(v);
    return NULL;
}

void sq_validator_free(sq_validator *v) {
    if (!v)
        return;
    for (size_t i = 0; i < v->num_params; i++)
        sq_schema_free(v->params[i].schema);
    free(v->params);
    sq_schema_free(v->body.schema);
    sq_arena_free(&v->arena);
    free(v);
}

size_t sq_validator_num_params(const sq_validator *v) {
    return v ? v->num_params : 0;
}

const char *sq_validator_param_name(const sq_validator *v, size_t i) {
    return v && i < v->num_params ? v->params[i].name : NULL;
}

size_t sq_validator_num_body_property_names(const sq_validator *v) {
    return v && v->body.media == SQ__BODY_JSON ? sq_schema_num_property_names(v->body.schema) : 0;
}

const char *sq_validator_body_property_name(const sq_validator *v, size_t i, size_t *len) {
    return v && v->body.media == SQ__BODY_JSON ? sq_schema_property_name(v->body.schema, i, len) : NULL;
}

/* ======================================================================
 * Extraction: where a parameter's text comes from
 * ====================================================================== */

long sq__find_header(const sq_request *req, const char *name, size_t name_len, size_t from) {
    for (size_t i = from; i < req->num_headers; i++)
        if (sq__ascii_ieq(req->headers[i].name.base, req->headers[i].name.len, name, name_len))
            return (long)i;
    return -1;
}

/* Iterates the cookies of every Cookie header: "a=1; b=2", values may be
 * quoted. Returns 1 with the next name/value, 0 at the end. */
typedef struct cookie_iter {
    const sq_request *req;
    long header;
    const char *p, *end;
} cookie_iter;

static void trim_ows(const char **s, const char **e) {
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static int cookie_next(cookie_iter *it, sq_slice *name, sq_slice *value) {
    for (;;) {
        if (it->p >= it->end) {
            it->header = sq__find_header(it->req, "cookie", 6, (size_t)(it->header + 1));
            if (it->header < 0)
                return 0;
            it->p = it->req->headers[it->header].value.base;
            it->end = it->p + it->req->headers[it->header].value.len;
            continue;
        }
        const char *semi = memchr(it->p, ';', (size_t)(it->end - it->p));
        const char *pair_end = semi ? semi : it->end;
        const char *s = it->p, *e = pair_end;
        it->p = semi ? semi + 1 : it->end;
        trim_ows(&s, &e);
        const char *eq = memchr(s, '=', (size_t)(e - s));
        if (!eq)
            continue; /* no name=value: ignored, as browsers do */
        const char *ns = s, *ne = eq, *vs = eq + 1, *ve = e;
        trim_ows(&ns, &ne);
        trim_ows(&vs, &ve);
        if (ne == ns)
            continue;
        if (ve - vs >= 2 && vs[0] == '"' && ve[-1] == '"')
            vs++, ve--;
        *name = (sq_slice){ns, (size_t)(ne - ns)};
        *value = (sq_slice){vs, (size_t)(ve - vs)};
        return 1;
    }
}

/* Every occurrence of a parameter on the wire, in order. `cb` is called
 * for each; collecting stops when it returns non-zero. */
typedef int (*occurrence_fn)(void *ctx, sq_slice text);

static int for_each_occurrence(const sq__param *p, const sq_request *req, occurrence_fn cb, void *ctx) {
    int rc;
    switch (p->source) {
    case SQ__SOURCE_PATH:
        for (size_t i = 0; i < req->num_params; i++) {
            const sq_param_view *pv = &req->params[i];
            if (pv->name.len == p->key_len && memcmp(pv->name.base, p->key, p->key_len) == 0)
                if ((rc = cb(ctx, pv->value)) != 0)
                    return rc;
        }
        return 0;
    case SQ__SOURCE_QUERY:
        for (size_t i = 0; i < req->num_query_pairs; i++) {
            const sq_query_pair *qp = &req->query_pairs[i];
            if (qp->key.len == p->key_len && memcmp(qp->key.base, p->key, p->key_len) == 0)
                if ((rc = cb(ctx, qp->value)) != 0)
                    return rc;
        }
        return 0;
    case SQ__SOURCE_HEADER:
        for (long h = sq__find_header(req, p->key, p->key_len, 0); h >= 0;
             h = sq__find_header(req, p->key, p->key_len, (size_t)h + 1))
            if ((rc = cb(ctx, req->headers[h].value)) != 0)
                return rc;
        return 0;
    default: {
        cookie_iter it = {req, -1, NULL, NULL};
        sq_slice name, value;
        while (cookie_next(&it, &name, &value))
            if (name.len == p->key_len && memcmp(name.base, p->key, p->key_len) == 0)
                if ((rc = cb(ctx, value)) != 0)
                    return rc;
        return 0;
    }
    }
}

typedef struct scalar_pick {
    int found;
    int want_last;
    sq_slice text;
} scalar_pick;

static int pick_scalar(void *ctx, sq_slice text) {
    scalar_pick *sp = ctx;
    sp->found = 1;
    sp->text = text;
    return sp->want_last ? 0 : 1;
}

/* Arrays: count first, then fill, so the items are one arena allocation. */
typedef struct array_fill {
    const sq__param *p;
    sq_slice *texts; /* NULL while counting */
    size_t n;
} array_fill;

static int fill_array(void *ctx, sq_slice text) {
    array_fill *af = ctx;
    if (!af->p->separator) {
        if (af->texts)
            af->texts[af->n] = text;
        af->n++;
        return 0;
    }
    const char *s = text.base, *end = text.base + text.len;
    size_t sl = af->p->separator_len;
    for (;;) {
        const char *hit = memmem(s, (size_t)(end - s), af->p->separator, sl);
        const char *b = s, *e = hit ? hit : end;
        if (af->p->source == SQ__SOURCE_HEADER) /* "a, b": list items of a header lose their spaces */
            trim_ows(&b, &e);
        if (af->texts)
            af->texts[af->n] = (sq_slice){b, (size_t)(e - b)};
        af->n++;
        if (!hit)
            return 0;
        s = hit + sl;
    }
}

/* ======================================================================
 * Running
 * ====================================================================== */

static const char *const loc_names[] = {"path", "query", "headers", "cookie"};
static const size_t loc_name_lens[] = {4, 5, 7, 6};

static void loc_set_string(sq_loc *loc, size_t i, const char *s, size_t n) {
    loc->items[i].type = SQ_JSON_STRING;
    loc->items[i].u.str.ptr = s;
    loc->items[i].u.str.len = n;
}

static int add_error(sq_error_list *errs, const sq_loc *loc, sq_arena *arena, const char *type,
                     const char *msg, const sq_json_value *input) {
    sq_validation_error e;
    e.type = type;
    e.msg = msg;
    e.input = input;
    e.ctx = NULL;
    e.loc = sq_loc_to_json(loc, arena);
    if (!e.loc)
        return SQ_ENOMEM;
    return sq_error_list_add(errs, &e) < 0 ? SQ_ENOMEM : 0;
}

static int add_coerce_error(sq_error_list *errs, const sq_loc *loc, sq_arena *arena,
                            const sq__coerce_error *ce, sq_slice text) {
    const sq_json_value *input = sq__coerce_error_input(ce, text.base, text.len, arena);
    if (!input)
        return SQ_ENOMEM;
    return add_error(errs, loc, arena, ce->type, ce->msg, input);
}

static int validate_value(const sq_schema *schema, const sq_json_value *value, sq_loc *loc,
                          sq_error_list *errs) {
    if (!schema)
        return 0;
    int rc = sq_schema_validate(schema, value, loc, errs);
    return rc < 0 ? rc : 0;
}

/* Extract, coerce and validate one parameter (pydantic's wording). */
static int check_param(const sq__param *p, const sq_request *req, sq_arena *arena, sq_error_list *errs,
                       const sq_json_value **value_out);

/* check_param, then the jsonschema wording when the spec asks for it. */
static int run_param(const sq__param *p, const sq_request *req, sq_arena *arena, sq_error_list *errs,
                     const sq_json_value **value_out) {
    size_t first = errs->len;
    int rc = check_param(p, req, arena, errs, value_out);
    if (rc == 0 && p->format_asserted) {
        /* A format check, not a parser: its verdict has no parser's reason. */
        for (size_t i = first; i < errs->len; i++)
            if (strcmp(errs->items[i].type, "uuid_parsing") == 0)
                errs->items[i].msg = "Input should be a valid UUID";
    }
    if (rc == 0 && p->jsonschema_style && errs->len > first) {
        /* On error *value_out is still the coerced value (or NULL). */
        rc = sq__restyle_param_errors(errs->items + first, errs->len - first, *value_out, NULL, p->format,
                                      arena);
    }
    return rc;
}

static int check_param(const sq__param *p, const sq_request *req, sq_arena *arena, sq_error_list *errs,
                       const sq_json_value **value_out) {
    sq_loc loc;
    loc.len = 2;
    loc_set_string(&loc, 0, loc_names[p->source], loc_name_lens[p->source]);
    loc_set_string(&loc, 1, p->loc_key, p->loc_key_len);
    *value_out = NULL;
    int rc;

    if (!p->plan.is_array) {
        scalar_pick sp = {0, p->source == SQ__SOURCE_QUERY, {NULL, 0}};
        for_each_occurrence(p, req, pick_scalar, &sp);
        if (!sp.found)
            goto absent;
        sq_json_value *v = sq_arena_alloc(arena, sizeof *v);
        if (!v)
            return SQ_ENOMEM;
        sq__coerce_error ce;
        rc = sq__coerce_scalar(&p->plan.scalar, sp.text.base, sp.text.len, arena, v, &ce);
        if (rc < 0)
            return rc;
        if (rc > 0)
            return add_coerce_error(errs, &loc, arena, &ce, sp.text);
        *value_out = v;
        size_t first = errs->len;
        if ((rc = validate_value(p->schema, v, &loc, errs)) != 0)
            return rc;
        /* pydantic validates the text itself, so its errors show the text
         * received ("0"), not the converted value (FastAPI's replies; fixture
         * validation_errors/05). */
        if (errs->len > first && (v->type != SQ_JSON_STRING || v->u.str.ptr != sp.text.base)) {
            sq_json_value *raw = sq_arena_alloc(arena, sizeof *raw);
            if (!raw || sq__utf8_text(sp.text.base, sp.text.len, arena, raw) != 0)
                return SQ_ENOMEM;
            for (size_t i = first; i < errs->len; i++)
                if (errs->items[i].input)
                    errs->items[i].input = raw;
        }
        return 0;
    }

    array_fill af = {p, NULL, 0};
    for_each_occurrence(p, req, fill_array, &af);
    if (af.n == 0)
        goto absent;
    size_t n = af.n;
    af.texts = sq_arena_alloc(arena, n * sizeof *af.texts);
    sq_json_value *arr = sq_arena_alloc(arena, sizeof *arr);
    sq_json_value *items = sq_arena_alloc(arena, n * sizeof *items);
    if (!af.texts || !arr || !items)
        return SQ_ENOMEM;
    af.n = 0;
    for_each_occurrence(p, req, fill_array, &af);
    int failed = 0;
    loc.len = 3;
    for (size_t i = 0; i < n; i++) {
        sq__coerce_error ce;
        rc = sq__coerce_scalar(&p->plan.scalar, af.texts[i].base, af.texts[i].len, arena, &items[i], &ce);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            loc.items[2].type = SQ_JSON_INT;
            loc.items[2].u.i = (int64_t)i;
            if ((rc = add_coerce_error(errs, &loc, arena, &ce, af.texts[i])) != 0)
                return rc;
            failed = 1;
        }
    }
    loc.len = 2;
    arr->type = SQ_JSON_ARRAY;
    arr->u.arr.items = items;
    arr->u.arr.len = n;
    if (failed)
        return 0; /* the schema would only repeat the item errors */
    *value_out = arr;
    return validate_value(p->schema, arr, &loc, errs);

absent:
    if (p->required)
        return add_error(errs, &loc, arena, "missing", "Field required", sq__json_null());
    *value_out = p->default_value;
    return 0;
}

/* Errors' locations compare element by element; integers sort before
 * strings, a prefix before what extends it. Used to list body errors in the
 * fixtures' order (by location). */
static int loc_cmp(const sq_json_value *a, const sq_json_value *b) {
    size_t na = a && a->type == SQ_JSON_ARRAY ? a->u.arr.len : 0;
    size_t nb = b && b->type == SQ_JSON_ARRAY ? b->u.arr.len : 0;
    for (size_t i = 0; i < na && i < nb; i++) {
        const sq_json_value *x = &a->u.arr.items[i], *y = &b->u.arr.items[i];
        int xs = x->type == SQ_JSON_STRING, ys = y->type == SQ_JSON_STRING;
        if (xs != ys)
            return xs - ys;
        if (xs) {
            size_t m = x->u.str.len < y->u.str.len ? x->u.str.len : y->u.str.len;
            int c = memcmp(x->u.str.ptr, y->u.str.ptr, m);
            if (c)
                return c;
            if (x->u.str.len != y->u.str.len)
                return x->u.str.len < y->u.str.len ? -1 : 1;
        } else if (x->type == SQ_JSON_INT && y->type == SQ_JSON_INT && x->u.i != y->u.i) {
            return x->u.i < y->u.i ? -1 : 1;
        }
    }
    return na == nb ? 0 : (na < nb ? -1 : 1);
}

/* Stable insertion sort: error lists are short, and this runs only when a
 * request is invalid. */
static void sort_errors(sq_validation_error *e, size_t n) {
    for (size_t i = 1; i < n; i++) {
        sq_validation_error cur = e[i];
        size_t j = i;
        while (j > 0 && loc_cmp(e[j - 1].loc, cur.loc) > 0) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = cur;
    }
}

/* Drop the schema's errors about form fields whose text did not coerce
 * (their coercion error already says what is wrong). */
static size_t drop_failed_field_errors(sq_validation_error *e, size_t from, size_t n,
                                       const sq__failed_fields *failed) {
    size_t out = from;
    for (size_t i = from; i < n; i++) {
        int drop = 0;
        const sq_json_value *loc = e[i].loc;
        if (loc && loc->type == SQ_JSON_ARRAY && loc->u.arr.len >= 2 &&
            loc->u.arr.items[1].type == SQ_JSON_STRING && strcmp(e[i].type, "missing") != 0) {
            for (size_t f = 0; f < failed->len && !drop; f++)
                drop = loc->u.arr.items[1].u.str.len == failed->lens[f] &&
                       memcmp(loc->u.arr.items[1].u.str.ptr, failed->names[f], failed->lens[f]) == 0;
        }
        if (!drop)
            e[out++] = e[i];
    }
    return out;
}

static const char *problem_error_type(int problem) {
    switch (problem) {
    case SQ_VPROBLEM_MEDIA_TYPE:
        return "unsupported_media_type";
    case SQ_VPROBLEM_CHARSET:
        return "unsupported_charset";
    case SQ_VPROBLEM_MALFORMED_JSON:
        return "json_invalid";
    case SQ_VPROBLEM_TOO_DEEP:
        return "json_too_deep";
    case SQ_VPROBLEM_TOO_LARGE:
        return "too_large";
    default:
        return "form_invalid";
    }
}

static int problem_status(int problem) {
    switch (problem) {
    case SQ_VPROBLEM_TOO_LARGE:
        return 413;
    case SQ_VPROBLEM_MEDIA_TYPE:
    case SQ_VPROBLEM_CHARSET:
        return 415;
    case SQ_VPROBLEM_NONE:
        return 0;
    default:
        return 400;
    }
}

static int run_body(const sq_validator *v, const sq_request *req, sq_arena *arena, sq_error_list *errs,
                    sq_validation *out) {
    sq__failed_fields failed = {NULL, NULL, 0, 0};
    sq__body_result br;
    memset(&br, 0, sizeof br);
    size_t first = errs->len;
    int rc = sq__body_decode(&v->body, req, arena, errs, &failed, &br);
    if (rc < 0)
        return rc;
    sq_loc loc;
    loc.len = 1;
    loc_set_string(&loc, 0, "body", 4);
    if (br.problem != SQ_VPROBLEM_NONE) {
        /* The whole request is refused for this reason alone: one error
         * describes it, so that num_errors > 0 still means "invalid". */
        out->problem = br.problem;
        out->problem_detail = br.problem_detail;
        out->status = problem_status(br.problem);
        errs->len = 0;
        return add_error(errs, &loc, arena, problem_error_type(br.problem),
                         br.problem_detail ? br.problem_detail : "Invalid request body", NULL);
    }
    out->files = br.files;
    out->num_files = br.num_files;
    if (!br.value) {
        if (v->body.required)
            return add_error(errs, &loc, arena, "missing", "Field required", sq__json_null());
        return 0;
    }
    if (v->body.num_files && (rc = sq__check_files(&v->body, br.files, br.num_files, arena, errs)) != 0)
        return rc;
    size_t before_schema = errs->len;
    if (v->body.media == SQ__BODY_JSON && v->body.schema) {
        /* A JSON body is a tree parsed into this request's arena, nothing
         * in it shared: its member keys may be pointed at the schema's names
         * (sq_validator_body_property_name). */
        rc = sq_schema_validate_intern_keys(v->body.schema, (sq_json_value *)(uintptr_t)br.value, &loc, errs);
        if (rc < 0)
            return rc;
    } else if ((rc = validate_value(v->body.schema, br.value, &loc, errs)) != 0) {
        return rc;
    }
    if (failed.len)
        errs->len = drop_failed_field_errors(errs->items, before_schema, errs->len, &failed);
    if (errs->len - first > 1)
        sort_errors(errs->items + first, errs->len - first);
    out->body = br.value;
    return 0;
}

int sq_validator_run(const sq_validator *v, const sq_request *req, sq_arena *arena, sq_validation *out) {
    memset(out, 0, sizeof *out);
    sq_error_list errs;
    sq_error_list_init(&errs, arena);
    const sq_json_value **values = NULL;
    int rc;
    if (v->num_params) {
        values = sq_arena_alloc(arena, v->num_params * sizeof *values);
        if (!values)
            return SQ_ENOMEM;
    }
    for (size_t i = 0; i < v->num_params; i++)
        if ((rc = run_param(&v->params[i], req, arena, &errs, &values[i])) != 0)
            return rc;
    out->values = values;
    out->num_values = v->num_params;
    if (v->has_body && (rc = run_body(v, req, arena, &errs, out)) != 0)
        return rc;
    out->errors = errs.items;
    out->num_errors = errs.len;
    if (out->status == 0 && errs.len)
        out->status = 422;
    if (out->status != 0) { /* never hand half-validated data on */
        out->body = NULL;
        out->files = NULL;
        out->num_files = 0;
    }
    return 0;
}
