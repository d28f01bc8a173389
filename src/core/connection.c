/* Squall core: one HTTP/1.1 connection.
 *
 * Reading: edge-triggered; `readable` remembers an edge not yet drained. A
 * read that fills less than the free space drained the socket, so the next
 * edge will tell us about more (one read per batch, as nginx does).
 * Parsing: one request at a time, in order; the next one is parsed only
 * after the current one's answer is queued, so responses stay in request
 * order. When the handler answers synchronously, the rest of the buffer is
 * parsed in the same turn and the whole batch is flushed once at the end of
 * the turn (fast pipelining).
 * Writing: answers are appended to `out` and sent with one send() per batch;
 * a big body behind an empty output goes out with one sendmsg(head, body)
 * instead of being copied. A partial write waits for the EPOLLOUT edge.
 * Above output_high_water the connection stops parsing (back-pressure) and
 * streams get SQ_EAGAIN.
 * Re-entrancy: handler callbacks run only inside a loop turn. An answer that
 * completes later (another thread, or the embedder outside sq_server_poll)
 * is flushed at once but the next pipelined request is parsed at the end of
 * a turn, so on_request never runs inside sq_respond.
 * Memory: the read buffer is taken from the server's free-list when bytes
 * arrive and returned as soon as the connection is idle with nothing
 * buffered, so an idle keep-alive connection costs the struct (~200 bytes)
 * and a small output buffer. */
#include "connection_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { STEP_NEED = 0, STEP_PROGRESS, STEP_STOP };

static const char CONTINUE_100[] = "HTTP/1.1 100 Continue\r\n\r\n";
static const char PROBLEM_CT[] = "Content-Type: application/problem+json\r\n";
static const char JSON_CT[] = "Content-Type: application/json\r\n";

static void begin_linger(sq__conn *c);
static void schedule_ready(sq__conn *c);
static int core_reply(sq__conn *c, int status, const char *detail, const char *extra, int keep);

/* ---- timers ---- */

static sq__timer_list *list_for(sq_server *s, int kind) {
    switch (kind) {
    case SQ__T_HEADER: return &s->t_header;
    case SQ__T_BODY: return &s->t_body;
    case SQ__T_KEEPALIVE: return &s->t_keepalive;
    case SQ__T_WRITE: return &s->t_write;
    default: return &s->t_linger;
    }
}

/* Deadlines of one kind are absolute (header, keep-alive, linger) unless
 * `restart` says progress was made (body and write deadlines are idle ones). */
static void set_timer(sq__conn *c, int kind, int restart) {
    if (kind == SQ__T_NONE) {
        sq__timer_stop(&c->timer);
        c->timer_kind = SQ__T_NONE;
        return;
    }
    if (kind == c->timer_kind && sq__timer_active(&c->timer) && !restart) return;
    c->timer_kind = kind;
    sq__timer_start(&c->server->loop, list_for(c->server, kind), &c->timer);
}

static void update_timer(sq__conn *c) {
    if (c->closed) return;
    if (c->state == SQ__CS_LINGER) set_timer(c, SQ__T_LINGER, 0);
    /* A connection closing after its last answer (a 408 included) is
     * bounded by the write deadline until that answer has left. */
    else if (c->write_blocked || (c->close_after && sq__conn_backlog(c))) set_timer(c, SQ__T_WRITE, 0);
    else if (c->state == SQ__CS_IDLE) set_timer(c, SQ__T_KEEPALIVE, 0);
    else if (c->state == SQ__CS_HEAD) set_timer(c, SQ__T_HEADER, 0);
    else if (c->state == SQ__CS_BODY) set_timer(c, SQ__T_BODY, 0);
    else set_timer(c, SQ__T_NONE, 0); /* the handler has it: no deadline */
}

static void on_timer(sq__timer *t) {
    sq__conn *c = (sq__conn *)((char *)t - offsetof(sq__conn, timer));
    int kind = c->timer_kind;
    c->timer_kind = SQ__T_NONE;
    /* Every deadline ends the connection. A request that began but did not
     * arrive in time is told so first (408, RFC 9110 15.5.9), so its client
     * can tell a timeout from a crash; an idle keep-alive connection, a
     * stalled write or a linger just close. The reply is flushed like any
     * other and bounded by the write deadline. */
    if ((kind == SQ__T_HEADER || kind == SQ__T_BODY) && c->ex && !c->ex->answered) {
        core_reply(c, 408,
                   kind == SQ__T_HEADER ? "the request head did not arrive within the header deadline"
                                        : "the request body stalled past the body deadline",
                   NULL, 0);
        sq__conn_drive(c); /* flushes, then lingers and closes */
        return;
    }
    sq__conn_close(c);
}

/* ---- buffers ---- */

