/* The route validator end to end: compile a route spec, run it on a fake
 * sq_request (path params, query, headers, body) and compare the rendered
 * reply (422 envelope, 415, 400) or the coerced values with fixture-like
 * expectations. One table row per case. */
#include <stdlib.h>

#include "sq_test.h"
#include "squall/http1_parser.h"
#include "squall/validator.h"

typedef struct vcase {
    const char *name;
    const char *spec;
    const char *params;  /* "name=value" lines, '\n'-separated */
    const char *query;   /* raw query string */
    const char *headers; /* "Name: value" lines, '\n'-separated */
    const char *body;
    int status;         /* expected sq_validation.status */
    const char *expect; /* status 0: the values as a JSON array (null for absent); else the rendered body */
} vcase;

#define Q_INT                                                                                                \
    "{\"parameters\":[{\"name\":\"query\",\"source\":\"query\",\"required\":true,\"schema\":{\"type\":"      \
    "\"integer\"}}]}"
#define ENV422(n, errs)                                                                                      \
    "{\"type\":\"https://squall.dev/errors/validation-error\",\"title\":\"Request Validation Failed\","      \
    "\"status\":422,\"detail\":\"" n "\",\"errors\":[" errs "]}"
#define JS_PARAM(src, name, schema)                                                                          \
    "{\"parameters\":[{\"name\":\"" name "\",\"source\":\"" src "\",\"required\":true,"                      \
    "\"error_style\":\"jsonschema\",\"schema\":" schema "}]}"
#define ONE(e) ENV422("1 validation error in request", e)
#define JSON_BODY(schema) "{\"body\":{\"media\":\"json\",\"required\":true,\"schema\":" schema "}}"
#define FORM_BODY(schema) "{\"body\":{\"media\":\"form\",\"required\":true,\"schema\":" schema "}}"

