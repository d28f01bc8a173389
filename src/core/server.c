/* Squall core: the server of one worker: listening socket, accept with
 * pausing (max_connections, EMFILE), the loop turn, graceful shutdown. */
#include "connection_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERVER_OF(ptr, member) ((sq_server *)((char *)(ptr) - offsetof(sq_server, member)))

/* Past ~31 years a deadline is "never"; the clamp keeps the conversion
 * defined (a double beyond INT64_MAX, or NaN, cast to int64_t is UB). */
/* A positive deadline is at least 1 ms: rounded down to 0 it would expire
 * at once, the opposite of what a tiny-but-positive setting asks for. */
static int64_t secs_to_ms(double s) {
    if (!(s > 0)) return 0;
    if (s > 1e9) s = 1e9;
    int64_t ms = (int64_t)(s * 1000.0 + 0.5);
    return ms > 0 ? ms : 1;
}

/* ---- read buffer pool ---- */

char *sq__rbuf_get(sq_server *s) {
    if (s->num_rbuf_free) return s->rbuf_free[--s->num_rbuf_free];
    return malloc(SQ__RBUF_SIZE);
}

void sq__rbuf_put(sq_server *s, char *buf, size_t cap) {
    if (cap == SQ__RBUF_SIZE && s->num_rbuf_free < SQ__RBUF_FREE_MAX) s->rbuf_free[s->num_rbuf_free++] = buf;
    else free(buf);
}

/* ---- accepting ---- */

static void pause_accept(sq_server *s, int with_timer) {
    if (s->listening) {
        sq__loop_del(&s->loop, &s->listen_io);
        s->listening = 0;
    }
    s->accept_paused = 1;
    if (with_timer) sq__timer_start(&s->loop, &s->t_misc, &s->accept_timer);
}

static void resume_accept(sq_server *s) {
    if (s->shutting_down || s->listen_io.fd < 0 || s->listening) return;
    if (s->num_conns >= s->cfg.max_connections) return;
    if (sq__loop_add(&s->loop, &s->listen_io, EPOLLIN) == 0) {
        s->listening = 1;
        s->accept_paused = 0;
    }
}

static void on_accept_timer(sq__timer *t) { resume_accept(SERVER_OF(t, accept_timer)); }

void sq__server_conn_closed(sq_server *s) {
    if (s->accept_paused && !sq__timer_active(&s->accept_timer)) resume_accept(s);
}

