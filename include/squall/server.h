/* Squall core: one worker's HTTP/1.1 server (listening socket, connections,
 * routing, validation, responses) driven by its own epoll loop.
 *
 * Threading: every function here must be called on the thread that runs the
 * server's loop (the "loop thread"), except where noted. Responses may come
 * from any thread through the responder (squall/handler.h).
 *
 * Two ways to drive it:
 * - sq_server_run(): blocks, runs the loop until graceful shutdown finished
 *   (SIGTERM/SIGINT, or sq_server_shutdown from a signal-safe context via
 *   sq_server_request_shutdown). Used by squall-cserver.
 * - sq_server_fd() + sq_server_poll(): for embedding in another loop (the
 *   Python binding registers the fd as a reader in asyncio and calls
 *   sq_server_poll(s, 0) when it is readable). The core's timers live in
 *   a timerfd inside that epoll set, so readability alone is enough;
 *   sq_server_next_timeout_ms() is there for hosts that prefer their own
 *   timers.
 */
#ifndef SQUALL_SERVER_H
#define SQUALL_SERVER_H

#include "squall/common.h"
#include "squall/handler.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_server sq_server;
struct sq_validator; /* squall/validator.h */

/* Cross-origin resource sharing (the Fetch standard's CORS protocol),
 * answered by the core so no handler runs for a preflight. Lists are
 * comma-separated ("https://a.example, https://b.example"); "*" alone means
 * any. Origins and methods compare exactly, header names without regard to
 * case. NULL lists are empty. Copied by sq_server_create.
 *
 * - A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
 *   answered 200 when the origin, the method and every requested header are
 *   allowed, else 403; it never reaches a route.
 * - Any other request with an allowed Origin gets Access-Control-Allow-Origin
 *   (and Vary: Origin when the origin is echoed), -Allow-Credentials and
 *   -Expose-Headers on whatever answers it once its head is parsed and its
 *   body read: the handler's answer, 404/405/422, the 503 of an unavailable
 *   server. Refusals of the request itself (400, 413, 414, 431) come before
 *   and carry none. A request from an origin not allowed is served without
 *   them (the browser then withholds the reply from the page). */
typedef struct sq_cors_config {
    const char *allow_origins;
    const char *allow_methods;
    const char *allow_headers;
    const char *expose_headers;
    /* NULL or a PCRE2 pattern an origin may match as a whole (Starlette's
     * allow_origin_regex, e.g. "https://.*\\.example\\.org"), besides
     * the exact allow_origins; an invalid pattern fails sq_server_create
     * with SQ_EINVAL. */
    const char *allow_origin_regex;
    int allow_credentials;     /* the origin is echoed, never "*" */
    int allow_private_network; /* Access-Control-Allow-Private-Network on preflights that ask */
    int max_age;               /* seconds a preflight may be cached; < 0: no Max-Age */
} sq_cors_config;

/* Every limit and deadline is configurable; sq_config_init sets the
 * defaults shown (at least as strict as nginx and h2o). */
