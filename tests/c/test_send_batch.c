/* Send batching (sq_config.send_batch_threshold / send_batch_max_wait):
 * within one loop turn, the answer to a request that took at least the
 * threshold to handle is held until the turn ends, while a cheap answer
 * leaves at once and takes the held ones with it; a held answer waits no
 * longer than the maximum; a threshold of 0 sends every answer at once.
 *
 * How it is seen from outside: three connections send their requests
 * before the server polls, so one turn serves all three; each handler peeks
 * at the client sockets of the connections served before it, so it knows
 * which earlier answers had already been sent when it ran. */
#include "sq_test.h"
#include "sq_test_socket.h"

#include "squall/handler.h"
#include "squall/server.h"

#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNS = 3 };

static int client_fd[CONNS];
static int served[CONNS]; /* connection indexes in the order served */
static int num_served;
static int sent_before[CONNS][CONNS]; /* [k][j]: when the k-th was served, j's answer had arrived */
static long spin_us;                   /* how long each handler works */
static int defer_second;               /* the second served answers only after the turn */
static sq_responder *deferred;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_request(void *ctx, const sq_request *req, sq_responder *res) {
    (void)ctx;
    int me = *(const int *)req->route_data;
    int64_t until = now_us() + spin_us;
    while (now_us() < until) {
    }
    int k = num_served++;
    served[k] = me;
    for (int j = 0; j < k; j++) {
        char c;
        sent_before[k][j] = recv(client_fd[served[j]], &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
    }
    if (defer_second && k == 1) {
        deferred = res; /* its input leaves no output in this turn */
        return;
    }
    sq_respond(res, 200, NULL, 0, "ok", 2);
}

static void on_cancel(void *ctx, sq_responder *res) {
    (void)ctx;
    (void)res;
}

static int index_of[CONNS] = {0, 1, 2};

/* Serves one request on each of CONNS connections in one turn, with each
 * handler working `work_us`; returns 0 when all three answers came back. */
static int serve_three(double threshold, double max_wait, long work_us) {
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.port = 0;
    if (threshold >= 0) cfg.send_batch_threshold = threshold;
    if (max_wait >= 0) cfg.send_batch_max_wait = max_wait;
    sq_handler h = {.on_request = on_request, .on_cancel = on_cancel};
    int err = 0;
    sq_server *s = sq_server_create(&cfg, &h, &err);
    SQ_CHECK(s != NULL);
    if (!s) return -1;
    static const char *const paths[CONNS] = {"/c0", "/c1", "/c2"};
    for (int i = 0; i < CONNS; i++) SQ_CHECK_EQ_INT(sq_server_add_route(s, "GET", paths[i], &index_of[i], NULL, 0), 0);
    for (int i = 0; i < CONNS; i++) client_fd[i] = sq_test_dial(s);
    /* accept all three before any request arrives */
    for (int i = 0; i < 20; i++) sq_server_poll(s, 5);
    spin_us = work_us;
    num_served = 0;
    memset(sent_before, 0, sizeof sent_before);
    char req[64];
    for (int i = 0; i < CONNS; i++) {
        int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", paths[i]);
        SQ_CHECK_EQ_INT(send(client_fd[i], req, (size_t)n, 0), n);
    }
    usleep(20000); /* all three requests are readable before the turn */
    sq_server_poll(s, 100);
    SQ_CHECK_EQ_INT(num_served, CONNS);
    if (deferred) {
        sq_respond(deferred, 200, NULL, 0, "ok", 2);
        deferred = NULL;
    }
    int missing = 0;
    char buf[512];
    for (int i = 0; i < CONNS; i++) {
        sq_test_collect(s, client_fd[i], buf, sizeof buf, "\r\n\r\nok");
        if (!strstr(buf, "\r\n\r\nok")) missing++;
        close(client_fd[i]);
    }
    sq_server_destroy(s);
    return missing;
}

/* Heavy requests (100 us each against a 5 us threshold; two of them stay
 * well under the 500 us maximum wait): no answer leaves before the third
 * request is served, and then all do. */
static void test_heavy_answers_leave_together(void) {
    SQ_CHECK_EQ_INT(serve_three(-1, -1, 100), 0);
    SQ_CHECK_EQ_INT(num_served, CONNS);
    SQ_CHECK_EQ_INT(sent_before[1][0], 0);
    SQ_CHECK_EQ_INT(sent_before[2][0], 0);
    SQ_CHECK_EQ_INT(sent_before[2][1], 0);
}

/* Cheap requests (a threshold of 10 ms): each answer leaves at once. */
static void test_cheap_answers_leave_at_once(void) {
    SQ_CHECK_EQ_INT(serve_three(0.01, -1, 0), 0);
    SQ_CHECK_EQ_INT(sent_before[1][0], 1);
    SQ_CHECK_EQ_INT(sent_before[2][0], 1);
    SQ_CHECK_EQ_INT(sent_before[2][1], 1);
}

/* A threshold of 0 turns batching off. */
static void test_zero_threshold_sends_at_once(void) {
    SQ_CHECK_EQ_INT(serve_three(0, -1, 200), 0);
    SQ_CHECK_EQ_INT(sent_before[1][0], 1);
    SQ_CHECK_EQ_INT(sent_before[2][1], 1);
}

/* Held answers wait no longer than the maximum: with 2 ms of work per
 * request and a 1 ms maximum, the second request's end finds the first
 * answer held too long and sends both, before the third is served. */
static void test_max_wait_bounds_the_hold(void) {
    SQ_CHECK_EQ_INT(serve_three(-1, 0.001, 2000), 0);
    SQ_CHECK_EQ_INT(sent_before[1][0], 0);
    SQ_CHECK_EQ_INT(sent_before[2][0], 1);
    SQ_CHECK_EQ_INT(sent_before[2][1], 1);
}

/* The maximum is also checked after input that left no answer: the
 * second request answers only after the turn, and its 2 ms of work still
 * sends the first answer, held 1 ms too long, before the third is served. */
static void test_max_wait_checked_without_an_answer(void) {
    defer_second = 1;
    SQ_CHECK_EQ_INT(serve_three(-1, 0.001, 2000), 0);
    defer_second = 0;
    SQ_CHECK_EQ_INT(sent_before[1][0], 0);
    SQ_CHECK_EQ_INT(sent_before[2][0], 1);
}

int main(void) {
    SQ_RUN(test_heavy_answers_leave_together);
    SQ_RUN(test_cheap_answers_leave_at_once);
    SQ_RUN(test_zero_threshold_sends_at_once);
    SQ_RUN(test_max_wait_bounds_the_hold);
    SQ_RUN(test_max_wait_checked_without_an_answer);
    return SQ_TEST_SUMMARY();
}
