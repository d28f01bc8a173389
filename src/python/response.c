/* squall._squall: turning what an endpoint produced (a value, a Response
 * object, an exception) into exactly one sq_respond call.
 *
 * Every path ends in finish(): the responder is given back once, the
 * server's in-flight count drops and the responder's reference to the
 * context is released. Nothing here can leave a request unanswered: a
 * failure at any step becomes a 500 problem reply. */
#include "squall_py.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Bookkeeping                                                         */
/* ------------------------------------------------------------------ */

/* sq_respond / sq_stream_begin refused what we gave them (SQ_EINVAL): the
 * core sent its own 500. Say why on "squall.error", since the client only
 * sees "the handler produced an invalid response". */
static void log_refused(sqpy_ctx *ctx, int status) {
    PyObject *msg = PyUnicode_FromFormat(
        "squall: the server refused the endpoint's response (status %d, or a header "
        "name/value it does not allow) and answered 500 instead",
        status);
    if (msg != NULL) {
        PyObject *args[2] = {ctx->server->st->logger, msg};
        PyObject *r = PyObject_VectorcallMethod(ctx->server->st->str_error, args, 2, NULL);
        Py_XDECREF(r);
        Py_DECREF(msg);
    }
    if (PyErr_Occurred())
        PyErr_WriteUnraisable(ctx->server->st->logger);
}

/* Takes the responder out of ctx (exactly once: the GIL serialises every
 * caller); NULL if the request was already answered.
 *
 * The data slot is emptied too, before the reference is given back. A pool
 * thread's sq_respond is only queued for the loop, so the loop can still
 * run on_cancel for this request after retire() dropped the slot's
 * reference and the context was freed; on_cancel reads the slot with the
 * GIL held, so it sees NULL instead of a dangling pointer. */
sq_responder *sqpy_ctx_claim(sqpy_ctx *ctx) {
    sq_responder *res = ctx->res;
    if (res == NULL)
        return NULL;
    ctx->res = NULL;
    ctx->req = NULL; /* invalid once the answer is sent */
    sq_responder_set_data(res, NULL);
    return res;
}

/* The bookkeeping after the responder was given back. */
void sqpy_ctx_retire(sqpy_ctx *ctx, int rc, int status) {
    ctx->server->inflight--;
    Py_CLEAR(ctx->task);
    /* ctx->stream is dropped by the stream itself once it is closed. */
    if (rc == SQ_EINVAL)
        log_refused(ctx, status);
    /* Drop the responder data slot's reference (see sqpy_ctx_new); the
     * caller holds its own. */
    Py_DECREF(ctx);
}

/* Sends (status, headers, body) and retires the responder. */
static void finish(sqpy_ctx *ctx, int status, const sq_header_out *headers, size_t nh,
                   const void *body, size_t len) {
    sq_responder *res = sqpy_ctx_claim(ctx);
    if (res == NULL)
        return;
    int rc = sq_respond(res, status, headers, nh, body, len);
    sqpy_ctx_retire(ctx, rc, status);
}

/* A HEAD answer that declared the GET body's length but carries no body:
 * sq_respond would send "Content-Length: 0", which RFC 9110 8.6 forbids
 * unless the GET body is empty. A stream with the declared length sends
 * that length, and the core drops a HEAD body (there is none to drop). */
static void finish_head_sized(sqpy_ctx *ctx, int status, const sq_header_out *headers, size_t nh,
                              long long declared) {
    sq_responder *res = sqpy_ctx_claim(ctx);
    if (res == NULL)
        return;
    int rc = sq_stream_begin_length(res, status, headers, nh, (uint64_t)declared);
    if (rc == 0)
        rc = sq_stream_end(res); /* gives the reference back */
    else
        sq_responder_release(res); /* begin failed: we still hold it */
    sqpy_ctx_retire(ctx, rc, status);
}

void sqpy_answer_raw(sqpy_ctx *ctx, int status, const sq_header_out *headers, size_t nh,
                     const void *body, size_t len) {
    finish(ctx, status, headers, nh, body != NULL ? body : "", len);
}

static const sq_header_out problem_ct = {SQ_SLICE_LIT("content-type"),
                                         SQ_SLICE_LIT("application/problem+json")};
