/* Review findings on the responder's framing rules (RFC 9112 6.1, 6.3;
 * RFC 9110 15.2): a response the handler gives must never desynchronise the
 * client's view of where the next response starts.
 * - A stream begun with 204 or 304 has no body: no Transfer-Encoding, no
 *   "0\r\n\r\n" terminator (which the client would read as the start of the
 *   next response), and bytes written to it are dropped.
 * - A 1xx status is not a final answer: sq_respond / sq_stream_begin refuse
 *   it (SQ_EINVAL) and the client gets a 500, so it is not left waiting.
 * - A 405's Allow line is whole however many methods a path has (it was
 *   cut at 255 bytes without its CRLF, merging it with Content-Length).
 * - No SIGPIPE from the library, whatever the application's signal setup
 *   (the big-body writev path too). */
#include "sq_test.h"
#include "sq_test_socket.h"

#include "squall/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/socket.h>

enum { K_S204 = 1, K_S304, K_R103, K_S101, K_PLAIN, K_HOLD };
static int kinds[] = {0, K_S204, K_S304, K_R103, K_S101, K_PLAIN, K_HOLD};
static sq_responder *held;
static int rc_begin, rc_write, rc_end, rc_respond;

static void on_request(void *ctx, const sq_request *req, sq_responder *res) {
    (void)ctx;
    switch (*(int *)req->route_data) {
    case K_S204:
    case K_S304:
        rc_begin = sq_stream_begin(res, *(int *)req->route_data == K_S204 ? 204 : 304, NULL, 0);
        rc_write = sq_stream_write(res, "body!", 5);
        rc_end = sq_stream_end(res);
        break;
    case K_R103: rc_respond = sq_respond(res, 103, NULL, 0, "early", 5); break;
    case K_S101:
        rc_begin = sq_stream_begin(res, 101, NULL, 0);
        if (rc_begin == 0) sq_stream_end(res);
        else sq_responder_release(res); /* a refused begin leaves the reference with us */
        break;
    case K_HOLD: held = res; break;
    default: sq_respond(res, 200, NULL, 0, "next", 4); break;
    }
}

static sq_server *start(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.port = 0;
    sq_handler h = {.on_request = on_request};
    int err = 0;
    sq_server *s = sq_server_create(&cfg, &h, &err);
    SQ_CHECK(s != NULL);
    if (!s) return NULL;
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/s204", &kinds[K_S204], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/s304", &kinds[K_S304], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/r103", &kinds[K_R103], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/s101", &kinds[K_S101], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/plain", &kinds[K_PLAIN], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/hold", &kinds[K_HOLD], NULL, 0), 0);
    return s;
}


/* The first response's head ends at the first blank line; the next one
 * must start right there. */
static void check_bodyless_stream(const char *path, const char *status_line) {
    sq_server *s = start();
    if (!s) return;
    int fd = sq_test_dial(s);
    char req[128];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\nGET /plain HTTP/1.1\r\nHost: a\r\n\r\n", path);
    send(fd, req, (size_t)n, 0);
    char buf[4096];
    sq_test_collect(s, fd, buf, sizeof buf, "next");
    SQ_CHECK_EQ_INT(rc_begin, 0);
    SQ_CHECK_EQ_INT(rc_end, 0);
    SQ_CHECK(strncmp(buf, status_line, strlen(status_line)) == 0);
    char *end = strstr(buf, "\r\n\r\n");
    SQ_CHECK(end != NULL);
    if (end) {
        *end = '\0';
        SQ_CHECK(strstr(buf, "Transfer-Encoding") == NULL);
        SQ_CHECK(strncmp(end + 4, "HTTP/1.1 200 OK\r\n", 17) == 0);
        if (strncmp(end + 4, "HTTP/1.1 200 OK\r\n", 17) != 0) fprintf(stderr, "after head: %.40s\n", end + 4);
    }
    close(fd);
    sq_server_destroy(s);
}

static void test_stream_204_has_no_body_framing(void) {
    check_bodyless_stream("/s204", "HTTP/1.1 204 ");
}

static void test_stream_304_has_no_body_framing(void) {
    check_bodyless_stream("/s304", "HTTP/1.1 304 ");
}

static void test_interim_status_is_not_a_final_answer(void) {
    sq_server *s = start();
    if (!s) return;
    int fd = sq_test_dial(s);
    const char req[] = "GET /r103 HTTP/1.1\r\nHost: a\r\n\r\nGET /s101 HTTP/1.1\r\nHost: a\r\n\r\n"
                       "GET /plain HTTP/1.1\r\nHost: a\r\n\r\n";
    send(fd, req, sizeof req - 1, 0);
    char buf[8192];
    sq_test_collect(s, fd, buf, sizeof buf, "next");
    SQ_CHECK_EQ_INT(rc_respond, SQ_EINVAL);
    SQ_CHECK_EQ_INT(rc_begin, SQ_EINVAL);
    SQ_CHECK(strncmp(buf, "HTTP/1.1 500 ", 13) == 0);
    SQ_CHECK(strstr(buf, "HTTP/1.1 103") == NULL);
    SQ_CHECK(strstr(buf, "HTTP/1.1 101") == NULL);
    char *second = strstr(buf + 1, "HTTP/1.1 500 ");
    SQ_CHECK(second != NULL);
    SQ_CHECK(second && strstr(second, "HTTP/1.1 200 OK") != NULL);
    close(fd);
    sq_server_destroy(s);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) {
    (void)sig;
    sigpipes++;
}

