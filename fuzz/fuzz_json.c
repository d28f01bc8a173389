/* libFuzzer driver for the JSON reader and writer. Invariants:
 * - the reader never reads past the input and either succeeds or reports
 *   an error offset inside the input;
 * - a parsed document written back and re-read is equal to the original,
 *   and writing that again gives the same bytes (the writer's output is a
 *   fixed point);
 * - every string in the tree is valid UTF-8 without lone surrogates. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/schema_internal.h"
#include "squall/json.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

static int valid_utf8(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
        if (k == 0 || i + k > n) return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return 0;
        if (k == 3 && c == 0xED && s[i + 1] >= 0xA0) return 0;
        i += k;
    }
    return 1;
}

static void check_strings(const sq_json_value *v) {
    switch (v->type) {
    case SQ_JSON_STRING: CHECK(valid_utf8((const unsigned char *)v->u.str.ptr, v->u.str.len)); break;
    case SQ_JSON_ARRAY:
        for (size_t i = 0; i < v->u.arr.len; i++) check_strings(&v->u.arr.items[i]);
        break;
    case SQ_JSON_OBJECT:
        for (size_t i = 0; i < v->u.obj.len; i++) {
            CHECK(valid_utf8((const unsigned char *)v->u.obj.members[i].key, v->u.obj.members[i].key_len));
            check_strings(&v->u.obj.members[i].value);
        }
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size copy so ASan catches any over-read */
    char *in = malloc(size ? size : 1);
    if (!in) return 0;
    memcpy(in, data, size);
    sq_arena a;
    sq_arena_init(&a);
    sq_json_value *v = NULL;
    sq_json_error err;
    sq_json_parse_options opts = {64};
    int rc = sq_json_parse(in, size, &a, &opts, &v, &err);
    if (rc != 0) {
        CHECK(rc == SQ_EINVAL);
        CHECK(err.offset <= size && err.reason != NULL);
    } else {
        check_strings(v);
        sq_buf b1, b2;
        sq_buf_init(&b1);
        sq_buf_init(&b2);
        CHECK(sq_json_write_value(&b1, v) == 0);
        sq_json_value *v2 = NULL;
        CHECK(sq_json_parse(b1.data, b1.len, &a, NULL, &v2, &err) == 0);
        CHECK(sq__json_equal(v, v2));
        CHECK(sq_json_write_value(&b2, v2) == 0);
        CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
        sq_buf_free(&b1);
        sq_buf_free(&b2);
    }
    sq_arena_free(&a);
    free(in);
    return 0;
}
