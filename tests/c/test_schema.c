/* JSON Schema compiler + validator: one line per case (schema, instance,
 * expected number of errors, expected type of the first error), compile
 * errors, messages and ctx, recursion, coercion, no allocation when valid. */
#include <stdlib.h>

#include "../../src/core/schema_internal.h"
#include "sq_test.h"
#include "squall/schema.h"

static sq_json_value *parse(sq_arena *a, const char *s) {
    sq_json_value *v = NULL;
    sq_json_error err;
    if (sq_json_parse(s, strlen(s), a, NULL, &v, &err)) {
        fprintf(stderr, "bad test JSON: %s (%s at %zu)\n", s, err.reason, err.offset);
        return NULL;
    }
    return v;
}

static void body_loc(sq_loc *loc) {
    loc->len = 1;
    loc->items[0].type = SQ_JSON_STRING;
    loc->items[0].u.str.ptr = "body";
    loc->items[0].u.str.len = 4;
}

typedef struct vcase {
    const char *schema;
    const char *instance;
    int errors;
    const char *first_type; /* NULL: do not check */
} vcase;

static const vcase cases[] = {
    /* type */
    {"{\"type\":\"integer\"}", "3", 0, NULL},
    {"{\"type\":\"integer\"}", "3.0", 0, NULL},
    {"{\"type\":\"integer\"}", "3.5", 1, "int_from_float"},
    {"{\"type\":\"integer\"}", "\"42\"", 0, NULL},
    {"{\"type\":\"integer\"}", "\"4x\"", 1, "int_parsing"},
    {"{\"type\":\"integer\"}", "\"1e3\"", 1, "int_parsing"},
    {"{\"type\":\"integer\"}", "\"7.00\"", 0, NULL},
    {"{\"type\":\"integer\"}", "\"7.5\"", 1, "int_parsing"},
    {"{\"type\":\"number\"}", "\"-1e3\"", 0, NULL},
    {"{\"type\":\"integer\"}", "true", 1, "int_type"},
    {"{\"type\":\"integer\"}", "123456789012345678901234567890", 0, NULL},
    {"{\"type\":\"number\"}", "\"2.5\"", 0, NULL},
    {"{\"type\":\"number\"}", "\"abc\"", 1, "float_parsing"},
    {"{\"type\":\"number\"}", "null", 1, "float_type"},
    {"{\"type\":\"string\"}", "1", 1, "type_error"},
    {"{\"type\":\"boolean\"}", "\"yes\"", 0, NULL},
    {"{\"type\":\"boolean\"}", "\"maybe\"", 1, "bool_parsing"},
    {"{\"type\":\"boolean\"}", "[]", 1, "bool_type"},
    {"{\"type\":\"null\"}", "0", 1, "none_required"},
    {"{\"type\":\"array\"}", "{}", 1, "list_type"},
    {"{\"type\":\"object\"}", "[]", 1, "dict_type"},
    {"{\"type\":[\"string\",\"null\"]}", "null", 0, NULL},
    {"{\"type\":[\"string\",\"null\"]}", "5", 1, "type_error"},
    {"{\"type\":\"string\",\"nullable\":true}", "null", 0, NULL},
    /* enum / const */
    {"{\"enum\":[\"a\",1,null]}", "1.0", 0, NULL},
    {"{\"enum\":[\"a\",\"b\"]}", "\"c\"", 1, "enum"},
    {"{\"const\":{\"a\":[1,2]}}", "{\"a\":[1,2]}", 0, NULL},
    {"{\"const\":{\"a\":[1,2]}}", "{\"a\":[2,1]}", 1, "validation_error"},
    /* numbers */
    {"{\"minimum\":1,\"maximum\":10}", "0", 1, "greater_than_equal"},
    {"{\"minimum\":1,\"maximum\":10}", "11", 1, "less_than_equal"},
    {"{\"exclusiveMinimum\":0}", "0", 1, "greater_than"},
    {"{\"exclusiveMaximum\":1.5}", "1.5", 1, "less_than"},
    {"{\"minimum\":0,\"exclusiveMinimum\":true}", "0", 1, "greater_than"},
    {"{\"multipleOf\":0.1}", "0.3", 0, NULL},
    {"{\"multipleOf\":0.01}", "19.99", 0, NULL},
    {"{\"multipleOf\":5}", "17", 1, "multiple_of"},
    {"{\"multipleOf\":2}", "9007199254740993", 1, "multiple_of"},
    {"{\"minimum\":5}", "\"x\"", 0, NULL},
    /* strings */
    {"{\"minLength\":2}", "\"\xc3\xa9\"", 1, "string_too_short"},
    {"{\"maxLength\":1}", "\"\xc3\xa9\"", 0, NULL},
    {"{\"maxLength\":2}", "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"", 1, "string_too_long"},
    {"{\"pattern\":\"b+\"}", "\"abbc\"", 0, NULL},
    {"{\"pattern\":\"^b+$\"}", "\"abbc\"", 1, "string_pattern_mismatch"},
    {"{\"pattern\":\"^\\\\p{L}+$\"}", "\"caf\xc3\xa9\"", 0, NULL},
    /* atom sequences (the automaton; PCRE2 past its limits) */
    {"{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$\"}", "\"ada@example.com\"", 0, NULL},
    {"{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$\"}", "\"ada@example.com\\n\"", 0, NULL},
    {"{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$\"}", "\"ada@example.com\\n\\n\"", 1, "string_pattern_mismatch"},
    {"{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$\"}", "\"ada@exa mple.com\"", 1, "string_pattern_mismatch"},
    {"{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$\"}", "\"ad\xc3\xa9@example.com\"", 0, NULL},
    {"{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$\"}", "\"a@b\"", 1, "string_pattern_mismatch"},
    {"{\"pattern\":\"^\\\\S+$\"}", "\"a\\n\"", 0, NULL},
    {"{\"pattern\":\"^[a-c-e]{2}x+$\"}", "\"-exx\"", 0, NULL},
    {"{\"pattern\":\"^[a-c-e]{2}x+$\"}", "\"dax\"", 1, "string_pattern_mismatch"},
    {"{\"pattern\":\"^a+\\\\.b$\"}", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b\"", 0, NULL},
    {"{\"format\":\"email\"}", "\"a.b@example.com\"", 0, NULL},
    {"{\"format\":\"email\"}", "\"nope\"", 1, "string_pattern_mismatch"},
    {"{\"format\":\"uuid\"}", "\"c892496f-b1fd-4b91-bdb8-b46f92df1716\"", 0, NULL},
    {"{\"format\":\"uuid\"}", "\"c892496f-b1fd-4b91-bdb8-b46f92df171\"", 1, "uuid_parsing"},
    {"{\"format\":\"date\"}", "\"2024-02-29\"", 0, NULL},
    {"{\"format\":\"date\"}", "\"2023-02-29\"", 1, "date_parsing"},
    {"{\"format\":\"date-time\"}", "\"2024-03-15T10:30:00Z\"", 0, NULL},
    {"{\"format\":\"date-time\"}", "\"2024-03-15T10:30:00.123+05:30\"", 0, NULL},
    {"{\"format\":\"date-time\"}", "\"2024-03-15 10:30\"", 0, NULL},
    {"{\"format\":\"date-time\"}", "\"2024-03-15T25:00:00\"", 1, "datetime_parsing"},
    {"{\"format\":\"time\"}", "\"10:30:00\"", 0, NULL},
    {"{\"format\":\"duration\"}", "\"P1DT2H\"", 0, NULL},
    {"{\"format\":\"duration\"}", "\"P\"", 1, "time_delta_parsing"},
    {"{\"format\":\"uri\"}", "\"https://example.com/a?b=c#d\"", 0, NULL},
    {"{\"format\":\"uri\"}", "\"not a uri\"", 1, "url_parsing"},
    {"{\"format\":\"ipv4\"}", "\"192.168.0.1\"", 0, NULL},
    {"{\"format\":\"ipv4\"}", "\"999.1.1.1\"", 1, "ip_v4_address"},
    {"{\"format\":\"ipv4\"}", "\"01.1.1.1\"", 1, "ip_v4_address"},
    {"{\"format\":\"ipv6\"}", "\"::1\"", 0, NULL},
    {"{\"format\":\"ipv6\"}", "\"1:::2\"", 1, "ip_v6_address"},
    {"{\"format\":\"hostname\"}", "\"api.example.com\"", 0, NULL},
    {"{\"format\":\"hostname\"}", "\"-bad-.com\"", 1, "validation_error"},
    {"{\"format\":\"binary\"}", "\"anything\"", 0, NULL},
    /* arrays */
    {"{\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[1,2,3]", 0, NULL},
    {"{\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[]", 1, "too_short"},
    {"{\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}", "[1,2,3,4]", 1, "too_long"},
    {"{\"items\":{\"type\":\"integer\"}}", "[1,\"x\",\"y\"]", 2, "int_parsing"},
    {"{\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}],\"items\":false}", "[\"a\",1]", 0, NULL},
    {"{\"prefixItems\":[{\"type\":\"string\"},{\"type\":\"integer\"}],\"items\":false}", "[\"a\",1,2]", 1, "validation_error"},
    {"{\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}", "[\"a\",2]", 1, "validation_error"},
    {"{\"uniqueItems\":true}", "[1,2,{\"a\":1}]", 0, NULL},
    {"{\"uniqueItems\":true}", "[1,2,1.0]", 1, "validation_error"},
    {"{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]", 1, "validation_error"},
    {"{\"contains\":{\"type\":\"string\"}}", "[1,\"a\"]", 0, NULL},
    {"{\"contains\":{\"type\":\"string\"}}", "[1,2]", 1, "validation_error"},
    {"{\"contains\":{\"type\":\"string\"},\"minContains\":2}", "[1,\"a\"]", 1, "validation_error"},
    {"{\"contains\":{\"type\":\"string\"},\"maxContains\":1}", "[\"b\",\"a\"]", 1, "validation_error"},
    /* objects */
    {"{\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\",\"b\"]}", "{\"a\":1}", 1, "missing"},
    {"{\"properties\":{\"a\":{\"type\":\"integer\"}},\"additionalProperties\":false}", "{\"a\":1,\"b\":2,\"c\":3}", 2,
     "validation_error"},
    {"{\"additionalProperties\":{\"type\":\"string\"}}", "{\"a\":\"x\",\"b\":2}", 1, "type_error"},
    {"{\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}},\"additionalProperties\":false}", "{\"x-a\":1}", 0, NULL},
    {"{\"patternProperties\":{\"^x-\":{\"type\":\"integer\"}},\"additionalProperties\":false}", "{\"y\":1}", 1,
     "validation_error"},
    {"{\"propertyNames\":{\"maxLength\":2}}", "{\"abc\":1}", 1, "string_too_long"},
    {"{\"minProperties\":1}", "{}", 1, "validation_error"},
    {"{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", 1, "validation_error"},
    {"{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"a\":1}", 1, "validation_error"},
    {"{\"dependentRequired\":{\"a\":[\"b\"]}}", "{\"c\":1}", 0, NULL},
    {"{\"dependencies\":{\"a\":{\"required\":[\"c\"]}}}", "{\"a\":1}", 1, "missing"},
    {"{\"dependentSchemas\":{\"a\":{\"required\":[\"c\"]}}}", "{\"a\":1,\"c\":2}", 0, NULL},
    /* combinators */
    {"{\"allOf\":[{\"minimum\":1},{\"maximum\":2}]}", "3", 1, "less_than_equal"},
    {"{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}", "\"x\"", 1, "int_parsing"},
    {"{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}", "null", 0, NULL},
    {"{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}", "5", 1, "type_error"},
    {"{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}", "[]", 1, "validation_error"},
    {"{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}", "1", 1, "validation_error"},
    {"{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}", "1.5", 0, NULL},
    {"{\"not\":{\"type\":\"string\"}}", "\"a\"", 1, "validation_error"},
    {"{\"not\":{\"type\":\"string\"}}", "1", 0, NULL},
    {"{\"if\":{\"properties\":{\"k\":{\"const\":\"a\"}}},\"then\":{\"required\":[\"x\"]},\"else\":{\"required\":[\"y\"]}}",
     "{\"k\":\"a\"}", 1, "missing"},
    {"{\"if\":{\"properties\":{\"k\":{\"const\":\"a\"}}},\"then\":{\"required\":[\"x\"]},\"else\":{\"required\":[\"y\"]}}",
     "{\"k\":\"b\",\"y\":1}", 0, NULL},
    {"true", "{\"anything\":1}", 0, NULL},
    {"false", "1", 1, "validation_error"},
    /* refs */
    {"{\"$defs\":{\"P\":{\"type\":\"integer\",\"minimum\":0}},\"properties\":{\"a\":{\"$ref\":\"#/$defs/P\"}}}",
     "{\"a\":-1}", 1, "greater_than_equal"},
    {"{\"definitions\":{\"a/b\":{\"type\":\"string\"}},\"items\":{\"$ref\":\"#/definitions/a~1b\"}}", "[\"x\",1]", 1,
     "type_error"},
    {"{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"},\"v\":{\"type\":\"integer\"}}}",
     "{\"v\":1,\"next\":{\"v\":2,\"next\":{\"v\":\"x\"}}}", 1, "int_parsing"},
    {"{\"components\":{\"schemas\":{\"P\":{\"type\":\"string\"}}},\"$ref\":\"#/components/schemas/P\"}", "1", 1,
     "type_error"},
    {"{\"$defs\":{\"a b\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/a%20b\"}", "\"ok\"", 0, NULL},
    /* annotations */
    {"{\"title\":\"T\",\"description\":\"d\",\"examples\":[1],\"default\":1,\"deprecated\":false,\"readOnly\":true,"
     "\"writeOnly\":false,\"$comment\":\"c\",\"$schema\":\"x\",\"$id\":\"y\",\"contentEncoding\":\"base64\","
     "\"contentMediaType\":\"text/plain\",\"x-extra\":1,\"example\":2}",
     "1", 0, NULL},
};

