/* The speed fast paths of the JSON reader and the schema validator give the
 * same answers as the slow paths they skip: the string scanner's table
 * (every special byte at every position of a string), the in-order property
 * lookup (members out of order, duplicate property keys in a schema) and
 * the regex call that skips the UTF-8 check for ASCII subjects, the
 * word-at-a-time match of fixed-shape patterns; and the inline short-key
 * comparison against memcmp. */
#include "sq_test.h"
#include "squall/schema.h"
#include "../../src/core/bytes_eq.h"

static sq_json_value *parse(sq_arena *a, const char *s, size_t n, sq_json_error *err) {
    sq_json_value *v = NULL;
    if (sq_json_parse(s, n, a, NULL, &v, err)) return NULL;
    return v;
}

/* A 24-character string with `ins` written at position k. */
static size_t make_doc(char *out, const char *ins, size_t k) {
    size_t n = 0;
    out[n++] = '"';
    for (size_t i = 0; i < k; i++) out[n++] = (char)('a' + (int)(i % 26));
    for (const char *p = ins; *p; p++) out[n++] = *p;
    for (size_t i = k; i < 24; i++) out[n++] = 'x';
    out[n++] = '"';
    return n;
}

static void test_string_special_bytes_at_every_position(void) {
    for (size_t k = 0; k <= 24; k++) {
        char doc[64];
        sq_json_error err;
        sq_arena a;
        sq_arena_init(&a);
        /* an escape: decoded to one byte */
        size_t n = make_doc(doc, "\\n", k);
        sq_json_value *v = parse(&a, doc, n, &err);
        SQ_CHECK(v != NULL && v->type == SQ_JSON_STRING);
        if (v) {
            SQ_CHECK_EQ_INT(v->u.str.len, 25);
            SQ_CHECK(v->u.str.ptr[k] == '\n');
        }
        /* a two-byte UTF-8 character: kept as is */
        n = make_doc(doc, "\xc3\xa9", k);
        v = parse(&a, doc, n, &err);
        SQ_CHECK(v != NULL && v->u.str.len == 26);
        /* an escaped quote does not end the string */
        n = make_doc(doc, "\\\"", k);
        v = parse(&a, doc, n, &err);
        SQ_CHECK(v != NULL && v->u.str.len == 25 && v->u.str.ptr[k] == '"');
        /* a raw control character is refused where it is */
        n = make_doc(doc, "\t", k);
        SQ_CHECK(parse(&a, doc, n, &err) == NULL);
        SQ_CHECK_EQ_INT(err.offset, k + 1);
        /* invalid UTF-8 is refused where it is */
        n = make_doc(doc, "\xff", k);
        SQ_CHECK(parse(&a, doc, n, &err) == NULL);
        SQ_CHECK_EQ_INT(err.offset, k + 1);
        /* unterminated: the closing quote is missing */
        SQ_CHECK(parse(&a, doc, k + 1, &err) == NULL);
        sq_arena_free(&a);
    }
}

/* Number of errors `instance` gets against `schema`, and the first type. */
static int count_errors(const char *schema, const char *instance, const char **first_type) {
    sq_arena a;
    sq_arena_init(&a);
    sq_json_error err;
    sq_json_value *doc = parse(&a, schema, strlen(schema), &err);
    sq_json_value *inst = parse(&a, instance, strlen(instance), &err);
    char ebuf[256];
    sq_schema *s = doc ? sq_schema_compile(doc, ebuf, sizeof ebuf) : NULL;
    int n = -100;
    if (s && inst) {
        sq_error_list errs;
        sq_error_list_init(&errs, &a);
        sq_loc loc;
        loc.len = 0;
        n = sq_schema_validate(s, inst, &loc, &errs);
        static char type[64];
        type[0] = '\0';
        if (n > 0) snprintf(type, sizeof type, "%s", errs.items[0].type);
        if (first_type) *first_type = type;
    }
    sq_schema_free(s);
    sq_arena_free(&a);
    return n;
}

static void test_properties_in_and_out_of_order(void) {
    const char *schema = "{\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"string\",\"maxLength\":1}},"
                         "\"required\":[\"a\",\"b\"]}";
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"a\":1,\"b\":\"x\"}", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"b\":\"x\",\"a\":1}", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"b\":\"xy\",\"a\":\"z\"}", NULL), 2);
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"c\":0,\"b\":\"x\"}", NULL), 1); /* a missing */
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"a\":1,\"c\":0,\"b\":\"x\"}", NULL), 0);
}

