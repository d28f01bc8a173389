/* sq_stream_begin_length: a streamed answer with a Content-Length the
 * handler declares. Exact writes keep the connection; a HEAD gets the length
 * and no body; a write past the length is refused and a body left short
 * closes the connection after what was written; the same from another
 * thread; HTTP/1.0 keeps the length framing (no close-delimiting). */
#include "sq_test.h"
#include "sq_test_socket.h"

#include "squall/handler.h"
#include "squall/server.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

enum { K_EXACT = 1, K_SHORT, K_LONG, K_THREAD, K_HUGE, K_TLONG, K_TSHORT };
static int kinds[] = {0, K_EXACT, K_SHORT, K_LONG, K_THREAD, K_HUGE, K_TLONG, K_TSHORT};
static int rc_write, rc_end, rc_begin;
static pthread_t worker;

static void write_exact(sq_responder *res) {
    rc_begin = sq_stream_begin_length(res, 200, NULL, 0, 10);
    sq_stream_write(res, "0123", 4);
    sq_stream_write(res, "456", 3);
    rc_write = sq_stream_write(res, "789", 3);
    rc_end = sq_stream_end(res);
}

static void *exact_from_thread(void *arg) {
    write_exact(arg);
    return NULL;
}

/* From another thread the refusals must reach the caller too. */
static void *long_from_thread(void *arg) {
    sq_stream_begin_length(arg, 200, NULL, 0, 4);
    sq_stream_write(arg, "01", 2);
    rc_write = sq_stream_write(arg, "23456", 5);
    rc_end = sq_stream_end(arg);
    return NULL;
}

static void *short_from_thread(void *arg) {
    sq_stream_begin_length(arg, 200, NULL, 0, 10);
    rc_write = sq_stream_write(arg, "0123", 4);
    rc_end = sq_stream_end(arg);
    return NULL;
}

static void on_request(void *ctx, const sq_request *req, sq_responder *res) {
    (void)ctx;
    switch (*(int *)req->route_data) {
    case K_EXACT: write_exact(res); break;
    case K_SHORT:
        sq_stream_begin_length(res, 200, NULL, 0, 10);
        rc_write = sq_stream_write(res, "0123", 4);
        rc_end = sq_stream_end(res);
        break;
    case K_LONG:
        sq_stream_begin_length(res, 200, NULL, 0, 4);
        sq_stream_write(res, "01", 2);
        rc_write = sq_stream_write(res, "23456", 5);
        rc_end = sq_stream_end(res);
        break;
    case K_THREAD: pthread_create(&worker, NULL, exact_from_thread, res); break;
    case K_TLONG: pthread_create(&worker, NULL, long_from_thread, res); break;
    case K_TSHORT: pthread_create(&worker, NULL, short_from_thread, res); break;
    case K_HUGE:
        rc_begin = sq_stream_begin_length(res, 200, NULL, 0, UINT64_MAX);
        sq_responder_release(res);
        break;
    }
}

static void on_cancel(void *ctx, sq_responder *res) {
    (void)ctx;
    (void)res;
}

static sq_server *start(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.port = 0;
    sq_handler h = {.on_request = on_request, .on_cancel = on_cancel};
    int err = 0;
    sq_server *s = sq_server_create(&cfg, &h, &err);
    SQ_CHECK(s != NULL);
    if (!s) return NULL;
    static const char *const paths[] = {NULL, "/exact", "/short", "/long", "/thread", "/huge", "/tlong", "/tshort"};
    for (int k = K_EXACT; k <= K_TSHORT; k++)
        SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", paths[k], &kinds[k], NULL, 0), 0);
    return s;
}

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* The part after the head, or NULL. */
static const char *body_of(const char *reply) {
    const char *e = strstr(reply, "\r\n\r\n");
    return e ? e + 4 : NULL;
}