static void test_case_table(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sq_arena a;
        sq_arena_init(&a);
        sq_json_value *sd = parse(&a, cases[i].schema);
        sq_json_value *inst = parse(&a, cases[i].instance);
        char err[200];
        sq_schema *s = sd ? sq_schema_compile(sd, err, sizeof err) : NULL;
        if (!s) {
            fprintf(stderr, "case %zu: compile failed: %s\n", i, sd ? err : "bad JSON");
            SQ_CHECK(s != NULL);
            sq_arena_free(&a);
            continue;
        }
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &a);
        int n = sq_schema_validate(s, inst, &loc, &el);
        int bad = n != cases[i].errors ||
                  (cases[i].first_type && (n < 1 || strcmp(el.items[0].type, cases[i].first_type) != 0));
        if (bad) {
            fprintf(stderr, "case %zu: %s on %s: %d errors (want %d), first %s (want %s)\n", i, cases[i].schema,
                    cases[i].instance, n, cases[i].errors, n > 0 ? el.items[0].type : "-",
                    cases[i].first_type ? cases[i].first_type : "-");
            SQ_CHECK(!bad);
        }
        SQ_CHECK_EQ_INT(loc.len, 1); /* the prefix is restored */
        sq_schema_free(s);
        sq_arena_free(&a);
    }
}

