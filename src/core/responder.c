/* Squall core: the responder (handler.h), usable from any thread.
 *
 * On the loop thread an answer is written straight into the connection's
 * output. From another thread it is copied into a completion item, queued on
 * the server under a mutex, and the loop is woken through its eventfd; the
 * loop applies the items in order. The last reference of an exchange is
 * therefore always dropped on the loop thread (see connection_internal.h). */
#include "connection_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sq__on_loop_thread(const sq_server *s) { return pthread_equal(pthread_self(), s->loop_thread); }

/* ---- exchange pool (loop thread) ---- */

sq_responder *sq__exchange_get(sq_server *s) {
    sq_responder *ex = s->ex_free;
    if (ex) {
        s->ex_free = ex->next_free;
        s->num_ex_free--;
    } else {
        ex = malloc(s->ex_size);
        if (!ex) return NULL;
        sq_arena_init(&ex->arena);
    }
    memset(ex, 0, offsetof(sq_responder, arena));
    atomic_init(&ex->refs, 1);
    atomic_init(&ex->gone, 0);
    atomic_init(&ex->handler_released, 0);
    atomic_init(&ex->want_writable, 0);
    atomic_init(&ex->queued, 0);
    atomic_init(&ex->stream_left, -1);
    ex->server = s;
    s->live_exchanges++;
    return ex;
}

void sq__exchange_unref(sq_responder *ex) {
    if (atomic_fetch_sub(&ex->refs, 1) != 1) return;
    sq_server *s = ex->server;
    free(ex->orphan_rbuf);
    ex->orphan_rbuf = NULL;
    s->live_exchanges--;
    if (s->num_ex_free >= SQ__EXCHANGE_FREE_MAX) {
        sq_arena_free(&ex->arena);
        free(ex);
        return;
    }
    sq_arena_reset(&ex->arena);
    ex->next_free = s->ex_free;
    s->ex_free = ex;
    s->num_ex_free++;
}

/* ---- loop-thread implementations ---- */

static int usable(sq_responder *ex) {
    return ex->conn && !ex->conn->broken && !atomic_load(&ex->gone);
}

static int head_for(sq_responder *ex, int status, const sq_header_out *h, size_t nh,
                    const char *block, size_t block_len, int framing, uint64_t clen) {
    sq__conn *c = ex->conn;
    if (ex->server->shutting_down) ex->keep_alive = 0; /* draining: this is the last answer */
    sq__head head = {0};
    head.status = status;
    head.headers = h;
    head.num_headers = nh;
    head.block = block;
    head.block_len = block_len;
    head.extra = ex->cors_lines.base;
    head.extra_len = ex->cors_lines.len;
    head.framing = framing;
    head.content_length = clen;
    head.conn_close = !ex->keep_alive;
    head.conn_keep_alive = ex->keep_alive && ex->parsed.version_minor == 0;
    return sq__write_head(ex->server, &c->out, &head);
}

static void complete(sq_responder *ex) {
    ex->complete = 1;
    ex->streaming = 0;
    sq__access_log(ex->server, ex->conn, ex);
    sq__conn_output_added(ex->conn);
    sq__conn_request_done(ex->conn);
}

int sq__respond_local(sq_responder *ex, int status, const sq_header_out *h, size_t nh,
                      const char *block, size_t block_len, const void *body, size_t body_len) {
    if (ex->answered) return SQ_ESTATE;
    if (!usable(ex)) return SQ_EGONE;
    sq__conn *c = ex->conn;
    int no_body = status < 200 || status == 204 || status == 304;
    int framing = no_body ? SQ__FRAME_NONE : SQ__FRAME_LENGTH;
    size_t head_start = c->out.len;
    if (head_for(ex, status, h, nh, block, block_len, framing, body_len) < 0) {
        sq__conn_close(c);
        return SQ_ENOMEM;
    }
    size_t head_end = head_start == 0 ? c->out.len : 0; /* 0: output was not empty */
    if (!no_body && !ex->req.is_head && body_len) {
        size_t done = 0;
        /* Nothing queued before this head: send head + body with one writev
         * instead of copying a big body (pipelined batches keep copying so
         * they leave in one write, in order). */
        if (body_len >= SQ__DIRECT_BODY_MIN && c->out_sent == 0 && c->out.len == head_end)
            done = sq__conn_send_with_body(c, body, body_len);
        if (done < body_len &&
            sq_buf_append(&c->out, (const char *)body + done, body_len - done) < 0) {
            sq__conn_close(c);
            return SQ_ENOMEM;
        }
    }
    ex->answered = 1;
    ex->status = status;
    ex->bytes_out = no_body || ex->req.is_head ? 0 : body_len;
    complete(ex);
    return 0;
}