static void on_listen(sq__io *io, uint32_t events) {
    (void)events; /* level-triggered: readable is all it can mean */
    sq_server *s = SERVER_OF(io, listen_io);
    for (int i = 0; i < SQ__ACCEPT_BATCH; i++) {
        if (s->num_conns >= s->cfg.max_connections) {
            pause_accept(s, 0); /* resumes when a connection closes */
            return;
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(io->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                pause_accept(s, 1); /* level-triggered: retrying now would spin */
            return;
        }
        sq__conn_accepted(s, fd, &ss, sl);
    }
}

static int open_listener(sq_server *s) {
    if (s->cfg.listen_fd >= 0) {
        int fl = fcntl(s->cfg.listen_fd, F_GETFL);
        if (fl < 0 || fcntl(s->cfg.listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) return SQ_EIO;
        return s->cfg.listen_fd;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof port, "%d", s->cfg.port);
    if (getaddrinfo(s->cfg.host, port, &hints, &res) != 0 || !res) return SQ_EINVAL;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (s->cfg.reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, s->cfg.backlog) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd < 0 ? SQ_EIO : fd;
}

/* ---- completions and wake-ups ---- */

static void on_wake(void *ctx) {
    sq_server *s = ctx;
    if (s->shutdown_requested) {
        s->shutdown_requested = 0;
        sq_server_shutdown(s);
    }
    sq__run_completions(s);
}

static void on_grace(sq__timer *t) {
    sq_server *s = SERVER_OF(t, grace_timer);
    s->grace_expired = 1;
    while (s->conns) sq__conn_close(s->conns); /* cancels what is still in flight */
}

static void on_signal(sq__io *io, uint32_t events) {
    (void)events; /* the signalfd is only ever readable */
    sq_server *s = SERVER_OF(io, signal_io);
    struct signalfd_siginfo si;
    while (read(io->fd, &si, sizeof si) == (ssize_t)sizeof si) sq_server_shutdown(s);
}

/* ---- lifecycle ---- */

/* The type base goes verbatim into every core-made problem (and the 422
 * renderer keeps a bounded copy), so it must be short and printable. */
static int problem_type_base_ok(const char *base) {
    if (!base) return 1;
    size_t n = strlen(base);
    if (n > SQ_PROBLEM_TYPE_BASE_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)base[i] < 0x20 || base[i] == 0x7f) return 0;
    return 1;
}

/* A batching time in ns: 0 for none (zero, negative, NaN), at most 1 s. */
static int64_t batch_ns(double seconds) {
    if (!(seconds > 0)) return 0;
    return seconds >= 1.0 ? 1000000000 : (int64_t)(seconds * 1e9);
}

sq_server *sq_server_create(const sq_config *cfg, const sq_handler *handler, int *err) {
    int e = SQ_ENOMEM;
    sq_server *s = calloc(1, sizeof *s);
    if (!s) goto error;
    s->cfg = *cfg;
    s->listen_io.fd = -1;
    s->signal_io.fd = -1;
    s->loop.epfd = -1;
    pthread_mutex_init(&s->cq_lock, NULL);
    s->host_copy = strdup(cfg->host ? cfg->host : "127.0.0.1");
    if (!s->host_copy) goto error;
    s->cfg.host = s->host_copy;
    if (cfg->server_name) {
        s->server_name_copy = strdup(cfg->server_name);
        if (!s->server_name_copy) goto error;
        s->cfg.server_name = s->server_name_copy;
    }
    e = SQ_EINVAL;
    if (!problem_type_base_ok(cfg->problem_type_base)) goto error;
    e = SQ_ENOMEM;
    s->problem_type_base_copy =
        strdup(cfg->problem_type_base ? cfg->problem_type_base : SQ_PROBLEM_TYPE_BASE_DEFAULT);
    if (!s->problem_type_base_copy) goto error;
    s->cfg.problem_type_base = s->problem_type_base_copy;
    s->cfg.cors = NULL; /* compiled below; the caller's struct is not kept */
    if (cfg->cors) {
        s->cors = sq__cors_compile(cfg->cors, &e);
        if (!s->cors) goto error;
        e = SQ_ENOMEM;
    }
    atomic_init(&s->unavailable, cfg->unavailable_retry_after < 0 ? -1 : cfg->unavailable_retry_after);
    if (s->cfg.max_headers == 0) s->cfg.max_headers = 1;
    if (s->cfg.max_connections == 0) s->cfg.max_connections = 1;
    s->handler = *handler;
    s->limits.max_request_line = s->cfg.max_request_line;
    s->limits.max_header_bytes = s->cfg.max_header_bytes;
    s->limits.max_headers = s->cfg.max_headers;
    s->climits.max_body = s->cfg.max_body;
    s->climits.max_chunk_ext = s->cfg.max_chunk_ext;
    s->climits.max_trailer_bytes = s->cfg.max_trailer_bytes;
    s->high_water = s->cfg.output_high_water ? s->cfg.output_high_water : 256 * 1024;
    s->batch_max_ns = batch_ns(s->cfg.send_batch_max_wait);
    /* holding for no time is not holding: no clock reads either */
    s->batch_ns = s->batch_max_ns ? batch_ns(s->cfg.send_batch_threshold) : 0;
    s->ex_size = sizeof(sq_responder) + s->cfg.max_headers * sizeof(sq_header_view);
    s->loop_thread = pthread_self();
    s->router = sq_router_new();
    if (!s->router) goto error;
    e = SQ_EIO;
    if (sq__loop_init(&s->loop) < 0) goto error;
    s->loop.on_wake = on_wake;
    s->loop.wake_ctx = s;
    sq__loop_add_list(&s->loop, &s->t_header, secs_to_ms(s->cfg.header_timeout));
    sq__loop_add_list(&s->loop, &s->t_body, secs_to_ms(s->cfg.body_timeout));
    sq__loop_add_list(&s->loop, &s->t_keepalive, secs_to_ms(s->cfg.keepalive_timeout));
    sq__loop_add_list(&s->loop, &s->t_write, secs_to_ms(s->cfg.write_timeout));
    sq__loop_add_list(&s->loop, &s->t_linger, SQ__LINGER_MS);
    sq__loop_add_list(&s->loop, &s->t_misc, SQ__ACCEPT_PAUSE_MS);
    sq__loop_add_list(&s->loop, &s->t_grace, secs_to_ms(s->cfg.grace));
    s->accept_timer.cb = on_accept_timer;
    s->grace_timer.cb = on_grace;
    int fd = open_listener(s);
    if (fd < 0) {
        e = fd;
        goto error;
    }
    s->listen_io.fd = fd;
    s->listen_io.cb = on_listen;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6) s->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    if (sq__loop_add(&s->loop, &s->listen_io, EPOLLIN) < 0) goto error;
    s->listening = 1;
    return s;
error:
    if (err) *err = e;
    if (s) sq_server_destroy(s);
    return NULL;
}

int sq_server_add_route(sq_server *s, const char *methods, const char *templ, void *route_data,
                        const struct sq_validator *validator, unsigned flags) {
    if (s->router_compiled) return SQ_ESTATE;
    return sq_router_add(s->router, methods, templ, route_data, validator, flags);
}

