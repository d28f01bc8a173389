/* sq_config.problem_type_base: every problem+json reply the core makes
 * itself (404, 405, 400, the 500 for a handler that gave up, and the
 * validator's 422) carries the configured `type` prefix, and the limit
 * refusals (413, 414, 431) answer {"error", "message"} naming the configured
 * limit instead (the conformance fixtures' shape); NULL and the
 * sq_config_init default give "https://squall.dev/errors/"; a prefix that
 * is too long or holds control characters is refused by sq_server_create.
 * The server runs on an ephemeral port, polled from this thread. */
#include "sq_test.h"
#include "sq_test_socket.h"

#include "squall/server.h"
#include "squall/validator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

enum { K_OK = 1, K_GIVE_UP, K_VALID };
static int kinds[] = {0, K_OK, K_GIVE_UP, K_VALID};

static void on_request(void *ctx, const sq_request *req, sq_responder *res) {
    (void)ctx;
    switch (*(int *)req->route_data) {
    case K_GIVE_UP: sq_responder_release(res); break; /* nothing sent: the core answers 500 */
    default: sq_respond(res, 200, NULL, 0, "ok", 2); break;
    }
}

static void on_cancel(void *ctx, sq_responder *res) {
    (void)ctx;
    (void)res;
}

static sq_server *start(sq_config *cfg, const sq_validator *v, int *err) {
    sq_handler h = {.on_request = on_request, .on_cancel = on_cancel};
    cfg->port = 0;
    sq_server *s = sq_server_create(cfg, &h, err);
    if (!s) return NULL;
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/ok", &kinds[K_OK], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/give-up", &kinds[K_GIVE_UP], NULL, 0), 0);
    if (v) SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/valid", &kinds[K_VALID], v, 0), 0);
    return s;
}

/* One request on a fresh connection; polls until the reply's JSON body has
 * arrived (or EOF / 2 s). Returns the whole reply, NUL-terminated. */
static void exchange(sq_server *s, const char *req, char *out, size_t cap) {
    int fd = sq_test_dial(s);
    send(fd, req, strlen(req), 0);
    sq_test_collect(s, fd, out, cap, "}");
    close(fd);
}

/* The reply has status `status` and a `type` equal to base + slug. */
static void check_problem(const char *reply, int status, const char *base, const char *slug) {
    char line[32], type[600];
    snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    snprintf(type, sizeof type, "{\"type\":\"%s%s\"", base, slug);
    int ok = strncmp(reply, line, strlen(line)) == 0 &&
             strstr(reply, "Content-Type: application/problem+json\r\n") != NULL &&
             strstr(reply, type) != NULL;
    if (!ok) fprintf(stderr, "want %d %s, got:\n%s\n", status, type, reply);
    SQ_CHECK(ok);
}

/* A limit refusal: status, application/json, exactly `body`. */
static void check_limit(const char *reply, int status, const char *body) {
    char line[32];
    snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    const char *start = strstr(reply, "\r\n\r\n");
    int ok = strncmp(reply, line, strlen(line)) == 0 &&
             strstr(reply, "Content-Type: application/json\r\n") != NULL && start &&
             strcmp(start + 4, body) == 0;
    if (!ok) fprintf(stderr, "want %d %s, got:\n%s\n", status, body, reply);
    SQ_CHECK(ok);
}

static sq_validator *query_int_validator(void) {
    const char spec[] = "{\"parameters\":[{\"name\":\"n\",\"source\":\"query\",\"key\":\"n\","
                        "\"required\":true,\"schema\":{\"type\":\"integer\"}}]}";
    char err[256] = "";
    sq_validator *v = sq_validator_compile(spec, sizeof spec - 1, err, sizeof err);
    if (!v) fprintf(stderr, "validator: %s\n", err);
    SQ_CHECK(v != NULL);
    return v;
}

