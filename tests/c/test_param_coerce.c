/* Parameter coercion: text to typed values, and pydantic's error types and
 * messages when the text does not parse. Table-driven; every input is
 * placed right before an unmapped page so an over-read faults. */
#include <math.h>
#include <stdlib.h>

#include "../../src/core/validator_internal.h"
#include "sq_test.h"

typedef struct coerce_case {
    const char *text;
    sq__scalar_plan plan;
    /* expected: error type (NULL = success) or the value's serialisation */
    const char *err_type;
    const char *expect; /* success: JSON text of the value; failure: the message */
} coerce_case;

#define INT                                                                                                  \
    { SQ__COERCE_INTEGER, SQ__FORMAT_NONE }
#define NUM                                                                                                  \
    { SQ__COERCE_NUMBER, SQ__FORMAT_NONE }
#define BOOL                                                                                                 \
    { SQ__COERCE_BOOLEAN, SQ__FORMAT_NONE }
#define STR                                                                                                  \
    { SQ__COERCE_STRING, SQ__FORMAT_NONE }
#define UUID                                                                                                 \
    { SQ__COERCE_STRING, SQ__FORMAT_UUID }
#define DATE                                                                                                 \
    { SQ__COERCE_STRING, SQ__FORMAT_DATE }
#define DTIME                                                                                                \
    { SQ__COERCE_STRING, SQ__FORMAT_DATETIME }

static const char INT_MSG[] = "Input should be a valid integer, unable to parse string as an integer";
static const char FLOAT_MSG[] = "Input should be a valid number, unable to parse string as a number";
static const char BOOL_MSG[] = "Input should be a valid boolean, unable to interpret input";

static const coerce_case cases[] = {
    {"42", INT, NULL, "42"},
    {"-10", INT, NULL, "-10"},
    {"+7", INT, NULL, "7"},
    {"007", INT, NULL, "7"},
    {" 5 ", INT, NULL, "5"},
    {"42.0", INT, NULL, "42"},
    {"9223372036854775807", INT, NULL, "9223372036854775807"},
    {"-9223372036854775808", INT, NULL, "-9223372036854775808"},
    {"123456789012345678901234567890", INT, NULL, "123456789012345678901234567890"},
    {"baz", INT, "int_parsing", INT_MSG},
    {"42.5", INT, "int_parsing", INT_MSG},
    {"", INT, "int_parsing", INT_MSG},
    {"-", INT, "int_parsing", INT_MSG},
    {"1e3", INT, "int_parsing", INT_MSG},
    {"95.5", NUM, NULL, "95.5"},
    {"1.5e-3", NUM, NULL, "0.0015"},
    {"-0.01", NUM, NULL, "-0.01"},
    {"abc", NUM, "float_parsing", FLOAT_MSG},
    {"inf", NUM, "float_parsing", FLOAT_MSG},
    {"0x10", NUM, "float_parsing", FLOAT_MSG},
    {"1e999", NUM, "float_parsing", FLOAT_MSG},
    {"true", BOOL, NULL, "true"},
    {"TRUE", BOOL, NULL, "true"},
    {"1", BOOL, NULL, "true"},
    {"yes", BOOL, NULL, "true"},
    {"On", BOOL, NULL, "true"},
    {"t", BOOL, NULL, "true"},
    {"y", BOOL, NULL, "true"},
    {"false", BOOL, NULL, "false"},
    {"0", BOOL, NULL, "false"},
    {"off", BOOL, NULL, "false"},
    {"N", BOOL, NULL, "false"},
    {"", BOOL, NULL, "false"},
    {"maybe", BOOL, "bool_parsing", BOOL_MSG},
    {"2", BOOL, "bool_parsing", BOOL_MSG},
    {"hello world", STR, NULL, "\"hello world\""},
    {"c892496f-b1fd-4b91-bdb8-b46f92df1716", UUID, NULL, "\"c892496f-b1fd-4b91-bdb8-b46f92df1716\""},
    {"C892496F-B1FD-4B91-BDB8-B46F92DF1716", UUID, NULL, "\"c892496f-b1fd-4b91-bdb8-b46f92df1716\""},
    {"c892496fb1fd4b91bdb8b46f92df1716", UUID, NULL, "\"c892496f-b1fd-4b91-bdb8-b46f92df1716\""},
    {"urn:uuid:c892496f-b1fd-4b91-bdb8-b46f92df1716", UUID, NULL, "\"c892496f-b1fd-4b91-bdb8-b46f92df1716\""},
    {"not-a-uuid", UUID, "uuid_parsing",
     "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed "
     "by "
     "[0-9a-fA-F-], found `n` at 0"},
    {"c892496f-b1fd-4b91-bdb8", UUID, "uuid_parsing",
     "Input should be a valid UUID, invalid group count: expected 5, found 4"},
    {"c892496f-b1fd-4b91-bdb8-b46f92df171", UUID, "uuid_parsing",
     "Input should be a valid UUID, invalid group length in group 4: expected 12, found 11"},
    {"c892496f-b1fd-4B91-bdb8-0b46f92df1716", UUID, "uuid_parsing",
     "Input should be a valid UUID, invalid group length in group 4: expected 12, found 13"},
    {"c892496f0-b1fd-4b91-bdb8-b46f92df171", UUID, "uuid_parsing",
     "Input should be a valid UUID, invalid group length in group 0: expected 8, found 9"},
    {"c892496f-b1fd-4b91-bdb8b46f92df17-16", UUID, "uuid_parsing",
     "Input should be a valid UUID, invalid group length in group 3: expected 4, found 14"},
    {"{c892496f-b1fd-4b91-bdb8-b46f92df1716}", UUID, NULL, "\"c892496f-b1fd-4b91-bdb8-b46f92df1716\""},
    {"abc", UUID, "uuid_parsing",
     "Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3"},
    {"2024-01-15", DATE, NULL, "\"2024-01-15\""},
    {"2024-02-29", DATE, NULL, "\"2024-02-29\""},
    {"2023-02-29", DATE, "date_parsing",
     "Input should be a valid date in the format YYYY-MM-DD, day value is outside expected range"},
    {"2025-13-45", DATE, "date_parsing",
     "Input should be a valid date in the format YYYY-MM-DD, month value is outside expected range of 1-12"},
    {"2024-1-15", DATE, "date_parsing",
     "Input should be a valid date in the format YYYY-MM-DD, input is too short"},
    {"x024-01-15", DATE, "date_parsing",
     "Input should be a valid date in the format YYYY-MM-DD, invalid character in year"},
    {"2024-01-15T10:30:00Z", DTIME, NULL, "\"2024-01-15T10:30:00Z\""},
    {"2024-01-15T10:30:00.123+02:00", DTIME, NULL, "\"2024-01-15T10:30:00.123+02:00\""},
    {"2024-01-15 10:30", DTIME, NULL, "\"2024-01-15 10:30\""},
    {"2024-01-15T25:30:00Z", DTIME, "datetime_parsing", "Input should be a valid datetime"},
    {"not-a-datetime", DTIME, "datetime_parsing", "Input should be a valid datetime"},
    {"2024-01-15T10:30:00Zjunk", DTIME, "datetime_parsing", "Input should be a valid datetime"},
};

