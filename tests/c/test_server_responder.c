/* The server end to end on an ephemeral port, driven with sq_server_poll
 * from this thread (as the Python binding drives it): answers from another
 * thread, SQ_EGONE and on_cancel when the client leaves, a refused header
 * value, stream back-pressure with on_writable, a validated route answering
 * 422 itself, and graceful shutdown. */
#include "sq_test.h"
#include "sq_test_socket.h"

#include "squall/server.h"
#include "squall/validator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

enum { K_SYNC = 1, K_THREAD, K_HOLD, K_BADHDR, K_STREAM, K_VALID, K_TSTREAM, K_TBIG };
static int kinds[] = {0, K_SYNC, K_THREAD, K_HOLD, K_BADHDR, K_STREAM, K_VALID, K_TSTREAM, K_TBIG};
static int inside_respond, reentered;

static sq_responder *held;   /* K_HOLD: kept until the test releases it */
static int cancels, writables, last_rc;
static size_t stream_left;
static sq_responder *stream_res;
static int saw_validation;

static void *answer_later(void *arg) {
    usleep(20000);
    static const sq_header_out h[] = {{SQ_SLICE_LIT("X-From"), SQ_SLICE_LIT("thread")}};
    last_rc = sq_respond(arg, 201, h, 1, "threaded", 8);
    return NULL;
}

static pthread_t worker;

/* K_TBIG: a thread streams 32 MiB and honours SQ_EAGAIN / on_writable. */
static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t big_cond = PTHREAD_COND_INITIALIZER;
static int big_writable, big_eagain;
static sq_responder *big_res;

static void *stream_big(void *arg) {
    static char block[16384];
    int rc = sq_stream_begin(arg, 200, NULL, 0);
    for (int i = 0; i < 2048 && (rc >= 0 || rc == SQ_EAGAIN); i++) {
        rc = sq_stream_write(arg, block, sizeof block);
        if (rc == SQ_EAGAIN) {
            big_eagain++;
            pthread_mutex_lock(&big_lock);
            while (!big_writable) pthread_cond_wait(&big_cond, &big_lock);
            big_writable = 0;
            pthread_mutex_unlock(&big_lock);
        }
    }
    last_rc = rc;
    sq_stream_end(arg);
    return NULL;
}

static void *stream_later(void *arg) {
    int rc = sq_stream_begin(arg, 200, NULL, 0);
    for (int i = 0; i < 3 && rc == 0; i++) rc = sq_stream_write(arg, "part,", 5);
    last_rc = rc;
    sq_stream_end(arg);
    return NULL;
}

static void pump(sq_responder *res) {
    static char block[8192];
    while (stream_left) {
        int r = sq_stream_write(res, block, sizeof block);
        stream_left -= sizeof block;
        if (r == SQ_EAGAIN) return;
        if (r < 0) return;
    }
    stream_res = NULL;
    sq_stream_end(res);
}

static void on_request(void *ctx, const sq_request *req, sq_responder *res) {
    (void)ctx;
    if (inside_respond) reentered = 1;
    switch (*(int *)req->route_data) {
    case K_SYNC: sq_respond(res, 200, NULL, 0, req->body.base, req->body.len); break;
    case K_THREAD: pthread_create(&worker, NULL, answer_later, res); break;
    case K_HOLD: held = res; break;
    case K_BADHDR: {
        sq_header_out h[] = {{SQ_SLICE_LIT("X-Evil"), SQ_SLICE_LIT("a\r\nSet-Cookie: x")}};
        last_rc = sq_respond(res, 200, h, 1, "no", 2);
        break;
    }
    case K_STREAM:
        stream_left = 8192 * 4096; /* 32 MiB: more than loopback buffers hold */
        stream_res = res;
        sq_stream_begin(res, 200, NULL, 0);
        pump(res);
        break;
    case K_TSTREAM: pthread_create(&worker, NULL, stream_later, res); break;
    case K_TBIG:
        big_res = res;
        pthread_create(&worker, NULL, stream_big, res);
        break;
    case K_VALID:
        saw_validation = req->validation != NULL;
        sq_respond(res, 200, NULL, 0, "valid", 5);
        break;
    }
}

