/* libFuzzer driver for the JSON Schema compiler and validator. Input: a
 * schema document, a NUL byte (or newline), an instance document. Schemas
 * may be refused; for a compiled schema the invariants are:
 * - validation terminates (recursive schemas included) and its count
 *   equals the number of errors appended, every error complete (type, msg,
 *   loc array starting with the caller's prefix);
 * - validating twice gives the same count, and the caller's loc is restored;
 * - after sq_schema_validate_coerce reports 0 errors, the coerced document
 *   is valid too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "squall/schema.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

static void check_errors(const sq_error_list *l, size_t from) {
    for (size_t i = from; i < l->len; i++) {
        const sq_validation_error *e = &l->items[i];
        CHECK(e->type && e->msg && e->loc && e->loc->type == SQ_JSON_ARRAY && e->loc->u.arr.len >= 1);
        CHECK(e->loc->u.arr.items[0].type == SQ_JSON_STRING && e->loc->u.arr.items[0].u.str.len == 4);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *in = (const char *)data;
    size_t split = 0;
    while (split < size && in[split] != '\0' && in[split] != '\n') split++;
    if (split >= size) return 0;
    sq_arena a;
    sq_arena_init(&a);
    sq_json_value *sdoc, *inst;
    sq_json_error jerr;
    sq_json_parse_options opts = {48};
    if (sq_json_parse(in, split, &a, &opts, &sdoc, &jerr) ||
        sq_json_parse(in + split + 1, size - split - 1, &a, &opts, &inst, &jerr)) {
        sq_arena_free(&a);
        return 0;
    }
    char errbuf[256];
    sq_schema *s = sq_schema_compile(sdoc, errbuf, sizeof errbuf);
    if (!s) {
        CHECK(errbuf[0] != '\0');
        sq_arena_free(&a);
        return 0;
    }
    sq_loc loc;
    loc.len = 1;
    loc.items[0].type = SQ_JSON_STRING;
    loc.items[0].u.str.ptr = "body";
    loc.items[0].u.str.len = 4;
    sq_error_list el;
    sq_error_list_init(&el, &a);
    int n1 = sq_schema_validate(s, inst, &loc, &el);
    CHECK(n1 >= 0 && (size_t)n1 == el.len && loc.len == 1);
    check_errors(&el, 0);
    int n2 = sq_schema_validate(s, inst, &loc, &el);
    CHECK(n2 == n1 && el.len == (size_t)(n1 + n2) && loc.len == 1);
    size_t before = el.len;
    int n3 = sq_schema_validate_coerce(s, inst, &loc, &el);
    CHECK(n3 >= 0 && el.len == before + (size_t)n3);
    check_errors(&el, before);
    if (n3 == 0) CHECK(sq_schema_validate(s, inst, &loc, &el) == 0);
    sq_schema_free(s);
    sq_arena_free(&a);
    return 0;
}