static void test_coerce_table(void) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const coerce_case *c = &cases[i];
        size_t len = strlen(c->text);
        sq_guarded g = sq_test_guard(c->text, len);
        sq_arena arena;
        sq_arena_init(&arena);
        sq_json_value v;
        sq__coerce_error err;
        memset(&err, 0, sizeof err);
        int rc = sq__coerce_scalar(&c->plan, g.data, len, &arena, &v, &err);
        if (c->err_type) {
            SQ_CHECK_EQ_INT(rc, 1);
            if (rc == 1) {
                SQ_CHECK(strcmp(err.type, c->err_type) == 0);
                SQ_CHECK(strcmp(err.msg, c->expect) == 0);
                if (strcmp(err.msg, c->expect) != 0)
                    fprintf(stderr, "  case %zu: got \"%s\"\n", i, err.msg);
            }
        } else {
            SQ_CHECK_EQ_INT(rc, 0);
            if (rc == 0) {
                sq_buf b;
                sq_buf_init(&b);
                SQ_CHECK_EQ_INT(sq_json_write_value(&b, &v), 0);
                SQ_CHECK_SLICE(((sq_slice){b.data, b.len}), c->expect);
                sq_buf_free(&b);
            }
        }
        if (sq_test_current_failed)
            fprintf(stderr, "  case %zu: \"%s\"\n", i, c->text);
        sq_arena_free(&arena);
        sq_test_guard_free(g);
    }
}

/* An int_parsing error reports the text sent, a fractional number too
 * (pydantic's input; the fixture query_params/06 that wants 42.5 is disputed). */
