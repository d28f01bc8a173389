/* sq_config.cors and sq_server_set_unavailable, end to end over a socket:
 * preflights are answered by the core (allowed: 200 with the policy's lines;
 * refused: 403) and never reach the handler; other requests from an allowed
 * origin carry Access-Control-Allow-Origin on every answer (404s included);
 * an unavailable server answers 503 with Retry-After before routing. The
 * server runs on an ephemeral port, polled from this thread. */
#include "sq_test.h"
#include "sq_test_socket.h"

#include "squall/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

static int handler_calls;

static void on_request(void *ctx, const sq_request *req, sq_responder *res) {
    (void)ctx;
    (void)req;
    handler_calls++;
    sq_header_out h[] = {{SQ_SLICE_LIT("X-Total-Count"), SQ_SLICE_LIT("42")}};
    sq_respond(res, 200, h, 1, "ok", 2);
}

static void on_cancel(void *ctx, sq_responder *res) {
    (void)ctx;
    (void)res;
}

static sq_server *start(sq_config *cfg) {
    sq_handler h = {.on_request = on_request, .on_cancel = on_cancel};
    cfg->port = 0;
    int err = 0;
    sq_server *s = sq_server_create(cfg, &h, &err);
    SQ_CHECK(s != NULL);
    if (s) SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET,POST", "/items", NULL, NULL, 0), 0);
    return s;
}

static sq_server *start_with_cors(const sq_cors_config *cors) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.cors = cors;
    return start(&cfg);
}

/* A policy the core must refuse: sq_server_create fails with SQ_EINVAL. */
static void check_refused(const sq_cors_config *cors) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.cors = cors;
    cfg.port = 0;
    sq_handler h = {.on_request = on_request, .on_cancel = on_cancel};
    int err = 0;
    sq_server *s = sq_server_create(&cfg, &h, &err);
    SQ_CHECK(s == NULL);
    SQ_CHECK_EQ_INT(err, SQ_EINVAL);
    if (s) sq_server_destroy(s);
}

/* Sends `req` (which asks for Connection: close) and reads to EOF. */
static void exchange(sq_server *s, const char *req, char *out, size_t cap) {
    int fd = sq_test_dial(s);
    send(fd, req, strlen(req), 0);
    sq_test_collect(s, fd, out, cap, NULL);
    close(fd);
}

/* GET `path` from `origin` (NULL: no Origin header), read to EOF. */
static void get_from(sq_server *s, const char *path, const char *origin, char *out, size_t cap) {
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n%s%s%s\r\n", path,
             origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "");
    exchange(s, req, out, cap);
}

static int has(const char *reply, const char *line) {
    char want[256];
    snprintf(want, sizeof want, "\r\n%s\r\n", line);
    if (strstr(reply, want)) return 1;
    fprintf(stderr, "missing \"%s\" in:\n%s\n", line, reply);
    return 0;
}

static int lacks(const char *reply, const char *text) {
    const char *end = strstr(reply, "\r\n\r\n");
    const char *at = strstr(reply, text);
    if (!at || (end && at > end)) return 1;
    fprintf(stderr, "unexpected \"%s\" in:\n%s\n", text, reply);
    return 0;
}

static int status_is(const char *reply, int status) {
    char line[32];
    snprintf(line, sizeof line, "HTTP/1.1 %d ", status);
    if (strncmp(reply, line, strlen(line)) == 0) return 1;
    fprintf(stderr, "want %d, got:\n%s\n", status, reply);
    return 0;
}

#define PREFLIGHT(origin, method, headers)                                                        \
    "OPTIONS /items HTTP/1.1\r\nHost: a\r\nConnection: close\r\nOrigin: " origin                  \
    "\r\nAccess-Control-Request-Method: " method "\r\n" headers "\r\n"

