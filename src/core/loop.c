/* Squall core: the epoll loop, its single timerfd and its eventfd. */
#include "loop_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

int64_t sq__loop_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sq__loop_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sq__loop_update_time(sq__loop *l) { l->now_ms = sq__loop_now_ms(); }

static void on_timerfd(sq__io *io, uint32_t events) {
    (void)events;
    uint64_t n;
    /* Non-blocking: a spurious wake-up just reads nothing. */
    while (read(io->fd, &n, sizeof n) < 0 && errno == EINTR) {
    }
}

static void on_eventfd(sq__io *io, uint32_t events) {
    (void)events;
    sq__loop *l = (sq__loop *)((char *)io - offsetof(sq__loop, wake_io));
    uint64_t n;
    while (read(io->fd, &n, sizeof n) < 0 && errno == EINTR) {
    }
    if (l->on_wake) l->on_wake(l->wake_ctx);
}

int sq__loop_init(sq__loop *l) {
    memset(l, 0, sizeof *l);
    l->epfd = l->timer_io.fd = l->wake_io.fd = -1;
    l->armed_ms = INT64_MAX;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) goto error;
    l->timer_io.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (l->timer_io.fd < 0) goto error;
    l->timer_io.cb = on_timerfd;
    l->wake_io.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->wake_io.fd < 0) goto error;
    l->wake_io.cb = on_eventfd;
    if (sq__loop_add(l, &l->timer_io, EPOLLIN) < 0) goto error;
    if (sq__loop_add(l, &l->wake_io, EPOLLIN) < 0) goto error;
    sq__loop_update_time(l);
    return 0;
error:
    sq__loop_close(l);
    return -1;
}

void sq__loop_close(sq__loop *l) {
    if (l->timer_io.fd >= 0) close(l->timer_io.fd);
    if (l->wake_io.fd >= 0) close(l->wake_io.fd);
    if (l->epfd >= 0) close(l->epfd);
    l->epfd = l->timer_io.fd = l->wake_io.fd = -1;
}

int sq__loop_add(sq__loop *l, sq__io *io, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = io};
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, io->fd, &ev);
}

int sq__loop_mod(sq__loop *l, sq__io *io, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = io};
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void sq__loop_del(sq__loop *l, sq__io *io) {
    struct epoll_event ev = {0};
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, &ev);
}

void sq__loop_add_list(sq__loop *l, sq__timer_list *list, int64_t duration_ms) {
    list->_head = list->_tail = NULL;
    list->duration_ms = duration_ms < 0 ? 0 : duration_ms;
    if (l->num_lists < SQ__LOOP_MAX_LISTS) l->lists[l->num_lists++] = list;
}

void sq__timer_stop(sq__timer *t) {
    sq__timer_list *list = t->_list;
    if (!list) return;
    if (t->_prev) t->_prev->_next = t->_next;
    else list->_head = t->_next;
    if (t->_next) t->_next->_prev = t->_prev;
    else list->_tail = t->_prev;
    t->_prev = t->_next = NULL;
    t->_list = NULL;
}

void sq__timer_start(sq__loop *l, sq__timer_list *list, sq__timer *t) {
    sq__timer_stop(t);
    t->deadline_ms = l->now_ms + list->duration_ms;
    t->_list = list;
    t->_prev = list->_tail;
    t->_next = NULL;
    if (list->_tail) list->_tail->_next = t;
    else list->_head = t;
    list->_tail = t;
}

static int64_t earliest_deadline(const sq__loop *l) {
    int64_t best = INT64_MAX;
    for (int i = 0; i < l->num_lists; i++) {
        const sq__timer *h = l->lists[i]->_head;
        if (h && h->deadline_ms < best) best = h->deadline_ms;
    }
    return best;
}

int sq__loop_next_timeout_ms(const sq__loop *l) {
    int64_t d = earliest_deadline(l);
    if (d == INT64_MAX) return -1;
    int64_t now = sq__loop_now_ms();
    if (d <= now) return 0;
    return d - now > INT32_MAX ? INT32_MAX : (int)(d - now);
}

/* Arm the timerfd only when the earliest deadline is earlier than the one
 * already armed: a later armed deadline would miss it, an earlier one only
 * costs a spurious wake-up, after which this re-arms. */
static void arm_timerfd(sq__loop *l) {
    int64_t d = earliest_deadline(l);
    if (d == INT64_MAX || d >= l->armed_ms) return;
    struct itimerspec its = {0};
    /* Absolute CLOCK_MONOTONIC time; at least 1 ns so it is not "disarm". */
    its.it_value.tv_sec = d / 1000;
    its.it_value.tv_nsec = (d % 1000) * 1000000 + 1;
    if (timerfd_settime(l->timer_io.fd, TFD_TIMER_ABSTIME, &its, NULL) == 0) l->armed_ms = d;
}

static void run_timers(sq__loop *l) {
    for (int i = 0; i < l->num_lists; i++) {
        sq__timer_list *list = l->lists[i];
        sq__timer *t;
        while ((t = list->_head) != NULL && t->deadline_ms <= l->now_ms) {
            sq__timer_stop(t);
            if (t->cb) t->cb(t);
        }
    }
}

int sq__loop_turn(sq__loop *l, int timeout_ms) {
    struct epoll_event events[MAX_EVENTS];
    arm_timerfd(l);
    int n = epoll_wait(l->epfd, events, MAX_EVENTS, timeout_ms);
    if (n < 0) {
        if (errno != EINTR) return -1;
        n = 0;
    }
    sq__loop_update_time(l);
    for (int i = 0; i < n; i++) {
        sq__io *io = events[i].data.ptr;
        if (io == &l->timer_io) l->armed_ms = INT64_MAX;
        io->cb(io, events[i].events);
    }
    run_timers(l);
    arm_timerfd(l);
    return n;
}

void sq__loop_wake(sq__loop *l) {
    uint64_t one = 1;
    ssize_t r = write(l->wake_io.fd, &one, sizeof one);
    (void)r; /* EAGAIN: the counter is already non-zero, the loop will wake */
}