static int ensure_compiled(sq_server *s) {
    if (s->router_compiled) return 0;
    int r = sq_router_compile(s->router);
    if (r == 0) s->router_compiled = 1;
    return r;
}

/* Work deferred to the end of a turn: connections made ready during it,
 * the flush of output not already sent by on_io (answers given later in
 * the turn), then the memory of connections closed during the turn. */
void sq__server_end_turn(sq_server *s) {
    /* Held answers leave before the connections whose answers came later
     * continue: those may handle more heavy requests. */
    if (s->held_since_ns) sq__flush_pending(s);
    while (s->ready_list || s->flush_list) {
        while (s->ready_list) {
            sq__conn *c = s->ready_list;
            s->ready_list = c->ready_next;
            sq__conn_ready(c);
        }
        sq__flush_pending(s); /* skips connections on_io already flushed */
    }
    while (s->dead_list) {
        sq__conn *c = s->dead_list;
        s->dead_list = c->dead_next;
        sq__conn_free(c);
    }
}

int sq_server_poll(sq_server *s, int timeout_ms) {
    if (ensure_compiled(s) < 0) return SQ_ESTATE;
    /* Written only when the driving thread changes: responder calls on other
     * threads read it concurrently. */
    if (!pthread_equal(s->loop_thread, pthread_self())) s->loop_thread = pthread_self();
    s->in_turn = 1;
    int n = sq__loop_turn(&s->loop, timeout_ms);
    if (s->shutdown_requested) on_wake(s);
    sq__server_end_turn(s);
    s->in_turn = 0;
    return n < 0 ? SQ_EIO : n;
}

int sq_server_run(sq_server *s) {
    if (ensure_compiled(s) < 0) return SQ_ESTATE;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    s->signal_io.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    s->signal_io.cb = on_signal;
    if (s->signal_io.fd >= 0) sq__loop_add(&s->loop, &s->signal_io, EPOLLIN);
    int rc = 0;
    while (!(s->shutting_down && sq_server_is_drained(s))) {
        if (sq_server_poll(s, -1) < 0) {
            rc = SQ_EIO;
            break;
        }
    }
    if (s->signal_io.fd >= 0) {
        sq__loop_del(&s->loop, &s->signal_io);
        close(s->signal_io.fd);
        s->signal_io.fd = -1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int sq_server_fd(const sq_server *s) { return s->loop.epfd; }
int sq_server_next_timeout_ms(const sq_server *s) { return sq__loop_next_timeout_ms(&s->loop); }
int sq_server_port(const sq_server *s) { return s->port; }

void sq_server_shutdown(sq_server *s) {
    if (s->shutting_down) return;
    s->shutting_down = 1;
    if (s->listen_io.fd >= 0) {
        if (s->listening) sq__loop_del(&s->loop, &s->listen_io);
        s->listening = 0;
        if (s->listen_io.fd != s->cfg.listen_fd) close(s->listen_io.fd);
        s->listen_io.fd = -1;
    }
    sq__timer_stop(&s->accept_timer);
    sq__conn *c = s->conns;
    while (c) {
        sq__conn *next = c->next;
        sq__conn_shutdown_idle(c);
        c = next;
    }
    sq__loop_update_time(&s->loop);
    sq__timer_start(&s->loop, &s->t_grace, &s->grace_timer);
}

int sq_server_is_drained(const sq_server *s) {
    return s->shutting_down && s->num_conns == 0 && (s->live_exchanges == 0 || s->grace_expired);
}

void sq_server_request_shutdown(sq_server *s) {
    s->shutdown_requested = 1;
    sq__loop_wake(&s->loop);
}

void sq_server_destroy(sq_server *s) {
    if (!s) return;
    s->loop_thread = pthread_self();
    while (s->conns) sq__conn_close(s->conns);
    sq__free_completions(s);
    sq__server_end_turn(s);
    while (s->ex_free) {
        sq_responder *ex = s->ex_free;
        s->ex_free = ex->next_free;
        sq_arena_free(&ex->arena);
        free(ex);
    }
    s->num_ex_free = 0;
    while (s->num_rbuf_free) free(s->rbuf_free[--s->num_rbuf_free]);
    if (s->listen_io.fd >= 0 && s->listen_io.fd != s->cfg.listen_fd) close(s->listen_io.fd);
    if (s->loop.epfd >= 0) sq__loop_close(&s->loop);
    if (s->router) sq_router_free(s->router);
    pthread_mutex_destroy(&s->cq_lock);
    free(s->host_copy);
    free(s->server_name_copy);
    free(s->problem_type_base_copy);
    sq__cors_free(s->cors);
    free(s);
}

void sq_server_set_unavailable(sq_server *s, int retry_after) {
    atomic_store(&s->unavailable, retry_after < 0 ? -1 : retry_after);
}

int sq_server_unavailable(const sq_server *s) {
    return atomic_load(&((sq_server *)s)->unavailable);
}