static void test_listed_origins(void) {
    sq_cors_config cors = {.allow_origins = "https://a.example, https://b.example",
                           .allow_methods = "GET, POST, PUT",
                           .allow_headers = "X-Token",
                           .expose_headers = "X-Total-Count",
                           .max_age = 600};
    sq_server *s = start_with_cors(&cors);
    if (!s) return;
    char buf[4096];
    handler_calls = 0;

    /* Allowed preflight: the policy's lines, the requested headers echoed, no handler. */
    exchange(s, PREFLIGHT("https://b.example", "PUT", "Access-Control-Request-Headers: x-token, Content-Type\r\n"),
             buf, sizeof buf);
    SQ_CHECK(status_is(buf, 200));
    SQ_CHECK(has(buf, "Access-Control-Allow-Origin: https://b.example"));
    SQ_CHECK(has(buf, "Vary: Origin"));
    SQ_CHECK(has(buf, "Access-Control-Allow-Methods: GET, POST, PUT"));
    SQ_CHECK(has(buf, "Access-Control-Allow-Headers: x-token, Content-Type"));
    SQ_CHECK(has(buf, "Access-Control-Max-Age: 600"));
    SQ_CHECK(has(buf, "Content-Length: 0"));
    SQ_CHECK(lacks(buf, "Access-Control-Allow-Credentials"));

    /* Refused preflights: 403, still no handler. */
    exchange(s, PREFLIGHT("https://a.example", "DELETE", ""), buf, sizeof buf);
    SQ_CHECK(status_is(buf, 403));
    SQ_CHECK(strstr(buf, "the requested method is not allowed") != NULL);
    exchange(s, PREFLIGHT("https://a.example", "POST", "Access-Control-Request-Headers: X-Other\r\n"), buf,
             sizeof buf);
    SQ_CHECK(status_is(buf, 403));
    SQ_CHECK(strstr(buf, "a requested header is not allowed") != NULL);
    exchange(s, PREFLIGHT("https://evil.example", "GET", ""), buf, sizeof buf);
    SQ_CHECK(status_is(buf, 403));
    SQ_CHECK(lacks(buf, "Access-Control-Allow-Origin"));
    /* An origin is compared whole, not as a prefix. */
    exchange(s, PREFLIGHT("https://a.example.evil", "GET", ""), buf, sizeof buf);
    SQ_CHECK(status_is(buf, 403));
    SQ_CHECK_EQ_INT(handler_calls, 0);

    /* An actual request from an allowed origin: served, with the lines. */
    get_from(s, "/items", "https://a.example", buf, sizeof buf);
    SQ_CHECK(status_is(buf, 200));
    SQ_CHECK(has(buf, "Access-Control-Allow-Origin: https://a.example"));
    SQ_CHECK(has(buf, "Vary: Origin"));
    SQ_CHECK(has(buf, "Access-Control-Expose-Headers: X-Total-Count"));
    SQ_CHECK(has(buf, "X-Total-Count: 42"));
    SQ_CHECK_EQ_INT(handler_calls, 1);
    /* ... and its errors carry them too. */
    get_from(s, "/nope", "https://a.example", buf, sizeof buf);
    SQ_CHECK(status_is(buf, 404));
    SQ_CHECK(has(buf, "Access-Control-Allow-Origin: https://a.example"));

    /* Another origin, or none: served without any CORS line. */
    get_from(s, "/items", "https://evil.example", buf, sizeof buf);
    SQ_CHECK(status_is(buf, 200));
    SQ_CHECK(lacks(buf, "Access-Control"));
    get_from(s, "/items", NULL, buf, sizeof buf);
    SQ_CHECK(status_is(buf, 200));
    SQ_CHECK(lacks(buf, "Access-Control"));
    /* A plain OPTIONS (no Access-Control-Request-Method) is routed as before. */
    exchange(s, "OPTIONS /items HTTP/1.1\r\nHost: a\r\nConnection: close\r\nOrigin: https://a.example\r\n\r\n",
             buf, sizeof buf);
    SQ_CHECK(status_is(buf, 204));
    SQ_CHECK(has(buf, "Allow: GET, HEAD, POST"));
    SQ_CHECK(has(buf, "Access-Control-Allow-Origin: https://a.example"));
    SQ_CHECK_EQ_INT(handler_calls, 3);
    sq_server_destroy(s);
}

static void test_any_origin(void) {
    sq_cors_config cors = {.allow_origins = "*", .allow_methods = "*", .allow_headers = "*", .max_age = -1};
    sq_server *s = start_with_cors(&cors);
    if (!s) return;
    char buf[4096];
    exchange(s, PREFLIGHT("https://x.example", "PATCH", "Access-Control-Request-Headers: X-Anything\r\n"), buf,
             sizeof buf);
    SQ_CHECK(status_is(buf, 200));
    SQ_CHECK(has(buf, "Access-Control-Allow-Origin: *"));
    SQ_CHECK(has(buf, "Access-Control-Allow-Methods: PATCH"));
    SQ_CHECK(has(buf, "Access-Control-Allow-Headers: X-Anything"));
    SQ_CHECK(lacks(buf, "Vary"));
    SQ_CHECK(lacks(buf, "Max-Age"));
    sq_server_destroy(s);
}

