/* Squall core (internal): one worker's event loop.
 *
 * epoll in edge-triggered mode for sockets, ONE timerfd for every deadline
 * and an eventfd that other threads write to wake the loop. Timers are kept
 * in intrusive FIFO lists, one per fixed duration (every header deadline is
 * header_timeout long, so a new one always goes at the tail): arming,
 * re-arming and cancelling are O(1), and the timerfd is only re-armed when
 * the earliest deadline moves earlier than the one already armed.
 *
 * Everything here runs on the loop thread, except sq__loop_wake(). */
#ifndef SQUALL_LOOP_INTERNAL_H
#define SQUALL_LOOP_INTERNAL_H

#include <stdint.h>

typedef struct sq__io sq__io;
typedef void (*sq__io_cb)(sq__io *io, uint32_t events);

/* A descriptor watched by the loop; embed it in the owning object. */
struct sq__io {
    int fd;
    sq__io_cb cb;
};

typedef struct sq__timer sq__timer;
typedef struct sq__timer_list sq__timer_list;
typedef void (*sq__timer_cb)(sq__timer *t);

/* Embed in the owning object; zero-initialise. */
struct sq__timer {
    sq__timer *_prev, *_next;
    sq__timer_list *_list; /* NULL when not armed */
    int64_t deadline_ms;
    sq__timer_cb cb;
};

/* All timers of one list share `duration_ms`, so the list stays sorted. */
struct sq__timer_list {
    sq__timer *_head, *_tail;
    int64_t duration_ms;
};

#define SQ__LOOP_MAX_LISTS 12

typedef struct sq__loop {
    int epfd;
    sq__io timer_io; /* the timerfd */
    sq__io wake_io;  /* the eventfd */
    int64_t now_ms;  /* monotonic, refreshed once per turn */
    int64_t armed_ms; /* deadline the timerfd is armed for, INT64_MAX: none */
    sq__timer_list *lists[SQ__LOOP_MAX_LISTS];
    int num_lists;
    void (*on_wake)(void *ctx); /* called on the loop thread after a wake-up */
    void *wake_ctx;
} sq__loop;

int sq__loop_init(sq__loop *l);
void sq__loop_close(sq__loop *l);

/* Edge-triggered registration: EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET unless
 * `events` says otherwise. */
int sq__loop_add(sq__loop *l, sq__io *io, uint32_t events);
int sq__loop_mod(sq__loop *l, sq__io *io, uint32_t events);
void sq__loop_del(sq__loop *l, sq__io *io);

/* Timer lists must be registered once (they live in the caller). */
void sq__loop_add_list(sq__loop *l, sq__timer_list *list, int64_t duration_ms);
/* (Re)arm `t` in `list`: deadline = now + list duration. */
void sq__timer_start(sq__loop *l, sq__timer_list *list, sq__timer *t);
void sq__timer_stop(sq__timer *t);
static inline int sq__timer_active(const sq__timer *t) { return t->_list != 0; }

int64_t sq__loop_now_ms(void);
int64_t sq__loop_now_ns(void); /* monotonic, for the send batching (connection.c) */
void sq__loop_update_time(sq__loop *l);

/* Milliseconds until the earliest timer, -1 if none. */
int sq__loop_next_timeout_ms(const sq__loop *l);

/* One turn: wait up to timeout_ms (-1: forever) then dispatch events and
 * expired timers. Returns the number of events or -1 (EINTR is 0). */
int sq__loop_turn(sq__loop *l, int timeout_ms);

/* Any thread, async-signal-safe: make the loop call on_wake. */
void sq__loop_wake(sq__loop *l);

#endif
