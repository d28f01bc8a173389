/* squall._squall: streamed responses (squall.StreamingResponse).
 *
 * When an endpoint returns a response whose body is None (a
 * StreamingResponse), response.c hands it here: the head goes out with
 * sq_stream_begin (chunked on HTTP/1.1), and the response's own `_pump`
 * coroutine writes the body through a ResponseStream object, running in an
 * EndpointTask on the loop thread:
 *
 *   stream.write(data)  queues bytes (sq_stream_write). Returns None, or an
 *                       asyncio Future to await when the connection's output
 *                       is above its high-water mark: on_writable resolves
 *                       it, so a client that reads slowly pauses the
 *                       producer instead of growing a buffer. Raises
 *                       ConnectionResetError once the client is gone.
 *   stream.end()        finishes the body (sq_stream_end).
 *   stream.abort()      gives the responder back unfinished: the core
 *                       closes the connection, so the client sees a
 *                       truncated body, never a clean end after an error.
 *
 * The request context keeps the pump task in ctx->task, so a client that
 * leaves cancels it (on_cancel) like any suspended endpoint, and the task's
 * owner hook (sqpy_ctx_task_finished) aborts a stream the pump left open.
 * A sync endpoint answers from a pool thread: there the whole stream (head
 * and pump) is handed to the loop with call_soon_threadsafe, in the job's
 * contextvars context. */
#include "squall_py.h"

#include <pythread.h>

typedef struct sqpy_stream {
    PyObject_HEAD
    sqpy_ctx *ctx;    /* strong: the request being answered */
    PyObject *waiter; /* Future resolved by on_writable, or NULL */
} sqpy_stream;

#define STREAM(o) ((sqpy_stream *)(o))

/* Gives the responder back (ended or aborted) and drops the context's
 * link to this stream. Returns what sq_stream_end said (SQ_EINVAL: the body
 * fell short of its declared Content-Length), or 0. */
static int close_stream(sqpy_stream *s, int end) {
    sqpy_ctx *ctx = s->ctx;
    sq_responder *res = sqpy_ctx_claim(ctx);
    int rc = 0;
    if (res != NULL) {
        if (end)
            rc = sq_stream_end(res);
        else
            sq_responder_release(res);
        /* A short body (SQ_EINVAL) is the caller's to report, by name: not
         * the "refused response" retire would log. */
        sqpy_ctx_retire(ctx, rc == SQ_EINVAL ? 0 : rc, 200);
    }
    Py_CLEAR(ctx->stream);
    return rc;
}