static void test_error_input(void) {
    sq_arena arena;
    sq_arena_init(&arena);
    sq__scalar_plan plan = INT;
    sq_json_value v;
    sq__coerce_error err;
    SQ_CHECK_EQ_INT(sq__coerce_scalar(&plan, "42.5", 4, &arena, &v, &err), 1);
    const sq_json_value *in = sq__coerce_error_input(&err, "42.5", 4, &arena);
    SQ_CHECK(in && in->type == SQ_JSON_STRING && in->u.str.len == 4 && memcmp(in->u.str.ptr, "42.5", 4) == 0);
    SQ_CHECK_EQ_INT(sq__coerce_scalar(&plan, "baz", 3, &arena, &v, &err), 1);
    in = sq__coerce_error_input(&err, "baz", 3, &arena);
    SQ_CHECK(in && in->type == SQ_JSON_STRING && in->u.str.len == 3 && memcmp(in->u.str.ptr, "baz", 3) == 0);
    sq_arena_free(&arena);
}

/* Text that is not UTF-8 (a query's %FF) becomes U+FFFD, so every value
 * can be serialised. Valid text is not copied. */
static void test_invalid_utf8_replaced(void) {
    sq_arena arena;
    sq_arena_init(&arena);
    sq__scalar_plan plan = STR;
    sq_json_value v;
    sq__coerce_error err;
    const char bad[] = "a\xff"
                       "b";
    SQ_CHECK_EQ_INT(sq__coerce_scalar(&plan, bad, 3, &arena, &v, &err), 0);
    SQ_CHECK_SLICE(((sq_slice){v.u.str.ptr, v.u.str.len}), "a\xEF\xBF\xBD"
                                                           "b");
    const char good[] = "caf\xC3\xA9";
    SQ_CHECK_EQ_INT(sq__coerce_scalar(&plan, good, 5, &arena, &v, &err), 0);
    SQ_CHECK(v.u.str.ptr == good);
    sq_arena_free(&arena);
}

static const sq_json_value *parse(sq_arena *a, const char *text) {
    sq_json_value *v = NULL;
    sq_json_error e;
    if (sq_json_parse(text, strlen(text), a, NULL, &v, &e) != 0)
        return NULL;
    return v;
}

/* Plans come from the schema: type, type lists with null, Optional's
 * anyOf, arrays and their items, formats. */
static void test_plan_from_schema(void) {
    static const struct {
        const char *schema;
        int is_array, kind, format;
    } t[] = {
        {"{\"type\":\"integer\"}", 0, SQ__COERCE_INTEGER, SQ__FORMAT_NONE},
        {"{\"type\":[\"null\",\"number\"]}", 0, SQ__COERCE_NUMBER, SQ__FORMAT_NONE},
        {"{\"anyOf\":[{\"type\":\"boolean\"},{\"type\":\"null\"}]}", 0, SQ__COERCE_BOOLEAN, SQ__FORMAT_NONE},
        {"{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}", 1, SQ__COERCE_INTEGER, SQ__FORMAT_NONE},
        {"{\"type\":\"array\"}", 1, SQ__COERCE_STRING, SQ__FORMAT_NONE},
        {"{\"type\":\"string\",\"format\":\"uuid\"}", 0, SQ__COERCE_STRING, SQ__FORMAT_UUID},
        {"{\"type\":\"string\",\"format\":\"date\"}", 0, SQ__COERCE_STRING, SQ__FORMAT_DATE},
        {"{\"type\":\"string\",\"format\":\"date-time\"}", 0, SQ__COERCE_STRING, SQ__FORMAT_DATETIME},
        {"{\"type\":\"string\",\"format\":\"email\"}", 0, SQ__COERCE_STRING, SQ__FORMAT_NONE},
        {"{\"enum\":[1,2,3]}", 0, SQ__COERCE_INTEGER, SQ__FORMAT_NONE},
        {"{}", 0, SQ__COERCE_STRING, SQ__FORMAT_NONE},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        sq_arena arena;
        sq_arena_init(&arena);
        const sq_json_value *s = parse(&arena, t[i].schema);
        SQ_CHECK(s != NULL);
        sq__value_plan p;
        sq__plan_from_schema(s, &p);
        SQ_CHECK_EQ_INT(p.is_array, t[i].is_array);
        SQ_CHECK_EQ_INT(p.scalar.kind, t[i].kind);
        SQ_CHECK_EQ_INT(p.scalar.format, t[i].format);
        if (sq_test_current_failed)
            fprintf(stderr, "  schema %s\n", t[i].schema);
        sq_arena_free(&arena);
    }
}

int main(void) {
    SQ_RUN(test_coerce_table);
    SQ_RUN(test_error_input);
    SQ_RUN(test_invalid_utf8_replaced);
    SQ_RUN(test_plan_from_schema);
    return SQ_TEST_SUMMARY();
}