size_t sq__conn_backlog(const sq__conn *c) { return c->out.len - c->out_sent; }

static void rebase_slice(sq_slice *sl, uintptr_t old, size_t old_len, char *new_base, size_t shift) {
    uintptr_t b = (uintptr_t)sl->base;
    if (sl->base && b >= old && b <= old + old_len) sl->base = new_base + (b - old) - shift;
}

/* The read buffer moved (compaction by `shift` bytes and/or realloc): the
 * slices the parser already produced must follow. */
static void rebase(sq__conn *c, uintptr_t old, size_t old_len, size_t shift) {
    sq_responder *ex = c->ex;
    if (!ex) return;
    sq_http1_request *p = &ex->parsed;
    rebase_slice(&p->method, old, old_len, c->rbuf, shift);
    rebase_slice(&p->target, old, old_len, c->rbuf, shift);
    rebase_slice(&p->path, old, old_len, c->rbuf, shift);
    rebase_slice(&p->query, old, old_len, c->rbuf, shift);
    for (size_t i = 0; i < p->num_headers && i < p->headers_cap; i++) {
        rebase_slice(&p->headers[i].name, old, old_len, c->rbuf, shift);
        rebase_slice(&p->headers[i].value, old, old_len, c->rbuf, shift);
    }
}

static size_t rbuf_limit(const sq_server *s) {
    return s->cfg.max_header_bytes + s->cfg.max_body + SQ__RBUF_SIZE;
}

/* Make room for `total` bytes from rpos on (0: just some room). Returns 0,
 * or SQ_ETOOBIG past the limit, or SQ_ENOMEM. */
static int reserve(sq__conn *c, size_t total) {
    sq_server *s = c->server;
    if (!c->rbuf) {
        c->rbuf = sq__rbuf_get(s);
        if (!c->rbuf) return SQ_ENOMEM;
        c->rcap = SQ__RBUF_SIZE;
        c->rlen = c->rpos = 0;
    }
    size_t have = c->rlen - c->rpos;
    if (total == 0) total = have + 1;
    if (c->rcap - c->rpos >= total && c->rlen < c->rcap) return 0;
    uintptr_t old = (uintptr_t)c->rbuf;
    size_t old_len = c->rlen;
    if (c->rpos > 0) { /* compact first: the request moves to the front */
        size_t shift = c->rpos;
        memmove(c->rbuf, c->rbuf + shift, have);
        c->rlen = have;
        c->rpos = 0;
        if (c->body_pos >= shift) c->body_pos -= shift;
        rebase(c, old, old_len, shift);
        if (c->rcap >= total && c->rlen < c->rcap) return 0;
        old_len = c->rlen;
    }
    size_t cap = c->rcap;
    while (cap < total || cap <= c->rlen) cap *= 2;
    if (cap > rbuf_limit(s)) cap = rbuf_limit(s);
    if (cap < total || cap <= c->rlen) return SQ_ETOOBIG;
    char *nb;
    if (c->rcap == SQ__RBUF_SIZE) { /* pooled buffers go back to the pool */
        nb = malloc(cap);
        if (!nb) return SQ_ENOMEM;
        memcpy(nb, c->rbuf, c->rlen);
        sq__rbuf_put(s, c->rbuf, c->rcap);
    } else {
        nb = realloc(c->rbuf, cap);
        if (!nb) return SQ_ENOMEM;
    }
    c->rbuf = nb;
    c->rcap = cap;
    rebase(c, old, old_len, 0);
    return 0;
}

static void release_rbuf_if_idle(sq__conn *c) {
    if (c->rbuf && c->state == SQ__CS_IDLE && !c->ex && c->rpos == c->rlen) {
        sq__rbuf_put(c->server, c->rbuf, c->rcap);
        c->rbuf = NULL;
        c->rcap = c->rlen = c->rpos = 0;
    }
}

/* ---- answers the core gives itself ---- */

static void finish_exchange(sq__conn *c) {
    sq_responder *ex = c->ex;
    int keep = ex->keep_alive && !c->server->shutting_down;
    c->rpos = ex->req_end;
    if (!keep || c->rpos > c->rlen) {
        c->close_after = 1;
        c->rpos = c->rlen; /* nothing behind a closing request is served */
    }
    c->ex = NULL;
    ex->conn = NULL;
    sq__exchange_unref(ex);
    c->state = SQ__CS_IDLE;
    set_timer(c, SQ__T_NONE, 0);
    if (c->rpos == c->rlen) c->rpos = c->rlen = 0;
}

/* The {"error", "message"} body of a limit refusal or a 503: which limit,
 * with its configured value. Returns the error's title. */
