/* Request bodies by Content-Type: JSON parsed into the request arena, and
 * application/x-www-form-urlencoded turned into a JSON object of its
 * fields (texts coerced following the body schema's properties) so that
 * the same schema validation applies. Decides the 415 and 400 outcomes
 * (unsupported media type or charset, malformed JSON, nesting too deep,
 * multipart without boundary, malformed form). */
#include <stdio.h>
#include <string.h>

#include "squall/form.h"
#include "validator_internal.h"

#define MAX_FORM_FIELDS 1000 /* more pairs than this: 400, bounds the field grouping below */

/* ---- Content-Type ---- */

typedef struct content_type {
    sq_slice type;    /* "application/json", case as received */
    sq_slice charset; /* base NULL when absent */
} content_type;

static void trim(const char **s, const char **e) {
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static void parse_content_type(sq_slice v, content_type *ct) {
    memset(ct, 0, sizeof *ct);
    const char *p = v.base, *end = v.base + v.len;
    const char *semi = memchr(p, ';', v.len);
    const char *ts = p, *te = semi ? semi : end;
    trim(&ts, &te);
    ct->type = (sq_slice){ts, (size_t)(te - ts)};
    while (semi) {
        p = semi + 1;
        semi = memchr(p, ';', (size_t)(end - p));
        const char *ps = p, *pe = semi ? semi : end;
        const char *eq = memchr(ps, '=', (size_t)(pe - ps));
        if (!eq)
            continue;
        const char *ns = ps, *ne = eq, *vs = eq + 1, *ve = pe;
        trim(&ns, &ne);
        trim(&vs, &ve);
        if (ve - vs >= 2 && vs[0] == '"' && ve[-1] == '"')
            vs++, ve--;
        if (sq__ascii_ieq(ns, (size_t)(ne - ns), "charset", 7))
            ct->charset = (sq_slice){vs, (size_t)(ve - vs)};
    }
}

static int is_json_type(sq_slice t) {
    if (sq__ascii_ieq(t.base, t.len, "application/json", 16))
        return 1;
    /* application/<anything>+json (vendor types such as application/vnd.api+json) */
    return t.len > 17 && sq__ascii_ieq(t.base, 12, "application/", 12) &&
           sq__ascii_ieq(t.base + t.len - 5, 5, "+json", 5);
}

/* ---- JSON ---- */

/* Greatest nesting reached in input[0..upto), strings skipped: tells a
 * nesting-limit failure from a syntax error after the parser refused. */
static int nesting_depth(const char *s, size_t upto) {
    int depth = 0, max = 0, in_str = 0;
    for (size_t i = 0; i < upto; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return max;
}

static int decode_json(const sq__body_spec *spec, const sq_request *req, sq_arena *arena,
                       sq__body_result *out) {
    sq_json_parse_options opts = {spec->max_depth};
    sq_json_value *root = NULL;
    sq_json_error jerr = {0, NULL};
    int rc = sq_json_parse(req->body.base, req->body.len, arena, &opts, &root, &jerr);
    if (rc == SQ_ENOMEM)
        return rc;
    if (rc != 0) {
        int limit = spec->max_depth ? spec->max_depth : 256;
        size_t upto = jerr.offset < req->body.len ? jerr.offset + 1 : req->body.len;
        if (nesting_depth(req->body.base, upto) > limit) {
            char *detail = sq_arena_alloc(arena, 64);
            if (!detail)
                return SQ_ENOMEM;
            snprintf(detail, 64, "Request body exceeds maximum nesting depth of %d", limit);
            out->problem = SQ_VPROBLEM_TOO_DEEP;
            out->problem_detail = detail;
        } else {
            out->problem = SQ_VPROBLEM_MALFORMED_JSON;
            out->problem_detail = "Invalid request format";
        }
        return 0;
    }
    out->value = root;
    return 0;
}

/* ---- application/x-www-form-urlencoded ---- */

typedef struct form_slot {
    const char *key; /* valid UTF-8 */
    size_t key_len;
    sq_slice raw;                /* the name as sent, to group repeats */
    const sq__form_field *field; /* NULL: not a declared property */
    int is_array;
    size_t count;      /* values seen */
    size_t next_index; /* "key[N]" form: the N expected next */
    size_t last_entry; /* scalar: the last entry */
    size_t *entries;   /* array: every entry (pass 2) */
    size_t filled;
} form_slot;

static const sq__form_field *find_field(const sq__body_spec *spec, const char *k, size_t n) {
    for (size_t i = 0; i < spec->num_fields; i++)
        if (spec->fields[i].name_len == n && memcmp(spec->fields[i].name, k, n) == 0)
            return &spec->fields[i];
    return NULL;
}

/* "tags[]" -> "tags" (bracket 1); "items[3]" -> "items" with index 3
 * (bracket 2); else as it is (0). */
static int split_key(sq_slice key, sq_slice *name, long *index) {
    *name = key;
    *index = -1;
    if (key.len < 3 || key.base[key.len - 1] != ']')
        return 0;
    const char *open = NULL;
    for (size_t i = key.len - 1; i-- > 0;)
        if (key.base[i] == '[') {
            open = key.base + i;
            break;
        }
    if (!open || open == key.base)
        return 0;
    const char *ds = open + 1, *de = key.base + key.len - 1;
    name->len = (size_t)(open - key.base);
    if (ds == de)
        return 1;
    long v = 0;
    for (const char *d = ds; d < de; d++) {
        if (*d < '0' || *d > '9' || v > 100000) {
            *name = key;
            return 0;
        }
        v = v * 10 + (*d - '0');
    }
    *index = v;
    return 2;
}

static int form_fail(sq_arena *arena, sq__body_result *out, const char *reason) {
    static const char prefix[] = "Failed to parse URL-encoded form data: ";
    size_t rl = strlen(reason);
    char *d = sq_arena_alloc(arena, sizeof prefix + rl);
    if (!d)
        return SQ_ENOMEM;
    memcpy(d, prefix, sizeof prefix - 1);
    memcpy(d + sizeof prefix - 1, reason, rl + 1);
    out->problem = SQ_VPROBLEM_BAD_FORM;
    out->problem_detail = d;
    return 0;
}

static int note_failed(sq__failed_fields *f, sq_arena *arena, const char *name, size_t len) {
    if (f->len == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 8;
        const char **names = sq_arena_alloc(arena, ncap * sizeof *names);
        size_t *lens = sq_arena_alloc(arena, ncap * sizeof *lens);
        if (!names || !lens)
            return SQ_ENOMEM;
        if (f->len) {
            memcpy(names, f->names, f->len * sizeof *names);
            memcpy(lens, f->lens, f->len * sizeof *lens);
        }
        f->names = names;
        f->lens = lens;
        f->cap = ncap;
    }
    f->names[f->len] = name;
    f->lens[f->len++] = len;
    return 0;
}

static int coerce_field(const form_slot *s, sq_slice text, long index, sq_arena *arena, sq_error_list *errors,
                        sq__failed_fields *failed, sq_json_value *out, int *bad) {
    static const sq__scalar_plan text_plan = {SQ__COERCE_STRING, SQ__FORMAT_NONE};
    const sq__scalar_plan *plan = s->field ? &s->field->plan.scalar : &text_plan;
    sq__coerce_error ce;
    int rc = sq__coerce_scalar(plan, text.base, text.len, arena, out, &ce);
    if (rc <= 0)
        return rc;
    /* The object keeps the text (the schema's complaints about this field
     * are dropped later: the coercion error says it already). */
    if ((rc = sq__utf8_text(text.base, text.len, arena, out)) != 0)
        return rc;
    sq_loc loc;
    loc.len = index >= 0 ? 3 : 2;
    loc.items[0].type = SQ_JSON_STRING;
    loc.items[0].u.str.ptr = "body";
    loc.items[0].u.str.len = 4;
    loc.items[1].type = SQ_JSON_STRING;
    loc.items[1].u.str.ptr = s->key;
    loc.items[1].u.str.len = s->key_len;
    loc.items[2].type = SQ_JSON_INT;
    loc.items[2].u.i = index;
    sq_validation_error e;
    e.type = ce.type;
    e.msg = ce.msg;
    e.ctx = NULL;
    e.input = sq__coerce_error_input(&ce, text.base, text.len, arena);
    e.loc = sq_loc_to_json(&loc, arena);
    if (!e.input || !e.loc || sq_error_list_add(errors, &e) < 0)
        return SQ_ENOMEM;
    if (!*bad && note_failed(failed, arena, s->key, s->key_len) != 0)
        return SQ_ENOMEM;
    *bad = 1;
    return 0;
}

/* One field of a form, whatever its encoding. */
typedef struct form_entry {
    sq_slice key;
    sq_slice value;
    long file; /* index into the result's files, or -1 for a text field */
} form_entry;

/* A file's value in the object is its filename (a string, so schemas that
 * declare files as {"type": "string", "format": "binary"} accept it); the
 * bytes reach the binding through sq_validation.files. */
static int form_value(const form_slot *s, const form_entry *e, long index, sq_arena *arena,
                      sq_error_list *errors, sq__failed_fields *failed, sq_json_value *out, int *bad) {
    if (e->file >= 0) {
        out->type = SQ_JSON_STRING;
        out->u.str.ptr = e->value.base;
        out->u.str.len = e->value.len;
        return 0;
    }
    return coerce_field(s, e->value, index, arena, errors, failed, out, bad);
}

/* Group the entries by field name ("tags[]" and "items[N]" are the fields
 * "tags" and "items") into a JSON object: a list where the schema's
 * property is an array (or the name had brackets and is not declared),
 * else the last value; texts coerced following the property, files given
 * as their filename. */
static int build_form_object(const sq__body_spec *spec, const form_entry *entries, size_t n, sq_arena *arena,
                             sq_error_list *errors, sq__failed_fields *failed, sq__body_result *out) {
    form_slot *slots = sq_arena_alloc(arena, (n ? n : 1) * sizeof *slots);
    if (!slots)
        return SQ_ENOMEM;
    /* Pass 1: group the pairs by field name. */
    size_t num_slots = 0;
    for (size_t i = 0; i < n; i++) {
        sq_slice name;
        long index;
        int brackets = split_key(entries[i].key, &name, &index);
        if (name.len == 0)
            continue;
        form_slot *s = NULL;
        for (size_t k = 0; k < num_slots && !s; k++)
            if (slots[k].raw.len == name.len && memcmp(slots[k].raw.base, name.base, name.len) == 0)
                s = &slots[k];
        if (!s) {
            s = &slots[num_slots++];
            memset(s, 0, sizeof *s);
            /* Field names become object keys and error locations: they
             * must be valid UTF-8 like every other string. */
            sq_json_value key;
            int rc = sq__utf8_text(name.base, name.len, arena, &key);
            if (rc != 0)
                return rc;
            s->key = key.u.str.ptr;
            s->key_len = key.u.str.len;
            s->raw = name;
            s->field = find_field(spec, name.base, name.len);
            s->is_array = s->field ? s->field->plan.is_array : brackets != 0;
        }
        if (brackets == 2) {
            if ((size_t)index != s->next_index) {
                char reason[96];
                snprintf(reason, sizeof reason, "missing index, expected: %zu got %ld", s->next_index, index);
                return form_fail(arena, out, reason);
            }
            s->next_index++;
        }
        s->count++;
        s->last_entry = i;
    }
    /* Pass 2: the entries of list fields, in order. */
    for (size_t k = 0; k < num_slots; k++) {
        if (!slots[k].is_array)
            continue;
        slots[k].entries = sq_arena_alloc(arena, slots[k].count * sizeof *slots[k].entries);
        if (!slots[k].entries)
            return SQ_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        sq_slice name;
        long index;
        split_key(entries[i].key, &name, &index);
        for (size_t k = 0; k < num_slots; k++)
            if (slots[k].is_array && slots[k].raw.len == name.len &&
                memcmp(slots[k].raw.base, name.base, name.len) == 0) {
                slots[k].entries[slots[k].filled++] = i;
                break;
            }
    }
    /* Build the object, coercing each text. */
    sq_json_value *obj = sq_arena_alloc(arena, sizeof *obj);
    sq_json_member *members = sq_arena_alloc(arena, (num_slots ? num_slots : 1) * sizeof *members);
    if (!obj || !members)
        return SQ_ENOMEM;
    for (size_t k = 0; k < num_slots; k++) {
        form_slot *s = &slots[k];
        sq_json_member *m = &members[k];
        m->key = s->key;
        m->key_len = s->key_len;
        int bad = 0, rc;
        if (!s->is_array) {
            if ((rc = form_value(s, &entries[s->last_entry], -1, arena, errors, failed, &m->value, &bad)) !=
                0)
                return rc;
            continue;
        }
        sq_json_value *items = sq_arena_alloc(arena, (s->filled ? s->filled : 1) * sizeof *items);
        if (!items)
            return SQ_ENOMEM;
        for (size_t j = 0; j < s->filled; j++)
            if ((rc = form_value(s, &entries[s->entries[j]], (long)j, arena, errors, failed, &items[j],
                                 &bad)) != 0)
                return rc;
        m->value.type = SQ_JSON_ARRAY;
        m->value.u.arr.items = items;
        m->value.u.arr.len = s->filled;
    }
    obj->type = SQ_JSON_OBJECT;
    obj->u.obj.members = members;
    obj->u.obj.len = num_slots;
    out->value = obj;
    return 0;
}

static int decode_urlencoded(const sq__body_spec *spec, sq_slice body, sq_arena *arena, sq_error_list *errors,
                             sq__failed_fields *failed, sq__body_result *out) {
    size_t cap = sq_form_urlencoded_max_pairs(body);
    if (cap > MAX_FORM_FIELDS)
        return form_fail(arena, out, "too many fields");
    char *scratch = sq_arena_alloc(arena, body.len + 1);
    sq_query_pair *pairs = sq_arena_alloc(arena, cap * sizeof *pairs);
    form_entry *entries = sq_arena_alloc(arena, cap * sizeof *entries);
    if (!scratch || !pairs || !entries)
        return SQ_ENOMEM;
    int n = body.len ? sq_form_urlencoded_parse(body, scratch, pairs, cap) : 0;
    if (n == SQ_ENOMEM)
        return n;
    if (n < 0)
        return form_fail(arena, out, "too many fields");
    for (int i = 0; i < n; i++)
        entries[i] = (form_entry){pairs[i].key, pairs[i].value, -1};
    return build_form_object(spec, entries, (size_t)n, arena, errors, failed, out);
}

static int multipart_fail(sq_arena *arena, sq__body_result *out, int problem, const char *reason) {
    static const char prefix[] = "Failed to parse multipart form data: ";
    size_t rl = strlen(reason);
    char *d = sq_arena_alloc(arena, sizeof prefix + rl);
    if (!d)
        return SQ_ENOMEM;
    memcpy(d, prefix, sizeof prefix - 1);
    memcpy(d + sizeof prefix - 1, reason, rl + 1);
    out->problem = problem;
    out->problem_detail = d;
    return 0;
}

static int decode_multipart(const sq__body_spec *spec, sq_slice ctype_value, sq_slice body, sq_arena *arena,
                            sq_error_list *errors, sq__failed_fields *failed, sq__body_result *out) {
    sq_slice boundary;
    int rc = sq_multipart_boundary(ctype_value, &boundary);
    if (rc == SQ_ENOTFOUND) {
        out->problem = SQ_VPROBLEM_NO_BOUNDARY;
        out->problem_detail = "multipart/form-data requires 'boundary' parameter";
        return 0;
    }
    if (rc != 0)
        return multipart_fail(arena, out, SQ_VPROBLEM_BAD_FORM, "invalid boundary");
    sq_multipart_result res;
    rc = sq_multipart_parse(body, boundary, NULL, arena, &res);
    if (rc == SQ_ENOMEM)
        return rc;
    if (rc == SQ_ETOOBIG)
        return multipart_fail(arena, out, SQ_VPROBLEM_TOO_LARGE,
                              res.error_reason ? res.error_reason : "too large");
    if (rc != 0)
        return multipart_fail(arena, out, SQ_VPROBLEM_BAD_FORM,
                              res.error_reason ? res.error_reason : "malformed");

    form_entry *entries = sq_arena_alloc(arena, (res.num_parts ? res.num_parts : 1) * sizeof *entries);
    sq_validation_file *files = sq_arena_alloc(arena, (res.num_parts ? res.num_parts : 1) * sizeof *files);
    if (!entries || !files)
        return SQ_ENOMEM;
    size_t n = 0, nf = 0;
    for (size_t i = 0; i < res.num_parts; i++) {
        const sq_multipart_part *part = &res.parts[i];
        if (!part->has_filename) {
            entries[n++] = (form_entry){part->name, part->data, -1};
            continue;
        }
        /* A file input left empty: FastAPI reports the file as missing. */
        if (part->filename.len == 0 && part->data.len == 0)
            continue;
        sq_json_value name_text;
        if ((rc = sq__utf8_text(part->filename.base, part->filename.len, arena, &name_text)) != 0)
            return rc;
        sq_validation_file *f = &files[nf];
        f->field = part->name;
        f->filename = (sq_slice){name_text.u.str.ptr, name_text.u.str.len};
        f->content_type = part->content_type;
        f->data = part->data;
        f->headers = part->headers;
        f->num_headers = part->num_headers;
        entries[n++] = (form_entry){part->name, f->filename, (long)nf};
        nf++;
    }
    out->files = files;
    out->num_files = nf;
    return build_form_object(spec, entries, n, arena, errors, failed, out);
}

/* ---- Dispatch ---- */

int sq__body_decode(const sq__body_spec *spec, const sq_request *req, sq_arena *arena, sq_error_list *errors,
                    sq__failed_fields *failed, sq__body_result *out) {
    memset(out, 0, sizeof *out);
    long h = sq__find_header(req, "content-type", 12, 0);
    content_type ct;
    if (h >= 0)
        parse_content_type(req->headers[h].value, &ct);

    if (spec->media == SQ__BODY_JSON) {
        if (h < 0 || ct.type.len == 0) {
            /* No Content-Type: a body is taken as JSON (fixture content_types/19). */
            return req->body.len ? decode_json(spec, req, arena, out) : 0;
        }
        if (!is_json_type(ct.type)) {
            if (req->body.len == 0)
                return 0; /* nothing sent: "missing" if required */
            out->problem = SQ_VPROBLEM_MEDIA_TYPE;
            out->problem_detail = "Unsupported media type";
            return 0;
        }
        if (ct.charset.base && !sq__ascii_ieq(ct.charset.base, ct.charset.len, "utf-8", 5) &&
            !sq__ascii_ieq(ct.charset.base, ct.charset.len, "utf8", 4)) {
            static const char fmt[] = "Unsupported charset '%.*s' for JSON. Only UTF-8 is supported.";
            size_t cl = ct.charset.len > 64 ? 64 : ct.charset.len;
            /* The detail quotes the client's text: make it valid UTF-8. */
            sq_json_value name;
            int rc = sq__utf8_text(ct.charset.base, cl, arena, &name);
            if (rc != 0)
                return rc;
            size_t dl = sizeof fmt + name.u.str.len;
            char *d = sq_arena_alloc(arena, dl);
            if (!d)
                return SQ_ENOMEM;
            snprintf(d, dl, fmt, (int)name.u.str.len, name.u.str.ptr);
            out->problem = SQ_VPROBLEM_CHARSET;
            out->problem_detail = d;
            return 0;
        }
        return req->body.len ? decode_json(spec, req, arena, out) : 0;
    }

    /* Form bodies: urlencoded, or multipart. */
    if (h >= 0 && sq__ascii_ieq(ct.type.base, ct.type.len, "multipart/form-data", 19))
        return decode_multipart(spec, req->headers[h].value, req->body, arena, errors, failed, out);
    if (h >= 0 && ct.type.len &&
        !sq__ascii_ieq(ct.type.base, ct.type.len, "application/x-www-form-urlencoded", 33)) {
        out->problem = SQ_VPROBLEM_MEDIA_TYPE;
        out->problem_detail = "Unsupported media type";
        return 0;
    }
    return decode_urlencoded(spec, req->body, arena, errors, failed, out);
}

/* ---- File checks ("files" in the body spec) ---- */

/* A few well-known signatures, enough to catch a type that lies. */
static const char *sniff_type(sq_slice d) {
    static const struct {
        const char *magic;
        size_t len;
        const char *type;
    } sigs[] = {
        {"\x89PNG\r\n\x1a\n", 8, "image/png"},
        {"\xff\xd8\xff", 3, "image/jpeg"},
        {"GIF87a", 6, "image/gif"},
        {"GIF89a", 6, "image/gif"},
        {"%PDF", 4, "application/pdf"},
        {"PK\x03\x04", 4, "application/zip"},
        {"\x1f\x8b", 2, "application/gzip"},
        {"BM", 2, "image/bmp"},
    };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        if (d.len >= sigs[i].len && memcmp(d.base, sigs[i].magic, sigs[i].len) == 0)
            return sigs[i].type;
    if (d.len >= 12 && memcmp(d.base, "RIFF", 4) == 0 && memcmp(d.base + 8, "WEBP", 4) == 0)
        return "image/webp";
    return NULL;
}

static const sq_json_value *text_value(sq_arena *a, const char *s, size_t n) {
    if (!s)
        return NULL;
    sq_json_value *v = sq_arena_alloc(a, sizeof *v);
    if (!v || sq__utf8_text(s, n, a, v) != 0)
        return NULL;
    return v;
}

static int file_error(sq_error_list *errors, sq_arena *a, const sq__file_spec *f, const char *type,
                      const char *msg, const sq_json_value *input, const sq_json_value *ctx) {
    sq_loc loc;
    loc.len = 2;
    loc.items[0].type = SQ_JSON_STRING;
    loc.items[0].u.str.ptr = "files";
    loc.items[0].u.str.len = 5;
    loc.items[1].type = SQ_JSON_STRING;
    loc.items[1].u.str.ptr = f->name;
    loc.items[1].u.str.len = f->name_len;
    sq_validation_error e = {type, sq_loc_to_json(&loc, a), msg, input, ctx};
    if (!e.loc || !msg)
        return SQ_ENOMEM;
    return sq_error_list_add(errors, &e) < 0 ? SQ_ENOMEM : 0;
}

/* {"k1": v1, "k2": v2, "k3": v3}, NULL keys end it. */
static const sq_json_value *object3(sq_arena *a, const char *k1, const sq_json_value *v1, const char *k2,
                                    const sq_json_value *v2, const char *k3, const sq_json_value *v3) {
    const char *keys[3] = {k1, k2, k3};
    const sq_json_value *vals[3] = {v1, v2, v3};
    size_t n = 0;
    while (n < 3 && keys[n]) {
        if (!vals[n])
            return NULL;
        n++;
    }
    sq_json_value *o = sq_arena_alloc(a, sizeof *o);
    sq_json_member *m = sq_arena_alloc(a, (n ? n : 1) * sizeof *m);
    if (!o || !m)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        m[i].key = keys[i];
        m[i].key_len = strlen(keys[i]);
        m[i].value = *vals[i];
    }
    o->type = SQ_JSON_OBJECT;
    o->u.obj.members = m;
    o->u.obj.len = n;
    return o;
}

static int check_one_file(const sq__file_spec *f, const sq_validation_file *file, sq_arena *a,
                          sq_error_list *errors) {
    sq_slice ct = file->content_type;
    const char *semi = ct.len ? memchr(ct.base, ';', ct.len) : NULL;
    if (semi)
        ct.len = (size_t)(semi - ct.base);
    /* Messages quote the client's type: make it valid UTF-8 first. */
    const sq_json_value *ct_text = text_value(a, ct.base ? ct.base : "", ct.len);
    if (!ct_text)
        return SQ_ENOMEM;
    ct = (sq_slice){ct_text->u.str.ptr, ct_text->u.str.len};
    if (f->content_types && f->content_types->u.arr.len) {
        int allowed = 0;
        for (size_t i = 0; i < f->content_types->u.arr.len && !allowed; i++) {
            const sq_json_value *t = &f->content_types->u.arr.items[i];
            allowed = t->type == SQ_JSON_STRING && sq__ascii_ieq(t->u.str.ptr, t->u.str.len, ct.base, ct.len);
        }
        if (!allowed) {
            char *msg = sq_arena_alloc(a, ct.len + 32);
            if (!msg)
                return SQ_ENOMEM;
            snprintf(msg, ct.len + 32, "File type not allowed: %.*s", (int)ct.len, ct.base);
            return file_error(
                errors, a, f, "validation_error", msg, NULL,
                object3(a, "content_type", ct_text, "allowed_types", f->content_types, NULL, NULL));
        }
    }
    if (!f->check_magic)
        return 0;
    if (file->data.len == 0) {
        sq_json_value *zero = sq_arena_alloc(a, sizeof *zero);
        if (!zero)
            return SQ_ENOMEM;
        zero->type = SQ_JSON_INT;
        zero->u.i = 0;
        return file_error(errors, a, f, "validation_error", "File buffer is empty", NULL,
                          object3(a, "buffer_size", zero, NULL, NULL, NULL, NULL));
    }
    const char *detected = sniff_type(file->data);
    if (!detected || ct.len == 0 || sq__ascii_ieq(detected, strlen(detected), ct.base, ct.len))
        return 0;
    /* The declared type lies about the bytes. */
    static const char hex[] = "0123456789abcdef";
    size_t nb = file->data.len < 8 ? file->data.len : 8;
    size_t sig =
        strlen(detected) == 10 && memcmp(detected, "image/jpeg", 10) == 0 ? 4 : nb; /* JPEG: SOI + marker */
    if (sig > nb)
        sig = nb;
    char hexbuf[17];
    for (size_t i = 0; i < sig; i++) {
        hexbuf[2 * i] = hex[(unsigned char)file->data.base[i] >> 4];
        hexbuf[2 * i + 1] = hex[(unsigned char)file->data.base[i] & 15];
    }
    size_t ml = ct.len + strlen(detected) + 80;
    char *msg = sq_arena_alloc(a, ml);
    if (!msg)
        return SQ_ENOMEM;
    snprintf(msg, ml, "File type mismatch: MIME type is %.*s but magic numbers indicate %s", (int)ct.len,
             ct.base, detected);
    return file_error(errors, a, f, "validation_error", msg, NULL,
                      object3(a, "declared_mime", ct_text, "detected_type",
                              text_value(a, detected, strlen(detected)), "magic_bytes",
                              text_value(a, sq_arena_strndup(a, hexbuf, 2 * sig), 2 * sig)));
}

int sq__check_files(const sq__body_spec *spec, const sq_validation_file *files, size_t num_files,
                    sq_arena *arena, sq_error_list *errors) {
    for (size_t i = 0; i < spec->num_files; i++) {
        const sq__file_spec *f = &spec->files[i];
        int found = 0, rc;
        for (size_t j = 0; j < num_files; j++) {
            if (files[j].field.len != f->name_len || memcmp(files[j].field.base, f->name, f->name_len) != 0)
                continue;
            found = 1;
            if ((rc = check_one_file(f, &files[j], arena, errors)) != 0)
                return rc;
        }
        if (!found && f->required &&
            (rc = file_error(errors, arena, f, "missing", "Field required", sq__json_null(), NULL)) != 0)
            return rc;
    }
    return 0;
}
