/* squall._squall: the per-request context object.
 *
 * One exists per request handed to Python, from on_request until the answer
 * is sent. The responder's data slot holds a strong reference to it (so
 * on_cancel can find an async endpoint's suspended task), and it is
 * callable: ctx() is the thread-pool job of a sync endpoint (runs the
 * endpoint, encodes and answers from the worker thread; the core's
 * responder is thread-safe). A suspended task answers through
 * sqpy_ctx_task_finished.
 * The answer itself (sq_respond and the bookkeeping) is in response.c. */
#include "squall_py.h"

#include <structmember.h>

/* ------------------------------------------------------------------ */
/* Creation                                                            */
/* ------------------------------------------------------------------ */

static PyObject *ctx_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                PyObject *kwnames);

sqpy_ctx *sqpy_ctx_new(sqpy_server *server, sqpy_route *route, const sq_request *req,
                       sq_responder *res) {
    sqpy_ctx *ctx = PyObject_GC_New(sqpy_ctx, server->st->ctx_type);
    if (ctx == NULL)
        return NULL;
    ctx->vectorcall = ctx_vectorcall;
    ctx->server = (sqpy_server *)Py_NewRef(server);
    ctx->route = route;
    ctx->res = res;
    ctx->req = req;
    ctx->task = NULL;
    ctx->request = NULL;
    ctx->args = NULL;
    ctx->nargs = 0;
    ctx->call_kwnames = NULL;
    ctx->pyctx = NULL;
    ctx->stream = NULL;
    PyObject_GC_Track(ctx);
    /* The responder's reference; given back when the answer is sent. */
    Py_INCREF(ctx);
    sq_responder_set_data(res, ctx);
    server->inflight++;
    return ctx;
}

PyObject *sqpy_ctx_request(sqpy_ctx *ctx) {
    if (ctx->request != NULL)
        return Py_NewRef(ctx->request);
    if (ctx->res == NULL || ctx->req == NULL || ctx->server->request_factory == NULL)
        Py_RETURN_NONE;
    const sq_request *req = ctx->req;
    PyObject *method = NULL, *path = NULL, *query = NULL, *headers = NULL, *body = NULL;
    PyObject *params = NULL, *client = NULL, *validated = NULL, *out = NULL;

    method = PyUnicode_DecodeLatin1(req->method.base, (Py_ssize_t)req->method.len, NULL);
    path = PyUnicode_DecodeUTF8(req->path.base, (Py_ssize_t)req->path.len, "surrogateescape");
    query = PyUnicode_DecodeLatin1(req->query.base, (Py_ssize_t)req->query.len, NULL);
    body = PyBytes_FromStringAndSize(req->body.base, (Py_ssize_t)req->body.len);
    headers = PyList_New((Py_ssize_t)req->num_headers);
    params = PyDict_New();
    client = Py_BuildValue("(s#i)", req->client_host.base ? req->client_host.base : "",
                           (Py_ssize_t)req->client_host.len, req->client_port);
    if (!method || !path || !query || !body || !headers || !params || !client)
        goto done;
    /* Header bytes are ISO-8859-1 on the wire (as in Starlette). */
    for (size_t i = 0; i < req->num_headers; i++) {
        const sq_header_view *h = &req->headers[i];
        PyObject *pair = Py_BuildValue(
            "(NN)", PyUnicode_DecodeLatin1(h->name.base, (Py_ssize_t)h->name.len, NULL),
            PyUnicode_DecodeLatin1(h->value.base, (Py_ssize_t)h->value.len, NULL));
        if (pair == NULL)
            goto done;
        PyList_SET_ITEM(headers, (Py_ssize_t)i, pair); /* steals */
    }

    /* Validated values by the validator's parameter names. */
    const sq_validation *val = req->validation;
    sqpy_route *route = ctx->route;
    if (val != NULL && route->param_names != NULL) {
        validated = PyDict_New();
        if (validated == NULL)
            goto done;
        Py_ssize_t n = PyTuple_GET_SIZE(route->param_names);
        for (Py_ssize_t i = 0; i < n && (size_t)i < val->num_values; i++) {
            if (val->values[i] == NULL)
                continue;
            PyObject *v = sqpy_json_to_python(val->values[i]);
            if (v == NULL)
                goto done;
            int rc = PyDict_SetItem(validated, PyTuple_GET_ITEM(route->param_names, i), v);
            Py_DECREF(v);
            if (rc < 0)
                goto done;
        }
    }
    /* Path parameters: the validated (typed) value when there is one,
     * else the decoded segment text. */
    for (size_t i = 0; i < req->num_params; i++) {
        const sq_param_view *p = &req->params[i];
        PyObject *name = PyUnicode_DecodeUTF8(p->name.base, (Py_ssize_t)p->name.len, NULL);
        if (name == NULL)
            goto done;
        PyObject *v = validated != NULL ? PyDict_GetItemWithError(validated, name) : NULL;
        if (v != NULL)
            Py_INCREF(v); /* borrowed from validated */
        else if (!PyErr_Occurred())
            v = PyUnicode_DecodeUTF8(p->value.base, (Py_ssize_t)p->value.len, "surrogateescape");
        int rc = v == NULL ? -1 : PyDict_SetItem(params, name, v);
        Py_DECREF(name);
        Py_XDECREF(v);
        if (rc < 0)
            goto done;
    }

    PyObject *args[8] = {method, path, query, headers, body, params, client,
                         validated != NULL ? validated : Py_None};
    out = PyObject_Vectorcall(ctx->server->request_factory, args, 8, NULL);
    if (out != NULL)
        ctx->request = Py_NewRef(out);
done:
    Py_XDECREF(method);
    Py_XDECREF(path);
    Py_XDECREF(query);
    Py_XDECREF(headers);
    Py_XDECREF(body);
    Py_XDECREF(params);
    Py_XDECREF(client);
    Py_XDECREF(validated);
    return out;
}