static void test_compile_errors(void) {
    static const char *const bad[] = {
        "{\"type\":\"strin\"}",      "{\"minLenght\":3}",          "{\"pattern\":\"(\"}",
        "{\"$ref\":\"#/nope\"}",      "{\"$ref\":\"other.json#/a\"}", "{\"minimum\":\"1\"}",
        "{\"required\":\"a\"}",       "{\"properties\":[]}",        "{\"multipleOf\":0}",
        "{\"items\":1}",              "3",                          "{\"unevaluatedProperties\":false}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sq_arena a;
        sq_arena_init(&a);
        sq_json_value *sd = parse(&a, bad[i]);
        char err[200];
        err[0] = 0;
        sq_schema *s = sq_schema_compile(sd, err, sizeof err);
        if (s) fprintf(stderr, "compiled but should not: %s\n", bad[i]);
        SQ_CHECK(s == NULL);
        SQ_CHECK(err[0] != 0);
        sq_schema_free(s);
        sq_arena_free(&a);
    }
    /* the unknown keyword is named */
    sq_arena a;
    sq_arena_init(&a);
    char err[200];
    SQ_CHECK(sq_schema_compile(parse(&a, "{\"properties\":{\"a\":{\"maxLenght\":1}}}"), err, sizeof err) == NULL);
    SQ_CHECK(strstr(err, "maxLenght") != NULL);
    sq_arena_free(&a);
}

static int json_is(const sq_json_value *v, const char *want) {
    sq_buf b;
    sq_buf_init(&b);
    sq_json_write_value(&b, v);
    int ok = b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
    if (!ok) fprintf(stderr, "got %.*s want %s\n", (int)b.len, b.data, want);
    sq_buf_free(&b);
    return ok;
}

static void test_messages_and_order(void) {
    sq_arena a;
    sq_arena_init(&a);
    const char *schema = "{\"type\":\"object\",\"required\":[\"name\",\"age\",\"tags\",\"kind\"],"
                         "\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1},"
                         "\"age\":{\"type\":\"integer\",\"minimum\":18},"
                         "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                         "\"kind\":{\"enum\":[\"a\",\"b\",\"c\"]},\"ratio\":{\"exclusiveMaximum\":0.5}}}";
    const char *inst = "{\"name\":\"\",\"age\":15,\"tags\":[\"x\",7],\"kind\":\"d\",\"ratio\":0.5}";
    char err[200];
    sq_schema *s = sq_schema_compile(parse(&a, schema), err, sizeof err);
    SQ_CHECK(s != NULL);
    if (!s) goto out;
    sq_loc loc;
    body_loc(&loc);
    sq_error_list el;
    sq_error_list_init(&el, &a);
    SQ_CHECK_EQ_INT(sq_schema_validate(s, parse(&a, inst), &loc, &el), 5);
    if (el.len != 5) goto out2;
    /* sorted by location: age, kind, name, ratio, tags.1 */
    SQ_CHECK(json_is(el.items[0].loc, "[\"body\",\"age\"]"));
    SQ_CHECK(strcmp(el.items[0].msg, "Input should be greater than or equal to 18") == 0);
    SQ_CHECK(json_is(el.items[0].ctx, "{\"ge\":18}"));
    SQ_CHECK(json_is(el.items[0].input, "15"));
    SQ_CHECK(strcmp(el.items[1].msg, "Input should be 'a', 'b' or 'c'") == 0);
    SQ_CHECK(json_is(el.items[1].ctx, "{\"expected\":\"'a', 'b' or 'c'\"}"));
    SQ_CHECK(strcmp(el.items[2].msg, "String should have at least 1 character") == 0);
    SQ_CHECK(json_is(el.items[2].ctx, "{\"min_length\":1}"));
    SQ_CHECK(strcmp(el.items[3].msg, "Input should be less than 0.5") == 0);
    SQ_CHECK(json_is(el.items[4].loc, "[\"body\",\"tags\",\"1\"]"));
    SQ_CHECK(el.items[4].ctx == NULL);
out2:
    sq_schema_free(s);
out:
    sq_arena_free(&a);
}