static void test_duplicate_property_keys_first_wins(void) {
    /* Two "a" properties: the first one applies wherever the member is,
     * even at the index of the second. */
    const char *schema = "{\"properties\":{\"a\":{\"type\":\"integer\"},\"a\":{\"type\":\"string\"}}}";
    const char *type = NULL;
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"a\":\"x\"}", &type), 1);
    SQ_CHECK(type && strcmp(type, "int_parsing") == 0);
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"b\":1,\"a\":\"x\"}", NULL), 1);
    SQ_CHECK_EQ_INT(count_errors(schema, "{\"b\":1,\"a\":3}", NULL), 0);
}

static void test_pattern_ascii_and_non_ascii_subjects(void) {
    const char *ascii = "{\"type\":\"string\",\"pattern\":\"^SKU-\\\\d{4}$\"}";
    SQ_CHECK_EQ_INT(count_errors(ascii, "\"SKU-0042\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(ascii, "\"SKU-042\"", NULL), 1);
    /* non-ASCII subjects take pcre2_match: \d is Unicode-aware there, as in Python's re */
    SQ_CHECK_EQ_INT(count_errors(ascii, "\"SKU-\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(ascii, "\"SKU-\xd9\xa0\xd9\xa1\xd9\xa2\"", NULL), 1);
    const char *utf = "{\"type\":\"string\",\"pattern\":\"^\xc3\xa9.$\"}"; /* ^é.$ */
    SQ_CHECK_EQ_INT(count_errors(utf, "\"\xc3\xa9\xc3\xa9\"", NULL), 0); /* one code point after é */
    SQ_CHECK_EQ_INT(count_errors(utf, "\"\xc3\xa9x\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(utf, "\"ex\"", NULL), 1);
}

/* Patterns of the fixed shape ^(literal | \d | \d{n})*$ are matched
 * without PCRE2 for ASCII subjects; each answer here is PCRE2's (and
 * Python re's): $ also matches before one final newline. */
static void test_fixed_shape_patterns(void) {
    const char *sku = "{\"type\":\"string\",\"pattern\":\"^SKU-\\\\d{4}$\"}";
    SQ_CHECK_EQ_INT(count_errors(sku, "\"SKU-1234\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(sku, "\"SKU-1234\\n\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(sku, "\"SKU-1234\\n\\n\"", NULL), 1);
    SQ_CHECK_EQ_INT(count_errors(sku, "\"SKU-12345\"", NULL), 1);
    SQ_CHECK_EQ_INT(count_errors(sku, "\"xSKU-1234\"", NULL), 1);
    SQ_CHECK_EQ_INT(count_errors(sku, "\"SKU-12a4\"", NULL), 1);
    SQ_CHECK_EQ_INT(count_errors(sku, "\"sku-1234\"", NULL), 1);
    SQ_CHECK_EQ_INT(count_errors(sku, "\"\"", NULL), 1);
    const char *mixed = "{\"type\":\"string\",\"pattern\":\"^a\\\\d-\\\\d{2}b$\"}";
    SQ_CHECK_EQ_INT(count_errors(mixed, "\"a1-23b\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(mixed, "\"a1-2b\"", NULL), 1);
    /* other shapes go to PCRE2: a quantified literal, an unanchored end */
    const char *plus = "{\"type\":\"string\",\"pattern\":\"^a+\\\\d$\"}";
    SQ_CHECK_EQ_INT(count_errors(plus, "\"aaa7\"", NULL), 0);
    const char *open_end = "{\"type\":\"string\",\"pattern\":\"^SKU-\\\\d{2}\"}";
    SQ_CHECK_EQ_INT(count_errors(open_end, "\"SKU-123\"", NULL), 0);
    const char *empty = "{\"type\":\"string\",\"pattern\":\"^$\"}";
    SQ_CHECK_EQ_INT(count_errors(empty, "\"\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(empty, "\"\\n\"", NULL), 0);
    SQ_CHECK_EQ_INT(count_errors(empty, "\"x\"", NULL), 1);
}

/* A schema {"type":"string","pattern":<pattern>}, compiled. */
static sq_schema *pattern_schema(sq_arena *a, const char *pattern) {
    char text[256];
    size_t o = (size_t)snprintf(text, sizeof text, "{\"type\":\"string\",\"pattern\":\"");
    for (const char *p = pattern; *p; p++) {
        if (*p == '\\') text[o++] = '\\';
        text[o++] = *p;
    }
    o += (size_t)snprintf(text + o, sizeof text - o, "\"}");
    sq_json_error err;
    sq_json_value *doc = parse(a, text, o, &err);
    char ebuf[256];
    return doc ? sq_schema_compile(doc, ebuf, sizeof ebuf) : NULL;
}

