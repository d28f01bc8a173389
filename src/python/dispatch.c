/* squall._squall: the core's handler callbacks. on_request builds the
 * endpoint's keyword arguments straight from the validated values and
 * calls it with PyObject_Vectorcall (no kwargs dict), then answers or hands
 * the work to the coroutine driver or the thread pool. */
#include "squall_py.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* GIL around the core's callbacks                                     */
/* ------------------------------------------------------------------ */

/* poll() releases the GIL and leaves its thread state in server->tstate.
 * Callbacks that arrive inside poll() take it back; callbacks from code
 * that already holds it (close() destroying the server) find NULL. */
int sqpy_gil_take(sqpy_server *server) {
    PyThreadState *ts = server->tstate;
    if (ts == NULL)
        return 0;
    server->tstate = NULL;
    PyEval_RestoreThread(ts);
    return 1;
}

void sqpy_gil_give(sqpy_server *server, int taken) {
    if (taken)
        server->tstate = PyEval_SaveThread();
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

void sqpy_free_args(PyObject **args, Py_ssize_t n) {
    if (args == NULL)
        return;
    for (Py_ssize_t i = 0; i < n; i++)
        Py_XDECREF(args[i]);
    PyMem_Free(args);
}

/* The body for a route without a validator: the raw body parsed as JSON
 * (None when empty). Returns a new ref, or NULL with ValueError. */
static PyObject *parse_raw_body(const sq_request *req) {
    if (req->body.len == 0)
        Py_RETURN_NONE;
    sq_arena arena;
    sq_arena_init(&arena);
    sq_json_value *root = NULL;
    sq_json_error err = {0, NULL};
    PyObject *out = NULL;
    int rc;
    /* Parsing never needs the GIL (thread-pool handlers keep running). */
    Py_BEGIN_ALLOW_THREADS
    rc = sq_json_parse(req->body.base, req->body.len, &arena, NULL, &root, &err);
    Py_END_ALLOW_THREADS
    if (rc == 0)
        out = sqpy_json_to_python(root);
    else if (rc == SQ_ENOMEM)
        PyErr_NoMemory();
    else
        PyErr_Format(PyExc_ValueError, "request body is not valid JSON (byte %zu: %s)",
                     err.offset, err.reason ? err.reason : "invalid");
    sq_arena_free(&arena);
    return out;
}

/* Applies converter (borrowed, may be NULL/None) to a new ref `v`. */
static PyObject *convert(PyObject *converter, PyObject *v) {
    if (v == NULL || converter == NULL || converter == Py_None)
        return v;
    PyObject *out = PyObject_CallOneArg(converter, v);
    Py_DECREF(v);
    return out;
}

int sqpy_build_call(sqpy_ctx *ctx, PyObject ***out_args, Py_ssize_t *out_n,
                    PyObject **out_kwnames) {
    sqpy_route *route = ctx->route;
    const sq_request *req = ctx->req;
    const sq_validation *val = req->validation;
    Py_ssize_t total = PyTuple_GET_SIZE(route->kwnames);
    *out_args = NULL;
    *out_n = 0;
    *out_kwnames = NULL;
    if (total == 0) {
        *out_kwnames = NULL;
        return 0;
    }
    /* slots[i] is the value for route->kwnames[i] or NULL when omitted. */
    PyObject **slots = PyMem_Calloc((size_t)total, sizeof *slots);
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t present = 0;
    for (Py_ssize_t i = 0; i < route->num_params; i++) {
        const sq_json_value *v = (val != NULL && (size_t)i < val->num_values) ? val->values[i] : NULL;
        if (v == NULL)
            continue; /* absent and optional: the Python default applies */
        PyObject *conv = route->converters ? PyTuple_GET_ITEM(route->converters, i) : NULL;
        slots[i] = convert(conv, sqpy_json_to_python(v));
        if (slots[i] == NULL)
            goto error;
        present++;
    }
    Py_ssize_t k = route->num_params;
    if (route->body_kwarg != NULL) {
        PyObject *body = NULL;
        if (val != NULL) {
            if (val->body != NULL) {
                body = sqpy_json_to_python_keys(val->body, ctx->server->keys);
                if (body != NULL && sqpy_attach_files(body, val) < 0)
                    Py_CLEAR(body);
            }
        } else {
            body = parse_raw_body(req);
            if (body == Py_None)
                Py_CLEAR(body); /* empty body: leave the default in place */
        }
        if (body == NULL && PyErr_Occurred())
            goto error;
        if (body != NULL) {
            slots[k] = convert(route->body_converter, body);
            if (slots[k] == NULL)
                goto error;
            present++;
        }
        k++;
    }
    if (route->request_kwarg != NULL) {
        slots[k] = sqpy_ctx_request(ctx);
        if (slots[k] == NULL)
            goto error;
        present++;
    }

    if (present == total) {
        /* Fast path: every keyword present, reuse the route's tuple. */
        *out_args = slots;
        *out_n = total;
        *out_kwnames = Py_NewRef(route->kwnames);
        return 0;
    }
    /* Some omitted: compact the slots and build a matching names tuple. */
    PyObject *names = PyTuple_New(present);
    if (names == NULL)
        goto error;
    Py_ssize_t j = 0;
    for (Py_ssize_t i = 0; i < total; i++) {
        if (slots[i] == NULL)
            continue;
        slots[j] = slots[i];
        if (j != i)
            slots[i] = NULL;
        PyTuple_SET_ITEM(names, j, Py_NewRef(PyTuple_GET_ITEM(route->kwnames, i)));
        j++;
    }
    *out_args = slots;
    *out_n = present;
    *out_kwnames = names;
    return 0;

error:
    sqpy_free_args(slots, total);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Validation errors (routes registered with wants_errors)             */
/* ------------------------------------------------------------------ */

static PyObject *errors_to_python(sqpy_state *st, const sq_validation *val) {
    PyObject *list = PyList_New((Py_ssize_t)val->num_errors);
    if (list == NULL)
        return NULL;
    for (size_t i = 0; i < val->num_errors; i++) {
        const sq_validation_error *e = &val->errors[i];
        PyObject *d = PyDict_New();
        if (d == NULL)
            goto error;
        PyList_SET_ITEM(list, (Py_ssize_t)i, d); /* steals; still usable via d */
        PyObject *v;
        v = PyUnicode_FromString(e->type ? e->type : "");
        if (v == NULL || PyDict_SetItem(d, st->str_type, v) < 0)
            goto item_error;
        Py_DECREF(v);
        v = e->loc ? sqpy_json_to_python(e->loc) : PyList_New(0);
        if (v == NULL)
            goto error;
        /* pydantic's loc is a tuple. */
        if (PyList_Check(v))
            Py_SETREF(v, PyList_AsTuple(v));
        if (v == NULL || PyDict_SetItem(d, st->str_loc, v) < 0)
            goto item_error;
        Py_DECREF(v);
        v = PyUnicode_FromString(e->msg ? e->msg : "");
        if (v == NULL || PyDict_SetItem(d, st->str_msg, v) < 0)
            goto item_error;
        Py_DECREF(v);
        if (e->input != NULL) {
            v = sqpy_json_to_python(e->input);
            if (v == NULL || PyDict_SetItem(d, st->str_input, v) < 0)
                goto item_error;
            Py_DECREF(v);
        }
        if (e->ctx != NULL) {
            v = sqpy_json_to_python(e->ctx);
            if (v == NULL || PyDict_SetItem(d, st->str_ctx, v) < 0)
                goto item_error;
            Py_DECREF(v);
        }
        continue;
    item_error:
        Py_XDECREF(v);
        goto error;
    }
    return list;
error:
    Py_DECREF(list);
    return NULL;
}

static void answer_validation_errors(sqpy_ctx *ctx) {
    sqpy_server *server = ctx->server;
    const sq_validation *val = ctx->req->validation;
    int status = val->status ? val->status : 422;
    if (server->validation_error_handler == NULL) {
        /* No Python handler: the core's own rendering, with the content
         * type of the body it renders (the 400s are plain JSON). */
        const char *media = sq_validation_content_type(val);
        const sq_header_out ct = {SQ_SLICE_LIT("content-type"), {media, strlen(media)}};
        sq_buf b;
        sq_buf_init(&b);
        if (sq_problem_render_validation(val, server->problem_type_base, &b) == 0)
            sqpy_answer_raw(ctx, status, &ct, 1, b.data, b.len);
        else
            sqpy_answer_500(ctx);
        sq_buf_free(&b);
        return;
    }
    PyObject *errors = errors_to_python(server->st, val);
    if (errors == NULL) {
        sqpy_answer_exception(ctx);
        return;
    }
    PyObject *request = sqpy_ctx_request(ctx);
    if (request == NULL) {
        Py_DECREF(errors);
        sqpy_answer_exception(ctx);
        return;
    }
    PyObject *args[2] = {errors, request};
    PyObject *reply = PyObject_Vectorcall(server->validation_error_handler, args, 2, NULL);
    Py_DECREF(errors);
    Py_DECREF(request);
    if (reply == NULL) {
        sqpy_answer_exception(ctx);
        return;
    }
    sqpy_answer_value(ctx, reply, status);
    Py_DECREF(reply);
}

/* ------------------------------------------------------------------ */
/* on_request / on_cancel                                              */
/* ------------------------------------------------------------------ */

static void dispatch(sqpy_ctx *ctx) {
    sqpy_server *server = ctx->server;
    sqpy_route *route = ctx->route;
    const sq_request *req = ctx->req;

    if (req->validation != NULL && req->validation->num_errors > 0) {
        answer_validation_errors(ctx);
        return;
    }
    PyObject **args;
    Py_ssize_t n;
    PyObject *kwnames;
    if (sqpy_build_call(ctx, &args, &n, &kwnames) < 0) {
        sqpy_answer_exception(ctx);
        return;
    }

    if (route->is_async) {
        /* The coroutine's Task runs in its own copy of the context. */
        PyObject *result = PyObject_Vectorcall(route->endpoint, args, 0, kwnames);
        sqpy_free_args(args, n);
        Py_XDECREF(kwnames);
        if (result == NULL) {
            sqpy_answer_exception(ctx);
            return;
        }
        sqpy_drive_coroutine(ctx, result);
        Py_DECREF(result);
        return;
    }

    /* A sync endpoint runs in a fresh copy of the current context, as a
     * Task would: otherwise a ContextVar it sets stays in the loop's reader
     * context (or the pool thread's) and leaks into every later request. */
    PyObject *pyctx = PyContext_CopyCurrent();
    if (pyctx == NULL) {
        sqpy_free_args(args, n);
        Py_XDECREF(kwnames);
        sqpy_answer_exception(ctx);
        return;
    }
    if (route->inline_sync || server->executor_submit == NULL) {
        if (PyContext_Enter(pyctx) < 0) {
            Py_DECREF(pyctx);
            sqpy_free_args(args, n);
            Py_XDECREF(kwnames);
            sqpy_answer_exception(ctx);
            return;
        }
        PyObject *result = PyObject_Vectorcall(route->endpoint, args, 0, kwnames);
        sqpy_free_args(args, n);
        Py_XDECREF(kwnames);
        if (result == NULL) {
            sqpy_answer_exception(ctx);
        } else {
            sqpy_answer_value(ctx, result, route->status_code);
            Py_DECREF(result);
        }
        if (PyContext_Exit(pyctx) < 0)
            PyErr_WriteUnraisable(pyctx); /* the endpoint left another context entered */
        Py_DECREF(pyctx);
        return;
    }

    /* Thread pool: the context is the job; it owns the prepared call. */
    ctx->args = args;
    ctx->nargs = n;
    ctx->call_kwnames = kwnames;
    ctx->pyctx = pyctx;
    /* Counted before submit: a pool thread may run the job (and count it
     * out) as soon as submit() lets go of the GIL. */
    server->pool_jobs++;
    PyObject *future = PyObject_CallOneArg(server->executor_submit, (PyObject *)ctx);
    if (future == NULL) {
        /* Not submitted (executor shut down): answer here. */
        server->pool_jobs--;
        sqpy_answer_exception(ctx);
        return;
    }
    Py_DECREF(future);
}

void sqpy_on_request(void *vctx, const sq_request *req, sq_responder *res) {
    sqpy_server *server = vctx;
    int taken = sqpy_gil_take(server);
    sqpy_route *route = req->route_data;
    sqpy_ctx *ctx = route != NULL ? sqpy_ctx_new(server, route, req, res) : NULL;
    if (ctx == NULL) {
        /* Give the responder back unanswered: the core replies 500. */
        if (PyErr_Occurred())
            sqpy_log_current_exception(server->st, "squall: cannot start the request");
        sq_responder_release(res);
    } else {
        dispatch(ctx);
        Py_DECREF(ctx); /* ours; the responder slot keeps its own until answered */
    }
    if (PyErr_Occurred())
        sqpy_log_current_exception(server->st, "squall: error while dispatching");
    sqpy_gil_give(server, taken);
}

void sqpy_on_cancel(void *vctx, sq_responder *res) {
    sqpy_server *server = vctx;
    int taken = sqpy_gil_take(server);
    /* Borrowed: the slot's reference. NULL once an answer claimed the
     * responder (response.c's claim(), under the GIL like this read): the
     * context may already be freed then, and there is nothing to cancel.
     * on_cancel never gives the responder back itself: the answer path is
     * the only one that does, exactly once. */
    sqpy_ctx *ctx = sq_responder_get_data(res);
    if (ctx != NULL && ctx->task != NULL) {
        /* The task answers when it finishes (SQ_EGONE, nothing sent) and
         * gives the responder back. */
        PyObject *task = Py_NewRef(ctx->task);
        if (sqpy_task_cancel(task) < 0)
            sqpy_log_current_exception(server->st, "squall: cancelling a task failed");
        Py_DECREF(task);
    }
    /* Thread-pool jobs notice sq_responder_is_gone() before running. */
    sqpy_gil_give(server, taken);
}