static const sq_header_out json_ct = {SQ_SLICE_LIT("content-type"),
                                      SQ_SLICE_LIT("application/json")};

void sqpy_answer_500(sqpy_ctx *ctx) {
    if (ctx->res == NULL)
        return;
    sq_buf b;
    sq_buf_init(&b);
    const char *base = ctx->server->problem_type_base ? ctx->server->problem_type_base : "";
    if (sq_problem_render(500, "Internal Server Error", "The server could not handle the request.",
                          base, &b) == 0) {
        finish(ctx, 500, &problem_ct, 1, b.data, b.len);
    } else {
        static const char fallback[] =
            "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500}";
        finish(ctx, 500, &problem_ct, 1, fallback, sizeof fallback - 1);
    }
    sq_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Exceptions and logging                                              */
/* ------------------------------------------------------------------ */

static void log_exception(sqpy_state *st, const char *what, PyObject *exc) {
    PyObject *msg = PyUnicode_FromString(what);
    PyObject *kwnames = PyTuple_Pack(1, st->str_exc_info);
    if (msg != NULL && kwnames != NULL) {
        /* logger.error(msg, exc_info=exc): self, one positional, one keyword. */
        PyObject *args[3] = {st->logger, msg, exc != NULL ? exc : Py_True};
        PyObject *r = PyObject_VectorcallMethod(st->str_error, args, 2, kwnames);
        Py_XDECREF(r);
    }
    Py_XDECREF(msg);
    Py_XDECREF(kwnames);
    if (PyErr_Occurred())
        PyErr_WriteUnraisable(st->logger); /* logging itself failed: last resort */
}

void sqpy_log_current_exception(sqpy_state *st, const char *what) {
    PyObject *exc = sqpy_fetch_exception();
    log_exception(st, what, exc);
    Py_XDECREF(exc);
}

/* ------------------------------------------------------------------ */
/* Response objects                                                    */
/* ------------------------------------------------------------------ */

/* UTF-8 view of a str or bytes header part; -1 with an exception. */
static int header_part(PyObject *o, sq_slice *out) {
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *p = PyUnicode_AsUTF8AndSize(o, &n);
        if (p == NULL)
            return -1;
        *out = (sq_slice){p, (size_t)n};
    } else if (PyBytes_Check(o)) {
        *out = (sq_slice){PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o)};
    } else {
        PyErr_Format(PyExc_TypeError, "header names and values must be str, not %.100s",
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    for (size_t i = 0; i < out->len; i++) {
        char c = out->base[i];
        if (c == '\r' || c == '\n' || c == '\0') {
            PyErr_SetString(PyExc_ValueError,
                            "header contains CR, LF or NUL (response splitting refused)");
            return -1;
        }
    }
    return 0;
}

static int name_is(sq_slice name, const char *lower) {
    size_t n = strlen(lower);
    if (name.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name.base[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lower[i])
            return 0;
    }
    return 1;
}

/* The decimal value of a Content-Length header; -1 if it is not one. */
static long long parse_length(sq_slice v) {
    size_t i = 0, end = v.len;
    while (i < end && (v.base[i] == ' ' || v.base[i] == '\t'))
        i++;
    while (end > i && (v.base[end - 1] == ' ' || v.base[end - 1] == '\t'))
        end--;
    if (i == end || end - i > 18)
        return -1;
    long long n = 0;
    for (; i < end; i++) {
        if (v.base[i] < '0' || v.base[i] > '9')
            return -1;
        n = n * 10 + (v.base[i] - '0');
    }
    return n;
}

/* The core frames every body itself, so sq_respond refuses Content-Length
 * and Transfer-Encoding. Returns 0 for an ordinary header, 1 for a
 * Content-Length that can be left to the core (it will send the same
 * value), -1 with an exception for one it cannot honour. */
static int framing_header(sqpy_ctx *ctx, const sq_header_out *h, size_t body_len,
                          long long *head_declared) {
    if (name_is(h->name, "transfer-encoding")) {
        PyErr_SetString(PyExc_ValueError,
                        "a Response may not set Transfer-Encoding: the server frames the body");
        return -1;
    }
    if (!name_is(h->name, "content-length"))
        return 0;
    long long declared = parse_length(h->value);
    if (declared < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "invalid Content-Length header (not a decimal number of bytes)");
        return -1;
    }
    if ((unsigned long long)declared == body_len)
        return 1;
    /* HEAD may declare the length the GET body would have (as Starlette
     * allows) without carrying it. */
    if (body_len == 0 && ctx->req != NULL && ctx->req->is_head) {
        *head_declared = declared;
        return 1;
    }
    PyErr_Format(PyExc_ValueError,
                 "Content-Length header says %lld but the body has %zu bytes", declared,
                 body_len);
    return -1;
}