typedef struct sq_config {
    const char *host;            /* "127.0.0.1" */
    int port;                    /* 8000 */
    int backlog;                 /* 1024 */
    int reuse_port;              /* 1: SO_REUSEPORT so workers share the port */
    int listen_fd;               /* -1, or an already-bound listening socket to adopt */

    size_t max_request_line;     /* 8 KiB  -> 414 */
    size_t max_header_bytes;     /* 16 KiB -> 431 */
    size_t max_headers;          /* 100    -> 431 */
    size_t max_body;             /* 1 MiB  -> 413 */
    size_t max_chunk_ext;        /* 4 KiB of chunk extensions per request -> 400 */
    size_t max_trailer_bytes;    /* 16 KiB -> 431 */
    double header_timeout;       /* 10 s, absolute, from the first byte of a request's head */
    double body_timeout;         /* 30 s idle while reading a body */
    double keepalive_timeout;    /* 5 s idle between requests */
    double write_timeout;        /* 30 s without progress while writing */
    size_t max_connections;      /* 10000 per worker; past it, accepting pauses */
    double grace;                /* 30 s graceful shutdown period */
    size_t output_high_water;    /* 256 KiB: stream back-pressure threshold */
    /* Answers to CPU-heavy requests leave together at the end of the loop
     * turn: a connection whose requests took on average at least
     * send_batch_threshold (5 us) each from routing to the handler's
     * return (wall time: validation, a synchronous handler, and in the
     * Python server any wait for the GIL) has its output held until the
     * turn ends, until a cheaper answer is sent, or until the oldest held
     * answer is found to have waited send_batch_max_wait (500 us; checked
     * after each connection's input is handled). Cheaper answers leave at
     * once. 0 for either: every answer leaves at once. Values above 1 s
     * count as 1 s. See send_or_hold in connection.c. */
    double send_batch_threshold;
    double send_batch_max_wait;
    const char *server_name;     /* NULL: no Server header */
    int access_log;              /* 0; 1 = one line per request to stderr, control chars escaped */
    /* "https://squall.dev/errors/": prefix of the `type` URI of every
     * problem+json reply the core renders itself (400/404/405/413/414/415/
     * 431/500 and validation 422s); the problem's slug is appended
     * ("...errors/not-found"). NULL means the default. Copied by
     * sq_server_create; longer than SQ_PROBLEM_TYPE_BASE_MAX bytes or
     * containing control characters is SQ_EINVAL. */
    const char *problem_type_base;
    const sq_cors_config *cors;  /* NULL: no CORS answers (the default) */
    /* >= 0: start unavailable (see sq_server_set_unavailable); -1: available. */
    int unavailable_retry_after;
} sq_config;

#define SQ_PROBLEM_TYPE_BASE_DEFAULT "https://squall.dev/errors/"
#define SQ_PROBLEM_TYPE_BASE_MAX 256

void sq_config_init(sq_config *cfg);

/* Creates the server and its loop, binds and listens (or adopts
 * cfg->listen_fd). `cfg` strings are copied. `handler` is copied; its ctx
 * must outlive the server. Returns NULL and sets *err on failure. */
sq_server *sq_server_create(const sq_config *cfg, const sq_handler *handler, int *err);

/* Route flags. */
enum {
    SQ_ROUTE_WANTS_ERRORS = 1 << 0 /* call on_request even when validation failed */
};

/* Register a route before serving. `methods` is a comma-separated list
 * ("GET,POST"); `templ` uses typed segments ({id}, {id:int}, {id:float},
 * {id:uuid}, {rest:path}); `route_data` comes back in sq_request.route_data;
 * `validator` (may be NULL) is borrowed and must outlive the server.
 * Returns 0, SQ_EINVAL (bad template) or SQ_ESTATE (conflicting route). */
int sq_server_add_route(sq_server *s, const char *methods, const char *templ, void *route_data,
                        const struct sq_validator *validator, unsigned flags);

/* Blocking loop for the plain C server: returns 0 after graceful shutdown. */
int sq_server_run(sq_server *s);

/* Embedding: the epoll descriptor (readable when there is work), one
 * non-blocking turn of the loop (timeout_ms = 0) and the time until the next
 * timer (-1: none). */
int sq_server_fd(const sq_server *s);
int sq_server_poll(sq_server *s, int timeout_ms);
int sq_server_next_timeout_ms(const sq_server *s);

/* Graceful shutdown: stop accepting, close idle keep-alive connections,
 * let in-flight requests finish within cfg->grace, then cancel the rest.
 * sq_server_is_drained() becomes 1 when nothing is left. */
void sq_server_shutdown(sq_server *s);
int sq_server_is_drained(const sq_server *s);
/* Async-signal-safe: asks the loop to call sq_server_shutdown. */
void sq_server_request_shutdown(sq_server *s);

/* Maintenance: while unavailable, every request is answered 503 with
 * Retry-After: `retry_after` seconds (before routing: no handler runs),
 * except CORS preflights, still answered so that a page may read the 503
 * (with its CORS lines) of the request that follows; -1 makes the server
 * available again. Any thread. */
void sq_server_set_unavailable(sq_server *s, int retry_after);
int sq_server_unavailable(const sq_server *s); /* retry_after, or -1 */

/* Bound port (useful with port 0). */
int sq_server_port(const sq_server *s);

/* Frees everything; connections still open are closed. */
void sq_server_destroy(sq_server *s);

#ifdef __cplusplus
}
#endif
#endif
