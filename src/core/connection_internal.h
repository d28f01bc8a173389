/* Squall core (internal): the server, its connections and the per-request
 * exchange (which is also the public sq_responder).
 *
 * Threading: everything runs on the loop thread except the responder entry
 * points, which may be called from any thread. A foreign thread never
 * touches a connection: it copies its answer into a completion item, queues
 * it on the server (mutex) and wakes the loop (eventfd); the loop applies it.
 * So the last reference to an exchange is always dropped on the loop thread,
 * which lets exchanges and read buffers live on loop-owned free-lists.
 *
 * Lifetime: a connection that closes while its exchange is still held by a
 * handler hands its read buffer over to the exchange (the request view points
 * into it); both are released when the exchange's last reference goes. */
#ifndef SQUALL_CONNECTION_INTERNAL_H
#define SQUALL_CONNECTION_INTERNAL_H

#include "cors.h"
#include "loop_internal.h"
#include "squall/arena.h"
#include "squall/http1_parser.h"
#include "squall/json.h"
#include "squall/router.h"
#include "squall/server.h"
#include "squall/validator.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#define SQ__RBUF_SIZE (16 * 1024)
#define SQ__RBUF_FREE_MAX 256
/* Spare exchanges kept for reuse. A connection holds one exchange at a time
 * (pipelined requests wait in its read buffer), so this covers 1,024 busy
 * connections without a malloc; past it exchanges are freed, and a spike of
 * 10,000 does not pin ~8 KiB each for the worker's life. */
#define SQ__EXCHANGE_FREE_MAX 1024
#define SQ__LINGER_MS 2000
#define SQ__ACCEPT_PAUSE_MS 100
#define SQ__ACCEPT_BATCH 64
#define SQ__OUT_KEEP_IDLE (4 * 1024)  /* output buffer kept by a connection between requests */
#define SQ__OUT_KEEP_BUSY (64 * 1024) /* ... and while a request is in progress */

typedef struct sq__date_cache {
    time_t second;
    size_t len;
    char line[64]; /* "Date: Thu, 26 Nov 2026 04:05:19 GMT\r\n" */
} sq__date_cache;

/* Returns the current Date header line (ends in CRLF), NUL-terminated. */
const char *sq__date_line(sq__date_cache *dc);

typedef struct sq__conn sq__conn;

enum sq__conn_state {
    SQ__CS_IDLE = 0, /* between requests: nothing of the next one received */
    SQ__CS_HEAD,     /* part of a request head received */
    SQ__CS_BODY,     /* head done, reading the body */
    SQ__CS_HANDLER,  /* request handed to the handler, waiting for its answer */
    SQ__CS_LINGER    /* response sent, write side shut, draining input before close */
};

enum sq__timer_kind { SQ__T_NONE = 0, SQ__T_HEADER, SQ__T_BODY, SQ__T_KEEPALIVE, SQ__T_WRITE, SQ__T_LINGER };

/* The exchange: one request and its answer. Public name: sq_responder. */
struct sq_responder {
    atomic_int refs;             /* the connection's + the handler's */
    atomic_int gone;             /* client went away / cancelled */
    atomic_int handler_released; /* handler gave its reference back (any thread) */
    atomic_int want_writable;    /* a stream write returned SQ_EAGAIN */
    atomic_size_t queued;        /* stream bytes waiting in the completion queue */
    atomic_llong stream_left;    /* sq_stream_begin_length: body bytes still owed, counted by
                                  * sq_stream_write on the writing thread; -1 unsized */
    void *data;                  /* sq_responder_set_data */
    sq_server *server;
    sq__conn *conn;              /* loop thread only; NULL once detached */
    char *orphan_rbuf;           /* the read buffer, kept after the connection closed */
    sq_responder *next_free;

    /* Loop-thread state of the answer. */
    int answered;     /* a response head has been queued */
    int complete;     /* the answer is complete (respond / stream_end / core reply) */
    int streaming;    /* stream_begin done, stream_end not yet */
    int chunked;      /* streaming with chunked coding */
    int drop_body;    /* streaming a HEAD answer, 204 or 304: body bytes are not sent */
    int keep_alive;   /* the connection may serve another request after this */
    int status;       /* for the access log */
    size_t bytes_out; /* body bytes, for the access log */
    sq_slice cors_lines; /* CORS header lines every answer to this request carries (arena) */

