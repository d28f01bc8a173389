/* Microbenchmark of the JSON reader and the schema validator on the
 * benchmark payloads (../shared/bench): validation alone of an already
 * parsed document, and parse + validate, in ns per operation. Prints only;
 * timing is never asserted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "squall/schema.h"

static const char *item_schema =
    "{\"type\":\"object\",\"required\":[\"name\",\"price\",\"quantity\",\"tags\",\"active\"],"
    "\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100},"
    "\"price\":{\"type\":\"number\",\"exclusiveMinimum\":0},"
    "\"quantity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":10},"
    "\"active\":{\"type\":\"boolean\"}}}";

static const char *order_schema =
    "{\"type\":\"object\",\"required\":[\"order_id\",\"customer\",\"items\",\"notes\",\"priority\",\"gift\"],"
    "\"$defs\":{\"Address\":{\"type\":\"object\",\"required\":[\"street\",\"city\",\"postal_code\",\"country\"],"
    "\"properties\":{\"street\":{\"type\":\"string\",\"minLength\":1},\"city\":{\"type\":\"string\"},"
    "\"postal_code\":{\"type\":\"string\",\"maxLength\":16},"
    "\"country\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":2}}},"
    "\"Item\":{\"type\":\"object\",\"required\":[\"sku\",\"name\",\"quantity\",\"price\",\"tags\"],"
    "\"properties\":{\"sku\":{\"type\":\"string\",\"pattern\":\"^SKU-\\\\d{4}$\"},\"name\":{\"type\":\"string\"},"
    "\"quantity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000},"
    "\"price\":{\"type\":\"number\",\"exclusiveMinimum\":0},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":10}}}},"
    "\"properties\":{\"order_id\":{\"type\":\"integer\"},"
    "\"customer\":{\"type\":\"object\",\"required\":[\"name\",\"email\",\"address\"],"
    "\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100},"
    "\"email\":{\"type\":\"string\",\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$\"},"
    "\"address\":{\"$ref\":\"#/$defs/Address\"}}},"
    "\"items\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":100,\"items\":{\"$ref\":\"#/$defs/Item\"}},"
    "\"notes\":{\"type\":\"string\",\"maxLength\":500},"
    "\"priority\":{\"enum\":[\"low\",\"normal\",\"high\"]},\"gift\":{\"type\":\"boolean\"}}}";

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
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

static int bench(const char *label, const char *schema_text, const char *payload_path, int iters) {
    size_t len;
    char *payload = read_file(payload_path, &len);
    if (!payload) {
        printf("%s: %s not found, skipped\n", label, payload_path);
        return 0;
    }
    sq_arena sa, da, ea;
    sq_arena_init(&sa);
    sq_arena_init(&da);
    sq_arena_init(&ea);
    sq_json_value *sdoc, *doc;
    sq_json_error jerr;
    char err[256];
    int rc = 1;
    if (sq_json_parse(schema_text, strlen(schema_text), &sa, NULL, &sdoc, &jerr)) {
        printf("%s: schema JSON error %s at %zu\n", label, jerr.reason, jerr.offset);
        goto out;
    }
    sq_schema *s = sq_schema_compile(sdoc, err, sizeof err);
    if (!s) {
        printf("%s: compile error: %s\n", label, err);
        goto out;
    }
    if (sq_json_parse(payload, len, &da, NULL, &doc, &jerr)) {
        printf("%s: payload JSON error\n", label);
        sq_schema_free(s);
        goto out;
    }
    sq_loc loc;
    loc.len = 1;
    loc.items[0].type = SQ_JSON_STRING;
    loc.items[0].u.str.ptr = "body";
    loc.items[0].u.str.len = 4;
    sq_error_list el;
    sq_error_list_init(&el, &ea);
    if (sq_schema_validate(s, doc, &loc, &el) != 0) {
        printf("%s: payload unexpectedly invalid: %s\n", label, el.items[0].msg);
        sq_schema_free(s);
        goto out;
    }
    int errors = 0;
    double t0 = now_ns();
    for (int i = 0; i < iters; i++) errors += sq_schema_validate(s, doc, &loc, &el);
    double t1 = now_ns();
    sq_arena pa;
    sq_arena_init(&pa);
    for (int i = 0; i < iters; i++) {
        sq_json_value *d;
        sq_json_parse(payload, len, &pa, NULL, &d, &jerr);
        errors += sq_schema_validate(s, d, &loc, &el);
        sq_arena_reset(&pa);
    }
    double t2 = now_ns();
    sq_arena_free(&pa);
    printf("%-16s %6zu bytes  validate %8.1f ns   parse+validate %8.1f ns   (%d iterations, %d errors)\n", label, len,
           (t1 - t0) / iters, (t2 - t1) / iters, iters, errors);
    sq_schema_free(s);
    rc = 0;
out:
    sq_arena_free(&sa);
    sq_arena_free(&da);
    sq_arena_free(&ea);
    free(payload);
    return rc;
}

/* BENCH_ITERS=n runs n iterations of each case instead of the defaults
 * (a handful is enough under callgrind, where counts are exact) and
 * BENCH_CASE=label runs only that case, so a profile holds one document. */
static int iterations(int dflt) {
    const char *e = getenv("BENCH_ITERS");
    int n = e ? atoi(e) : 0;
    return n > 0 ? n : dflt;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "../shared/bench";
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/item-small.json", dir);
    snprintf(p2, sizeof p2, "%s/order-1500.json", dir);
    const char *only = getenv("BENCH_CASE");
    int rc = 0;
    if (!only || strcmp(only, "item-small") == 0) rc |= bench("item-small", item_schema, p1, iterations(200000));
    if (!only || strcmp(only, "order-1500") == 0) rc |= bench("order-1500", order_schema, p2, iterations(20000));
    return rc;
}
