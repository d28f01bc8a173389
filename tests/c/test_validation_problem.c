/* Rendering of failed validations: the 422 envelope in the fixtures' shape
 * (input and ctx left out when NULL, "1 validation error" / "N validation
 * errors"), the 415 problems and the 400 bodies. */
#include <stdlib.h>

#include "../../src/core/validator_internal.h"
#include "sq_test.h"

static const sq_json_value *parse(sq_arena *a, const char *text) {
    sq_json_value *v = NULL;
    sq_json_error e;
    if (sq_json_parse(text, strlen(text), a, NULL, &v, &e) != 0)
        return NULL;
    return v;
}

static void check_render(const sq_validation *val, const char *expect, const char *content_type) {
    sq_buf b;
    sq_buf_init(&b);
    SQ_CHECK_EQ_INT(sq_problem_render_validation(val, "https://squall.dev/errors/", &b), 0);
    SQ_CHECK_SLICE(((sq_slice){b.data ? b.data : "", b.len}), expect);
    SQ_CHECK(strcmp(sq_validation_content_type(val), content_type) == 0);
    sq_buf_free(&b);
}

static void test_single_missing(void) {
    sq_arena a;
    sq_arena_init(&a);
    sq_validation_error e = {"missing", parse(&a, "[\"query\",\"q\"]"), "Field required", parse(&a, "null"),
                             NULL};
    sq_validation val = {0};
    val.errors = &e;
    val.num_errors = 1;
    val.status = 422;
    check_render(
        &val,
        "{\"type\":\"https://squall.dev/errors/validation-error\",\"title\":\"Request Validation Failed\","
        "\"status\":422,\"detail\":\"1 validation error in request\",\"errors\":[{\"type\":\"missing\","
        "\"loc\":[\"query\",\"q\"],\"msg\":\"Field required\",\"input\":null}]}",
        "application/problem+json");
    sq_arena_free(&a);
}

static void test_many_with_ctx(void) {
    sq_arena a;
    sq_arena_init(&a);
    sq_validation_error e[3] = {
        {"greater_than_equal", parse(&a, "[\"body\",\"age\"]"), "Input should be greater than or equal to 18",
         parse(&a, "15"), parse(&a, "{\"ge\":18}")},
        {"string_too_short", parse(&a, "[\"body\",\"tags\",0]"), "String should have at least 3 characters",
         parse(&a, "\"ab\""), parse(&a, "{\"min_length\":3}")},
        /* no input (Spikard's validation_error entries have none) */
        {"validation_error", parse(&a, "[\"query\",\"limit\"]"), "Value must be greater than 0", NULL,
         parse(&a, "{\"exclusive_minimum\":0,\"value\":0}")},
    };
    sq_validation val = {0};
    val.errors = e;
    val.num_errors = 3;
    val.status = 422;
    check_render(
        &val,
        "{\"type\":\"https://squall.dev/errors/validation-error\",\"title\":\"Request Validation Failed\","
        "\"status\":422,\"detail\":\"3 validation errors in request\",\"errors\":["
        "{\"type\":\"greater_than_equal\",\"loc\":[\"body\",\"age\"],\"msg\":\"Input should be greater than "
        "or equal to 18\",\"input\":15,\"ctx\":{\"ge\":18}},"
        "{\"type\":\"string_too_short\",\"loc\":[\"body\",\"tags\",0],\"msg\":\"String should have at least "
        "3 "
        "characters\",\"input\":\"ab\",\"ctx\":{\"min_length\":3}},"
        "{\"type\":\"validation_error\",\"loc\":[\"query\",\"limit\"],\"msg\":\"Value must be greater than "
        "0\","
        "\"ctx\":{\"exclusive_minimum\":0,\"value\":0}}]}",
        "application/problem+json");
    sq_arena_free(&a);
}

/* Messages and inputs are escaped as JSON requires. */
static void test_escaping(void) {
    sq_arena a;
    sq_arena_init(&a);
    sq_validation_error e = {"string_pattern_mismatch", parse(&a, "[\"body\",\"filename\"]"),
                             "String should match pattern '^[^\\x00]+$'", parse(&a, "\"file\\u0000.txt\""),
                             NULL};
    sq_validation val = {0};
    val.errors = &e;
    val.num_errors = 1;
    val.status = 422;
    check_render(
        &val,
        "{\"type\":\"https://squall.dev/errors/validation-error\",\"title\":\"Request Validation Failed\","
        "\"status\":422,\"detail\":\"1 validation error in request\",\"errors\":[{\"type\":"
        "\"string_pattern_mismatch\",\"loc\":[\"body\",\"filename\"],\"msg\":\"String should match pattern "
        "'^[^\\\\x00]+$'\",\"input\":\"file\\u0000.txt\"}]}",
        "application/problem+json");
    sq_arena_free(&a);
}

static void test_other_statuses(void) {
    sq_validation val = {0};
    val.status = 415;
    val.problem = SQ_VPROBLEM_MEDIA_TYPE;
    val.problem_detail = "Unsupported media type";
    check_render(
        &val,
        "{\"type\":\"https://squall.dev/errors/unsupported-media-type\",\"title\":\"Unsupported Media Type\","
        "\"status\":415,\"detail\":\"Unsupported media type\"}",
        "application/problem+json");
    val.problem = SQ_VPROBLEM_CHARSET;
    val.problem_detail = "Unsupported charset 'utf-16' for JSON. Only UTF-8 is supported.";
    check_render(
        &val,
        "{\"type\":\"https://squall.dev/errors/unsupported-charset\",\"title\":\"Unsupported Charset\","
        "\"status\":415,\"detail\":\"Unsupported charset 'utf-16' for JSON. Only UTF-8 is supported.\"}",
        "application/problem+json");
    val.status = 400;
    val.problem = SQ_VPROBLEM_MALFORMED_JSON;
    val.problem_detail = "Invalid request format";
    check_render(&val, "{\"detail\":\"Invalid request format\"}", "application/json");
    val.problem = SQ_VPROBLEM_NO_BOUNDARY;
    val.problem_detail = "multipart/form-data requires 'boundary' parameter";
    check_render(&val, "{\"error\":\"multipart/form-data requires 'boundary' parameter\"}",
                 "application/json");
}

int main(void) {
    SQ_RUN(test_single_missing);
    SQ_RUN(test_many_with_ctx);
    SQ_RUN(test_escaping);
    SQ_RUN(test_other_statuses);
    return SQ_TEST_SUMMARY();
}