/* Sends a squall.Response. Returns 0 when answered, -1 with an exception
 * (nothing sent). */
static int send_response_object(sqpy_ctx *ctx, PyObject *resp) {
    sqpy_state *st = ctx->server->st;
    PyObject *status_o = NULL, *body_o = NULL, *headers_o = NULL, *seq = NULL;
    sq_header_out small[16];
    sq_header_out *hs = small;
    Py_buffer body = {0};
    int have_body = 0, rc = -1;

    status_o = PyObject_GetAttr(resp, st->str_status_code);
    if (status_o == NULL)
        goto done;
    long status = PyLong_AsLong(status_o);
    if (status == -1 && PyErr_Occurred())
        goto done;
    if (status < 100 || status > 999) {
        PyErr_Format(PyExc_ValueError, "invalid status code %ld", status);
        goto done;
    }
    if (status < 200) {
        /* The core refuses a 1xx final answer; say so in the traceback. */
        PyErr_Format(PyExc_ValueError,
                     "status code %ld is informational (1xx), not a final response", status);
        goto done;
    }
    body_o = PyObject_GetAttr(resp, st->str_body);
    if (body_o == NULL)
        goto done;
    /* body None: a StreamingResponse, whose _pump writes the body. */
    int streamed = body_o == Py_None;
    if (body_o != Py_None) {
        if (PyObject_GetBuffer(body_o, &body, PyBUF_SIMPLE) < 0)
            goto done;
        have_body = 1;
    }
    headers_o = PyObject_GetAttr(resp, st->str_raw_headers);
    if (headers_o == NULL)
        goto done;
    seq = PySequence_Fast(headers_o, "raw_headers must be a sequence of (name, value) pairs");
    if (seq == NULL)
        goto done;
    Py_ssize_t nh = PySequence_Fast_GET_SIZE(seq);
    if ((size_t)nh > sizeof small / sizeof small[0]) {
        hs = PyMem_Malloc((size_t)nh * sizeof *hs);
        if (hs == NULL) {
            PyErr_NoMemory();
            goto done;
        }
    }
    size_t body_len = have_body ? (size_t)body.len : 0;
    size_t kept = 0;
    long long head_declared = -1; /* a HEAD's Content-Length without the body */
    long long stream_length = -1; /* a streamed body's declared Content-Length */
    for (Py_ssize_t i = 0; i < nh; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i); /* borrowed from seq */
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "raw_headers items must be (name, value) tuples");
            goto done;
        }
        /* The slices borrow from the tuple's strings, kept alive by seq. */
        if (header_part(PyTuple_GET_ITEM(pair, 0), &hs[kept].name) < 0 ||
            header_part(PyTuple_GET_ITEM(pair, 1), &hs[kept].value) < 0)
            goto done;
        if (streamed && name_is(hs[kept].name, "transfer-encoding")) {
            PyErr_SetString(PyExc_ValueError,
                            "a streamed response cannot set Transfer-Encoding: the server frames it "
                            "(chunked, or by the Content-Length it declares)");
            goto done;
        }
        if (streamed && name_is(hs[kept].name, "content-length")) {
            /* Declared by the response (a file of known size): the core
             * sends it instead of chunking and holds the body to it. */
            stream_length = parse_length(hs[kept].value);
            if (stream_length < 0) {
                PyErr_SetString(PyExc_ValueError,
                                "invalid Content-Length header (not a decimal number of bytes)");
                goto done;
            }
            continue;
        }
        int framing = streamed ? 0 : framing_header(ctx, &hs[kept], body_len, &head_declared);
        if (framing < 0)
            goto done;
        if (framing == 0)
            kept++; /* an ordinary header; a framing one is left to the core */
    }
    if (streamed) {
        if (sqpy_start_stream(ctx, resp, (int)status, hs, kept, stream_length) < 0)
            goto done;
    } else if (head_declared >= 0)
        finish_head_sized(ctx, (int)status, hs, kept, head_declared);
    else
        finish(ctx, (int)status, hs, kept, have_body ? body.buf : "", body_len);
    rc = 0;
