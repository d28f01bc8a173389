/* The event loop: timer lists (order, stop, restart), the single timerfd
 * waking a blocking turn, fd callbacks, and the eventfd wake-up from another
 * thread. */
#include "sq_test.h"

#include "../../src/core/loop_internal.h"

#include <pthread.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct fired_timer {
    sq__timer t;
    int id;
    int *log;
    int *n;
} fired_timer;

static void record(sq__timer *t) {
    fired_timer *f = (fired_timer *)((char *)t - offsetof(fired_timer, t));
    f->log[(*f->n)++] = f->id;
}

static void test_timers_fire_in_deadline_order(void) {
    sq__loop l;
    SQ_CHECK_EQ_INT(sq__loop_init(&l), 0);
    sq__timer_list fast, slow;
    sq__loop_add_list(&l, &slow, 60);
    sq__loop_add_list(&l, &fast, 20);
    int log[8], n = 0;
    fired_timer a = {.id = 1, .log = log, .n = &n}, b = {.id = 2, .log = log, .n = &n},
                c = {.id = 3, .log = log, .n = &n};
    a.t.cb = b.t.cb = c.t.cb = record;
    sq__timer_start(&l, &slow, &a.t);
    sq__timer_start(&l, &fast, &b.t);
    sq__timer_start(&l, &fast, &c.t);
    sq__timer_stop(&c.t); /* stopped: never fires */
    SQ_CHECK(!sq__timer_active(&c.t));
    int next = sq__loop_next_timeout_ms(&l);
    SQ_CHECK(next >= 0 && next <= 20);
    int64_t start = sq__loop_now_ms();
    while (n < 2 && sq__loop_now_ms() - start < 2000) sq__loop_turn(&l, -1); /* timerfd wakes it */
    SQ_CHECK_EQ_INT(n, 2);
    SQ_CHECK_EQ_INT(log[0], 2);
    SQ_CHECK_EQ_INT(log[1], 1);
    SQ_CHECK(sq__loop_now_ms() - start >= 55);
    SQ_CHECK_EQ_INT(sq__loop_next_timeout_ms(&l), -1);
    sq__loop_close(&l);
}

static void test_restart_pushes_deadline(void) {
    sq__loop l;
    SQ_CHECK_EQ_INT(sq__loop_init(&l), 0);
    sq__timer_list list;
    sq__loop_add_list(&l, &list, 80);
    int log[4], n = 0;
    fired_timer a = {.id = 7, .log = log, .n = &n};
    a.t.cb = record;
    int64_t start = sq__loop_now_ms();
    sq__timer_start(&l, &list, &a.t);
    sq__loop_turn(&l, 40);                 /* 40 ms pass, nothing fires */
    SQ_CHECK_EQ_INT(n, 0);
    sq__timer_start(&l, &list, &a.t);      /* restart: deadline moves on */
    while (n == 0 && sq__loop_now_ms() - start < 2000) sq__loop_turn(&l, -1);
    SQ_CHECK_EQ_INT(n, 1);
    SQ_CHECK(sq__loop_now_ms() - start >= 115);
    sq__loop_close(&l);
}

static int woke;
static void on_wake(void *ctx) { woke += *(int *)ctx; }

static void *wake_from_thread(void *arg) {
    usleep(30000);
    sq__loop_wake(arg);
    return NULL;
}

static void test_wake_from_other_thread(void) {
    sq__loop l;
    SQ_CHECK_EQ_INT(sq__loop_init(&l), 0);
    int inc = 1;
    l.on_wake = on_wake;
    l.wake_ctx = &inc;
    woke = 0;
    pthread_t t;
    pthread_create(&t, NULL, wake_from_thread, &l);
    int64_t start = sq__loop_now_ms();
    while (!woke && sq__loop_now_ms() - start < 2000) sq__loop_turn(&l, -1); /* blocks until woken */
    pthread_join(t, NULL);
    SQ_CHECK_EQ_INT(woke, 1);
    /* Two wakes before a turn collapse into one callback. */
    sq__loop_wake(&l);
    sq__loop_wake(&l);
    sq__loop_turn(&l, 0);
    SQ_CHECK_EQ_INT(woke, 2);
    sq__loop_turn(&l, 0);
    SQ_CHECK_EQ_INT(woke, 2);
    sq__loop_close(&l);
}

typedef struct pipe_io {
    sq__io io;
    int hits;
    uint32_t last;
} pipe_io;

static void on_pipe(sq__io *io, uint32_t ev) {
    pipe_io *p = (pipe_io *)io;
    p->hits++;
    p->last = ev;
}

static void test_edge_triggered_fd(void) {
    sq__loop l;
    SQ_CHECK_EQ_INT(sq__loop_init(&l), 0);
    int fds[2];
    SQ_CHECK_EQ_INT(pipe(fds), 0);
    pipe_io p = {.io = {.fd = fds[0], .cb = on_pipe}};
    SQ_CHECK_EQ_INT(sq__loop_add(&l, &p.io, EPOLLIN | EPOLLET), 0);
    sq__loop_turn(&l, 0);
    SQ_CHECK_EQ_INT(p.hits, 0);
    SQ_CHECK_EQ_INT(write(fds[1], "x", 1), 1);
    sq__loop_turn(&l, 100);
    SQ_CHECK_EQ_INT(p.hits, 1);
    SQ_CHECK(p.last & EPOLLIN);
    sq__loop_turn(&l, 0); /* edge-triggered: unread data does not fire again */
    SQ_CHECK_EQ_INT(p.hits, 1);
    sq__loop_del(&l, &p.io);
    SQ_CHECK_EQ_INT(write(fds[1], "y", 1), 1);
    sq__loop_turn(&l, 0);
    SQ_CHECK_EQ_INT(p.hits, 1);
    close(fds[0]);
    close(fds[1]);
    sq__loop_close(&l);
}

int main(void) {
    SQ_RUN(test_timers_fire_in_deadline_order);
    SQ_RUN(test_restart_pushes_deadline);
    SQ_RUN(test_wake_from_other_thread);
    SQ_RUN(test_edge_triggered_fd);
    return SQ_TEST_SUMMARY();
}