static void test_exact_keeps_the_connection(void) {
    sq_server *s = start();
    if (!s) return;
    int fd = sq_test_dial(s);
    char buf[4096];
    const char req[] = "GET /exact HTTP/1.1\r\nHost: a\r\n\r\n";
    send(fd, req, sizeof req - 1, 0);
    sq_test_collect(s, fd, buf, sizeof buf, "0123456789");
    SQ_CHECK(starts_with(buf, "HTTP/1.1 200 OK\r\n"));
    SQ_CHECK(strstr(buf, "Content-Length: 10\r\n") != NULL);
    SQ_CHECK(strstr(buf, "Transfer-Encoding") == NULL);
    SQ_CHECK(body_of(buf) && strcmp(body_of(buf), "0123456789") == 0);
    SQ_CHECK_EQ_INT(rc_begin, 0);
    SQ_CHECK_EQ_INT(rc_write, 0);
    SQ_CHECK_EQ_INT(rc_end, 0);
    /* The same connection serves a HEAD: the length, no body. */
    const char head[] = "HEAD /exact HTTP/1.1\r\nHost: a\r\n\r\n";
    send(fd, head, sizeof head - 1, 0);
    sq_test_collect(s, fd, buf, sizeof buf, "\r\n\r\n");
    SQ_CHECK(starts_with(buf, "HTTP/1.1 200 OK\r\n"));
    SQ_CHECK(strstr(buf, "Content-Length: 10\r\n") != NULL);
    SQ_CHECK(body_of(buf) && *body_of(buf) == '\0');
    /* And HTTP/1.0 keeps the length framing and the connection (keep-alive). */
    const char old[] = "GET /exact HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    send(fd, old, sizeof old - 1, 0);
    sq_test_collect(s, fd, buf, sizeof buf, "0123456789");
    SQ_CHECK(strstr(buf, "Content-Length: 10\r\n") != NULL);
    SQ_CHECK(body_of(buf) && strcmp(body_of(buf), "0123456789") == 0);
    send(fd, req, sizeof req - 1, 0);
    sq_test_collect(s, fd, buf, sizeof buf, "0123456789");
    SQ_CHECK(body_of(buf) && strcmp(body_of(buf), "0123456789") == 0);
    close(fd);
    sq_server_destroy(s);
}

/* Sends `req` on a new connection and reads to EOF. */
static void fetch(sq_server *s, const char *req, char *buf, size_t cap) {
    int fd = sq_test_dial(s);
    send(fd, req, strlen(req), 0);
    sq_test_collect(s, fd, buf, cap, NULL);
    close(fd);
}

static void test_from_another_thread(void) {
    sq_server *s = start();
    if (!s) return;
    char buf[4096];
    fetch(s, "GET /thread HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", buf, sizeof buf);
    pthread_join(worker, NULL);
    SQ_CHECK(strstr(buf, "Content-Length: 10\r\n") != NULL);
    SQ_CHECK(body_of(buf) && strcmp(body_of(buf), "0123456789") == 0);
    sq_server_destroy(s);
}

/* Short and long bodies, written on the loop or from another thread: the
 * caller hears SQ_EINVAL, what was written goes out, then EOF (a request
 * pipelined behind is never served). */
static void test_wrong_lengths_close_the_connection(void) {
    static const struct {
        const char *req, *len, *body;
        int threaded, want_write, want_end;
    } wrong[] = {
        {"GET /short HTTP/1.1\r\nHost: a\r\n\r\nGET /exact HTTP/1.1\r\nHost: a\r\n\r\n", "Content-Length: 10\r\n",
         "0123", 0, 0, SQ_EINVAL},
        {"GET /long HTTP/1.1\r\nHost: a\r\n\r\n", "Content-Length: 4\r\n", "01", 0, SQ_EINVAL, SQ_EINVAL},
        {"GET /tshort HTTP/1.1\r\nHost: a\r\n\r\n", "Content-Length: 10\r\n", "0123", 1, 0, SQ_EINVAL},
        {"GET /tlong HTTP/1.1\r\nHost: a\r\n\r\n", "Content-Length: 4\r\n", "01", 1, SQ_EINVAL, SQ_EINVAL},
    };
    sq_server *s = start();
    if (!s) return;
    char buf[4096];
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        rc_write = rc_end = 99;
        fetch(s, wrong[i].req, buf, sizeof buf);
        if (wrong[i].threaded) pthread_join(worker, NULL);
        SQ_CHECK(strstr(buf, wrong[i].len) != NULL);
        SQ_CHECK(body_of(buf) && strcmp(body_of(buf), wrong[i].body) == 0);
        SQ_CHECK_EQ_INT(rc_write, wrong[i].want_write);
        SQ_CHECK_EQ_INT(rc_end, wrong[i].want_end);
    }
    sq_server_destroy(s);
}

/* A length no header can declare is refused like a bad header: 500. */
static void test_length_out_of_range(void) {
    sq_server *s = start();
    if (!s) return;
    char buf[4096];
    fetch(s, "GET /huge HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", buf, sizeof buf);
    SQ_CHECK(starts_with(buf, "HTTP/1.1 500 "));
    SQ_CHECK_EQ_INT(rc_begin, SQ_EINVAL);
    sq_server_destroy(s);
}

int main(void) {
    SQ_RUN(test_exact_keeps_the_connection);
    SQ_RUN(test_wrong_lengths_close_the_connection);
    SQ_RUN(test_from_another_thread);
    SQ_RUN(test_length_out_of_range);
    return SQ_TEST_SUMMARY();
}
