/* Squall core: the handler interface a language binding implements.
 *
 * The core owns sockets, parsing, routing and validation. For each request
 * that matched a route and passed validation it calls the handler's
 * on_request() on the loop thread with a read-only request view and a
 * responder. The handler answers at once or later, from any thread, through
 * that responder (sq_respond / sq_stream_*). If the client goes away first,
 * the core calls on_cancel() on the loop thread; the responder then stays
 * valid (the handler still owns its reference) and any later answer returns
 * SQ_EGONE and writes nothing.
 *
 * Ownership and lifetime
 * - sq_request and everything it points to (slices into the connection's read
 *   buffer, the parameter array, the validated values, which live in the
 *   request arena) are owned by the core and valid from on_request() until the
 *   handler's answer is complete (sq_respond returned, sq_stream_end returned,
 *   or sq_responder_release returned) or, after on_cancel(), until the
 *   handler releases the responder. Reading it from another thread is allowed
 *   in that window, since the core does not touch it while a request is
 *   outstanding (the connection stops parsing until the response is queued).
 * - The responder is reference-counted: the handler receives one reference in
 *   on_request and gives it back by exactly one of sq_respond(),
 *   sq_stream_end() or sq_responder_release(). After that call the pointer
 *   is invalid.
 * - Everything passed *to* sq_respond / sq_stream_write (status, headers,
 *   body) is copied before the call returns; the caller keeps ownership.
 *
 * Cancellation races (read this before answering from another thread)
 * - on_cancel() is called at most once per request, on the loop thread, when
 *   the connection closes before the answer is complete and the core has not
 *   yet seen the reference given back. "Not yet seen" is a race: another
 *   thread may be inside sq_respond / sq_stream_end / sq_responder_release
 *   for the same request, or may have just returned from it, while
 *   on_cancel() runs. So on_cancel() can overlap an answer in flight.
 * - on_cancel() does not receive a reference. There is still only the one
 *   from on_request(), and it is consumed exactly once, by whichever of
 *   sq_respond(), sq_stream_end() or sq_responder_release() the handler
 *   calls first. Calling a second one (for example sq_responder_release()
 *   in on_cancel() while a worker thread calls sq_respond()) is a double
 *   release: undefined behaviour.
 * - Hence a handler whose answer may be in flight on another thread must
 *   not simply release in on_cancel(). It must arrange that exactly one of
 *   the two paths gives the reference back, e.g.:
 *     - on_cancel() only signals the worker (a flag, a cancelled task) and
 *       the worker always finishes with sq_respond / sq_stream_end /
 *       sq_responder_release (after a cancel they return SQ_EGONE, write
 *       nothing, and still consume the reference); or
 *     - both paths claim the request first (atomic_exchange on a flag, or
 *       a lock around "remove from my pending list"): the winner gives the
 *       reference back, the loser does not touch the responder again.
 * - During on_cancel() the responder's memory is valid even if another
 *   thread has already returned from sq_respond(): a reference given back
 *   from a foreign thread is applied by the loop thread, never during
 *   on_cancel(). So sq_responder_get_data() / sq_responder_is_gone() may be
 *   called there; anything the handler itself freed on the other path may
 *   not be.
 * - On the loop thread, a call that makes the core close the connection
 *   (sq_stream_begin / sq_stream_write failing with SQ_ENOMEM, or a write
 *   error seen while flushing) can run on_cancel() before it returns. After
 *   such a call returns SQ_EGONE or SQ_ENOMEM, per-request state that
 *   on_cancel() frees must be treated as gone.
 */
#ifndef SQUALL_HANDLER_H
#define SQUALL_HANDLER_H

#include "squall/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_responder sq_responder;
struct sq_json_value;      /* squall/json.h */
struct sq_validation;      /* squall/validator.h */

typedef struct sq_header_view {
    sq_slice name;  /* as received (case preserved) */
    sq_slice value; /* leading/trailing whitespace trimmed */
} sq_header_view;

typedef struct sq_param_view {
    sq_slice name;  /* as declared in the route template */
    sq_slice value; /* percent-decoded segment text */
} sq_param_view;

typedef struct sq_query_pair {
    sq_slice key;   /* percent-decoded, '+' as space */
    sq_slice value; /* percent-decoded, '+' as space */
} sq_query_pair;

/* Read-only request view. All slices are valid for the lifetime described
 * at the top of this file. */