/* Overwrites a stretch of stack the way later calls would. */
static void __attribute__((noinline)) scribble_stack(void) {
    volatile unsigned char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = 0xA5;
}

/* An error's `input` outlives the walk even when the value was one of the
 * walk's temporaries: a lax conversion's result (here "5" read as 5, then
 * failing anyOf) and a propertyNames key. */
static void test_error_inputs_outlive_the_walk(void) {
    static const struct {
        const char *schema, *inst, *input;
    } temps[] = {
        {"{\"type\":\"integer\",\"anyOf\":[{\"minimum\":10},{\"maximum\":-10}]}", "\"5\"", "5"},
        {"{\"propertyNames\":{\"maxLength\":1}}", "{\"ab\":1}", "\"ab\""},
    };
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) {
        sq_arena a;
        sq_arena_init(&a);
        char err[200];
        sq_schema *s = sq_schema_compile(parse(&a, temps[i].schema), err, sizeof err);
        SQ_CHECK(s != NULL);
        if (s) {
            sq_loc loc;
            body_loc(&loc);
            sq_error_list el;
            sq_error_list_init(&el, &a);
            SQ_CHECK(sq_schema_validate(s, parse(&a, temps[i].inst), &loc, &el) >= 1);
            scribble_stack();
            SQ_CHECK(el.len >= 1);
            for (size_t k = 0; k < el.len; k++) SQ_CHECK(json_is(el.items[k].input, temps[i].input));
            sq_schema_free(s);
        }
        sq_arena_free(&a);
    }
}

/* The document's value at an error's location (the items after the
 * caller's "body"), or NULL when the location is not in the document. */
static const sq_json_value *value_at(const sq_json_value *doc, const sq_json_value *loc) {
    const sq_json_value *v = doc;
    for (size_t i = 1; v && i < loc->u.arr.len; i++) {
        const sq_json_value *k = &loc->u.arr.items[i];
        if (k->type != SQ_JSON_STRING) return NULL;
        if (v->type == SQ_JSON_OBJECT) {
            v = sq_json_get(v, k->u.str.ptr, k->u.str.len);
        } else if (v->type == SQ_JSON_ARRAY) {
            size_t idx = 0;
            for (size_t d = 0; d < k->u.str.len; d++) idx = idx * 10 + (size_t)(k->u.str.ptr[d] - '0');
            v = idx < v->u.arr.len ? &v->u.arr.items[idx] : NULL;
        } else {
            return NULL;
        }
    }
    return v;
}

/* Coercing, an anyOf/oneOf branch that converts the value walks it with
 * errors collected, and that walk can still fail: the step budget runs out
 * inside it, or a keyword after an in-place conversion of the members sees
 * what the probe did not (["1",1] is unique as sent, not once converted).
 * Each error's input must be the document's own value at its location for
 * a container (a scalar may be a copy): the branch walk once got a copy of
 * the container on v_node's stack, and errors kept pointing at it after
 * v_node returned (ASan: stack-use-after-return). */
static void test_coerce_branch_error_inputs(void) {
    /* 8 levels of [[1,2,3], ... [1,2,3]]: the budget runs out while a
     * branch converts, not in a probe */
    enum { LEVELS = 8 };
    char deep[LEVELS * 9 + 16];
    size_t o = 0;
    for (int i = 0; i < LEVELS; i++) o += (size_t)sprintf(deep + o, "[[1,2,3],");
    o += (size_t)sprintf(deep + o, "[1,2,3]");
    for (int i = 0; i < LEVELS; i++) deep[o++] = ']';
    deep[o] = 0;
    static const char aborted_msg[] = "Validation aborted: the document is too complex for this schema";
    const struct {
        const char *schema, *inst;
        int budget; /* the budget must run out */
    } branch_cases[] = {
        {"{\"anyOf\":[{\"$ref\":\"#\"},{\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#\"},{\"type\":\"integer\"}]}},"
         "{\"items\":{\"$ref\":\"#\"}}]}",
         deep, 1},
        {"{\"anyOf\":[{\"allOf\":[{\"items\":{\"type\":\"integer\"}},{\"uniqueItems\":true}]}]}", "[\"1\",1]", 0},
        {"{\"properties\":{\"p\":{\"anyOf\":[{\"allOf\":[{\"items\":{\"type\":\"integer\"}},{\"uniqueItems\":true}]},"
         "{\"type\":\"null\"}]}}}",
         "{\"p\":[\"1\",1]}", 0},
        {"{\"anyOf\":[{\"allOf\":[{\"items\":{\"type\":\"integer\"}},{\"enum\":[[\"1\"]]}]}]}", "[\"1\"]", 0},
        {"{\"oneOf\":[{\"allOf\":[{\"properties\":{\"a\":{\"type\":\"integer\"}}},{\"const\":{\"a\":\"1\"}}]}]}",
         "{\"a\":\"1\"}", 0},
        {"{\"anyOf\":[{\"allOf\":[{\"items\":{\"type\":\"integer\"}},{\"not\":{\"contains\":{\"const\":1}}}]}]}",
         "[\"1\"]", 0},
    };
    for (size_t i = 0; i < sizeof branch_cases / sizeof branch_cases[0]; i++) {
        sq_arena a;
        sq_arena_init(&a);
        char err[200];
        sq_schema *s = sq_schema_compile(parse(&a, branch_cases[i].schema), err, sizeof err);
        sq_json_value *doc = parse(&a, branch_cases[i].inst);
        SQ_CHECK(s != NULL && doc != NULL);
        if (s && doc) {
            sq_loc loc;
            body_loc(&loc);
            sq_error_list el;
            sq_error_list_init(&el, &a);
            SQ_CHECK(sq_schema_validate_coerce(s, doc, &loc, &el) >= 1);
            scribble_stack();
            int aborted = 0;
            for (size_t k = 0; k < el.len; k++) {
                const sq_validation_error *e = &el.items[k];
                aborted |= strcmp(e->msg, aborted_msg) == 0;
                SQ_CHECK(e->input != NULL);
                if (!e->input) continue;
                /* rendered as a reply would: reads the input */
                sq_buf got;
                sq_buf_init(&got);
                int rc = sq_json_write_value(&got, e->input);
                const sq_json_value *at = value_at(doc, e->loc);
                int ok = rc == 0 && at != NULL;
                if (ok && (at->type == SQ_JSON_ARRAY || at->type == SQ_JSON_OBJECT)) {
                    ok = e->input == at;
                } else if (ok) {
                    sq_buf want;
                    sq_buf_init(&want);
                    ok = sq_json_write_value(&want, at) == 0 && want.len == got.len &&
                         memcmp(want.data, got.data, got.len) == 0;
                    sq_buf_free(&want);
                }
                if (!ok) fprintf(stderr, "case %zu: error %zu (%s): input is not the document's value\n", i, k, e->msg);
                SQ_CHECK(ok);
                sq_buf_free(&got);
            }
            if (branch_cases[i].budget) SQ_CHECK(aborted);
        }
        sq_schema_free(s);
        sq_arena_free(&a);
    }
}