static const char *limit_message(const sq_config *cfg, int status, const char *detail, char *msg,
                                 size_t cap) {
    switch (status) {
    case 413:
        snprintf(msg, cap, "Request body size exceeds maximum allowed size of %zu bytes", cfg->max_body);
        return "Payload Too Large";
    case 414:
        snprintf(msg, cap, "Request line exceeds maximum allowed size of %zu bytes", cfg->max_request_line);
        return "URI Too Long";
    case 431:
        if (detail == sq_http1_reason_too_many_headers)
            snprintf(msg, cap, "Request has more than %zu header fields", cfg->max_headers);
        else if (detail == sq_http1_reason_trailers_too_large)
            snprintf(msg, cap, "Request trailers exceed maximum allowed size of %zu bytes",
                     cfg->max_trailer_bytes);
        else
            snprintf(msg, cap, "Request headers exceed maximum allowed size of %zu bytes",
                     cfg->max_header_bytes);
        return "Request Header Fields Too Large";
    default:
        snprintf(msg, cap, "%s", detail ? detail : "The service is temporarily unavailable.");
        return "Service Unavailable";
    }
}

static int is_limit_status(int status) {
    return status == 413 || status == 414 || status == 431 || status == 503;
}

/* Answer with a problem+json body (or none for 204); limit refusals and 503
 * get {"error", "message"} instead (sq_error_render). `keep` 0 closes the
 * connection after the reply. Returns STEP_PROGRESS (the drive loop then
 * sees close_after or parses on). */
static int core_reply(sq__conn *c, int status, const char *detail, const char *extra, int keep) {
    sq_responder *ex = c->ex;
    if (!keep) ex->keep_alive = 0;
    sq_buf body;
    sq_buf_init(&body);
    char stack_block[512];
    char *block = stack_block;
    size_t bl = 0;
    size_t el = extra ? strlen(extra) : 0;
    if (el > sizeof stack_block - sizeof PROBLEM_CT) { /* a long Allow line */
        block = sq_arena_alloc(&ex->arena, el + sizeof PROBLEM_CT);
        if (!block) {
            sq__conn_close(c);
            return STEP_STOP;
        }
    }
    if (is_limit_status(status)) {
        char msg[160];
        const char *title = limit_message(&c->server->cfg, status, detail, msg, sizeof msg);
        sq_error_render(title, msg, &body);
        memcpy(block, JSON_CT, sizeof JSON_CT - 1);
        bl = sizeof JSON_CT - 1;
    } else if (status != 204) {
        sq_problem_render(status, sq__reason_phrase(status), detail, c->server->cfg.problem_type_base, &body);
        memcpy(block, PROBLEM_CT, sizeof PROBLEM_CT - 1);
        bl = sizeof PROBLEM_CT - 1;
    }
    if (el) {
        memcpy(block + bl, extra, el);
        bl += el;
    }
    int r = sq__respond_local(ex, status, NULL, 0, block, bl, body.data, body.len);
    sq_buf_free(&body);
    if (c->closed) return STEP_STOP;
    if (r < 0 || c->ex != ex) return STEP_STOP;
    finish_exchange(c);
    return STEP_PROGRESS;
}

static int parse_error(sq__conn *c, int status, const char *reason) {
    if (status < 400 || status > 599) status = 400;
    return core_reply(c, status, reason ? reason : "malformed request", NULL, 0);
}

/* ---- dispatch: route, validate, call the handler ---- */

static size_t count_pairs(sq_slice q) {
    size_t n = 1;
    for (size_t i = 0; i < q.len; i++) n += q.base[i] == '&' || q.base[i] == ';';
    return n;
}

/* The CORS policy's part: a preflight is answered here (no route runs);
 * any other request from an allowed origin gets its header lines, which
 * every answer to it carries (responder.c head_for). */
enum { STEP_CONTINUE = 100 };
static int answer_cors(sq__conn *c) {
    sq_responder *ex = c->ex;
    const char *why = NULL;
    int k = sq__cors_check(c->server->cors, &ex->parsed, &ex->arena, &ex->cors_lines, &why);
    switch (k) {
    case SQ__CORS_NOMEM: return core_reply(c, 500, "out of memory", NULL, 0);
    case SQ__CORS_PREFLIGHT_DENIED: {
        char detail[96];
        snprintf(detail, sizeof detail, "CORS preflight refused: %s", why);
        return core_reply(c, 403, detail, NULL, 1);
    }
    case SQ__CORS_PREFLIGHT_OK: {
        int r = sq__respond_local(ex, 200, NULL, 0, "", 0, "", 0);
        if (r < 0 || c->closed || c->ex != ex) return STEP_STOP;
        finish_exchange(c);
        return STEP_PROGRESS;
    }
    case SQ__CORS_ACTUAL: return STEP_CONTINUE;
    default: ex->cors_lines = (sq_slice){0}; return STEP_CONTINUE;
    }
}