/* ------------------------------------------------------------------ */
/* Calls                                                               */
/* ------------------------------------------------------------------ */

/* Thread-pool job: runs on an executor thread with the GIL held. */
static void run_job(sqpy_ctx *ctx) {
    if (ctx->args == NULL && ctx->call_kwnames == NULL && ctx->pyctx == NULL)
        return; /* not a submitted job, or already run */
    ctx->server->pool_jobs--;
    if (ctx->res == NULL)
        return;
    PyObject **args = ctx->args;
    Py_ssize_t n = ctx->nargs;
    PyObject *kwnames = ctx->call_kwnames;
    ctx->args = NULL;
    ctx->nargs = 0;
    ctx->call_kwnames = NULL;
    /* The job's own copy of the loop's context (taken at dispatch): a
     * ContextVar set by one job must not stay in the pool thread's context
     * for the next one. */
    PyObject *pyctx = ctx->pyctx;
    ctx->pyctx = NULL;
    int entered = pyctx != NULL && PyContext_Enter(pyctx) == 0;
    if (pyctx != NULL && !entered) {
        sqpy_answer_exception(ctx);
    } else if (sq_responder_is_gone(ctx->res)) {
        /* The client left while the job was queued: skip the endpoint. */
        sqpy_answer_500(ctx);
    } else {
        PyObject *result = PyObject_Vectorcall(ctx->route->endpoint, args, 0, kwnames);
        if (result == NULL) {
            sqpy_answer_exception(ctx);
        } else {
            sqpy_answer_value(ctx, result, ctx->route->status_code);
            Py_DECREF(result);
        }
    }
    if (entered && PyContext_Exit(pyctx) < 0)
        PyErr_WriteUnraisable(pyctx); /* only if the endpoint left a foreign context entered */
    Py_XDECREF(pyctx);
    sqpy_free_args(args, n);
    Py_XDECREF(kwnames);
}

/* An async endpoint's task finished (loop thread): answer from it. */
void sqpy_ctx_task_finished(sqpy_ctx *ctx, PyObject *task) {
    Py_INCREF(ctx); /* answering drops the responder's reference */
    Py_CLEAR(ctx->task);
    if (ctx->stream != NULL) {
        /* A streamed body's pump ended without closing the stream (it
         * failed, or was cancelled): the client must not see a clean end. */
        PyObject *r = sqpy_task_result(task);
        if (r == NULL && !PyErr_ExceptionMatches(ctx->server->st->cancelled_error))
            sqpy_log_current_exception(ctx->server->st, "squall: the streamed response failed");
        PyErr_Clear();
        Py_XDECREF(r);
        sqpy_stream_abort(ctx);
    } else if (ctx->res != NULL) {
        PyObject *result = sqpy_task_result(task);
        if (result == NULL) {
            sqpy_answer_exception(ctx);
        } else {
            sqpy_answer_value(ctx, result, ctx->route->status_code);
            Py_DECREF(result);
        }
    }
    Py_DECREF(ctx);
}

static PyObject *ctx_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                PyObject *kwnames) {
    sqpy_ctx *ctx = (sqpy_ctx *)self;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0) {
        PyErr_SetString(PyExc_TypeError, "request context takes no keyword arguments");
        return NULL;
    }
    /* Keep ourselves alive: answering drops the responder's reference. */
    Py_INCREF(ctx);
    (void)args;
    if (nargs != 0) {
        Py_DECREF(ctx);
        PyErr_SetString(PyExc_TypeError, "request context takes no arguments");
        return NULL;
    }
    run_job(ctx);
    Py_DECREF(ctx);
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* Type                                                                */
/* ------------------------------------------------------------------ */

static int ctx_traverse(sqpy_ctx *ctx, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(ctx));
    Py_VISIT(ctx->server);
    Py_VISIT(ctx->task);
    Py_VISIT(ctx->request);
    Py_VISIT(ctx->pyctx);
    Py_VISIT(ctx->stream);
    return 0;
}

static int ctx_clear(sqpy_ctx *ctx) {
    Py_CLEAR(ctx->task);
    Py_CLEAR(ctx->request);
    Py_CLEAR(ctx->pyctx);
    Py_CLEAR(ctx->stream);
    return 0;
}

static void ctx_dealloc(sqpy_ctx *ctx) {
    PyTypeObject *tp = Py_TYPE(ctx);
    PyObject_GC_UnTrack(ctx);
    /* A context still holding a responder cannot get here: the responder's
     * data slot owns a reference until the answer is sent. */
    sqpy_free_args(ctx->args, ctx->nargs);
    Py_CLEAR(ctx->call_kwnames);
    ctx_clear(ctx);
    Py_CLEAR(ctx->server);
    PyObject_GC_Del(ctx);
    Py_DECREF(tp);
}

static PyMemberDef ctx_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(sqpy_ctx, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot ctx_slots[] = {
    {Py_tp_dealloc, ctx_dealloc},
    {Py_tp_traverse, ctx_traverse},
    {Py_tp_clear, ctx_clear},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_members, ctx_members},
    {0, NULL},
};

PyType_Spec sqpy_ctx_spec = {
    .name = "squall._squall._RequestContext",
    .basicsize = sizeof(sqpy_ctx),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
             Py_TPFLAGS_DISALLOW_INSTANTIATION | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = ctx_slots,
};