/* 1 when p is one of the document's own values (doc or a value inside). */
static int is_doc_value(const sq_json_value *doc, const sq_json_value *p) {
    if (doc == p) return 1;
    if (doc->type == SQ_JSON_ARRAY) {
        for (size_t i = 0; i < doc->u.arr.len; i++)
            if (is_doc_value(&doc->u.arr.items[i], p)) return 1;
    } else if (doc->type == SQ_JSON_OBJECT) {
        for (size_t i = 0; i < doc->u.obj.len; i++)
            if (is_doc_value(&doc->u.obj.members[i].value, p)) return 1;
    }
    return 0;
}

/* The step budget made to run out at every point of a walk (collect and
 * coerce mode), so that the "aborted" error, and the ones recorded after
 * it, are emitted wherever the walk can be: every error's input is a real
 * value, and a container input is the document's own. Coercing, the budget
 * once ran out at the branch walk of a container and the error kept a copy
 * of it on v_node's stack. */
static void test_budget_runs_out_anywhere(void) {
    static const struct {
        const char *schema, *inst;
    } walks[] = {
        {"{\"anyOf\":[{\"items\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}},{\"type\":\"null\"}]}",
         "[\"1\",null,\"2\"]"},
        {"{\"oneOf\":[{\"type\":\"object\",\"properties\":{\"b\":{\"anyOf\":[{\"type\":\"boolean\"},{\"maxLength\":0}]},"
         "\"c\":{\"$ref\":\"#\"}}},{\"type\":\"array\"}],\"propertyNames\":{\"anyOf\":[{\"maxLength\":1},{\"pattern\":\"^x\"}]}}",
         "{\"b\":\"yes\",\"c\":{\"b\":\"no\",\"xy\":1,\"z\":2,\"c\":{\"b\":\"\"}}}"},
        {"{\"anyOf\":[{\"allOf\":[{\"items\":{\"type\":\"integer\"}},{\"uniqueItems\":true}]},{\"type\":\"null\"}]}",
         "[\"1\",1,\"2\"]"},
        {"{\"type\":\"integer\",\"anyOf\":[{\"minimum\":10},{\"maximum\":-10}]}", "\"5\""},
        {"{\"items\":{\"type\":[\"integer\",\"null\"],\"oneOf\":[{\"type\":\"null\"},{\"minimum\":3}],\"not\":{\"const\":4}}}",
         "[\"3\",null,\"4\",\"x\",2.0]"},
    };
    for (size_t w = 0; w < sizeof walks / sizeof walks[0]; w++) {
        for (int coerce = 0; coerce <= 1; coerce++) {
            int aborted = 1;
            for (size_t budget = 0; aborted && budget < 10000; budget++) {
                sq_arena a;
                sq_arena_init(&a);
                char err[200];
                sq_schema *s = sq_schema_compile(parse(&a, walks[w].schema), err, sizeof err);
                sq_json_value *doc = parse(&a, walks[w].inst);
                SQ_CHECK(s != NULL && doc != NULL);
                if (!s || !doc) {
                    sq_schema_free(s);
                    sq_arena_free(&a);
                    break;
                }
                sq_loc loc;
                body_loc(&loc);
                sq_error_list el;
                sq_error_list_init(&el, &a);
                SQ_CHECK(sq__schema_validate_budget(s, doc, &loc, &el, coerce, budget) >= 0);
                scribble_stack();
                aborted = 0;
                for (size_t k = 0; k < el.len; k++) {
                    const sq_validation_error *e = &el.items[k];
                    aborted |= strstr(e->msg, "too complex") != NULL;
                    if (!e->input || is_doc_value(doc, e->input)) continue;
                    /* not the document's: a scalar copy, readable (a reply renders it) */
                    sq_buf b;
                    sq_buf_init(&b);
                    int ok = sq_json_write_value(&b, e->input) == 0 && e->input->type != SQ_JSON_ARRAY &&
                             e->input->type != SQ_JSON_OBJECT;
                    sq_buf_free(&b);
                    if (!ok)
                        fprintf(stderr, "walk %zu, coerce %d, budget %zu: error %zu (%s) keeps a value not the document's\n",
                                w, coerce, budget, k, e->msg);
                    SQ_CHECK(ok);
                }
                SQ_CHECK(budget > 0 || aborted); /* no budget: aborted at once */
                sq_schema_free(s);
                sq_arena_free(&a);
            }
            SQ_CHECK(!aborted); /* the sweep reached a budget the walk fits in */
        }
    }
}