done:
    if (have_body)
        PyBuffer_Release(&body);
    if (hs != small)
        PyMem_Free(hs);
    Py_XDECREF(status_o);
    Py_XDECREF(body_o);
    Py_XDECREF(headers_o);
    Py_XDECREF(seq);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Public entry points                                                 */
/* ------------------------------------------------------------------ */

void sqpy_answer_value(sqpy_ctx *ctx, PyObject *value, int status) {
    if (ctx->res == NULL)
        return;
    sqpy_server *server = ctx->server;
    /* The common return values cannot be Response objects: skip the
     * isinstance (a metaclass __instancecheck__ lookup, measured). */
    if (server->response_type != NULL && !PyDict_CheckExact(value) && !PyList_CheckExact(value)) {
        int is_resp = PyObject_IsInstance(value, server->response_type);
        if (is_resp < 0) {
            sqpy_answer_exception(ctx);
            return;
        }
        if (is_resp) {
            if (send_response_object(ctx, value) < 0)
                sqpy_answer_exception(ctx);
            return;
        }
    }
    sqpy_buf b = {NULL, 0, 0};
    if (sqpy_encode_json(server->st, value, &b) < 0) {
        sqpy_buf_free(&b);
        sqpy_answer_exception(ctx);
        return;
    }
    finish(ctx, status, &json_ct, 1, b.data != NULL ? b.data : "", b.len);
    sqpy_buf_free(&b);
}

/* What the error handler returned (new ref `reply`, consumed). */
static void answer_from_error_handler(sqpy_ctx *ctx, PyObject *reply, PyObject *exc) {
    sqpy_server *server = ctx->server;
    int is_resp = reply != Py_None && server->response_type != NULL
                      ? PyObject_IsInstance(reply, server->response_type)
                      : 0;
    if (is_resp == 1 && send_response_object(ctx, reply) == 0) {
        Py_DECREF(reply);
        return;
    }
    if (PyErr_Occurred())
        sqpy_log_current_exception(server->st, "squall: the error handler's reply is unusable");
    else if (reply == Py_None)
        log_exception(server->st, "squall: unhandled exception in endpoint", exc);
    else
        log_exception(server->st, "squall: the error handler returned a non-Response", exc);
    Py_DECREF(reply);
    sqpy_answer_500(ctx);
}

void sqpy_answer_exception(sqpy_ctx *ctx) {
    PyObject *exc = sqpy_fetch_exception();
    if (ctx->res == NULL) {
        Py_XDECREF(exc);
        return;
    }
    sqpy_server *server = ctx->server;
    if (sq_responder_is_gone(ctx->res)) {
        /* Client gone (typically the CancelledError of a cancelled Task):
         * nobody to answer, nothing worth logging. */
        Py_XDECREF(exc);
        sqpy_answer_500(ctx);
        return;
    }
    if (exc == NULL) {
        sqpy_answer_500(ctx);
        return;
    }
    if (server->error_handler == NULL) {
        log_exception(server->st, "squall: unhandled exception in endpoint", exc);
        Py_DECREF(exc);
        sqpy_answer_500(ctx);
        return;
    }
    PyObject *request = sqpy_ctx_request(ctx);
    if (request == NULL) {
        /* Could not even build the Request: hand None to the handler. */
        sqpy_log_current_exception(server->st, "squall: building the Request failed");
        request = Py_NewRef(Py_None);
    }
    PyObject *args[2] = {exc, request};
    PyObject *reply = PyObject_Vectorcall(server->error_handler, args, 2, NULL);
    Py_DECREF(request);
    if (reply == NULL) {
        sqpy_log_current_exception(server->st, "squall: the error handler raised");
        log_exception(server->st, "squall: unhandled exception in endpoint", exc);
        Py_DECREF(exc);
        sqpy_answer_500(ctx);
        return;
    }
    answer_from_error_handler(ctx, reply, exc);
    Py_DECREF(exc);
}