static int dispatch_request(sq__conn *c) {
    sq_server *s = c->server;
    sq_responder *ex = c->ex;
    sq_http1_request *p = &ex->parsed;
    sq_request *rq = &ex->req;
    c->state = SQ__CS_HANDLER;
    set_timer(c, SQ__T_NONE, 0);
    ex->keep_alive = p->keep_alive && !s->shutting_down;
    rq->method = p->method;
    rq->target = p->target;
    rq->raw_path = p->path;
    rq->query = p->query.base ? p->query : SQ_SLICE_LIT("");
    rq->headers = p->headers;
    rq->num_headers = p->num_headers;
    rq->version_minor = p->version_minor;
    rq->is_head = p->method.len == 4 && memcmp(p->method.base, "HEAD", 4) == 0;
    rq->client_host.base = c->client_host;
    rq->client_host.len = c->client_host_len;
    rq->client_port = c->client_port;
    if (!rq->body.base) rq->body = SQ_SLICE_LIT("");

    if (s->cors) {
        int r = answer_cors(c);
        if (r != STEP_CONTINUE) return r;
    }
    int retry_after = atomic_load(&s->unavailable);
    if (retry_after >= 0) {
        char line[48];
        snprintf(line, sizeof line, "Retry-After: %d\r\n", retry_after);
        return core_reply(c, 503, "The service is temporarily unavailable. Please try again later.", line, 1);
    }

    /* "OPTIONS *" asks about the server, not a resource (RFC 9110 9.3.7):
     * a client's ping. The parser admits "*" only with OPTIONS. */
    if (p->path.len == 1 && p->path.base[0] == '*') return core_reply(c, 204, NULL, NULL, 1);

    char *path = sq_arena_alloc(&ex->arena, p->path.len + 1);
    if (!path) return core_reply(c, 500, "out of memory", NULL, 0);
    int dl = sq_percent_decode(p->path, path, 0);
    if (dl < 0) return parse_error(c, 400, "invalid percent-encoding in the path");
    rq->path.base = path;
    rq->path.len = (size_t)dl;

    if (rq->query.len) {
        size_t cap = count_pairs(rq->query);
        sq_query_pair *pairs = sq_arena_alloc(&ex->arena, cap * sizeof *pairs);
        char *scratch = sq_arena_alloc(&ex->arena, rq->query.len + 1);
        if (!pairs || !scratch) return core_reply(c, 500, "out of memory", NULL, 0);
        int nq = sq_query_split(rq->query, scratch, pairs, cap);
        if (nq < 0) return parse_error(c, 400, "invalid query string");
        rq->query_pairs = pairs;
        rq->num_query_pairs = (size_t)nq;
    }

    sq_route_match *m = &ex->match;
    sq_router_match(s->router, p->method, rq->path, m);
    if (m->status == SQ_ROUTE_NOT_FOUND) return core_reply(c, 404, "no route matches the path", NULL, 1);
    if (m->status == SQ_ROUTE_METHOD_NOT_ALLOWED) {
        /* The list has no bound (custom methods): sized, never truncated. */
        const char *methods = m->allow ? m->allow : "";
        size_t ml = strlen(methods);
        char *allow = sq_arena_alloc(&ex->arena, ml + sizeof "Allow: \r\n");
        if (!allow) return core_reply(c, 500, "out of memory", NULL, 0);
        memcpy(allow, "Allow: ", 7);
        memcpy(allow + 7, methods, ml);
        memcpy(allow + 7 + ml, "\r\n", 3); /* with the NUL */
        int is_options = p->method.len == 7 && memcmp(p->method.base, "OPTIONS", 7) == 0;
        if (is_options) return core_reply(c, 204, NULL, allow, 1);
        return core_reply(c, 405, "the method is not allowed for this path", allow, 1);
    }
    if (m->status == SQ_ROUTE_PARAM_INVALID && !m->route_extra)
        return core_reply(c, 404, "no route matches the path", NULL, 1);
    rq->route_data = m->route_data;
    rq->route_template = m->route_template;
    rq->params = m->params;
    rq->num_params = m->num_params;
    rq->validation = NULL;
    if (m->route_extra) {
        const sq_validator *v = m->route_extra;
        if (sq_validator_run(v, rq, &ex->arena, &ex->validation) < 0)
            return core_reply(c, 500, "out of memory", NULL, 0);
        rq->validation = &ex->validation;
        if (ex->validation.num_errors > 0 && !(m->route_flags & SQ_ROUTE_WANTS_ERRORS)) {
            sq_buf body;
            sq_buf_init(&body);
            int st = ex->validation.status ? ex->validation.status : 422;
            if (sq_problem_render_validation(&ex->validation, c->server->cfg.problem_type_base, &body) < 0) {
                sq_buf_free(&body);
                return core_reply(c, 500, "out of memory", NULL, 0);
            }
            int r = sq__respond_local(ex, st, NULL, 0, PROBLEM_CT, sizeof PROBLEM_CT - 1, body.data,
                                      body.len);
            sq_buf_free(&body);
            if (r < 0 || c->closed) return STEP_STOP;
            finish_exchange(c);
            return STEP_PROGRESS;
        }
    }
    atomic_fetch_add(&ex->refs, 1); /* the handler's reference */
    s->handler.on_request(s->handler.ctx, rq, ex);
    if (c->closed) return STEP_STOP;
    if (c->ex == ex && ex->complete) {
        finish_exchange(c);
        return STEP_PROGRESS;
    }
    return STEP_STOP; /* answered later */
}