static void test_valid_allocates_nothing(void) {
    sq_arena doc_arena, err_arena;
    sq_arena_init(&doc_arena);
    sq_arena_init(&err_arena);
    const char *schema = "{\"type\":\"object\",\"required\":[\"sku\",\"n\"],\"properties\":{"
                         "\"sku\":{\"type\":\"string\",\"pattern\":\"^SKU-\\\\d{4}$\"},"
                         "\"mail\":{\"type\":\"string\",\"format\":\"email\"},"
                         "\"n\":{\"type\":\"integer\",\"minimum\":1},"
                         "\"o\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
                         "\"u\":{\"type\":\"array\",\"uniqueItems\":true}}}";
    char err[200];
    sq_schema *s = sq_schema_compile(parse(&doc_arena, schema), err, sizeof err);
    SQ_CHECK(s != NULL);
    if (s) {
        sq_json_value *inst = parse(&doc_arena, "{\"sku\":\"SKU-1234\",\"mail\":\"a@b.co\",\"n\":3,\"o\":null,\"u\":[1,2]}");
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &err_arena);
        SQ_CHECK_EQ_INT(sq_schema_validate(s, inst, &loc, &el), 0);
        SQ_CHECK_EQ_INT(err_arena._inline_used, 0);
        SQ_CHECK(err_arena._head == NULL);
        sq_schema_free(s);
    }
    sq_arena_free(&doc_arena);
    sq_arena_free(&err_arena);
}

static void test_coerce(void) {
    sq_arena a;
    sq_arena_init(&a);
    char err[200];
    sq_schema *s = sq_schema_compile(
        parse(&a, "{\"properties\":{\"n\":{\"type\":\"integer\"},\"f\":{\"type\":\"number\"},\"b\":{\"type\":\"boolean\"},"
                  "\"o\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}}}"),
        err, sizeof err);
    SQ_CHECK(s != NULL);
    if (s) {
        sq_json_value *inst = parse(&a, "{\"n\":\" 42 \",\"f\":\"2.5\",\"b\":\"off\",\"o\":\"7\"}");
        sq_json_value *whole = parse(&a, "{\"n\":3.0}");
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &a);
        SQ_CHECK_EQ_INT(sq_schema_validate(s, inst, &loc, &el), 0);
        SQ_CHECK(json_is(inst, "{\"n\":\" 42 \",\"f\":\"2.5\",\"b\":\"off\",\"o\":\"7\"}")); /* untouched */
        SQ_CHECK_EQ_INT(sq_schema_validate_coerce(s, inst, &loc, &el), 0);
        SQ_CHECK(json_is(inst, "{\"n\":42,\"f\":2.5,\"b\":false,\"o\":7}"));
        SQ_CHECK_EQ_INT(sq_schema_validate_coerce(s, whole, &loc, &el), 0);
        SQ_CHECK(json_is(whole, "{\"n\":3}"));
        /* an invalid value keeps its text: the error input is what was sent */
        sq_schema *m = sq_schema_compile(parse(&a, "{\"properties\":{\"q\":{\"type\":\"integer\",\"minimum\":1}}}"), err,
                                         sizeof err);
        SQ_CHECK(m != NULL);
        if (m) {
            sq_json_value *bad = parse(&a, "{\"q\":\"0\"}");
            size_t before = el.len;
            SQ_CHECK_EQ_INT(sq_schema_validate_coerce(m, bad, &loc, &el), 1);
            SQ_CHECK(el.len == before + 1 && json_is(el.items[before].input, "\"0\""));
            SQ_CHECK(json_is(bad, "{\"q\":\"0\"}"));
            sq_schema_free(m);
        }
        /* A value anyOf converts is checked by the node's other keywords as
         * converted (Optional[int] with a multipleOf, given "15"): coercing
         * reports what the handler would get, and a document that coerces
         * cleanly validates cleanly afterwards. */
        sq_schema *o = sq_schema_compile(
            parse(&a, "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}],\"allOf\":[{\"multipleOf\":5}],"
                      "\"minimum\":20}"),
            err, sizeof err);
        SQ_CHECK(o != NULL);
        if (o) {
            sq_json_value *fifteen = parse(&a, "\"15\"");
            SQ_CHECK_EQ_INT(sq_schema_validate(o, fifteen, &loc, &el), 0); /* text: the number keywords skip it */
            size_t before = el.len;
            SQ_CHECK_EQ_INT(sq_schema_validate_coerce(o, fifteen, &loc, &el), 1);
            SQ_CHECK(el.len == before + 1 && strcmp(el.items[before].type, "greater_than_equal") == 0);
            SQ_CHECK(json_is(el.items[before].input, "\"15\"")); /* as sent */
            SQ_CHECK(json_is(fifteen, "\"15\"")); /* invalid: not written back */
            sq_json_value *twenty = parse(&a, "\"20\"");
            SQ_CHECK_EQ_INT(sq_schema_validate_coerce(o, twenty, &loc, &el), 0);
            SQ_CHECK(json_is(twenty, "20"));
            SQ_CHECK_EQ_INT(sq_schema_validate(o, twenty, &loc, &el), 0);
            sq_schema_free(o);
        }
        sq_schema_free(s);
    }
    sq_arena_free(&a);
}

static void test_invalid_utf8_subject(void) {
    /* values built outside the JSON reader (decoded query strings) may be
     * invalid UTF-8: a pattern must not match them, and nothing may crash */
    sq_arena a;
    sq_arena_init(&a);
    char err[200];
    sq_schema *s = sq_schema_compile(parse(&a, "{\"type\":\"string\",\"pattern\":\".*\",\"maxLength\":3}"), err,
                                     sizeof err);
    SQ_CHECK(s != NULL);
    if (s) {
        sq_json_value v;
        v.type = SQ_JSON_STRING;
        v.u.str.ptr = "a\xff\xfe";
        v.u.str.len = 3;
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &a);
        SQ_CHECK_EQ_INT(sq_schema_validate(s, &v, &loc, &el), 1);
        SQ_CHECK(el.len == 1 && strcmp(el.items[0].type, "string_pattern_mismatch") == 0);
        sq_schema_free(s);
    }
    sq_arena_free(&a);
}

