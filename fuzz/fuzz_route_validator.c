/* libFuzzer driver for the route validator. The input is cut into a path
 * segment, a query string, a Cookie header, a Content-Type and a body
 * (separated by 0xFF bytes); the first byte picks one of a few route
 * specs. Invariants: the run succeeds, status and errors agree, and the
 * rendered reply is valid JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "squall/http1_parser.h"
#include "squall/validator.h"

static const char *const specs[] = {
    "{\"parameters\":["
    "{\"name\":\"id\",\"source\":\"path\",\"schema\":{\"type\":\"integer\",\"minimum\":1}},"
    "{\"name\":\"q\",\"source\":\"query\",\"required\":true,\"schema\":{\"type\":\"string\",\"maxLength\":8}}"
    ","
    "{\"name\":\"ids\",\"source\":\"query\",\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}"
    ","
    "{\"name\":\"tags\",\"source\":\"query\",\"separator\":\",\",\"schema\":{\"type\":\"array\",\"items\":{"
    "\"type\":\"boolean\"}}},"
    "{\"name\":\"s\",\"source\":\"cookie\",\"schema\":{\"type\":\"string\",\"format\":\"uuid\"}},"
    "{\"name\":\"when\",\"source\":\"cookie\",\"schema\":{\"type\":\"string\",\"format\":\"date-time\"}}],"
    "\"body\":{\"media\":\"json\",\"max_depth\":16,\"schema\":{\"type\":\"object\",\"required\":[\"name\"],"
    "\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":2},\"n\":{\"type\":\"number\"}}}}}",
    "{\"parameters\":[{\"name\":\"id\",\"source\":\"path\",\"schema\":{\"type\":\"string\",\"format\":"
    "\"date\"}},"
    "{\"name\":\"x\",\"source\":\"header\",\"key\":\"Cookie\",\"schema\":{\"type\":\"number\"}}],"
    "\"body\":{\"media\":\"form\",\"required\":true,\"schema\":{\"type\":\"object\",\"properties\":{"
    "\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}},"
    "\"c\":{\"type\":\"boolean\"}},\"additionalProperties\":false}}}",
    "{\"parameters\":[{\"name\":\"id\",\"source\":\"path\",\"required\":true,\"error_style\":\"jsonschema\","
    "\"schema\":{\"type\":\"string\",\"minLength\":3,\"format\":\"email\"}},"
    "{\"name\":\"n\",\"source\":\"query\",\"error_style\":\"jsonschema\",\"schema\":{\"type\":\"array\","
    "\"items\":{\"type\":\"integer\"},\"uniqueItems\":true,\"maxItems\":3}}],"
    "\"body\":{\"media\":\"multipart\",\"files\":{\"f\":{\"required\":true,\"content_types\":[\"image/png\"],"
    "\"validate_magic_numbers\":true}},\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
    "\"number\"}}}}}",
};
#define NUM_SPECS (sizeof specs / sizeof *specs)
static sq_validator *validators[NUM_SPECS];

static void init(void) {
    for (size_t i = 0; i < NUM_SPECS; i++) {
        char err[256];
        validators[i] = sq_validator_compile(specs[i], strlen(specs[i]), err, sizeof err);
        if (!validators[i])
            abort();
    }
}

/* Next field up to a 0xFF byte (or the end). */
static sq_slice next_field(const uint8_t **p, const uint8_t *end) {
    const uint8_t *s = *p;
    const uint8_t *e = memchr(s, 0xFF, (size_t)(end - s));
    if (!e)
        e = end;
    *p = e < end ? e + 1 : end;
    return (sq_slice){(const char *)s, (size_t)(e - s)};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!validators[0])
        init();
    if (size < 1)
        return 0;
    const sq_validator *v = validators[data[0] % NUM_SPECS];
    const uint8_t *p = data + 1, *end = data + size;
    sq_slice path = next_field(&p, end);
    sq_slice query = next_field(&p, end);
    sq_slice cookie = next_field(&p, end);
    sq_slice ctype = next_field(&p, end);
    sq_slice body = {(const char *)p, (size_t)(end - p)};

    sq_request req;
    memset(&req, 0, sizeof req);
    sq_param_view param = {SQ_SLICE_LIT("id"), path};
    req.params = &param;
    req.num_params = 1;
    char *scratch = malloc(query.len + 1);
    sq_query_pair pairs[32];
    int n = sq_query_split(query, scratch, pairs, 32);
    req.query_pairs = pairs;
    req.num_query_pairs = n > 0 ? (size_t)n : 0;
    sq_header_view headers[2] = {{SQ_SLICE_LIT("Cookie"), cookie}, {SQ_SLICE_LIT("content-type"), ctype}};
    req.headers = headers;
    req.num_headers = ctype.len ? 2 : 1;
    req.body = body;

    sq_arena arena;
    sq_arena_init(&arena);
    sq_validation val;
    if (sq_validator_run(v, &req, &arena, &val) != 0)
        abort();
    if ((val.status != 0) != (val.num_errors > 0))
        abort();
    if ((val.status == 422) != (val.num_errors > 0 && val.problem == SQ_VPROBLEM_NONE))
        abort();
    if (val.status != 0 && val.status != 400 && val.status != 413 && val.status != 415 && val.status != 422)
        abort();
    if (val.num_values != sq_validator_num_params(v))
        abort();
    if (val.status != 0) {
        sq_buf out;
        sq_buf_init(&out);
        if (sq_problem_render_validation(&val, "https://squall.dev/errors/", &out) != 0)
            abort();
        sq_json_value *doc;
        sq_json_error jerr;
        if (sq_json_parse(out.data, out.len, &arena, NULL, &doc, &jerr) != 0)
            abort();
        sq_buf_free(&out);
    }
    sq_arena_free(&arena);
    free(scratch);
    return 0;
}