static int respond_500(sq_responder *ex) {
    sq_buf body;
    sq_buf_init(&body);
    sq_problem_render(500, "Internal Server Error", "the handler produced an invalid response",
                      ex->server->cfg.problem_type_base, &body);
    static const char ct[] = "Content-Type: application/problem+json\r\n";
    int r = sq__respond_local(ex, 500, NULL, 0, ct, sizeof ct - 1, body.data, body.len);
    sq_buf_free(&body);
    return r;
}

/* `length` < 0: chunked (HTTP/1.1) or close-delimited (HTTP/1.0). */
static int stream_begin_local(sq_responder *ex, int status, const sq_header_out *h, size_t nh,
                              const char *block, size_t block_len, int64_t length) {
    if (ex->answered) return SQ_ESTATE;
    if (!usable(ex)) return SQ_EGONE;
    /* 204 and 304 have no body (RFC 9110 15.3.5, 15.4.5): no framing at
     * all, or the client would take the chunk terminator for the start of
     * the next response. */
    int no_body = status == 204 || status == 304;
    int sized = !no_body && length >= 0;
    int chunked = !no_body && !sized && ex->parsed.version_minor >= 1;
    if (!no_body && !sized && !chunked) ex->keep_alive = 0; /* HTTP/1.0: the end of the body is the close */
    int framing = no_body ? SQ__FRAME_NONE
                  : sized ? SQ__FRAME_LENGTH
                  : chunked ? SQ__FRAME_CHUNKED
                            : SQ__FRAME_CLOSE;
    if (head_for(ex, status, h, nh, block, block_len, framing, sized ? (uint64_t)length : 0) < 0) {
        sq__conn_close(ex->conn);
        return SQ_ENOMEM;
    }
    ex->answered = 1;
    ex->streaming = 1;
    ex->chunked = chunked;
    ex->drop_body = no_body || ex->req.is_head;
    ex->status = status;
    sq__conn_output_added(ex->conn);
    return 0;
}

static int over_high_water(sq_responder *ex) {
    if (!ex->conn) return 0;
    return sq__conn_backlog(ex->conn) + atomic_load(&ex->queued) > ex->server->high_water;
}

static int stream_write_local(sq_responder *ex, const void *data, size_t len) {
    if (!ex->streaming) return SQ_ESTATE;
    if (!usable(ex)) return SQ_EGONE;
    sq__conn *c = ex->conn;
    if (len && !ex->drop_body) {
        int r = 0;
        if (ex->chunked) {
            char size_line[24];
            int n = snprintf(size_line, sizeof size_line, "%zx\r\n", len);
            r |= sq_buf_append(&c->out, size_line, (size_t)n);
            r |= sq_buf_append(&c->out, data, len);
            r |= sq_buf_append(&c->out, "\r\n", 2);
        } else {
            r = sq_buf_append(&c->out, data, len);
        }
        if (r < 0) {
            sq__conn_close(c);
            return SQ_ENOMEM;
        }
        ex->bytes_out += len;
        sq__conn_output_added(c);
        if (!usable(ex)) return SQ_EGONE;
    }
    if (over_high_water(ex)) {
        atomic_store(&ex->want_writable, 1);
        return SQ_EAGAIN;
    }
    return 0;
}

static int stream_end_local(sq_responder *ex) {
    if (!ex->streaming) return SQ_ESTATE;
    if (!usable(ex)) return SQ_EGONE;
    if (ex->chunked && !ex->drop_body && sq_buf_append(&ex->conn->out, "0\r\n\r\n", 5) < 0) {
        sq__conn_close(ex->conn);
        return SQ_ENOMEM;
    }
    if (atomic_load(&ex->stream_left) > 0) {
        /* Short of the declared length (sq_stream_write keeps the count):
         * the client would wait for the rest, or read the next response as
         * it. What was written still goes out, then the close tells the
         * client its body is cut. */
        ex->keep_alive = 0;
        complete(ex);
        return SQ_EINVAL;
    }
    complete(ex);
    return 0;
}

/* The handler gave up its reference: answer 500 if nothing was sent; a
 * stream cut short can only be signalled by closing the connection. What
 * it wrote still goes out first (a chunked body then lacks its last chunk,
 * a sized one its last bytes: either way the client sees it cut). */