static const vcase cases[] = {
    /* ---- query ---- */
    {"int ok", Q_INT, NULL, "query=42", NULL, NULL, 0, "[42]"},
    {"int missing", Q_INT, NULL, "", NULL, NULL, 422,
     ONE("{\"type\":\"missing\",\"loc\":[\"query\",\"query\"],\"msg\":\"Field required\",\"input\":null}")},
    {"int_parsing", Q_INT, NULL, "query=baz", NULL, NULL, 422,
     ONE("{\"type\":\"int_parsing\",\"loc\":[\"query\",\"query\"],\"msg\":\"Input should be a valid integer, "
         "unable to parse string as an integer\",\"input\":\"baz\"}")},
    {"int_parsing of a float", Q_INT, NULL, "query=42.5", NULL, NULL, 422,
     ONE("{\"type\":\"int_parsing\",\"loc\":[\"query\",\"query\"],\"msg\":\"Input should be a valid integer, "
         "unable to parse string as an integer\",\"input\":\"42.5\"}")},
    {"scalar takes the last repeat", Q_INT, NULL, "query=1&query=2", NULL, NULL, 0, "[2]"},
    {"optional absent, default, typed",
     "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\",\"schema\":{\"type\":\"integer\"}},"
     "{\"name\":\"b\",\"source\":\"query\",\"default\":10,\"schema\":{\"type\":\"integer\"}},"
     "{\"name\":\"c\",\"source\":\"query\",\"schema\":{\"type\":\"boolean\"}},"
     "{\"name\":\"d\",\"source\":\"query\",\"schema\":{\"type\":\"number\"}},"
     "{\"name\":\"e\",\"source\":\"query\",\"key\":\"E-key\",\"schema\":{\"type\":\"string\"}}]}",
     NULL, "c=&d=1.5e-3&E-key=hello+world", NULL, NULL, 0, "[null,10,false,0.0015,\"hello world\"]"},
    {"bool_parsing",
     "{\"parameters\":[{\"name\":\"q\",\"source\":\"query\",\"schema\":{\"type\":\"string\"}},"
     "{\"name\":\"is_active\",\"source\":\"query\",\"schema\":{\"type\":\"boolean\"}}]}",
     NULL, "q=test&is_active=maybe", NULL, NULL, 422,
     ONE("{\"type\":\"bool_parsing\",\"loc\":[\"query\",\"is_active\"],\"msg\":\"Input should be a valid "
         "boolean, "
         "unable to interpret input\",\"input\":\"maybe\"}")},
    {"float_parsing",
     "{\"parameters\":[{\"name\":\"p\",\"source\":\"query\",\"schema\":{\"type\":\"number\"}}]}", NULL,
     "p=abc", NULL, NULL, 422,
     ONE("{\"type\":\"float_parsing\",\"loc\":[\"query\",\"p\"],\"msg\":\"Input should be a valid number, "
         "unable to "
         "parse string as a number\",\"input\":\"abc\"}")},
    {"uuid_parsing",
     "{\"parameters\":[{\"name\":\"item_id\",\"source\":\"path\",\"schema\":{\"type\":\"string\",\"format\":"
     "\"uuid\"}}]}",
     "item_id=not-a-uuid", NULL, NULL, NULL, 422,
     ONE("{\"type\":\"uuid_parsing\",\"loc\":[\"path\",\"item_id\"],\"msg\":\"Input should be a valid UUID, "
         "invalid "
         "character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 0\","
         "\"input\":\"not-a-uuid\"}")},
    /* "coerce_format": false: the text is kept as sent, the format only checked. */
    {"uuid asserted, not parsed: short message",
     "{\"parameters\":[{\"name\":\"id\",\"source\":\"path\",\"coerce_format\":false,"
     "\"schema\":{\"type\":\"string\",\"format\":\"uuid\"}}]}",
     "id=not-a-uuid", NULL, NULL, NULL, 422,
     ONE("{\"type\":\"uuid_parsing\",\"loc\":[\"path\",\"id\"],\"msg\":\"Input should be a valid UUID\","
         "\"input\":\"not-a-uuid\"}")},
    {"uuid asserted keeps the text (not normalised)",
     "{\"parameters\":[{\"name\":\"id\",\"source\":\"query\",\"coerce_format\":false,"
     "\"schema\":{\"type\":\"string\",\"format\":\"uuid\"}}]}",
     NULL, "id=550E8400E29B41D4A716446655440000", NULL, NULL, 0, "[\"550E8400E29B41D4A716446655440000\"]"},
    {"uuid parsed by default: normalised",
     "{\"parameters\":[{\"name\":\"id\",\"source\":\"query\","
     "\"schema\":{\"type\":\"string\",\"format\":\"uuid\"}}]}",
     NULL, "id=550E8400E29B41D4A716446655440000", NULL, NULL, 0, "[\"550e8400-e29b-41d4-a716-446655440000\"]"},
    {"datetime_parsing",
     "{\"parameters\":[{\"name\":\"ts\",\"source\":\"query\",\"schema\":{\"type\":\"string\",\"format\":"
     "\"date-time\"}}]}",
     NULL, "ts=yesterday", NULL, NULL, 422,
     ONE("{\"type\":\"datetime_parsing\",\"loc\":[\"query\",\"ts\"],\"msg\":\"Input should be a valid "
         "datetime\","
         "\"input\":\"yesterday\"}")},
    {"list of int, repeats",
     "{\"parameters\":[{\"name\":\"ids\",\"source\":\"query\",\"required\":true,"
     "\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}]}",
     NULL, "ids=1&x=5&ids=2", NULL, NULL, 0, "[[1,2]]"},
    {"list item error has its index",
     "{\"parameters\":[{\"name\":\"ids\",\"source\":\"query\",\"required\":true,"
     "\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}]}",
     NULL, "ids=1&ids=x", NULL, NULL, 422,
     ONE("{\"type\":\"int_parsing\",\"loc\":[\"query\",\"ids\",1],\"msg\":\"Input should be a valid integer, "
         "unable "
         "to parse string as an integer\",\"input\":\"x\"}")},
    {"list with separator",
     "{\"parameters\":[{\"name\":\"tags\",\"source\":\"query\",\"separator\":\"|\","
     "\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}]}",
     NULL, "tags=python|rust|typescript", NULL, NULL, 0, "[[\"python\",\"rust\",\"typescript\"]]"},
    {"list default",
     "{\"parameters\":[{\"name\":\"tags\",\"source\":\"query\",\"default\":[],"
     "\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}]}",
     NULL, "", NULL, NULL, 0, "[[]]"},
    /* ---- headers and cookies ---- */
    {"header missing, location lowercased",
     "{\"parameters\":[{\"name\":\"x_api_key\",\"source\":\"header\",\"key\":\"X-API-Key\",\"required\":true,"
     "\"schema\":{\"type\":\"string\"}}]}",
     NULL, NULL, "Accept: */*", NULL, 422,
     ONE("{\"type\":\"missing\",\"loc\":[\"headers\",\"x-api-key\"],\"msg\":\"Field "
         "required\",\"input\":null}")},
    {"header case-insensitive, first occurrence",
     "{\"parameters\":[{\"name\":\"token\",\"source\":\"header\",\"key\":\"X-Token\",\"schema\":{\"type\":"
     "\"string\"}},"
     "{\"name\":\"n\",\"source\":\"header\",\"key\":\"x-n\",\"schema\":{\"type\":\"integer\"}}]}",
     NULL, NULL, "x-token: foo, bar\nX-TOKEN: second\nX-N: 7", NULL, 0, "[\"foo, bar\",7]"},
    {"header list split on a separator",
     "{\"parameters\":[{\"name\":\"t\",\"source\":\"header\",\"key\":\"X-Tags\",\"separator\":\",\","
     "\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}]}",
     NULL, NULL, "X-Tags: 1, 2,3\nx-tags: 4", NULL, 0, "[[1,2,3,4]]"},
    {"cookies, quoted values",
     "{\"parameters\":[{\"name\":\"session_id\",\"source\":\"cookie\",\"schema\":{\"type\":\"string\"}},"
     "{\"name\":\"n\",\"source\":\"cookie\",\"schema\":{\"type\":\"integer\"}},"
     "{\"name\":\"other\",\"source\":\"cookie\",\"schema\":{\"type\":\"string\"}}]}",
     NULL, NULL, "Cookie: a=1; session_id=\"abc def\"\nCookie: n=5;junk; other=x=y", NULL, 0,
     "[\"abc def\",5,\"x=y\"]"},
    {"cookie missing",
     "{\"parameters\":[{\"name\":\"session_id\",\"source\":\"cookie\",\"required\":true,\"schema\":{\"type\":"
     "\"string\"}}]}",
     NULL, NULL, "Cookie: fatebook_tracker=tracker456", NULL, 422,
     ONE("{\"type\":\"missing\",\"loc\":[\"cookie\",\"session_id\"],\"msg\":\"Field "
         "required\",\"input\":null}")},
    {"all errors collected, in spec order",
     "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\",\"required\":true,\"schema\":{\"type\":"
     "\"integer\"}},"
     "{\"name\":\"id\",\"source\":\"path\",\"schema\":{\"type\":\"integer\"}},"
     "{\"name\":\"h\",\"source\":\"header\",\"required\":true}]}",
     "id=foobar", "", NULL, NULL, 422,
     ENV422("3 validation errors in request",
            "{\"type\":\"missing\",\"loc\":[\"query\",\"a\"],\"msg\":\"Field required\",\"input\":null},"
            "{\"type\":\"int_parsing\",\"loc\":[\"path\",\"id\"],\"msg\":\"Input should be a valid integer, "
            "unable to "
            "parse string as an integer\",\"input\":\"foobar\"},"
            "{\"type\":\"missing\",\"loc\":[\"headers\",\"h\"],\"msg\":\"Field required\",\"input\":null}")},
    /* ---- constraints, judged by the compiled schema ---- */
    {"string_too_short on a path param",
     "{\"parameters\":[{\"name\":\"item_id\",\"source\":\"path\",\"schema\":{\"type\":\"string\","
     "\"minLength\":3}}]}",
     "item_id=fo", NULL, NULL, NULL, 422,
     ONE("{\"type\":\"string_too_short\",\"loc\":[\"path\",\"item_id\"],\"msg\":\"String should have at "
         "least 3 "
         "characters\",\"input\":\"fo\",\"ctx\":{\"min_length\":3}}")},
    {"a constraint error shows the text received",
     "{\"parameters\":[{\"name\":\"price\",\"source\":\"query\",\"schema\":{\"type\":\"number\","
     "\"exclusiveMinimum\":0}}]}",
     NULL, "price=0", NULL, NULL, 422,
     ONE("{\"type\":\"greater_than\",\"loc\":[\"query\",\"price\"],\"msg\":\"Input should be greater than "
         "0\","
         "\"input\":\"0\",\"ctx\":{\"gt\":0}}")},
    {"enum on a query param",
     "{\"parameters\":[{\"name\":\"model\",\"source\":\"query\",\"schema\":{\"type\":\"string\","
     "\"enum\":[\"alexnet\",\"resnet\",\"lenet\"]}}]}",
     NULL, "model=vgg16", NULL, NULL, 422,
     ONE("{\"type\":\"enum\",\"loc\":[\"query\",\"model\"],\"msg\":\"Input should be 'alexnet', 'resnet' or "
         "'lenet'\","
         "\"input\":\"vgg16\",\"ctx\":{\"expected\":\"'alexnet', 'resnet' or 'lenet'\"}}")},
    /* ---- "error_style": "jsonschema" (the fixtures' second dialect) ---- */
    {"jsonschema: exclusiveMinimum",
     JS_PARAM("query", "limit", "{\"type\":\"integer\",\"exclusiveMinimum\":0}"), NULL, "limit=0", NULL, NULL,
     422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"query\",\"limit\"],\"msg\":\"Value must be greater than "
         "0\","
         "\"ctx\":{\"exclusive_minimum\":0,\"value\":0}}")},
    {"jsonschema: minItems",
     JS_PARAM("query", "ids", "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2}"), NULL,
     "ids=1", NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"query\",\"ids\"],\"msg\":\"Array must contain at least 2 "
         "items\","
         "\"ctx\":{\"min_items\":2,\"actual_items\":1}}")},
    {"jsonschema: uniqueItems",
     JS_PARAM("query", "ids", "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}"),
     NULL, "ids=1&ids=2&ids=2&ids=3", NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"query\",\"ids\"],\"msg\":\"Array items must be unique\","
         "\"ctx\":{\"unique_items\":true,\"duplicate_value\":2,\"duplicate_index\":2}}")},
    {"jsonschema: multipleOf", JS_PARAM("query", "quantity", "{\"type\":\"integer\",\"multipleOf\":5}"), NULL,
     "quantity=17", NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"query\",\"quantity\"],\"msg\":\"Value must be a multiple "
         "of 5\","
         "\"ctx\":{\"multiple_of\":5,\"value\":17}}")},
    {"jsonschema: email format", JS_PARAM("query", "email", "{\"type\":\"string\",\"format\":\"email\"}"),
     NULL, "email=not-an-email", NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"query\",\"email\"],\"msg\":\"Invalid email format\","
         "\"ctx\":{\"format\":\"email\",\"value\":\"not-an-email\"}}")},
    {"jsonschema: ipv4 format", JS_PARAM("query", "ip", "{\"type\":\"string\",\"format\":\"ipv4\"}"), NULL,
     "ip=999.999.999.999", NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"query\",\"ip\"],\"msg\":\"Invalid IPv4 address format\","
         "\"ctx\":{\"format\":\"ipv4\",\"value\":\"999.999.999.999\"}}")},
    {"jsonschema: pattern",
     JS_PARAM("query", "email", "{\"type\":\"string\",\"pattern\":\"^[a-z]+@[a-z]+\\\\.[a-z]{2,}$\"}"), NULL,
     "email=invalid-email", NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"query\",\"email\"],\"msg\":\"String does not match "
         "pattern\","
         "\"ctx\":{\"pattern\":\"^[a-z]+@[a-z]+\\\\.[a-z]{2,}$\",\"value\":\"invalid-email\"}}")},
    {"jsonschema: date format", JS_PARAM("path", "date", "{\"type\":\"string\",\"format\":\"date\"}"),
     "date=2025-13-45", NULL, NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"path\",\"date\"],\"msg\":\"Invalid date format\","
         "\"ctx\":{\"format\":\"date\",\"value\":\"2025-13-45\"}}")},
    {"jsonschema: minLength", JS_PARAM("path", "username", "{\"type\":\"string\",\"minLength\":3}"),
     "username=ab", NULL, NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"path\",\"username\"],\"msg\":\"String length must be at "
         "least 3\","
         "\"ctx\":{\"min_length\":3,\"actual_length\":2}}")},
    {"jsonschema: maxLength", JS_PARAM("path", "username", "{\"type\":\"string\",\"maxLength\":20}"),
     "username=this_username_is_way_too_long_to_be_valid", NULL, NULL, NULL, 422,
     ONE("{\"type\":\"validation_error\",\"loc\":[\"path\",\"username\"],\"msg\":\"String length must not "
         "exceed 20\","
         "\"ctx\":{\"max_length\":20,\"actual_length\":41}}")}, /* the fixture says 42: it miscounts */
    {"jsonschema: missing is the same", JS_PARAM("query", "q", "{\"type\":\"string\"}"), NULL, "", NULL, NULL,
     422, ONE("{\"type\":\"missing\",\"loc\":[\"query\",\"q\"],\"msg\":\"Field required\",\"input\":null}")},
    /* ---- JSON bodies ---- */
    {"json body ok", JSON_BODY("{\"type\":\"object\",\"required\":[\"name\"]}"), NULL, NULL,
     "Content-Type: application/json", "{\"name\":\"x\"}", 0, "[]"},
    {"json body missing", JSON_BODY("{\"type\":\"object\"}"), NULL, NULL, "Content-Type: application/json",
     "", 422, ONE("{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}")},
    {"json without content-type", JSON_BODY("{\"type\":\"object\",\"required\":[\"name\"]}"), NULL, NULL,
     NULL, "{\"name\":\"test\"}", 0, "[]"},
    {"vendor json, case, parameters", JSON_BODY("{\"type\":\"object\"}"), NULL, NULL,
     "Content-Type: APPLICATION/VND.API+JSON; charset=UTF-8; boundary=x", "{}", 0, "[]"},
    {"malformed json", JSON_BODY("{\"type\":\"string\"}"), NULL, NULL, "Content-Type: application/json",
     "{\"name\": \"Item\", \"price\": }", 400, "{\"detail\":\"Invalid request format\"}"},
    {"json too deep", "{\"body\":{\"media\":\"json\",\"max_depth\":3,\"schema\":{\"type\":\"object\"}}}",
     NULL, NULL, "Content-Type: application/json", "{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", 400,
     "{\"error\":\"Request body exceeds maximum nesting depth of 3\"}"},
    {"unsupported media type", JSON_BODY("{\"type\":\"string\"}"), NULL, NULL,
     "Content-Type: application/xml", "<item/>", 415,
     "{\"type\":\"https://squall.dev/errors/unsupported-media-type\",\"title\":\"Unsupported Media Type\","
     "\"status\":415,\"detail\":\"Unsupported media type\"}"},
    {"unsupported charset", JSON_BODY("{\"type\":\"object\"}"), NULL, NULL,
     "Content-Type: application/json; charset=utf-16", "{}", 415,
     "{\"type\":\"https://squall.dev/errors/unsupported-charset\",\"title\":\"Unsupported Charset\","
     "\"status\":415,\"detail\":\"Unsupported charset 'utf-16' for JSON. Only UTF-8 is supported.\"}"},
    {"body errors sorted by location",
     JSON_BODY("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":3},"
               "\"age\":{\"type\":\"integer\",\"minimum\":18}}}"),
     NULL, NULL, "Content-Type: application/json", "{\"name\":\"ab\",\"age\":15}", 422,
     ENV422(
         "2 validation errors in request",
         "{\"type\":\"greater_than_equal\",\"loc\":[\"body\",\"age\"],\"msg\":\"Input should be greater than "
         "or equal "
         "to 18\",\"input\":15,\"ctx\":{\"ge\":18}},"
         "{\"type\":\"string_too_short\",\"loc\":[\"body\",\"name\"],\"msg\":\"String should have at least 3 "
         "characters\",\"input\":\"ab\",\"ctx\":{\"min_length\":3}}")},
    /* ---- form bodies ---- */
    {"form coerced by property",
     FORM_BODY("{\"type\":\"object\",\"required\":[\"username\"],\"properties\":{"
               "\"username\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"},"
               "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}"),
     NULL, NULL, "Content-Type: application/x-www-form-urlencoded",
     "username=john+doe&age=30&tags[]=a&tags[]=b", 0, "[]"},
    {"form coercion error, no duplicate from the schema",
     FORM_BODY(
         "{\"type\":\"object\",\"required\":[\"price\"],\"properties\":{\"price\":{\"type\":\"integer\"}}}"),
     NULL, NULL, "Content-Type: application/x-www-form-urlencoded", "price=not-a-number", 422,
     ONE("{\"type\":\"int_parsing\",\"loc\":[\"body\",\"price\"],\"msg\":\"Input should be a valid integer, "
         "unable to "
         "parse string as an integer\",\"input\":\"not-a-number\"}")},
    {"form field missing",
     FORM_BODY("{\"type\":\"object\",\"required\":[\"username\"],\"properties\":{\"username\":{\"type\":"
               "\"string\"}}}"),
     NULL, NULL, "Content-Type: application/x-www-form-urlencoded", "password=secret", 422,
     ONE("{\"type\":\"missing\",\"loc\":[\"body\",\"username\"],\"msg\":\"Field required\","
         "\"input\":{\"password\":\"secret\"}}")},
    {"form array with holes",
     FORM_BODY("{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":{\"type\":"
               "\"string\"}}}}"),
     NULL, NULL, "Content-Type: application/x-www-form-urlencoded", "items[0]=first&items[2]=third", 400,
     "{\"error\":\"Failed to parse URL-encoded form data: missing index, expected: 1 got 2\"}"},
    {"multipart without boundary", "{\"body\":{\"media\":\"multipart\",\"required\":true}}", NULL, NULL,
     "Content-Type: multipart/form-data", "", 400,
     "{\"error\":\"multipart/form-data requires 'boundary' parameter\"}"},
};