/* dispatch_request, timed when answers may be batched: the time a request
 * takes from routing to the handler's return (validation and a synchronous
 * handler included, reading the socket not) decides whether its answer is
 * held (send_or_hold). */
static int dispatch(sq__conn *c) {
    sq_server *s = c->server;
    s->dispatched++;
    if (!s->batch_ns) return dispatch_request(c);
    int64_t started = sq__loop_now_ns();
    int rc = dispatch_request(c);
    s->clock_ns = sq__loop_now_ns();
    s->work_ns += s->clock_ns - started;
    return rc;
}

/* ---- parsing ---- */

static int parse_step(sq__conn *c) {
    sq_server *s = c->server;
    sq_responder *ex = c->ex;
    if (c->state == SQ__CS_IDLE || c->state == SQ__CS_HEAD) {
        if (!ex) {
            ex = sq__exchange_get(s);
            if (!ex) {
                sq__conn_close(c);
                return STEP_STOP;
            }
            c->ex = ex;
            ex->conn = c;
            sq_http1_request_init(&ex->parsed, ex->headers, s->cfg.max_headers);
        }
        c->state = SQ__CS_HEAD;
        int r = sq_http1_parse_request(c->rbuf + c->rpos, c->rlen - c->rpos, &ex->parsed, &s->limits);
        if (r == SQ_EINCOMPLETE) return STEP_NEED;
        if (r <= 0) return parse_error(c, ex->parsed.error_status, ex->parsed.error_reason);
        sq_http1_request *p = &ex->parsed;
        ex->head_len = (size_t)r;
        size_t body_start = c->rpos + ex->head_len;
        if (p->chunked) {
            sq_chunked_decoder_init(&ex->chunk);
            c->body_pos = body_start;
        } else if (p->content_length > 0) {
            if ((uint64_t)p->content_length > s->cfg.max_body)
                return core_reply(c, 413, "the request body is larger than the limit", NULL, 0);
            c->body_pos = body_start + (size_t)p->content_length;
        } else {
            ex->req.body = SQ_SLICE_LIT("");
            ex->req_end = body_start;
            return dispatch(c);
        }
        c->state = SQ__CS_BODY;
        set_timer(c, SQ__T_BODY, 1);
        /* 100 Continue only when the client waits for it: not when some of
         * the body already arrived (RFC 9110 10.1.1 lets us omit it). */
        int started = c->rlen > body_start;
        if (p->expect_continue && p->version_minor >= 1 && !started) {
            if (sq_buf_append(&c->out, CONTINUE_100, sizeof CONTINUE_100 - 1) < 0) {
                sq__conn_close(c);
                return STEP_STOP;
            }
            sq__conn_output_added(c);
        }
    }
    /* SQ__CS_BODY */
    if (!ex->parsed.chunked) {
        size_t body_start = c->rpos + ex->head_len;
        if (c->rlen >= c->body_pos) {
            ex->req.body.base = c->rbuf + body_start;
            ex->req.body.len = c->body_pos - body_start;
            ex->req_end = c->body_pos;
            return dispatch(c);
        }
        int r = reserve(c, c->body_pos - c->rpos);
        if (r < 0) return core_reply(c, r == SQ_ETOOBIG ? 413 : 503, "cannot buffer the body", NULL, 0);
        return STEP_NEED;
    }
    size_t n = c->rlen - c->body_pos;
    if (n == 0) return STEP_NEED;
    int r = sq_chunked_decode(&ex->chunk, c->rbuf + c->body_pos, &n, &s->climits);
    if (r == SQ_EINCOMPLETE) {
        c->body_pos += n;
        c->rlen = c->body_pos; /* the framing bytes are consumed: reuse their room */
        return STEP_NEED;
    }
    if (r < 0) return parse_error(c, ex->chunk.error_status, ex->chunk.error_reason);
    size_t body_start = c->rpos + ex->head_len;
    c->body_pos += n;
    c->rlen = c->body_pos + (size_t)r;
    ex->req.body.base = c->rbuf + body_start;
    ex->req.body.len = c->body_pos - body_start;
    ex->req_end = c->body_pos;
    return dispatch(c);
}