static void release_local(sq_responder *ex) {
    if (ex->complete || !usable(ex)) return;
    if (!ex->answered) {
        respond_500(ex);
        return;
    }
    ex->keep_alive = 0;
    complete(ex);
}

/* ---- completion queue (other threads -> loop) ---- */

static int enqueue_item(sq_responder *ex, int kind, int status, int invalid, const sq_header_out *h,
                        size_t nh, const void *body, size_t body_len, int64_t length) {
    sq_server *s = ex->server;
    size_t hl = invalid ? 0 : sq__headers_size(h, nh);
    sq__completion *item = malloc(sizeof *item + hl + body_len);
    if (!item) return SQ_ENOMEM;
    item->next = NULL;
    item->ex = ex;
    item->kind = kind;
    item->status = status;
    item->invalid = invalid;
    item->length = length;
    item->hdr_len = hl;
    item->body_len = body_len;
    if (hl) sq__headers_serialize(h, nh, item->data);
    if (body_len) memcpy(item->data + hl, body, body_len);
    pthread_mutex_lock(&s->cq_lock);
    int was_empty = s->cq_head == NULL;
    if (s->cq_tail) s->cq_tail->next = item;
    else s->cq_head = item;
    s->cq_tail = item;
    pthread_mutex_unlock(&s->cq_lock);
    /* One wake-up per batch: the loop takes the whole list at once. */
    if (was_empty) sq__loop_wake(&s->loop);
    return 0;
}

static int enqueue(sq_responder *ex, int kind, int status, int invalid, const sq_header_out *h,
                   size_t nh, const void *body, size_t body_len) {
    return enqueue_item(ex, kind, status, invalid, h, nh, body, body_len, -1);
}

void sq__run_completions(sq_server *s) {
    pthread_mutex_lock(&s->cq_lock);
    sq__completion *item = s->cq_head;
    s->cq_head = s->cq_tail = NULL;
    pthread_mutex_unlock(&s->cq_lock);
    while (item) {
        sq__completion *next = item->next;
        sq_responder *ex = item->ex;
        const char *block = item->data;
        const char *body = item->data + item->hdr_len;
        switch (item->kind) {
        case SQ__C_RESPOND:
            if (item->invalid) respond_500(ex);
            else sq__respond_local(ex, item->status, NULL, 0, block, item->hdr_len, body, item->body_len);
            sq__exchange_unref(ex);
            break;
        case SQ__C_BEGIN:
            if (item->invalid) respond_500(ex);
            else stream_begin_local(ex, item->status, NULL, 0, block, item->hdr_len, item->length);
            break;
        case SQ__C_WRITE:
            atomic_fetch_sub(&ex->queued, item->body_len);
            stream_write_local(ex, body, item->body_len);
            break;
        case SQ__C_END:
            stream_end_local(ex);
            sq__exchange_unref(ex);
            break;
        default:
            release_local(ex);
            sq__exchange_unref(ex);
            break;
        }
        free(item);
        item = next;
    }
}

void sq__free_completions(sq_server *s) {
    sq__run_completions(s);
}

/* ---- public API ---- */

/* A 1xx is interim (RFC 9110 15.2): sent as the answer, the client would
 * keep waiting for the final one and read the next response as it. */
static int final_status(int status) { return status >= 200 && status <= 999; }

void sq_responder_set_data(sq_responder *res, void *data) { res->data = data; }
void *sq_responder_get_data(const sq_responder *res) { return res->data; }
int sq_responder_is_gone(const sq_responder *res) { return atomic_load(&res->gone); }

int sq_respond(sq_responder *res, int status, const sq_header_out *headers, size_t num_headers,
               const void *body, size_t body_len) {
    int invalid = sq__headers_check(headers, num_headers) < 0 || !final_status(status);
    atomic_store(&res->handler_released, 1);
    if (!sq__on_loop_thread(res->server)) {
        if (atomic_load(&res->gone)) {
            enqueue(res, SQ__C_RELEASE, 0, 0, NULL, 0, NULL, 0);
            return SQ_EGONE;
        }
        int r = enqueue(res, SQ__C_RESPOND, status, invalid, headers, num_headers, body, body_len);
        if (r < 0) {
            /* Out of memory: the reference must still reach the loop. Spin
             * on a release item, which carries no payload. */
            while (enqueue(res, SQ__C_RELEASE, 0, 0, NULL, 0, NULL, 0) < 0) {
            }
            return r;
        }
        return invalid ? SQ_EINVAL : 0;
    }
    int r;
    if (invalid) {
        respond_500(res);
        r = SQ_EINVAL;
    } else {
        r = sq__respond_local(res, status, headers, num_headers, NULL, 0, body, body_len);
        if (r == SQ_ESTATE) r = SQ_EINVAL;
    }
    sq__exchange_unref(res);
    return r;
}