    /* The request. */
    size_t head_len;
    size_t req_end;   /* index in the read buffer just past this request */
    sq_http1_request parsed;
    sq_chunked_decoder chunk;
    sq_request req;
    sq_route_match match;
    sq_validation validation;
    sq_arena arena;
    sq_header_view headers[]; /* cfg.max_headers */
};

struct sq__conn {
    sq__io io;
    sq__timer timer;
    int timer_kind;
    int state;
    sq_server *server;
    sq__conn *prev, *next;     /* all connections */
    sq__conn *flush_next;      /* output to flush at the end of the turn */
    sq__conn *dead_next;       /* freed at the end of the turn */
    sq__conn *ready_next;      /* continue at the end of the turn (answer came later) */
    char *rbuf;
    size_t rcap, rlen, rpos;   /* buffer, bytes in it, start of the current request */
    size_t body_pos;           /* chunked: end of the decoded body so far; else body end */
    sq_responder *ex;          /* the current exchange (parsing or handled) */
    sq_buf out;
    size_t out_sent;
    unsigned readable : 1;     /* edge seen, input may be pending */
    unsigned peer_closed : 1;  /* EPOLLRDHUP / EOF */
    unsigned close_after : 1;  /* close once the output is flushed */
    unsigned closed : 1;
    unsigned in_flush : 1;
    unsigned in_drive : 1;     /* conn_drive on the stack: no re-entry */
    unsigned write_blocked : 1;
    unsigned in_ready : 1;
    unsigned broken : 1;       /* a send failed outside a turn: close in the next one */
    unsigned bp_paused : 1;    /* stopped parsing: output above the high-water mark */
    int client_port;
    uint8_t client_host_len;
    char client_host[47];
};

typedef struct sq__completion sq__completion;
enum sq__completion_kind { SQ__C_RESPOND, SQ__C_BEGIN, SQ__C_WRITE, SQ__C_END, SQ__C_RELEASE };
struct sq__completion {
    sq__completion *next;
    sq_responder *ex;
    int kind;
    int status;
    int invalid;      /* headers were refused: answer 500 */
    int64_t length;   /* SQ__C_BEGIN: the declared Content-Length, or -1 (chunked) */
    size_t hdr_len;   /* serialized "Name: value\r\n" block at data[0] */
    size_t body_len;  /* body at data[hdr_len] */
    char data[];
};

struct sq_server {
    sq_config cfg;
    char *host_copy, *server_name_copy, *problem_type_base_copy;
    sq_handler handler;
    sq__cors *cors;          /* NULL: no CORS policy */
    atomic_int unavailable;  /* Retry-After seconds while answering 503, else -1 */
    sq__loop loop;
    sq_router *router;
    int router_compiled;
    pthread_t loop_thread;
    int in_turn;

    sq__io listen_io;
    int listening;       /* listen fd registered in epoll */
    int accept_paused;   /* by EMFILE (timer) or max_connections */
    int port;

    sq__io signal_io;    /* signalfd, only while sq_server_run runs */

    sq_http1_limits limits;
    sq_chunked_limits climits;
    size_t high_water;

    sq__timer_list t_header, t_body, t_keepalive, t_write, t_linger, t_misc, t_grace;
    sq__timer accept_timer, grace_timer;

    sq__conn *conns;
    size_t num_conns;
    sq__conn *flush_list;
    int64_t batch_ns, batch_max_ns; /* cfg.send_batch_*, in ns (0: no batching) */
    int64_t held_since_ns;          /* when the oldest held answer was made; 0: none */
    uint64_t dispatched;            /* requests handed to dispatch(), ever */
    int64_t work_ns;                /* their time in dispatch, when batching is on */
    int64_t clock_ns;               /* when the last timed dispatch returned */
    sq__conn *ready_list;
    sq__conn *dead_list;