/* ---- closing ---- */

void sq__conn_close(sq__conn *c) {
    if (c->closed) return;
    sq_server *s = c->server;
    c->closed = 1;
    sq_responder *ex = c->ex;
    if (ex) {
        c->ex = NULL;
        if (c->state == SQ__CS_HANDLER && !ex->complete) {
            atomic_store(&ex->gone, 1);
            if (!atomic_load(&ex->handler_released) && s->handler.on_cancel)
                s->handler.on_cancel(s->handler.ctx, ex);
        }
        ex->conn = NULL;
        if (atomic_load(&ex->refs) > 1 && c->rbuf) {
            /* The handler still reads the request view: it keeps the buffer. */
            ex->orphan_rbuf = c->rbuf;
            c->rbuf = NULL;
        }
        sq__exchange_unref(ex);
    }
    sq__timer_stop(&c->timer);
    close(c->io.fd);
    if (c->rbuf) sq__rbuf_put(s, c->rbuf, c->rcap);
    c->rbuf = NULL;
    sq_buf_free(&c->out);
    if (c->prev) c->prev->next = c->next;
    else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->num_conns--;
    c->dead_next = s->dead_list;
    s->dead_list = c;
    sq__server_conn_closed(s);
}

void sq__conn_free(sq__conn *c) { free(c); }

/* After the last response: shut our side, drain what the client still sends
 * (a pipelined request behind a bad one) so the kernel does not answer it
 * with a RST that could destroy the response in flight, then close. */
static void linger_read(sq__conn *c) {
    char sink[4096];
    for (;;) {
        ssize_t n = recv(c->io.fd, sink, sizeof sink, 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->readable = 0;
            return;
        }
        sq__conn_close(c); /* EOF or error */
        return;
    }
}

static void begin_linger(sq__conn *c) {
    if (c->state == SQ__CS_LINGER || c->closed) return;
    if (c->peer_closed && !c->readable) {
        sq__conn_close(c);
        return;
    }
    c->state = SQ__CS_LINGER;
    shutdown(c->io.fd, SHUT_WR);
    set_timer(c, SQ__T_LINGER, 1);
    if (c->rbuf) {
        sq__rbuf_put(c->server, c->rbuf, c->rcap);
        c->rbuf = NULL;
        c->rcap = c->rlen = c->rpos = 0;
    }
    linger_read(c);
}

/* ---- the driver ---- */

void sq__conn_drive(sq__conn *c) {
    if (c->closed || c->in_drive) return;
    sq_server *s = c->server;
    c->in_drive = 1;
    for (;;) {
        if (c->closed) break;
        if (c->state == SQ__CS_LINGER) {
            if (c->readable) linger_read(c);
            break;
        }
        if (c->state == SQ__CS_HANDLER) {
            /* The client left while the handler works: cancel it (like
             * nginx's 499). An answer already queued is still flushed. */
            if (c->peer_closed && !(c->ex && c->ex->complete)) sq__conn_close(c);
            break;
        }
        if (c->close_after) break;
        if (sq__conn_backlog(c) > s->high_water) {
            c->bp_paused = 1;
            break;
        }
        if (c->rpos < c->rlen) {
            int r = parse_step(c);
            if (r == STEP_PROGRESS) continue;
            if (r == STEP_STOP) break;
        }
        if (!c->readable) {
            break;
        }
        int rr = reserve(c, 0);
        if (rr < 0) {
            if (!c->ex) { /* nothing to answer on */
                sq__conn_close(c);
                break;
            }
            int st = c->state == SQ__CS_BODY ? 413 : 431;
            if (rr == SQ_ENOMEM) st = 503;
            core_reply(c, st, "the request is larger than the server accepts", NULL, 0);
            continue;
        }
        size_t space = c->rcap - c->rlen;
        ssize_t n = recv(c->io.fd, c->rbuf + c->rlen, space, 0);
        if (n > 0) {
            c->rlen += (size_t)n;
            /* A short read drained the socket, unless the peer's FIN came
             * in the same edge: then the EOF is still to be read and no new
             * edge will announce it. */
            if ((size_t)n < space && !c->peer_closed) c->readable = 0;
            if (c->state == SQ__CS_BODY) set_timer(c, SQ__T_BODY, 1);
            continue;
        }
        if (n == 0) {
            c->readable = 0;
            c->peer_closed = 1;
            if (c->state == SQ__CS_HEAD || c->state == SQ__CS_BODY || sq__conn_backlog(c) == 0) {
                sq__conn_close(c); /* incomplete request, or nothing left to send */
                break;
            }
            c->close_after = 1;
            break;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            c->readable = 0;
            break;
        }
        sq__conn_close(c);
        break;
    }
    c->in_drive = 0;
    if (c->closed) return;
    if (sq__conn_backlog(c)) sq__conn_output_added(c);
    else if (c->close_after && !c->ex) begin_linger(c);
    if (c->closed) return;
    update_timer(c);
    release_rbuf_if_idle(c);
}