static int string_valid(const sq_schema *s, sq_arena *a, const char *str, size_t len) {
    sq_json_value v;
    v.type = SQ_JSON_STRING;
    v.u.str.ptr = str;
    v.u.str.len = len;
    sq_error_list errs;
    sq_error_list_init(&errs, a);
    sq_loc loc;
    loc.len = 0;
    return sq_schema_validate(s, &v, &loc, &errs) == 0;
}

/* Fixed shapes of every length from 1 to 20 (the word-at-a-time windows
 * cover 8 to 16) answer as PCRE2 does for the same pattern written in a
 * shape the fast path leaves alone, ^(?:...)$: the matching subject with
 * each position changed to each of a set of bytes, cut short, extended,
 * and with a final newline. */
static void test_fixed_shape_windows_agree_with_pcre2(void) {
    static const char bytes[] = {'0', '5', '9', '/', ':', 'A', 'K', 'S', '-', 'x', '\n', ' ', 0x7f, (char)0x80,
                                 (char)0xd9, (char)0xff, 0};
    for (size_t n = 1; n <= 20; n++) {
        /* positions alternate in runs: "SK" literals and \d{k} digits */
        char fixed[128], general[140], subject[32];
        size_t o = 0, sl = 0;
        o += (size_t)sprintf(fixed + o, "^");
        for (size_t i = 0; i < n;) {
            if (i % 5 < 2) {
                fixed[o++] = i % 2 ? 'K' : 'S';
                subject[sl++] = i % 2 ? 'K' : 'S';
                i++;
            } else {
                size_t run = 3 < n - i ? 3 : n - i;
                o += (size_t)sprintf(fixed + o, "\\d{%zu}", run);
                for (size_t k = 0; k < run; k++) subject[sl++] = (char)('1' + (int)((i + k) % 9));
                i += run;
            }
        }
        fixed[o++] = '$';
        fixed[o] = 0;
        snprintf(general, sizeof general, "^(?:%.*s)$", (int)(o - 2), fixed + 1);
        sq_arena a;
        sq_arena_init(&a);
        sq_schema *fast = pattern_schema(&a, fixed), *slow = pattern_schema(&a, general);
        SQ_CHECK(fast != NULL && slow != NULL);
        if (fast && slow) {
            SQ_CHECK(string_valid(fast, &a, subject, sl));
            char buf[40];
            for (size_t k = 0; k <= sl; k++) {
                for (size_t b = 0; b < sizeof bytes; b++) {
                    memcpy(buf, subject, sl);
                    buf[k] = bytes[b];
                    size_t len = k == sl ? sl + 1 : sl; /* k == sl: one byte appended */
                    SQ_CHECK_EQ_INT(string_valid(fast, &a, buf, len), string_valid(slow, &a, buf, len));
                }
                SQ_CHECK_EQ_INT(string_valid(fast, &a, subject, k), string_valid(slow, &a, subject, k));
            }
            memcpy(buf, subject, sl);
            buf[sl] = '\n';
            buf[sl + 1] = '\n';
            SQ_CHECK(string_valid(fast, &a, buf, sl + 1));
            SQ_CHECK_EQ_INT(string_valid(fast, &a, buf, sl + 2), string_valid(slow, &a, buf, sl + 2));
        }
        sq_schema_free(fast);
        sq_schema_free(slow);
        sq_arena_free(&a);
    }
}

/* sq__bytes_eq agrees with memcmp for every length up to 40 and a
 * difference at every position (its overlapping loads must miss none). */
static void test_bytes_eq_matches_memcmp(void) {
    char a[48], b[48];
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++) a[i] = b[i] = (char)('a' + (int)(i % 26));
        SQ_CHECK(sq__bytes_eq(a, b, n));
        for (size_t k = 0; k < n; k++) {
            b[k] ^= 0x20;
            SQ_CHECK(!sq__bytes_eq(a, b, n));
            SQ_CHECK(!sq__bytes_eq(b, a, n));
            b[k] ^= 0x20;
        }
    }
}

int main(void) {
    SQ_RUN(test_bytes_eq_matches_memcmp);
    SQ_RUN(test_fixed_shape_patterns);
    SQ_RUN(test_fixed_shape_windows_agree_with_pcre2);
    SQ_RUN(test_string_special_bytes_at_every_position);
    SQ_RUN(test_properties_in_and_out_of_order);
    SQ_RUN(test_duplicate_property_keys_first_wins);
    SQ_RUN(test_pattern_ascii_and_non_ascii_subjects);
    return SQ_TEST_SUMMARY();
}