/* `length` < 0: chunked; below -1: a length that cannot be declared (the
 * answer is then refused like a bad header). */
static int stream_begin(sq_responder *res, int status, const sq_header_out *headers, size_t num_headers,
                        int64_t length) {
    int invalid = sq__headers_check(headers, num_headers) < 0 || !final_status(status) || length < -1;
    /* The bytes a declared length still owes, the one count sq_stream_write
     * checks (on any thread) and stream_end_local reads: none for a body
     * that is not sent (HEAD, 204, 304). The request view is the handler's
     * to read until it answers. */
    if (!invalid && length >= 0 && status != 204 && status != 304 && !res->req.is_head)
        atomic_store(&res->stream_left, length);
    if (!sq__on_loop_thread(res->server)) {
        if (atomic_load(&res->gone)) return SQ_EGONE;
        int r = enqueue_item(res, SQ__C_BEGIN, status, invalid, headers, num_headers, NULL, 0, length);
        if (r < 0) return r;
        return invalid ? SQ_EINVAL : 0;
    }
    if (invalid) {
        respond_500(res);
        return SQ_EINVAL;
    }
    return stream_begin_local(res, status, headers, num_headers, NULL, 0, length);
}

int sq_stream_begin(sq_responder *res, int status, const sq_header_out *headers, size_t num_headers) {
    return stream_begin(res, status, headers, num_headers, -1);
}

int sq_stream_begin_length(sq_responder *res, int status, const sq_header_out *headers, size_t num_headers,
                           uint64_t content_length) {
    return stream_begin(res, status, headers, num_headers,
                        content_length > (uint64_t)INT64_MAX ? -2 : (int64_t)content_length);
}

int sq_stream_write(sq_responder *res, const void *data, size_t len) {
    /* A declared length is checked here, on whatever thread writes, where
     * the caller hears the refusal: more would be read as the next
     * response. The bytes owed stay owed, so the end comes up short and the
     * connection closes. One thread at a time writes a stream. */
    long long left = atomic_load(&res->stream_left);
    if (left >= 0) {
        if ((unsigned long long)len > (unsigned long long)left) return SQ_EINVAL;
        atomic_store(&res->stream_left, left - (long long)len);
    }
    if (!sq__on_loop_thread(res->server)) {
        if (atomic_load(&res->gone)) return SQ_EGONE;
        /* Only the queued bytes are visible from here; the loop bounds the
         * socket backlog. The flag is raised before the item is queued so the
         * loop cannot drain it unseen and never call on_writable. */
        size_t after = atomic_fetch_add(&res->queued, len) + len;
        int full = after > res->server->high_water;
        if (full) atomic_store(&res->want_writable, 1);
        int r = enqueue(res, SQ__C_WRITE, 0, 0, NULL, 0, data, len);
        if (r < 0) {
            atomic_fetch_sub(&res->queued, len);
            return r;
        }
        return full ? SQ_EAGAIN : 0;
    }
    return stream_write_local(res, data, len);
}

int sq_stream_end(sq_responder *res) {
    atomic_store(&res->handler_released, 1);
    if (!sq__on_loop_thread(res->server)) {
        int gone = atomic_load(&res->gone);
        int short_body = atomic_load(&res->stream_left) > 0; /* the loop closes the connection */
        while (enqueue(res, gone ? SQ__C_RELEASE : SQ__C_END, 0, 0, NULL, 0, NULL, 0) < 0) {
        }
        return gone ? SQ_EGONE : short_body ? SQ_EINVAL : 0;
    }
    int r = stream_end_local(res);
    if (r == SQ_ESTATE) release_local(res);
    sq__exchange_unref(res);
    return r;
}

void sq_responder_release(sq_responder *res) {
    atomic_store(&res->handler_released, 1);
    if (!sq__on_loop_thread(res->server)) {
        while (enqueue(res, SQ__C_RELEASE, 0, 0, NULL, 0, NULL, 0) < 0) {
        }
        return;
    }
    release_local(res);
    sq__exchange_unref(res);
}