/* The server's end of the client socket `cfd` (same process). */
static int server_side_fd(sq_server *s, int cfd) {
    struct sockaddr_in me, a, b;
    socklen_t l = sizeof me;
    getsockname(cfd, (struct sockaddr *)&me, &l);
    for (int fd = 3; fd < 1024; fd++) {
        socklen_t la = sizeof a, lb = sizeof b;
        if (fd == cfd || getsockname(fd, (struct sockaddr *)&a, &la) < 0) continue;
        if (getpeername(fd, (struct sockaddr *)&b, &lb) < 0) continue;
        if (ntohs(a.sin_port) == sq_server_port(s) && b.sin_port == me.sin_port) return fd;
    }
    return -1;
}

/* A handler answers a big body (the one-writev path) after the client reset
 * the connection and the socket's pending error was already taken (by a
 * read, say): the write fails with EPIPE, which must not raise SIGPIPE in
 * an application that did not ignore it. */
static void test_big_body_to_reset_peer_raises_no_sigpipe(void) {
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigpipe;
    sigaction(SIGPIPE, &sa, &old);
    sigpipes = 0;
    sq_server *s = start();
    if (!s) return;
    held = NULL;
    int fd = sq_test_dial(s);
    send(fd, "GET /hold HTTP/1.1\r\nHost: a\r\n\r\n", 31, 0);
    for (int i = 0; i < 100 && !held; i++) sq_server_poll(s, 5);
    SQ_CHECK(held != NULL);
    int sfd = server_side_fd(s, fd);
    SQ_CHECK(sfd >= 0);
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd); /* RST */
    usleep(20000);
    int err = 0;
    socklen_t el = sizeof err;
    if (sfd >= 0) getsockopt(sfd, SOL_SOCKET, SO_ERROR, &err, &el);
    SQ_CHECK_EQ_INT(err, ECONNRESET);
    static char body[64 * 1024];
    if (held) sq_respond(held, 200, NULL, 0, body, sizeof body); /* outside a turn, as an embedder may */
    for (int i = 0; i < 10; i++) sq_server_poll(s, 1);
    SQ_CHECK_EQ_INT(sigpipes, 0);
    sq_server_destroy(s);
    sigaction(SIGPIPE, &old, NULL);
}

static void test_long_allow_line_is_not_truncated(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.port = 0;
    sq_handler h = {.on_request = on_request};
    int err = 0;
    sq_server *s = sq_server_create(&cfg, &h, &err);
    SQ_CHECK(s != NULL);
    if (!s) return;
    char methods[1024] = "GET";
    for (int i = 0; i < 40; i++) {
        char m[32];
        snprintf(m, sizeof m, ",METHOD%03d", i);
        strcat(methods, m);
    }
    SQ_CHECK_EQ_INT(sq_server_add_route(s, methods, "/many", &kinds[K_PLAIN], NULL, 0), 0);
    int fd = sq_test_dial(s);
    const char req[] = "DELETE /many HTTP/1.1\r\nHost: a\r\n\r\nGET /many HTTP/1.1\r\nHost: a\r\n\r\n";
    send(fd, req, sizeof req - 1, 0);
    char buf[8192];
    sq_test_collect(s, fd, buf, sizeof buf, "next");
    SQ_CHECK(strncmp(buf, "HTTP/1.1 405 ", 13) == 0);
    SQ_CHECK(strstr(buf, ", METHOD039\r\n") != NULL);
    char *cl = strstr(buf, "\r\nContent-Length: ");
    char *end = strstr(buf, "\r\n\r\n");
    SQ_CHECK(cl && end && cl < end);
    if (cl && end) {
        long n = strtol(cl + 18, NULL, 10);
        SQ_CHECK(strncmp(end + 4 + n, "HTTP/1.1 200 OK\r\n", 17) == 0);
    }
    close(fd);
    sq_server_destroy(s);
}

int main(void) {
    SQ_RUN(test_long_allow_line_is_not_truncated);
    SQ_RUN(test_big_body_to_reset_peer_raises_no_sigpipe);
    SQ_RUN(test_stream_204_has_no_body_framing);
    SQ_RUN(test_stream_304_has_no_body_framing);
    SQ_RUN(test_interim_status_is_not_a_final_answer);
    return SQ_TEST_SUMMARY();
}