/* Each kind of core-made reply, under the given prefix. */
static void check_all_replies(sq_server *s, const char *base) {
    char buf[8192];
    exchange(s, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 404, base, "not-found");
    exchange(s, "DELETE /ok HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 405, base, "method-not-allowed");
    exchange(s, "GET /ok HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 400, base, "bad-request");
    exchange(s, "POST /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\n", buf, sizeof buf);
    check_limit(buf, 413,
                "{\"error\":\"Payload Too Large\",\"message\":\"Request body size exceeds maximum "
                "allowed size of 1024 bytes\"}");
    exchange(s, "GET /ok HTTP/1.1\r\nHost: a\r\nX-1: a\r\nX-2: b\r\nX-3: c\r\nX-4: d\r\n\r\n", buf,
             sizeof buf);
    check_limit(buf, 431,
                "{\"error\":\"Request Header Fields Too Large\",\"message\":\"Request has more than 3 "
                "header fields\"}");
    /* The three 431s name the limit that was passed. */
    char big[400];
    snprintf(big, sizeof big, "GET /ok HTTP/1.1\r\nHost: a\r\nX-1: %0300d\r\n\r\n", 0);
    exchange(s, big, buf, sizeof buf);
    check_limit(buf, 431,
                "{\"error\":\"Request Header Fields Too Large\",\"message\":\"Request headers exceed "
                "maximum allowed size of 256 bytes\"}");
    snprintf(big, sizeof big,
             "POST /ok HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: %040d\r\n\r\n", 0);
    exchange(s, big, buf, sizeof buf);
    check_limit(buf, 431,
                "{\"error\":\"Request Header Fields Too Large\",\"message\":\"Request trailers exceed "
                "maximum allowed size of 32 bytes\"}");
    char uri[200];
    snprintf(uri, sizeof uri, "GET /%0150d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
    exchange(s, uri, buf, sizeof buf);
    check_limit(buf, 414,
                "{\"error\":\"URI Too Long\",\"message\":\"Request line exceeds maximum allowed size "
                "of 100 bytes\"}");
    exchange(s, "GET /give-up HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 500, base, "internal-server-error");
    exchange(s, "GET /valid?n=abc HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 422, base, "validation-error");
    exchange(s, "GET /valid?n=7 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", buf, sizeof buf);
    SQ_CHECK(strncmp(buf, "HTTP/1.1 200 ", 13) == 0); /* the validator itself works */
}

static void run_with_base(const char *configured, const char *expected) {
    sq_validator *v = query_int_validator();
    if (!v) return;
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.max_body = 1024;
    cfg.max_headers = 3;
    cfg.max_request_line = 100;
    cfg.max_header_bytes = 256;
    cfg.max_trailer_bytes = 32;
    cfg.problem_type_base = configured;
    int err = 0;
    sq_server *s = start(&cfg, v, &err);
    SQ_CHECK(s != NULL);
    if (s) {
        check_all_replies(s, expected);
        sq_server_destroy(s);
    }
    sq_validator_free(v);
}

static void test_default_base(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    SQ_CHECK(cfg.problem_type_base && strcmp(cfg.problem_type_base, "https://squall.dev/errors/") == 0);
    run_with_base(cfg.problem_type_base, "https://squall.dev/errors/");
}

static void test_null_base_means_default(void) {
    run_with_base(NULL, "https://squall.dev/errors/");
}

static void test_custom_base(void) {
    run_with_base("https://api.example.com/problems/", "https://api.example.com/problems/");
}

/* The server keeps its own copy: the caller's buffer may change or go. */
static void test_base_is_copied(void) {
    char *mine = strdup("urn:example:problem:");
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.problem_type_base = mine;
    int err = 0;
    sq_server *s = start(&cfg, NULL, &err);
    SQ_CHECK(s != NULL);
    memset(mine, 'z', strlen(mine));
    free(mine);
    if (!s) return;
    char buf[4096];
    exchange(s, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 404, "urn:example:problem:", "not-found");
    sq_server_destroy(s);
}

/* A quote or backslash in the prefix is escaped, never breaks the JSON. */
static void test_base_is_json_escaped(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.problem_type_base = "urn:a\"b\\c/";
    int err = 0;
    sq_server *s = start(&cfg, NULL, &err);
    SQ_CHECK(s != NULL);
    if (!s) return;
    char buf[4096];
    exchange(s, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 404, "urn:a\\\"b\\\\c/", "not-found");
    sq_server_destroy(s);
}

static void test_bad_bases_refused(void) {
    char longest[SQ_PROBLEM_TYPE_BASE_MAX + 2];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    const char *bad[] = {longest, "https://x/\r\nX-Evil: 1/", "tab\there/"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sq_config cfg;
        sq_config_init(&cfg);
        cfg.problem_type_base = bad[i];
        int err = 0;
        sq_server *s = start(&cfg, NULL, &err);
        SQ_CHECK(s == NULL);
        SQ_CHECK_EQ_INT(err, SQ_EINVAL);
        if (s) sq_server_destroy(s);
    }
    /* exactly the maximum is fine, and reaches the 404 unabridged */
    longest[SQ_PROBLEM_TYPE_BASE_MAX] = '\0';
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.problem_type_base = longest;
    int err = 0;
    sq_server *s = start(&cfg, NULL, &err);
    SQ_CHECK(s != NULL);
    if (!s) return;
    char buf[4096];
    exchange(s, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof buf);
    check_problem(buf, 404, longest, "not-found");
    sq_server_destroy(s);
}

int main(void) {
    SQ_RUN(test_default_base);
    SQ_RUN(test_null_base_means_default);
    SQ_RUN(test_custom_base);
    SQ_RUN(test_base_is_copied);
    SQ_RUN(test_base_is_json_escaped);
    SQ_RUN(test_bad_bases_refused);
    return SQ_TEST_SUMMARY();
}