static PyObject *s_write(PyObject *self, PyObject *data) {
    sqpy_stream *s = STREAM(self);
    sqpy_ctx *ctx = s->ctx;
    if (ctx->res == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the response stream is closed");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    int rc = view.len > 0 ? sq_stream_write(ctx->res, view.buf, (size_t)view.len) : 0;
    PyBuffer_Release(&view);
    if (rc == SQ_EGONE) {
        PyErr_SetString(PyExc_ConnectionResetError, "the client went away");
        return NULL;
    }
    if (rc == SQ_EAGAIN) {
        /* Queued, but the output is above its high-water mark: the pump
         * waits for on_writable. */
        PyObject *fut = PyObject_CallMethodNoArgs(ctx->server->loop, ctx->server->st->str_create_future);
        if (fut == NULL)
            return NULL;
        Py_XSETREF(s->waiter, Py_NewRef(fut));
        return fut;
    }
    if (rc == SQ_EINVAL) {
        PyErr_SetString(PyExc_ValueError, "the streamed body is longer than the Content-Length it declared");
        return NULL;
    }
    if (rc < 0) {
        PyErr_Format(PyExc_OSError, "cannot write the response: %s", sq_strerror(rc));
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *s_end(PyObject *self, PyObject *unused) {
    (void)unused;
    if (close_stream(STREAM(self), 1) == SQ_EINVAL) {
        PyErr_SetString(PyExc_ValueError,
                        "the streamed body is shorter than the Content-Length it declared: the connection "
                        "was closed after it");
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *s_abort(PyObject *self, PyObject *unused) {
    (void)unused;
    close_stream(STREAM(self), 0);
    Py_RETURN_NONE;
}

static PyObject *s_gone(PyObject *self, void *closure) {
    (void)closure;
    sqpy_ctx *ctx = STREAM(self)->ctx;
    return PyBool_FromLong(ctx->res == NULL || sq_responder_is_gone(ctx->res));
}

/* Starts resp._pump(self) in an EndpointTask (loop thread). Never raises:
 * a pump that cannot start aborts the stream, with the reason logged. */
static void start_pump(sqpy_stream *s, PyObject *resp) {
    sqpy_ctx *ctx = s->ctx;
    sqpy_state *st = ctx->server->st;
    PyObject *coro = PyObject_CallMethodOneArg(resp, st->str_pump, (PyObject *)s);
    PyObject *task = coro != NULL ? sqpy_task_start(st, ctx->server->loop, coro) : NULL;
    Py_XDECREF(coro);
    if (task == NULL) {
        sqpy_log_current_exception(st, "squall: the streamed response could not start");
        close_stream(s, 0);
        return;
    }
    if (sqpy_task_is_done(task)) {
        /* The whole body was written in the first step (or the pump failed
         * at once): the pump ended or aborted the stream itself. */
        PyObject *r = sqpy_task_result(task);
        if (r == NULL)
            sqpy_log_current_exception(st, "squall: the streamed response failed");
        Py_XDECREF(r);
        Py_DECREF(task);
        if (ctx->stream != NULL)
            close_stream(s, 0);
        return;
    }
    sqpy_task_set_owner(task, ctx);
    Py_XSETREF(ctx->task, task);
    /* A client that left before the task was registered got no on_cancel
     * for it: cancel now rather than at the pump's next write. */
    if (ctx->res != NULL && sq_responder_is_gone(ctx->res) && sqpy_task_cancel(task) < 0)
        sqpy_log_current_exception(st, "squall: cancelling a stream failed");
}

static PyMethodDef stream_methods[] = {
    {"write", s_write, METH_O, "Queue bytes; returns None or a Future to await (back-pressure)."},
    {"end", s_end, METH_NOARGS, "Finish the body."},
    {"abort", s_abort, METH_NOARGS, "Stop without finishing: the connection is closed."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef stream_getset[] = {
    {"gone", s_gone, NULL, "True once the client left or the stream is closed.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

/* loop.call_soon_threadsafe target for a stream a pool thread produced:
 * self is (ctx, resp); answering it again on the loop takes the streamed
 * path there. */
static PyObject *answer_on_loop(PyObject *pair, PyObject *unused) {
    (void)unused;
    sqpy_ctx *ctx = (sqpy_ctx *)PyTuple_GET_ITEM(pair, 0);
    sqpy_answer_value(ctx, PyTuple_GET_ITEM(pair, 1), 200);
    Py_RETURN_NONE;
}

static PyMethodDef answer_on_loop_def = {"_answer_stream_on_loop", answer_on_loop, METH_NOARGS, NULL};

int sqpy_start_stream(sqpy_ctx *ctx, PyObject *resp, int status, const sq_header_out *headers,
                      size_t num_headers, long long length) {
    sqpy_server *server = ctx->server;
    sqpy_state *st = server->st;
    if (server->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Server.configure() was not called");
        return -1;
    }
    if (PyThread_get_thread_ident() != server->loop_ident) {
        /* A pool thread (a def endpoint). Off the loop, sq_stream_begin is
         * only queued for the loop's next turn, while the pump must run on
         * the loop: the pump's first write could come before the head. So
         * the whole stream starts on the loop, in this job's context. */
        PyObject *pair = PyTuple_Pack(2, (PyObject *)ctx, resp);
        PyObject *fn = pair != NULL ? PyCFunction_New(&answer_on_loop_def, pair) : NULL;
        PyObject *pyctx = fn != NULL ? PyContext_CopyCurrent() : NULL;
        PyObject *r = pyctx != NULL
                          ? PyObject_VectorcallMethod(st->str_call_soon_threadsafe,
                                                      (PyObject *[]){server->loop, fn, pyctx}, 2,
                                                      st->kwnames_context)
                          : NULL;
        Py_XDECREF(pair);
        Py_XDECREF(fn);
        Py_XDECREF(pyctx);
        if (r == NULL)
            goto abort;
        Py_DECREF(r);
        return 0;
    }
    int rc = length >= 0 ? sq_stream_begin_length(ctx->res, status, headers, num_headers, (uint64_t)length)
                         : sq_stream_begin(ctx->res, status, headers, num_headers);
    if (rc < 0) {
        /* SQ_EINVAL: the core already answered 500; SQ_EGONE: nobody to
         * answer. Either way the reference is still ours to give back. */
        sq_responder *res = sqpy_ctx_claim(ctx);
        if (res != NULL) {
            sq_responder_release(res);
            sqpy_ctx_retire(ctx, rc, status);
        }
        return 0;
    }
    sqpy_stream *s = PyObject_GC_New(sqpy_stream, st->stream_type);
    if (s == NULL)
        goto abort;
    s->ctx = (sqpy_ctx *)Py_NewRef(ctx);
    s->waiter = NULL;
    PyObject_GC_Track(s);
    Py_XSETREF(ctx->stream, (PyObject *)s); /* steals: the context keeps it until closed */
    start_pump(s, resp);
    return 0;
abort:
    sqpy_log_current_exception(st, "squall: the streamed response could not start");
    if (ctx->stream != NULL) {
        close_stream(STREAM(ctx->stream), 0);
    } else {
        sq_responder *res = sqpy_ctx_claim(ctx);
        if (res != NULL) {
            sq_responder_release(res);
            sqpy_ctx_retire(ctx, 0, status);
        }
    }
    return 0;
}

void sqpy_stream_abort(sqpy_ctx *ctx) {
    if (ctx->stream != NULL)
        close_stream(STREAM(ctx->stream), 0);
}

void sqpy_on_writable(void *vctx, sq_responder *res) {
    sqpy_server *server = vctx;
    int taken = sqpy_gil_take(server);
    sqpy_ctx *ctx = sq_responder_get_data(res); /* borrowed, NULL once answered */
    if (ctx != NULL && ctx->stream != NULL) {
        sqpy_stream *s = STREAM(ctx->stream);
        PyObject *w = s->waiter;
        s->waiter = NULL;
        if (w != NULL) {
            PyObject *done = PyObject_CallMethodNoArgs(w, server->st->str_done);
            int is_done = done == NULL ? -1 : PyObject_IsTrue(done);
            Py_XDECREF(done);
            if (is_done == 0) {
                PyObject *r = PyObject_CallMethodOneArg(w, server->st->str_set_result, Py_None);
                Py_XDECREF(r);
            }
            if (PyErr_Occurred())
                sqpy_log_current_exception(server->st, "squall: waking a streamed response failed");
            Py_DECREF(w);
        }
    }
    sqpy_gil_give(server, taken);
}

/* ------------------------------------------------------------------ */
/* Type                                                                */
/* ------------------------------------------------------------------ */

static int stream_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT((PyObject *)STREAM(self)->ctx);
    Py_VISIT(STREAM(self)->waiter);
    return 0;
}

static int stream_clear(PyObject *self) {
    Py_CLEAR(STREAM(self)->ctx);
    Py_CLEAR(STREAM(self)->waiter);
    return 0;
}

static void stream_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    stream_clear(self);
    PyObject_GC_Del(self);
    Py_DECREF(tp);
}

static PyType_Slot stream_slots[] = {
    {Py_tp_dealloc, stream_dealloc},  {Py_tp_traverse, stream_traverse},
    {Py_tp_clear, stream_clear},      {Py_tp_methods, stream_methods},
    {Py_tp_getset, stream_getset},    {Py_tp_doc, "A streamed response's body writer (see response_stream.c)."},
    {0, NULL},
};

PyType_Spec sqpy_stream_spec = {
    .name = "squall._squall.ResponseStream",
    .basicsize = sizeof(sqpy_stream),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = stream_slots,
};