/* ---- writing ---- */

void sq__conn_output_added(sq__conn *c) {
    if (!c || c->closed) return;
    sq_server *s = c->server;
    if (s->in_turn) {
        if (!c->in_flush) {
            c->in_flush = 1;
            c->flush_next = s->flush_list;
            s->flush_list = c;
        }
        return;
    }
    sq__conn_flush(c); /* outside a loop turn nobody would flush later */
}

void sq__conn_flush(sq__conn *c) {
    if (c->closed || c->broken) return;
    sq_server *s = c->server;
    int progress = 0;
    while (c->out_sent < c->out.len) {
        size_t want = c->out.len - c->out_sent;
        ssize_t n = send(c->io.fd, c->out.data + c->out_sent, want, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (size_t)n;
            progress = 1;
            if ((size_t)n < want) { /* the socket buffer is full: wait for EPOLLOUT */
                c->write_blocked = 1;
                break;
            }
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->write_blocked = 1;
            break;
        }
        if (!s->in_turn) { /* inside a responder call: cancel from the loop, not from here */
            c->broken = 1;
            c->out.len = c->out_sent = 0;
            schedule_ready(c);
            return;
        }
        sq__conn_close(c); /* EPIPE, ECONNRESET: the client is gone */
        return;
    }
    if (c->out_sent == c->out.len) {
        c->out.len = c->out_sent = 0;
        c->write_blocked = 0;
        /* Keep the buffer for the next batch (no malloc per request), but
         * not a big one: between requests at most SQ__OUT_KEEP_IDLE, so an
         * idle keep-alive connection stays under its memory budget after a
         * large response or a pipelined burst. */
        if (c->out.cap > (c->ex ? SQ__OUT_KEEP_BUSY : SQ__OUT_KEEP_IDLE)) {
            sq_buf_free(&c->out);
            sq_buf_init(&c->out);
        }
    }
    if (c->write_blocked) {
        set_timer(c, SQ__T_WRITE, progress);
        return;
    }
    if (c->timer_kind == SQ__T_WRITE) update_timer(c);
    sq_responder *ex = c->ex;
    if (ex && ex->streaming && atomic_load(&ex->want_writable) && s->in_turn &&
        sq__conn_backlog(c) + atomic_load(&ex->queued) <= s->high_water) {
        atomic_store(&ex->want_writable, 0);
        if (s->handler.on_writable) s->handler.on_writable(s->handler.ctx, ex);
        if (c->closed) return;
    }
    if (c->close_after && !c->ex && sq__conn_backlog(c) == 0) {
        begin_linger(c);
        return;
    }
    if (c->bp_paused && sq__conn_backlog(c) <= s->high_water) {
        c->bp_paused = 0;
        sq__conn_drive(c);
    }
}

static void schedule_ready(sq__conn *c) {
    sq_server *s = c->server;
    if (!c->in_ready) {
        c->in_ready = 1;
        c->ready_next = s->ready_list;
        s->ready_list = c;
    }
    if (!s->in_turn) sq__loop_wake(&s->loop); /* the embedder's next poll continues */
}