static void on_cancel(void *ctx, sq_responder *res) {
    (void)ctx;
    cancels++;
    SQ_CHECK(sq_responder_is_gone(res));
    if (res == stream_res) {
        stream_res = NULL;
        sq_responder_release(res);
    }
}

static void on_writable(void *ctx, sq_responder *res) {
    (void)ctx;
    writables++;
    if (res == big_res) {
        pthread_mutex_lock(&big_lock);
        big_writable = 1;
        pthread_cond_signal(&big_cond);
        pthread_mutex_unlock(&big_lock);
        return;
    }
    pump(res);
}

static sq_server *start(sq_config *cfg, sq_validator *v) {
    sq_handler h = {.on_request = on_request, .on_cancel = on_cancel, .on_writable = on_writable};
    int err = 0;
    cfg->port = 0;
    sq_server *s = sq_server_create(cfg, &h, &err);
    SQ_CHECK(s != NULL);
    if (!s) return NULL;
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET,POST", "/sync", &kinds[K_SYNC], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/thread", &kinds[K_THREAD], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/hold", &kinds[K_HOLD], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/badhdr", &kinds[K_BADHDR], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/stream", &kinds[K_STREAM], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/items/{id:int}", &kinds[K_VALID], v, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/tstream", &kinds[K_TSTREAM], NULL, 0), 0);
    SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", "/tbig", &kinds[K_TBIG], NULL, 0), 0);
    return s;
}


static void test_sync_and_threaded_answers(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    int fd = sq_test_dial(s);
    const char req[] = "GET /thread HTTP/1.1\r\nHost: a\r\n\r\nPOST /sync HTTP/1.1\r\nHost: a\r\n"
                       "Content-Length: 4\r\n\r\nping";
    send(fd, req, sizeof req - 1, 0);
    char buf[4096];
    sq_test_collect(s, fd, buf, sizeof buf, "ping");
    pthread_join(worker, NULL);
    SQ_CHECK_EQ_INT(last_rc, 0);
    char *first = strstr(buf, "HTTP/1.1 201 Created");
    char *second = strstr(buf, "HTTP/1.1 200 OK");
    SQ_CHECK(first && second && first < second); /* in request order */
    SQ_CHECK(strstr(buf, "X-From: thread\r\n") != NULL);
    SQ_CHECK(strstr(buf, "threaded") != NULL);
    close(fd);
    sq_server_destroy(s);
}

static void test_client_gone_then_egone(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    cancels = 0;
    held = NULL;
    int fd = sq_test_dial(s);
    send(fd, "GET /hold HTTP/1.1\r\nHost: a\r\n\r\n", 31, 0);
    for (int i = 0; i < 100 && !held; i++) sq_server_poll(s, 5);
    SQ_CHECK(held != NULL);
    close(fd);
    for (int i = 0; i < 100 && !cancels; i++) sq_server_poll(s, 5);
    SQ_CHECK_EQ_INT(cancels, 1);
    if (held) {
        SQ_CHECK(sq_responder_is_gone(held));
        SQ_CHECK_EQ_INT(sq_respond(held, 200, NULL, 0, "late", 4), SQ_EGONE);
    }
    for (int i = 0; i < 10; i++) sq_server_poll(s, 1);
    SQ_CHECK_EQ_INT(cancels, 1); /* once */
    sq_server_destroy(s);
}

static void test_bad_header_value_gives_500(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    int fd = sq_test_dial(s);
    send(fd, "GET /badhdr HTTP/1.1\r\nHost: a\r\n\r\n", 33, 0);
    char buf[4096];
    sq_test_collect(s, fd, buf, sizeof buf, "}");
    SQ_CHECK_EQ_INT(last_rc, SQ_EINVAL);
    SQ_CHECK(strncmp(buf, "HTTP/1.1 500 ", 13) == 0);
    SQ_CHECK(strstr(buf, "Set-Cookie") == NULL);
    close(fd);
    sq_server_destroy(s);
}