    sq_responder *ex_free;
    size_t num_ex_free;
    size_t live_exchanges;
    size_t ex_size;
    char *rbuf_free[SQ__RBUF_FREE_MAX];
    size_t num_rbuf_free;

    pthread_mutex_t cq_lock;
    sq__completion *cq_head, *cq_tail;
    volatile sig_atomic_t shutdown_requested;
    int shutting_down;
    int grace_expired;

    sq__date_cache date;
    char status_cache[8][40]; /* unused slots are empty strings */
};

/* ---- response_writer.c ---- */
const char *sq__reason_phrase(int status);
/* 0 if every name is a token and no value holds CR, LF or NUL; SQ_EINVAL. */
int sq__headers_check(const sq_header_out *h, size_t n);
size_t sq__headers_size(const sq_header_out *h, size_t n);
/* Writes "Name: value\r\n" lines into dst (sq__headers_size bytes). */
void sq__headers_serialize(const sq_header_out *h, size_t n, char *dst);

enum { SQ__FRAME_LENGTH = 0, SQ__FRAME_CHUNKED, SQ__FRAME_CLOSE, SQ__FRAME_NONE };
typedef struct sq__head {
    int status;
    const sq_header_out *headers; /* either an array ... */
    size_t num_headers;
    const char *block;            /* ... or a serialized block */
    size_t block_len;
    const char *extra;            /* one more preformatted line block (Allow, Content-Type), may be NULL */
    size_t extra_len;
    int framing;                  /* SQ__FRAME_* */
    uint64_t content_length;
    int conn_close;               /* Connection: close */
    int conn_keep_alive;          /* Connection: keep-alive (HTTP/1.0) */
} sq__head;
int sq__write_head(sq_server *s, sq_buf *out, const sq__head *h);

/* ---- access_log.c ---- */
void sq__access_log(sq_server *s, const sq__conn *c, const sq_responder *ex);

/* ---- responder.c ---- */
sq_responder *sq__exchange_get(sq_server *s);
void sq__exchange_unref(sq_responder *ex); /* loop thread */
int sq__on_loop_thread(const sq_server *s);
void sq__run_completions(sq_server *s);
void sq__free_completions(sq_server *s);
/* Loop-thread implementations (ex->conn may be NULL: client gone). */
int sq__respond_local(sq_responder *ex, int status, const sq_header_out *h, size_t nh,
                      const char *block, size_t block_len, const void *body, size_t body_len);

/* ---- connection.c ---- */
void sq__conn_accepted(sq_server *s, int fd, const void *sa, unsigned salen);
void sq__conn_close(sq__conn *c);           /* abort: cancel, close now */
void sq__conn_request_done(sq__conn *c);    /* the exchange's answer is complete */
void sq__conn_output_added(sq__conn *c);    /* schedule a flush */
void sq__conn_drive(sq__conn *c);           /* parse / read what can be */
void sq__conn_flush(sq__conn *c);
/* Sends the output of every connection on the flush list, held answers
 * included, and empties the list. */
void sq__flush_pending(sq_server *s);
/* A big body behind an otherwise empty output: one writev of the queued
 * head and the body, no copy. Returns how many body bytes went out; the
 * caller queues the rest. */
size_t sq__conn_send_with_body(sq__conn *c, const void *body, size_t len);
#define SQ__DIRECT_BODY_MIN (16 * 1024)
size_t sq__conn_backlog(const sq__conn *c);
void sq__conn_shutdown_idle(sq__conn *c);   /* graceful shutdown: close if idle */
void sq__conn_free(sq__conn *c);
/* End of turn: an answer completed outside the drive loop, or a deferred
 * close. Handlers are only ever called from inside a loop turn, never from
 * inside sq_respond / sq_stream_write. */
void sq__conn_ready(sq__conn *c);

/* ---- server.c ---- */
void sq__server_conn_closed(sq_server *s);  /* may resume accepting */
void sq__server_end_turn(sq_server *s);
char *sq__rbuf_get(sq_server *s);
void sq__rbuf_put(sq_server *s, char *buf, size_t cap);

#endif