static void test_recursion_guard(void) {
    sq_arena a;
    sq_arena_init(&a);
    char err[200];
    /* a schema that refers to itself without consuming the instance */
    sq_schema *s = sq_schema_compile(parse(&a, "{\"$defs\":{\"x\":{\"$ref\":\"#/$defs/x\"}},\"$ref\":\"#/$defs/x\"}"), err,
                                     sizeof err);
    SQ_CHECK(s != NULL);
    if (s) {
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &a);
        SQ_CHECK_EQ_INT(sq_schema_validate(s, parse(&a, "1"), &loc, &el), 1);
        SQ_CHECK(el.len == 1 && strcmp(el.items[0].type, "recursion_loop") == 0);
        sq_schema_free(s);
    }
    sq_arena_free(&a);
}

static void test_deep_location(void) {
    /* deeper than the 64-item loc: no overflow, prefix restored */
    char schema[64 * 40 + 100], inst[100 * 8 + 10];
    size_t o = 0;
    for (int i = 0; i < 70; i++) o += (size_t)sprintf(schema + o, "{\"items\":");
    o += (size_t)sprintf(schema + o, "{\"type\":\"string\"}");
    for (int i = 0; i < 70; i++) schema[o++] = '}';
    schema[o] = 0;
    o = 0;
    for (int i = 0; i < 70; i++) inst[o++] = '[';
    inst[o++] = '1';
    for (int i = 0; i < 70; i++) inst[o++] = ']';
    inst[o] = 0;
    sq_arena a;
    sq_arena_init(&a);
    char err[200];
    sq_schema *s = sq_schema_compile(parse(&a, schema), err, sizeof err);
    SQ_CHECK(s != NULL);
    if (s) {
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &a);
        SQ_CHECK_EQ_INT(sq_schema_validate(s, parse(&a, inst), &loc, &el), 1);
        SQ_CHECK_EQ_INT(loc.len, 1);
        SQ_CHECK(el.len == 1 && el.items[0].loc->u.arr.len == 64);
        sq_schema_free(s);
    }
    sq_arena_free(&a);
}

static void test_work_budget(void) {
    /* both anyOf branches walk the whole (invalid) value at every level:
     * 2^40 visits without the budget */
    const char *schema = "{\"$defs\":{\"N\":{\"type\":\"object\",\"required\":[\"x\"],\"properties\":{"
                         "\"n\":{\"anyOf\":[{\"$ref\":\"#/$defs/N\"},{\"$ref\":\"#/$defs/N\"}]}}}},"
                         "\"$ref\":\"#/$defs/N\"}";
    char inst[40 * 6 + 10];
    size_t o = 0;
    for (int i = 0; i < 40; i++) o += (size_t)sprintf(inst + o, "{\"n\":");
    inst[o++] = '1';
    for (int i = 0; i < 40; i++) inst[o++] = '}';
    inst[o] = 0;
    sq_arena a;
    sq_arena_init(&a);
    char err[200];
    sq_schema *s = sq_schema_compile(parse(&a, schema), err, sizeof err);
    SQ_CHECK(s != NULL);
    if (s) {
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &a);
        int n = sq_schema_validate(s, parse(&a, inst), &loc, &el);
        SQ_CHECK(n >= 1);
        int aborted = 0;
        for (size_t i = 0; i < el.len; i++) aborted |= strstr(el.items[i].msg, "too complex") != NULL;
        SQ_CHECK(aborted);
        sq_schema_free(s);
    }
    sq_arena_free(&a);
}

static void test_leaf_children(void) {
    /* children with only type/bounds/pattern checks are validated inline
     * when valid; an invalid one must still be reported at its location */
    sq_arena a;
    sq_arena_init(&a);
    const char *schema = "{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\",\"items\":"
                         "{\"type\":\"integer\",\"maximum\":9}}},"
                         "\"patternProperties\":{\"^p\":{\"type\":\"string\",\"pattern\":\"^\\\\d{2}$\"}},"
                         "\"additionalProperties\":{\"type\":\"number\",\"exclusiveMinimum\":0}}";
    const char *inst = "{\"l\":[1,10,2.0,\"3\"],\"p1\":\"12\",\"p2\":\"123\",\"z\":1.5,\"y\":0}";
    char err[200];
    sq_schema *s = sq_schema_compile(parse(&a, schema), err, sizeof err);
    SQ_CHECK(s != NULL);
    if (!s) goto out;
    sq_loc loc;
    body_loc(&loc);
    sq_error_list el;
    sq_error_list_init(&el, &a);
    SQ_CHECK_EQ_INT(sq_schema_validate(s, parse(&a, inst), &loc, &el), 3);
    SQ_CHECK_EQ_INT(loc.len, 1);
    if (el.len != 3) goto out2;
    SQ_CHECK(json_is(el.items[0].loc, "[\"body\",\"l\",\"1\"]"));
    SQ_CHECK(strcmp(el.items[0].type, "less_than_equal") == 0);
    SQ_CHECK(json_is(el.items[1].loc, "[\"body\",\"p2\"]"));
    SQ_CHECK(strcmp(el.items[1].type, "string_pattern_mismatch") == 0);
    SQ_CHECK(json_is(el.items[2].loc, "[\"body\",\"y\"]"));
    SQ_CHECK(strcmp(el.items[2].type, "greater_than") == 0);
    /* coercion still rewrites leaf values: 2.0 and "3" become integers */
    sq_json_value *fix = parse(&a, "{\"l\":[1,2.0,\"3\"]}");
    SQ_CHECK_EQ_INT(sq_schema_validate_coerce(s, fix, &loc, &el), 0);
    SQ_CHECK(json_is(fix, "{\"l\":[1,2,3]}"));
out2:
    sq_schema_free(s);
out:
    sq_arena_free(&a);
}

/* Number bounds give the same answer for a value checked as a leaf (an
 * array item: the inline check, int64 bounds folded into one range) and
 * at the root (the full path), at the int64 limits too. */