typedef struct sq_request {
    sq_slice method;          /* "GET", "POST", ... (HEAD keeps "HEAD") */
    sq_slice target;          /* request-target as received */
    sq_slice path;            /* percent-decoded path, without query */
    sq_slice raw_path;        /* path as received, without query */
    sq_slice query;           /* raw query string, without '?' ("" if none) */
    const sq_query_pair *query_pairs; /* ordered multi-map, repeats kept */
    size_t num_query_pairs;
    const sq_header_view *headers;
    size_t num_headers;
    sq_slice body;            /* de-chunked full body ("" if none) */
    int version_minor;        /* 0 or 1 (HTTP/1.x) */
    int is_head;              /* 1 for HEAD: the core drops the body it is given */

    /* Routing result. */
    void *route_data;         /* the pointer given to sq_router_add for this route */
    const char *route_template; /* NUL-terminated, e.g. "/items/{id:int}" */
    const sq_param_view *params; /* path parameters in template order */
    size_t num_params;

    /* Validation result (NULL when the route declared no validator). When
     * the route set SQ_ROUTE_WANTS_ERRORS, on_request is also called for an
     * invalid request and validation->num_errors > 0. */
    const struct sq_validation *validation;

    /* Peer address as text ("127.0.0.1") and port. */
    sq_slice client_host;
    int client_port;
} sq_request;

/* A header to send. Values must not contain CR, LF or NUL: sq_respond refuses
 * such a response with SQ_EINVAL (no response splitting). */
typedef struct sq_header_out {
    sq_slice name;
    sq_slice value;
} sq_header_out;

typedef struct sq_handler {
    void *ctx; /* passed back to every callback */

    /* Loop thread. Must not block. Receives one responder reference. */
    void (*on_request)(void *ctx, const sq_request *req, sq_responder *res);

    /* Loop thread. The client went away (or the server is shutting down past
     * its grace period) before the answer was complete. Optional (NULL).
     * Receives no new reference: the handler's one reference is still
     * owed, exactly once, and another thread may be giving it back right
     * now (see "Cancellation races" above): release here only if no other
     * path can. */
    void (*on_cancel)(void *ctx, sq_responder *res);

    /* Loop thread. A streamed response whose sq_stream_write returned
     * SQ_EAGAIN may write again. Optional (NULL). */
    void (*on_writable)(void *ctx, sq_responder *res);
} sq_handler;

/* Opaque per-request slot for the handler (e.g. its task object). */
void sq_responder_set_data(sq_responder *res, void *data);
void *sq_responder_get_data(const sq_responder *res);

/* 1 when the client is gone (or the request was cancelled). Any thread. */
int sq_responder_is_gone(const sq_responder *res);

/* Send a whole response and give back the responder reference. Any thread.
 * The core adds Date, Server (if configured), Content-Length and
 * Connection as needed; `headers` must not contain Content-Length or
 * Transfer-Encoding. Returns 0, SQ_EGONE (client gone: nothing written),
 * SQ_EINVAL (bad header, or a status outside 200..999 -- a 1xx is not a
 * final answer: a 500 is sent instead) or SQ_ENOMEM (the response
 * could not be copied: the connection is closed). In every case the
 * responder is consumed. */
int sq_respond(sq_responder *res, int status, const sq_header_out *headers, size_t num_headers,
               const void *body, size_t body_len);

/* Streaming: start a chunked (HTTP/1.1) or close-delimited (HTTP/1.0)
 * response. Any thread. A 204 or 304 stream has no body and no framing:
 * its writes are dropped. On SQ_EINVAL (as for sq_respond) a 500 is sent
 * and the handler still holds its reference (release it). */
int sq_stream_begin(sq_responder *res, int status, const sq_header_out *headers,
                    size_t num_headers);
/* The same with a Content-Length the handler declares (a file of known
 * size): no chunked coding, on HTTP/1.0 too. The writes must add up to
 * exactly `content_length` bytes: a write past it is refused (SQ_EINVAL)
 * and an end short of it (SQ_EINVAL too) closes the connection, the only
 * way left to tell the client its body is cut. A HEAD answer sends the
 * header and drops the writes, which are then not counted. */
int sq_stream_begin_length(sq_responder *res, int status, const sq_header_out *headers,
                           size_t num_headers, uint64_t content_length);
/* Queue body bytes. Returns 0, SQ_EGONE, or SQ_EAGAIN when the connection's
 * output buffer is above its high-water mark (data was still queued; wait for
 * on_writable before writing more). */
int sq_stream_write(sq_responder *res, const void *data, size_t len);
/* Finish the stream and give back the responder reference. */
int sq_stream_end(sq_responder *res);

/* Give back the reference without answering (after on_cancel, or on a fatal
 * error: the core then answers 500 if nothing was sent and the client is
 * still there). Any thread. */
void sq_responder_release(sq_responder *res);

#ifdef __cplusplus
}
#endif
#endif