size_t sq__conn_send_with_body(sq__conn *c, const void *body, size_t len) {
    if (c->closed || c->broken || c->write_blocked) return 0;
    size_t head = sq__conn_backlog(c);
    struct iovec iov[2] = {{c->out.data + c->out_sent, head}, {(void *)body, len}};
    /* sendmsg, not writev: only sendmsg takes MSG_NOSIGNAL, and the library
     * must not raise SIGPIPE in an application that did not ignore it. */
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t n;
    do {
        n = sendmsg(c->io.fd, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return 0; /* EAGAIN or an error: the normal flush sees it */
    size_t sent = (size_t)n;
    if (sent < head) {
        c->out_sent += sent;
        return 0;
    }
    c->out.len = c->out_sent = 0;
    return sent - head;
}

void sq__conn_request_done(sq__conn *c) {
    if (!c || c->closed || c->in_drive) return; /* the drive loop picks it up */
    if (c->state != SQ__CS_HANDLER || !c->ex || !c->ex->complete) return;
    /* Parsing the next pipelined request would call on_request from inside
     * sq_respond; continue at the end of the turn instead. */
    schedule_ready(c);
}

void sq__conn_ready(sq__conn *c) {
    c->in_ready = 0;
    if (c->closed) return;
    if (c->broken) {
        sq__conn_close(c);
        return;
    }
    if (c->state == SQ__CS_HANDLER && c->ex && c->ex->complete) finish_exchange(c);
    sq__conn_drive(c);
}

void sq__conn_shutdown_idle(sq__conn *c) {
    if (c->closed) return;
    if (c->state == SQ__CS_IDLE && !c->ex && c->rpos == c->rlen) {
        if (sq__conn_backlog(c) == 0) sq__conn_close(c);
        else c->close_after = 1;
    }
}

/* ---- accepting ---- */

/* Called after a connection's input was handled and left output to send.
 *
 * A cheap answer (a whole pipelined batch included) leaves now, in one
 * send, rather than after every other ready connection of the turn has
 * been served: the client reads it while the loop serves the others, and
 * holding it only adds the rest of the turn to its latency (measured: on
 * /json, holding every answer to the end of the turn raised p99 at 64
 * connections by 0.1-0.2 ms and gained nothing, the client being the
 * bottleneck).
 *
 * Answers to CPU-heavy requests (on average at least
 * cfg.send_batch_threshold each, wall time in dispatch: validation, a
 * synchronous handler, and in the Python server any wait for the GIL) are
 * held until the end of the turn instead, or until a cheap answer goes
 * out, or until the oldest has waited cfg.send_batch_max_wait (checked
 * after each connection's input has been handled, and before the end of
 * the turn continues connections whose answers came later). Between
 * heavy requests each send's kernel work (on loopback, also the client's
 * receive path and its wake-up) evicts the caches the next request needs;
 * sent together they cost less. Measured on the validated 1.5 KB POST at
 * 64 connections (docs/benchmarks/profile.md): about 1 us less kernel time
 * per request, 10-13% more requests per second, p99 no worse. */
static void send_or_hold(sq_server *s, sq__conn *c, int64_t work_ns, uint64_t requests) {
    if (s->batch_ns && requests > 0 && work_ns >= s->batch_ns * (int64_t)requests) {
        /* s->clock_ns: when the last of these requests was handled (a
         * pipelined batch's earlier answers count from there too) */
        if (s->held_since_ns == 0) s->held_since_ns = s->clock_ns;
        if (s->clock_ns - s->held_since_ns < s->batch_max_ns) return; /* on the flush list */
    }
    /* Send it, and whatever was held. */
    if (s->flush_list != c || c->flush_next != NULL) {
        sq__flush_pending(s);
        return;
    }
    s->held_since_ns = 0;
    sq__conn_flush(c); /* it stays on the flush list for answers added later in the turn */
}

void sq__flush_pending(sq_server *s) {
    s->held_since_ns = 0;
    while (s->flush_list) {
        sq__conn *f = s->flush_list;
        s->flush_list = f->flush_next;
        f->in_flush = 0;
        if (!f->closed && sq__conn_backlog(f)) sq__conn_flush(f);
    }
}

static void on_io(sq__io *io, uint32_t events) {
    sq__conn *c = (sq__conn *)io;
    if (c->closed) return;
    if (events & EPOLLERR) {
        sq__conn_close(c);
        return;
    }
    if ((events & EPOLLOUT) && sq__conn_backlog(c)) {
        c->write_blocked = 0;
        sq__conn_flush(c);
        if (c->closed) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
        c->readable = 1;
        if (events & (EPOLLRDHUP | EPOLLHUP)) c->peer_closed = 1;
        sq_server *s = c->server;
        uint64_t dispatched = s->dispatched;
        int64_t work = s->work_ns;
        sq__conn_drive(c);
        if (!c->closed && c->in_flush && sq__conn_backlog(c))
            send_or_hold(s, c, s->work_ns - work, s->dispatched - dispatched);
        else if (s->held_since_ns && sq__loop_now_ns() - s->held_since_ns >= s->batch_max_ns)
            sq__flush_pending(s); /* no answer from this input, but the held ones waited long enough */
    }
}

void sq__conn_accepted(sq_server *s, int fd, const void *sa, unsigned salen) {
    sq__conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->io.fd = fd;
    c->io.cb = on_io;
    c->timer.cb = on_timer;
    c->server = s;
    sq_buf_init(&c->out);
    const struct sockaddr *addr = sa;
    if (salen >= sizeof(struct sockaddr_in) && addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = sa;
        inet_ntop(AF_INET, &in->sin_addr, c->client_host, sizeof c->client_host);
        c->client_port = ntohs(in->sin_port);
    } else if (salen >= sizeof(struct sockaddr_in6) && addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, c->client_host, sizeof c->client_host);
        c->client_port = ntohs(in6->sin6_port);
    }
    c->client_host_len = (uint8_t)strlen(c->client_host);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (sq__loop_add(&s->loop, &c->io, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
        close(fd);
        free(c);
        return;
    }
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->num_conns++;
    set_timer(c, SQ__T_KEEPALIVE, 1);
}
