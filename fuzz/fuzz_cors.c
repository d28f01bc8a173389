/* libFuzzer driver for the CORS decision (src/core/cors.c).
 * Input: byte 0 picks one of four policies (one with an origin pattern), the rest is a request head
 * parsed by sq_http1_parse_request. For every head that parses, checks that
 * the decision is one of the known kinds and that the header lines it
 * produces are well formed: "Name: value\r\n" each, no CR or LF anywhere
 * else (nothing a request sends can inject a header), inside the arena. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "../src/core/cors.h"
#include "squall/arena.h"
#include "squall/http1_parser.h"

#define NUM_POLICIES 4
static const sq_cors_config POLICIES[NUM_POLICIES] = {
    {.allow_origins = "https://a.example, https://b.example", .allow_methods = "GET, POST",
     .allow_headers = "X-Token", .expose_headers = "X-Total-Count", .max_age = 600},
    {.allow_origins = "*", .allow_methods = "*", .allow_headers = "*", .max_age = -1},
    {.allow_origins = "*", .allow_methods = "PUT", .allow_credentials = 1, .allow_private_network = 1,
     .max_age = 0},
    {.allow_origins = "https://a.example", .allow_origin_regex = "https://[a-z0-9.-]+\\.example\\.org(:[0-9]+)?",
     .allow_methods = "GET", .allow_credentials = 1, .max_age = 60},
};

static void check_lines(sq_slice l) {
    assert(l.len >= 4);
    size_t start = 0;
    for (size_t i = 0; i < l.len; i++) {
        if (l.base[i] == '\r') {
            assert(i + 1 < l.len && l.base[i + 1] == '\n');
            assert(memchr(l.base + start, ':', i - start) != NULL);
            start = i + 2;
            i++;
        } else {
            assert(l.base[i] != '\n' && l.base[i] != '\0');
        }
    }
    assert(start == l.len); /* ends with CRLF */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static sq__cors *policies[NUM_POLICIES];
    if (!policies[0]) {
        for (int i = 0; i < NUM_POLICIES; i++) {
            int err = 0;
            policies[i] = sq__cors_compile(&POLICIES[i], &err);
            assert(policies[i]);
        }
    }
    if (size < 1) return 0;
    const sq__cors *c = policies[data[0] % NUM_POLICIES];
    sq_header_view headers[32];
    sq_http1_request req;
    sq_http1_request_init(&req, headers, 32);
    sq_http1_limits limits = {.max_request_line = 8192, .max_header_bytes = 16384, .max_headers = 32};
    int rc = sq_http1_parse_request((const char *)data + 1, size - 1, &req, &limits);
    if (rc <= 0) return 0;
    sq_arena arena;
    sq_arena_init(&arena);
    sq_slice lines = {0};
    const char *why = NULL;
    int k = sq__cors_check(c, &req, &arena, &lines, &why);
    assert(k >= SQ__CORS_NONE && k <= SQ__CORS_NOMEM);
    if (k == SQ__CORS_ACTUAL || k == SQ__CORS_PREFLIGHT_OK) check_lines(lines);
    if (k == SQ__CORS_PREFLIGHT_DENIED) assert(why && why[0]);
    sq_arena_free(&arena);
    return 0;
}
