/* Runs every conformance fixture that declares a `body_schema` with a JSON
 * request body through the schema compiler and validator and compares the
 * errors (type, loc, msg, input, ctx, in order) with the fixture's expected
 * 422 body; a fixture expecting success must validate without errors.
 * The fixtures are read at run time from ../shared/conformance/fixtures
 * (SQ_FIXTURES overrides); when absent the test is skipped. */
#include <dirent.h>
#include <stdlib.h>

#include "../../src/core/schema_internal.h"
#include "sq_test.h"
#include "squall/schema.h"

static const char *fixtures_dir(void) {
    const char *env = getenv("SQ_FIXTURES");
    return env ? env : "../shared/conformance/fixtures";
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) *len = (size_t)n;
    return buf;
}

static sq_json_value *obj_member(sq_arena *a, sq_json_value *obj, const char *k, const sq_json_value *v) {
    sq_json_member *m = sq_arena_alloc(a, (obj->u.obj.len + 1) * sizeof *m);
    if (obj->u.obj.len) memcpy(m, obj->u.obj.members, obj->u.obj.len * sizeof *m);
    m[obj->u.obj.len].key = k;
    m[obj->u.obj.len].key_len = strlen(k);
    m[obj->u.obj.len].value = *v;
    obj->u.obj.members = m;
    obj->u.obj.len++;
    return obj;
}

static sq_json_value *errors_to_json(sq_arena *a, const sq_error_list *l) {
    sq_json_value *arr = sq_arena_alloc(a, sizeof *arr);
    arr->type = SQ_JSON_ARRAY;
    arr->u.arr.len = l->len;
    arr->u.arr.items = sq_arena_alloc(a, (l->len + 1) * sizeof(sq_json_value));
    for (size_t i = 0; i < l->len; i++) {
        const sq_validation_error *e = &l->items[i];
        sq_json_value *o = &arr->u.arr.items[i];
        o->type = SQ_JSON_OBJECT;
        o->u.obj.len = 0;
        o->u.obj.members = NULL;
        sq_json_value t = {SQ_JSON_STRING, {0}};
        t.u.str.ptr = e->type;
        t.u.str.len = strlen(e->type);
        obj_member(a, o, "type", &t);
        obj_member(a, o, "loc", e->loc);
        t.u.str.ptr = e->msg;
        t.u.str.len = strlen(e->msg);
        obj_member(a, o, "msg", &t);
        if (e->input) obj_member(a, o, "input", e->input);
        if (e->ctx) obj_member(a, o, "ctx", e->ctx);
    }
    return arr;
}

static int run_fixture(const char *path, int *checked) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return 0;
    sq_arena a;
    sq_arena_init(&a);
    int ok = 1;
    sq_json_value *doc;
    sq_json_error jerr;
    if (sq_json_parse(text, len, &a, NULL, &doc, &jerr)) goto out;
    const sq_json_value *handler = sq_json_get(doc, "handler", 7);
    const sq_json_value *schema_doc = sq_json_get(handler, "body_schema", 11);
    const sq_json_value *request = sq_json_get(doc, "request", 7);
    const sq_json_value *body = sq_json_get(request, "body", 4);
    const sq_json_value *expected = sq_json_get(doc, "expected_response", 17);
    const sq_json_value *status = sq_json_get(expected, "status_code", 11);
    /* a urlencoded form is validated as an object of its (string) fields */
    const sq_json_value *form = sq_json_get(request, "form_data", 9);
    if (!form) form = sq_json_get(request, "data", 4);
    int is_form = 0;
    if ((!body || body->type == SQ_JSON_STRING) && form && form->type == SQ_JSON_OBJECT) {
        body = form;
        is_form = 1;
    }
    if (!schema_doc || !body || !status || body->type == SQ_JSON_STRING) goto out;
    if (sq_json_get(request, "files", 5)) goto out;
    const sq_json_value *ctype = sq_json_get(sq_json_get(request, "headers", 7), "Content-Type", 12);
    if (!is_form && ctype && !(ctype->u.str.len >= 16 && memcmp(ctype->u.str.ptr, "application/json", 16) == 0))
        goto out;
    if (is_form && ctype && ctype->u.str.len >= 9 && memcmp(ctype->u.str.ptr, "multipart", 9) == 0) goto out;
    const sq_json_value *ebody = sq_json_get(expected, "body", 4);
    const sq_json_value *eerrs = sq_json_get(ebody, "errors", 6);
    int64_t st = status->u.i;
    if (!(st < 300 || (st == 422 && eerrs))) goto out;
    /* only fixtures whose errors are all about the body */
    if (eerrs) {
        for (size_t i = 0; i < eerrs->u.arr.len; i++) {
            const sq_json_value *loc = sq_json_get(&eerrs->u.arr.items[i], "loc", 3);
            if (!loc || loc->u.arr.len == 0 || loc->u.arr.items[0].u.str.len != 4 ||
                memcmp(loc->u.arr.items[0].u.str.ptr, "body", 4) != 0)
                goto out;
        }
    }
    char errbuf[256];
    sq_schema *s = sq_schema_compile(schema_doc, errbuf, sizeof errbuf);
    if (!s) {
        fprintf(stderr, "%s: compile failed: %s\n", path, errbuf);
        ok = 0;
        goto out;
    }
    (*checked)++;
    sq_loc loc;
    loc.len = 1;
    loc.items[0].type = SQ_JSON_STRING;
    loc.items[0].u.str.ptr = "body";
    loc.items[0].u.str.len = 4;
    sq_error_list errs;
    sq_error_list_init(&errs, &a);
    int n = sq_schema_validate(s, body, &loc, &errs);
    if (!eerrs) {
        if (n != 0) {
            fprintf(stderr, "%s: expected valid, got %d errors (first: %s %s)\n", path, n, errs.items[0].type,
                    errs.items[0].msg);
            ok = 0;
        }
    } else {
        sq_json_value *got = errors_to_json(&a, &errs);
        if (!sq__json_equal(got, eerrs)) {
            sq_buf b;
            sq_buf_init(&b);
            sq_json_write_value(&b, got);
            sq_buf_append(&b, "\n   want: ", 10);
            sq_json_write_value(&b, eerrs);
            fprintf(stderr, "%s:\n   got:  %.*s\n", path, (int)b.len, b.data);
            sq_buf_free(&b);
            ok = 0;
        }
    }
    sq_schema_free(s);
out:
    sq_arena_free(&a);
    free(text);
    return ok;
}

static void test_fixtures(void) {
    static const char *const cats[] = {"json_bodies", "validation_errors", "http_methods", "edge_cases",
                                       "content_types", "status_codes", "url_encoded"};
    int checked = 0, failed = 0;
    for (size_t k = 0; k < sizeof cats / sizeof cats[0]; k++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", fixtures_dir(), cats[k]);
        DIR *d = opendir(dir);
        if (!d) continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t nl = strlen(de->d_name);
            if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") || strcmp(de->d_name, "schema.json") == 0) continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            if (!run_fixture(path, &checked)) failed++;
        }
        closedir(d);
    }
    printf("fixtures checked: %d, failed: %d\n", checked, failed);
    if (checked == 0) printf("(fixtures not found: skipped)\n");
    SQ_CHECK_EQ_INT(failed, 0);
}

int main(void) {
    SQ_RUN(test_fixtures);
    return SQ_TEST_SUMMARY();
}