static void test_leaf_number_bounds(void) {
    static const struct {
        const char *bounds, *value;
        int errors;
    } bound_cases[] = {
        {"\"minimum\":5,\"exclusiveMinimum\":5", "5", 1},
        {"\"minimum\":5,\"exclusiveMinimum\":5", "6", 0},
        {"\"minimum\":5,\"exclusiveMinimum\":4", "5", 0},
        {"\"maximum\":7,\"exclusiveMaximum\":7", "7", 1},
        {"\"maximum\":7,\"exclusiveMaximum\":8", "7", 0},
        {"\"exclusiveMinimum\":9223372036854775807", "9223372036854775807", 1},
        {"\"exclusiveMaximum\":-9223372036854775808", "-9223372036854775808", 1},
        {"\"minimum\":-9223372036854775808,\"maximum\":9223372036854775807", "-9223372036854775808", 0},
        {"\"minimum\":-9223372036854775808,\"maximum\":9223372036854775807", "9223372036854775807", 0},
        {"\"minimum\":1,\"maximum\":0", "0", 1},
        {"\"maximum\":1.5", "1", 0},
        {"\"maximum\":1.5", "2", 1},
        {"\"exclusiveMinimum\":0", "0.0", 1},
        {"\"exclusiveMinimum\":0", "1e-300", 0},
        {"\"maximum\":10", "10.5", 1},
        {"\"maximum\":10", "123456789012345678901234567890", 1},
        {"\"minimum\":10", "123456789012345678901234567890", 0},
        /* integers past int64 compare exactly (as doubles 2^63's neighbours are equal) */
        {"\"maximum\":9223372036854775807", "9223372036854775808", 1},
        {"\"minimum\":-9223372036854775808", "-9223372036854775809", 1},
        {"\"exclusiveMaximum\":10000000000000000000000", "9999999999999999999999", 0},
        {"\"exclusiveMaximum\":10000000000000000000000", "10000000000000000000000", 1},
        {"\"minimum\":10000000000000000000000", "10000000000000000000001", 0},
        {"\"minimum\":10000000000000000000000", "9999999999999999999999", 1},
        {"\"maximum\":-10000000000000000000000", "-10000000000000000000001", 0},
        {"\"maximum\":-10000000000000000000000", "-9999999999999999999999", 1},
        {"\"maximum\":10,\"multipleOf\":3", "9", 0},
        {"\"maximum\":10,\"multipleOf\":3", "8", 1},
    };
    for (size_t i = 0; i < sizeof bound_cases / sizeof bound_cases[0]; i++) {
        char root[200], item[260], arr[120];
        snprintf(root, sizeof root, "{\"type\":\"number\",%s}", bound_cases[i].bounds);
        snprintf(item, sizeof item, "{\"type\":\"array\",\"items\":%s}", root);
        snprintf(arr, sizeof arr, "[%s]", bound_cases[i].value);
        sq_arena a;
        sq_arena_init(&a);
        char err[200];
        sq_schema *sr = sq_schema_compile(parse(&a, root), err, sizeof err);
        sq_schema *si = sq_schema_compile(parse(&a, item), err, sizeof err);
        SQ_CHECK(sr != NULL && si != NULL);
        if (sr && si) {
            sq_loc loc;
            body_loc(&loc);
            sq_error_list el;
            sq_error_list_init(&el, &a);
            int at_root = sq_schema_validate(sr, parse(&a, bound_cases[i].value), &loc, &el);
            int as_item = sq_schema_validate(si, parse(&a, arr), &loc, &el);
            if (at_root != bound_cases[i].errors || as_item != bound_cases[i].errors)
                fprintf(stderr, "case %zu: %s with %s: root %d item %d\n", i, bound_cases[i].bounds, bound_cases[i].value, at_root,
                        as_item);
            SQ_CHECK_EQ_INT(at_root, bound_cases[i].errors);
            SQ_CHECK_EQ_INT(as_item, bound_cases[i].errors);
        }
        sq_schema_free(sr);
        sq_schema_free(si);
        sq_arena_free(&a);
    }
}

static void test_work_budget_counts_leaves(void) {
    /* as above, but the work of each visit is a long array of leaves,
     * which are checked inline: they must still spend the budget */
    const char *schema = "{\"$defs\":{\"N\":{\"type\":\"object\",\"required\":[\"x\"],\"properties\":{"
                         "\"a\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}},"
                         "\"n\":{\"anyOf\":[{\"$ref\":\"#/$defs/N\"},{\"$ref\":\"#/$defs/N\"}]}}}},"
                         "\"$ref\":\"#/$defs/N\"}";
    enum { LEVELS = 30, ITEMS = 2000 };
    size_t cap = (size_t)LEVELS * (ITEMS * 2 + 32) + 16, o = 0;
    char *inst = malloc(cap);
    SQ_CHECK(inst != NULL);
    if (!inst) return;
    for (int i = 0; i < LEVELS; i++) {
        o += (size_t)sprintf(inst + o, "{\"a\":[");
        for (int k = 0; k < ITEMS; k++) o += (size_t)sprintf(inst + o, k ? ",1" : "1");
        o += (size_t)sprintf(inst + o, "],\"n\":");
    }
    inst[o++] = '1';
    for (int i = 0; i < LEVELS; i++) inst[o++] = '}';
    inst[o] = 0;
    sq_arena a;
    sq_arena_init(&a);
    char err[200];
    sq_schema *s = sq_schema_compile(parse(&a, schema), err, sizeof err);
    SQ_CHECK(s != NULL);
    if (s) {
        sq_loc loc;
        body_loc(&loc);
        sq_error_list el;
        sq_error_list_init(&el, &a);
        SQ_CHECK(sq_schema_validate(s, parse(&a, inst), &loc, &el) >= 1);
        int aborted = 0;
        for (size_t i = 0; i < el.len; i++) aborted |= strstr(el.items[i].msg, "too complex") != NULL;
        SQ_CHECK(aborted);
        sq_schema_free(s);
    }
    sq_arena_free(&a);
    free(inst);
}

int main(void) {
    SQ_RUN(test_work_budget);
    SQ_RUN(test_work_budget_counts_leaves);
    SQ_RUN(test_leaf_children);
    SQ_RUN(test_leaf_number_bounds);
    SQ_RUN(test_case_table);
    SQ_RUN(test_compile_errors);
    SQ_RUN(test_messages_and_order);
    SQ_RUN(test_error_inputs_outlive_the_walk);
    SQ_RUN(test_coerce_branch_error_inputs);
    SQ_RUN(test_budget_runs_out_anywhere);
    SQ_RUN(test_valid_allocates_nothing);
    SQ_RUN(test_coerce);
    SQ_RUN(test_recursion_guard);
    SQ_RUN(test_invalid_utf8_subject);
    SQ_RUN(test_deep_location);
    return SQ_TEST_SUMMARY();
}