static void test_stream_back_pressure(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.output_high_water = 16 * 1024;
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    writables = 0;
    int fd = sq_test_dial(s);
    send(fd, "GET /stream HTTP/1.1\r\nHost: a\r\n\r\n", 33, 0);
    for (int i = 0; i < 100; i++) sq_server_poll(s, 2);
    SQ_CHECK(stream_left > 0); /* the unread client holds the stream back */
    size_t total = 0;
    char buf[65536];
    for (int i = 0; i < 20000; i++) {
        sq_server_poll(s, 1);
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) total += (size_t)r;
        if (r > 5 && memcmp(buf + r - 5, "0\r\n\r\n", 5) == 0) break;
    }
    SQ_CHECK(writables > 0);
    if (stream_left) fprintf(stderr, "writables %d total %zu\n", writables, total);
    SQ_CHECK_EQ_INT(stream_left, 0);
    SQ_CHECK(total > 8192 * 4096);
    close(fd);
    sq_server_destroy(s);
}

static void test_validator_failure_answered_by_core(void) {
    const char spec[] = "{\"parameters\":[{\"name\":\"id\",\"source\":\"path\",\"key\":\"id\","
                        "\"required\":true,\"schema\":{\"type\":\"integer\"}}]}";
    char err[256] = "";
    sq_validator *v = sq_validator_compile(spec, sizeof spec - 1, err, sizeof err);
    SQ_CHECK(v != NULL);
    if (!v) {
        fprintf(stderr, "validator: %s\n", err);
        return;
    }
    sq_config cfg;
    sq_config_init(&cfg);
    sq_server *s = start(&cfg, v);
    if (s) {
        saw_validation = 0;
        int fd = sq_test_dial(s);
        send(fd, "GET /items/abc HTTP/1.1\r\nHost: a\r\n\r\n", 36, 0);
        char buf[4096];
        sq_test_collect(s, fd, buf, sizeof buf, "}");
        SQ_CHECK(strncmp(buf, "HTTP/1.1 422 ", 13) == 0);
        SQ_CHECK(strstr(buf, "application/problem+json") != NULL);
        SQ_CHECK(strstr(buf, "int_parsing") != NULL);
        SQ_CHECK_EQ_INT(saw_validation, 0); /* the handler was not called */
        send(fd, "GET /items/42 HTTP/1.1\r\nHost: a\r\n\r\n", 35, 0);
        sq_test_collect(s, fd, buf, sizeof buf, "valid");
        SQ_CHECK(strstr(buf, "200 OK") != NULL);
        SQ_CHECK_EQ_INT(saw_validation, 1);
        close(fd);
        sq_server_destroy(s);
    }
    sq_validator_free(v);
}

static void test_graceful_shutdown(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.grace = 5;
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    held = NULL;
    cancels = 0;
    int busy = sq_test_dial(s), idle = sq_test_dial(s);
    send(busy, "GET /hold HTTP/1.1\r\nHost: a\r\n\r\n", 31, 0);
    for (int i = 0; i < 100 && !held; i++) sq_server_poll(s, 5);
    SQ_CHECK(held != NULL);
    sq_server_request_shutdown(s); /* async-signal-safe path */
    for (int i = 0; i < 20; i++) sq_server_poll(s, 2);
    SQ_CHECK(!sq_server_is_drained(s)); /* one request in flight */
    char buf[1024];
    SQ_CHECK_EQ_INT(recv(idle, buf, sizeof buf, MSG_DONTWAIT), 0); /* idle one closed */
    if (held) SQ_CHECK_EQ_INT(sq_respond(held, 200, NULL, 0, "bye", 3), 0);
    sq_test_collect(s, busy, buf, sizeof buf, "bye");
    SQ_CHECK(strstr(buf, "Connection: close") != NULL);
    close(busy); /* the server lingers until the client closes too */
    for (int i = 0; i < 200 && !sq_server_is_drained(s); i++) sq_server_poll(s, 5);
    SQ_CHECK(sq_server_is_drained(s));
    SQ_CHECK_EQ_INT(cancels, 0);
    close(idle);
    sq_server_destroy(s);
}