/* Credentials: the origin is echoed even for "*", never the wildcard. */
static void test_credentials_and_private_network(void) {
    sq_cors_config cors = {.allow_origins = "*",
                           .allow_methods = "GET",
                           .allow_credentials = 1,
                           .allow_private_network = 1,
                           .max_age = 5};
    sq_server *s = start_with_cors(&cors);
    if (!s) return;
    char buf[4096];
    get_from(s, "/items", "https://c.example", buf, sizeof buf);
    SQ_CHECK(has(buf, "Access-Control-Allow-Origin: https://c.example"));
    SQ_CHECK(has(buf, "Access-Control-Allow-Credentials: true"));
    SQ_CHECK(has(buf, "Vary: Origin"));
    exchange(s, PREFLIGHT("https://c.example", "GET", "Access-Control-Request-Private-Network: true\r\n"), buf,
             sizeof buf);
    SQ_CHECK(status_is(buf, 200));
    SQ_CHECK(has(buf, "Access-Control-Allow-Private-Network: true"));
    SQ_CHECK(has(buf, "Access-Control-Allow-Credentials: true"));
    sq_server_destroy(s);
}

/* allow_origin_regex matches the whole origin (anchored at both ends), next
 * to the exact list; an invalid pattern refuses the server. */
static void test_origin_regex(void) {
    sq_cors_config cors = {.allow_origins = "https://exact.example",
                           .allow_origin_regex = "https://[a-z]+\\.example\\.org",
                           .allow_methods = "GET",
                           .max_age = -1};
    sq_server *s = start_with_cors(&cors);
    if (!s) return;
    char buf[4096];
    static const char *const allowed[] = {"https://shop.example.org", "https://exact.example"};
    static const char *const refused[] = {"https://shop.example.org.evil.com", "xhttps://shop.example.org",
                                          "https://shop.example.orgx", "https://SHOP.example.org"};
    char line[256];
    for (size_t i = 0; i < 2; i++) {
        get_from(s, "/items", allowed[i], buf, sizeof buf);
        snprintf(line, sizeof line, "Access-Control-Allow-Origin: %s", allowed[i]);
        SQ_CHECK(has(buf, line));
    }
    for (size_t i = 0; i < 4; i++) {
        get_from(s, "/items", refused[i], buf, sizeof buf);
        SQ_CHECK(status_is(buf, 200));
        SQ_CHECK(lacks(buf, "Access-Control-Allow-Origin"));
    }
    sq_server_destroy(s);

    sq_cors_config bad = {.allow_origins = "", .allow_origin_regex = "https://(", .max_age = -1};
    check_refused(&bad);
}

static void test_policy_with_control_bytes_is_refused(void) {
    sq_cors_config cors = {.allow_origins = "https://a.example\r\nX-Injected: 1", .max_age = -1};
    check_refused(&cors);
}

static void test_unavailable(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    SQ_CHECK_EQ_INT(cfg.unavailable_retry_after, -1);
    cfg.unavailable_retry_after = 0; /* starts unavailable */
    sq_server *s = start(&cfg);
    if (!s) return;
    char buf[4096];
    handler_calls = 0;
    get_from(s, "/items", NULL, buf, sizeof buf);
    SQ_CHECK(status_is(buf, 503));
    SQ_CHECK(has(buf, "Retry-After: 0"));
    SQ_CHECK(has(buf, "Content-Type: application/json"));
    SQ_CHECK(strstr(buf, "\r\n\r\n{\"error\":\"Service Unavailable\",\"message\":\"The service is temporarily "
                         "unavailable. Please try again later.\"}") != NULL);
    /* Before routing: a path with no route gets the same 503. */
    get_from(s, "/nope", NULL, buf, sizeof buf);
    SQ_CHECK(status_is(buf, 503));
    SQ_CHECK_EQ_INT(sq_server_unavailable(s), 0);
    sq_server_set_unavailable(s, 120);
    get_from(s, "/items", NULL, buf, sizeof buf);
    SQ_CHECK(has(buf, "Retry-After: 120"));
    SQ_CHECK_EQ_INT(handler_calls, 0);
    sq_server_set_unavailable(s, -1);
    SQ_CHECK_EQ_INT(sq_server_unavailable(s), -1);
    get_from(s, "/items", NULL, buf, sizeof buf);
    SQ_CHECK(status_is(buf, 200));
    SQ_CHECK_EQ_INT(handler_calls, 1);
    sq_server_destroy(s);
}

int main(void) {
    SQ_RUN(test_listed_origins);
    SQ_RUN(test_any_origin);
    SQ_RUN(test_credentials_and_private_network);
    SQ_RUN(test_origin_regex);
    SQ_RUN(test_policy_with_control_bytes_is_refused);
    SQ_RUN(test_unavailable);
    return SQ_TEST_SUMMARY();
}