/* ---- building the fake request ---- */

typedef struct fake_request {
    sq_request req;
    sq_param_view params[8];
    sq_query_pair pairs[16];
    sq_header_view headers[8];
    char *query_scratch;
    char *header_text;
    char *param_text;
    sq_guarded body;
} fake_request;

static size_t split_lines(char *text, char *out[], size_t cap) {
    size_t n = 0;
    for (char *line = text; line && *line && n < cap;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        out[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

static void fake_init(fake_request *f, const vcase *c) {
    memset(f, 0, sizeof *f);
    char *lines[8];
    if (c->params) {
        f->param_text = strdup(c->params);
        size_t n = split_lines(f->param_text, lines, 8);
        for (size_t i = 0; i < n; i++) {
            char *eq = strchr(lines[i], '=');
            f->params[i].name = (sq_slice){lines[i], (size_t)(eq - lines[i])};
            f->params[i].value = (sq_slice){eq + 1, strlen(eq + 1)};
        }
        f->req.params = f->params;
        f->req.num_params = n;
    }
    if (c->query) {
        sq_slice q = {c->query, strlen(c->query)};
        f->query_scratch = malloc(q.len + 1);
        int n = sq_query_split(q, f->query_scratch, f->pairs, 16);
        SQ_CHECK(n >= 0);
        f->req.query = q;
        f->req.query_pairs = f->pairs;
        f->req.num_query_pairs = n > 0 ? (size_t)n : 0;
    }
    if (c->headers) {
        f->header_text = strdup(c->headers);
        size_t n = split_lines(f->header_text, lines, 8);
        for (size_t i = 0; i < n; i++) {
            char *colon = strchr(lines[i], ':');
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            f->headers[i].name = (sq_slice){lines[i], (size_t)(colon - lines[i])};
            f->headers[i].value = (sq_slice){v, strlen(v)};
        }
        f->req.headers = f->headers;
        f->req.num_headers = n;
    }
    const char *body = c->body ? c->body : "";
    f->body = sq_test_guard(body, strlen(body));
    f->req.body = (sq_slice){f->body.data, strlen(body)};
    f->req.method = SQ_SLICE_LIT("POST");
}

static void fake_free(fake_request *f) {
    free(f->param_text);
    free(f->query_scratch);
    free(f->header_text);
    sq_test_guard_free(f->body);
}

static void run_case(const vcase *c) {
    char errbuf[256];
    sq_validator *v = sq_validator_compile(c->spec, strlen(c->spec), errbuf, sizeof errbuf);
    SQ_CHECK(v != NULL);
    if (!v) {
        fprintf(stderr, "  %s: compile failed: %s\n", c->name, errbuf);
        return;
    }
    fake_request f;
    fake_init(&f, c);
    sq_arena arena;
    sq_arena_init(&arena);
    sq_validation val;
    SQ_CHECK_EQ_INT(sq_validator_run(v, &f.req, &arena, &val), 0);
    SQ_CHECK_EQ_INT(val.status, c->status);
    sq_buf b;
    sq_buf_init(&b);
    if (c->status == 0) {
        SQ_CHECK_EQ_INT(val.num_values, sq_validator_num_params(v));
        sq_buf_append(&b, "[", 1);
        for (size_t i = 0; i < val.num_values; i++) {
            if (i)
                sq_buf_append(&b, ",", 1);
            if (val.values[i])
                SQ_CHECK_EQ_INT(sq_json_write_value(&b, val.values[i]), 0);
            else
                sq_buf_append(&b, "null", 4);
        }
        sq_buf_append(&b, "]", 1);
        if (c->body && *c->body)
            SQ_CHECK(val.body != NULL);
    } else {
        SQ_CHECK(val.num_errors > 0); /* every refusal carries at least one error */
        SQ_CHECK(val.body == NULL);
        SQ_CHECK_EQ_INT(sq_problem_render_validation(&val, "https://squall.dev/errors/", &b), 0);
    }
    SQ_CHECK_SLICE(((sq_slice){b.data ? b.data : "", b.len}), c->expect);
    sq_buf_free(&b);
    sq_arena_free(&arena);
    fake_free(&f);
    sq_validator_free(v);
}

static void test_cases(void) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int before = sq_test_current_failed;
        sq_test_current_failed = 0;
        run_case(&cases[i]);
        if (sq_test_current_failed)
            fprintf(stderr, "  ^ case \"%s\"\n", cases[i].name);
        sq_test_current_failed |= before;
    }
}

/* Specs that must not compile, each with a reason. */
static void test_bad_specs(void) {
    static const char *const bad[] = {
        "",
        "[]",
        "{\"parameters\":{}}",
        "{\"parameters\":[{\"source\":\"query\"}]}",
        "{\"parameters\":[{\"name\":\"a\",\"source\":\"body\"}]}",
        "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\",\"required\":1}]}",
        "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\",\"annotation\":\"int\"}]}",
        "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\",\"schema\":{\"type\":\"integer\","
        "\"frobnicate\":1}}]}",
        "{\"body\":{\"media\":\"xml\"}}",
        "{\"routes\":[]}",
        "{\"body\":{\"media\":\"json\",\"content_type\":\"x\"}}",
        "{\"body\":{\"media\":\"json\",\"files\":{}}}",
        "{\"body\":{\"max_depth\":0}}",
        "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\",\"error_style\":\"fastapi\"}]}",
        "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\",\"coerce_format\":\"no\"}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char errbuf[256] = "";
        sq_validator *v = sq_validator_compile(bad[i], strlen(bad[i]), errbuf, sizeof errbuf);
        SQ_CHECK(v == NULL);
        SQ_CHECK(errbuf[0] != '\0');
        if (v) {
            fprintf(stderr, "  compiled: %s\n", bad[i]);
            sq_validator_free(v);
        }
    }
}

static void test_param_names(void) {
    const char *spec =
        "{\"parameters\":[{\"name\":\"a\",\"source\":\"query\"},{\"name\":\"b_c\",\"source\":\"header\","
        "\"key\":\"B-C\"}]}";
    sq_validator *v = sq_validator_compile(spec, strlen(spec), NULL, 0);
    SQ_CHECK(v != NULL);
    if (!v)
        return;
    SQ_CHECK_EQ_INT(sq_validator_num_params(v), 2);
    SQ_CHECK(strcmp(sq_validator_param_name(v, 0), "a") == 0);
    SQ_CHECK(strcmp(sq_validator_param_name(v, 1), "b_c") == 0);
    SQ_CHECK(sq_validator_param_name(v, 2) == NULL);
    sq_validator_free(v);
}

/* After a run, a JSON body's member whose key matched a declared property
 * (at any depth, through $ref too) points at one of the names the
 * validator lists, with the same bytes; an undeclared key still points
 * into the request. Form bodies list no names. */
static int is_listed_name(const sq_validator *v, const char *key) {
    for (size_t i = 0; i < sq_validator_num_body_property_names(v); i++) {
        size_t len;
        if (sq_validator_body_property_name(v, i, &len) == key)
            return 1;
    }
    return 0;
}

static void test_body_property_names(void) {
    const char *spec = JSON_BODY("{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},"
                                 "\"child\":{\"$ref\":\"#/$defs/node\"}},"
                                 "\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"name\":{}}}}}");
    sq_validator *v = sq_validator_compile(spec, strlen(spec), NULL, 0);
    SQ_CHECK(v != NULL);
    if (!v)
        return;
    SQ_CHECK_EQ_INT(sq_validator_num_body_property_names(v), 3);
    SQ_CHECK(sq_validator_body_property_name(v, 3, NULL) == NULL);
    vcase c = {"names", spec, NULL, NULL, "Content-Type: application/json",
               "{\"id\":1,\"extra\":2,\"child\":{\"name\":\"x\",\"other\":3}}", 0, "[]"};
    fake_request f;
    fake_init(&f, &c);
    sq_arena arena;
    sq_arena_init(&arena);
    sq_validation val;
    SQ_CHECK_EQ_INT(sq_validator_run(v, &f.req, &arena, &val), 0);
    SQ_CHECK_EQ_INT(val.status, 0);
    SQ_CHECK(val.body != NULL && val.body->type == SQ_JSON_OBJECT && val.body->u.obj.len == 3);
    if (val.body && val.body->type == SQ_JSON_OBJECT && val.body->u.obj.len == 3) {
        const sq_json_member *m = val.body->u.obj.members;
        const char *input_end = f.body.data + strlen(c.body);
        SQ_CHECK(is_listed_name(v, m[0].key) && m[0].key_len == 2 && memcmp(m[0].key, "id", 2) == 0);
        SQ_CHECK(!is_listed_name(v, m[1].key) && m[1].key >= f.body.data && m[1].key < input_end);
        SQ_CHECK(is_listed_name(v, m[2].key) && m[2].key_len == 5 && memcmp(m[2].key, "child", 5) == 0);
        const sq_json_value *child = &m[2].value;
        SQ_CHECK(child->type == SQ_JSON_OBJECT && child->u.obj.len == 2);
        if (child->type == SQ_JSON_OBJECT && child->u.obj.len == 2) {
            SQ_CHECK(is_listed_name(v, child->u.obj.members[0].key));
            SQ_CHECK(memcmp(child->u.obj.members[0].key, "name", 4) == 0);
            SQ_CHECK(!is_listed_name(v, child->u.obj.members[1].key));
        }
    }
    sq_arena_free(&arena);
    fake_free(&f);
    sq_validator_free(v);

    const char *form = FORM_BODY("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}");
    v = sq_validator_compile(form, strlen(form), NULL, 0);
    SQ_CHECK(v != NULL);
    SQ_CHECK_EQ_INT(sq_validator_num_body_property_names(v), 0);
    sq_validator_free(v);
}

/* Multipart: text fields coerced like a urlencoded form, file parts listed
 * in sq_validation.files with their bytes, and the filename as the
 * field's value in the body object. */
static void test_multipart(void) {
    const char *spec =
        "{\"body\":{\"media\":\"multipart\",\"required\":true,\"schema\":{\"type\":\"object\","
        "\"required\":[\"file\"],\"properties\":{\"file\":{\"type\":\"string\",\"format\":\"binary\"},"
        "\"n\":{\"type\":\"integer\"}}}}}";
    const char body[] = "--XyZ\r\n"
                        "Content-Disposition: form-data; name=\"n\"\r\n\r\n"
                        "42\r\n"
                        "--XyZ\r\n"
                        "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
                        "Content-Type: application/octet-stream\r\n\r\n"
                        "\x00\xff\x01\r\n"
                        "--XyZ--\r\n";
    vcase c = {"multipart", spec, NULL, NULL, "Content-Type: multipart/form-data; boundary=XyZ",
               NULL,        0,    NULL};
    sq_validator *v = sq_validator_compile(spec, strlen(spec), NULL, 0);
    SQ_CHECK(v != NULL);
    if (!v)
        return;
    fake_request f;
    fake_init(&f, &c);
    sq_test_guard_free(f.body);
    f.body = sq_test_guard(body, sizeof body - 1);
    f.req.body = (sq_slice){f.body.data, sizeof body - 1};
    sq_arena arena;
    sq_arena_init(&arena);
    sq_validation val;
    SQ_CHECK_EQ_INT(sq_validator_run(v, &f.req, &arena, &val), 0);
    SQ_CHECK_EQ_INT(val.status, 0);
    SQ_CHECK_EQ_INT(val.num_errors, 0);
    SQ_CHECK_EQ_INT(val.num_files, 1);
    if (val.num_files == 1) {
        SQ_CHECK_SLICE(val.files[0].field, "file");
        SQ_CHECK_SLICE(val.files[0].filename, "a.bin");
        SQ_CHECK_SLICE(val.files[0].content_type, "application/octet-stream");
        SQ_CHECK(val.files[0].data.len == 3 && memcmp(val.files[0].data.base, "\x00\xff\x01", 3) == 0);
    }
    sq_buf b;
    sq_buf_init(&b);
    SQ_CHECK(val.body != NULL);
    if (val.body)
        SQ_CHECK_EQ_INT(sq_json_write_value(&b, val.body), 0);
    SQ_CHECK_SLICE(((sq_slice){b.data ? b.data : "", b.len}), "{\"n\":42,\"file\":\"a.bin\"}");
    sq_buf_free(&b);

    /* Without the file: "missing" at ["body", "file"]. */
    const char body2[] = "--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nx\r\n--XyZ--\r\n";
    f.req.body = (sq_slice){body2, sizeof body2 - 1};
    SQ_CHECK_EQ_INT(sq_validator_run(v, &f.req, &arena, &val), 0);
    SQ_CHECK_EQ_INT(val.status, 422);
    SQ_CHECK_EQ_INT(val.num_errors, 2);
    if (val.num_errors == 2) {
        SQ_CHECK(strcmp(val.errors[0].type, "missing") == 0);
        SQ_CHECK(strcmp(val.errors[1].type, "int_parsing") == 0);
    }
    sq_arena_free(&arena);
    fake_free(&f);
    sq_validator_free(v);
}

/* "files": signatures against the declared type, empty files, required. */
static void test_multipart_files(void) {
    static const char spec[] = "{\"body\":{\"media\":\"multipart\",\"files\":{\"image\":{\"required\":true,"
                               "\"content_types\":[\"image/png\"],\"validate_magic_numbers\":true}}}}";
    static const struct {
        const char *name;
        const char *part; /* the image part (no NUL inside), or "" */
        int status;
        const char *expect;
    } t[] = {
        {"png",
         "Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: "
         "image/png\r\n\r\n"
         "\x89PNG\r\n\x1a\n",
         0, NULL},
        {"jpeg as png",
         "Content-Disposition: form-data; name=\"image\"; filename=\"fake.png\"\r\nContent-Type: "
         "image/png\r\n\r\n"
         "\xff\xd8\xff\xe0",
         422,
         ONE("{\"type\":\"validation_error\",\"loc\":[\"files\",\"image\"],\"msg\":\"File type mismatch: "
             "MIME type "
             "is image/png but magic numbers indicate image/jpeg\",\"ctx\":{\"declared_mime\":\"image/png\","
             "\"detected_type\":\"image/jpeg\",\"magic_bytes\":\"ffd8ffe0\"}}")},
        {"empty",
         "Content-Disposition: form-data; name=\"image\"; filename=\"e.png\"\r\nContent-Type: "
         "image/png\r\n\r\n",
         422,
         ONE("{\"type\":\"validation_error\",\"loc\":[\"files\",\"image\"],\"msg\":\"File buffer is empty\","
             "\"ctx\":{\"buffer_size\":0}}")},
        {"type not allowed",
         "Content-Disposition: form-data; name=\"image\"; filename=\"a.gif\"\r\nContent-Type: "
         "image/gif\r\n\r\nGIF89a",
         422,
         ONE("{\"type\":\"validation_error\",\"loc\":[\"files\",\"image\"],\"msg\":\"File type not allowed: "
             "image/gif\",\"ctx\":{\"content_type\":\"image/gif\",\"allowed_types\":[\"image/png\"]}}")},
        {"missing", "", 422,
         ONE("{\"type\":\"missing\",\"loc\":[\"files\",\"image\"],\"msg\":\"Field "
             "required\",\"input\":null}")},
    };
    sq_validator *v = sq_validator_compile(spec, sizeof spec - 1, NULL, 0);
    SQ_CHECK(v != NULL);
    if (!v)
        return;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char body[512];
        size_t n = 0;
        size_t pl = strlen(t[i].part);
        n += (size_t)snprintf(body + n, sizeof body - n, "--B\r\n");
        if (pl) {
            memcpy(body + n, t[i].part, pl);
            n += pl;
            n += (size_t)snprintf(body + n, sizeof body - n, "\r\n--B\r\n");
        }
        n += (size_t)snprintf(body + n, sizeof body - n,
                              "Content-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--B--\r\n");
        vcase c = {t[i].name, spec, NULL, NULL, "Content-Type: multipart/form-data; boundary=B",
                   NULL,      0,    NULL};
        fake_request f;
        fake_init(&f, &c);
        sq_test_guard_free(f.body);
        f.body = sq_test_guard(body, n);
        f.req.body = (sq_slice){f.body.data, n};
        sq_arena arena;
        sq_arena_init(&arena);
        sq_validation val;
        SQ_CHECK_EQ_INT(sq_validator_run(v, &f.req, &arena, &val), 0);
        SQ_CHECK_EQ_INT(val.status, t[i].status);
        if (t[i].status) {
            sq_buf b;
            sq_buf_init(&b);
            SQ_CHECK_EQ_INT(sq_problem_render_validation(&val, "https://squall.dev/errors/", &b), 0);
            SQ_CHECK_SLICE(((sq_slice){b.data ? b.data : "", b.len}), t[i].expect);
            sq_buf_free(&b);
        } else {
            SQ_CHECK_EQ_INT(val.num_files, 1);
        }
        if (sq_test_current_failed)
            fprintf(stderr, "  ^ case \"%s\"\n", t[i].name);
        sq_arena_free(&arena);
        fake_free(&f);
    }
    sq_validator_free(v);
}

int main(void) {
    SQ_RUN(test_cases);
    SQ_RUN(test_multipart);
    SQ_RUN(test_multipart_files);
    SQ_RUN(test_bad_specs);
    SQ_RUN(test_param_names);
    SQ_RUN(test_body_property_names);
    return SQ_TEST_SUMMARY();
}