static void test_late_answer_continues_pipeline_without_reentry(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    held = NULL;
    reentered = 0;
    int fd = sq_test_dial(s);
    const char req[] = "GET /hold HTTP/1.1\r\nHost: a\r\n\r\nPOST /sync HTTP/1.1\r\nHost: a\r\n"
                       "Content-Length: 6\r\n\r\nsecond";
    send(fd, req, sizeof req - 1, 0);
    for (int i = 0; i < 100 && !held; i++) sq_server_poll(s, 5);
    SQ_CHECK(held != NULL);
    if (held) {
        inside_respond = 1; /* answered outside a loop turn, as an embedder may */
        SQ_CHECK_EQ_INT(sq_respond(held, 200, NULL, 0, "first", 5), 0);
        inside_respond = 0;
    }
    char buf[4096];
    sq_test_collect(s, fd, buf, sizeof buf, "second");
    SQ_CHECK_EQ_INT(reentered, 0);
    char *a = strstr(buf, "first"), *b = strstr(buf, "second");
    SQ_CHECK(a && b && a < b);
    close(fd);
    sq_server_destroy(s);
}

static void test_stream_from_other_thread(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    int fd = sq_test_dial(s);
    send(fd, "GET /tstream HTTP/1.1\r\nHost: a\r\n\r\n", 34, 0);
    char buf[4096];
    sq_test_collect(s, fd, buf, sizeof buf, "0\r\n\r\n");
    pthread_join(worker, NULL);
    SQ_CHECK_EQ_INT(last_rc, 0);
    SQ_CHECK(strstr(buf, "Transfer-Encoding: chunked\r\n") != NULL);
    SQ_CHECK(strstr(buf, "5\r\npart,\r\n5\r\npart,\r\n5\r\npart,\r\n0\r\n\r\n") != NULL);
    close(fd);
    sq_server_destroy(s);
}

static void test_big_stream_from_other_thread_back_pressure(void) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.output_high_water = 64 * 1024;
    sq_server *s = start(&cfg, NULL);
    if (!s) return;
    big_eagain = 0;
    int fd = sq_test_dial(s);
    send(fd, "GET /tbig HTTP/1.1\r\nHost: a\r\n\r\n", 31, 0);
    for (int i = 0; i < 100; i++) sq_server_poll(s, 2); /* not reading yet */
    SQ_CHECK(big_eagain > 0);
    size_t total = 0;
    static char buf[65536];
    for (int i = 0; i < 100000; i++) {
        sq_server_poll(s, 0);
        ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) total += (size_t)r;
        if (r >= 5 && memcmp(buf + r - 5, "0\r\n\r\n", 5) == 0) break;
        if (r <= 0) usleep(200);
    }
    pthread_join(worker, NULL);
    big_res = NULL;
    SQ_CHECK(last_rc == 0 || last_rc == SQ_EAGAIN);
    if (total <= 2048u * 16384u) fprintf(stderr, "total %zu rc %d eagain %d\n", total, last_rc, big_eagain);
    SQ_CHECK(total > 2048u * 16384u);
    close(fd);
    sq_server_destroy(s);
}

int main(void) {
    SQ_RUN(test_big_stream_from_other_thread_back_pressure);
    SQ_RUN(test_late_answer_continues_pipeline_without_reentry);
    SQ_RUN(test_stream_from_other_thread);
    SQ_RUN(test_sync_and_threaded_answers);
    SQ_RUN(test_client_gone_then_egone);
    SQ_RUN(test_bad_header_value_gives_500);
    SQ_RUN(test_stream_back_pressure);
    SQ_RUN(test_validator_failure_answered_by_core);
    SQ_RUN(test_graceful_shutdown);
    return SQ_TEST_SUMMARY();
}
