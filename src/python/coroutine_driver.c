/* squall._squall: async endpoints run as real asyncio Tasks started eagerly.
 *
 * The coroutine's first step runs inside on_request, already as the current
 * Task (asyncio.current_task(), timeouts, cancellation and per-request
 * contextvars all behave as under any asyncio server). A coroutine that
 * finishes without suspending is answered at once, with no loop turn.
 *
 * - Python 3.12+: asyncio.Task(coro, loop=loop, eager_start=True).
 * - Python 3.11: the worker's loop class (squall._worker.EagerStartLoop)
 *   has eager_call_soon (below, in C) as its call_soon: while the module
 *   state's eager_pending is set, it runs the callback at once. The Task
 *   constructor's only call_soon is its first __step, and the flag is
 *   cleared before the step runs, so nothing the step schedules becomes
 *   eager. (This replaced a Python call_soon override switched by an
 *   attribute set on the loop twice per request: 4,400 fewer instructions
 *   per request under callgrind, see docs/benchmarks/profile.md.) */
#include "squall_py.h"

/* New reference to the Task wrapping coro (borrowed), or NULL. */
static PyObject *start_task(sqpy_state *st, PyObject *loop, PyObject *coro) {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *args[4] = {NULL, coro, loop, Py_True};
    return PyObject_Vectorcall(st->asyncio_task, args + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                               st->task_kwnames);
#else
    /* Consumed by eager_call_soon (the Task constructor's only call_soon)
     * before the step runs; cleared anyway for a loop that is not ours. */
    st->eager_pending = 1;
    PyObject *args[4] = {NULL, coro, loop, st->task_name};
    PyObject *task = PyObject_Vectorcall(st->asyncio_task, args + 1,
                                         1 | PY_VECTORCALL_ARGUMENTS_OFFSET, st->task_kwnames);
    st->eager_pending = 0;
    return task;
#endif
}

PyObject *sqpy_eager_task(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "eager_task(coro, loop) takes 2 arguments");
        return NULL;
    }
    return start_task((sqpy_state *)PyModule_GetState(module), args[1], args[0]);
}

PyObject *sqpy_eager_call_soon(PyObject *module, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames) {
    sqpy_state *st = (sqpy_state *)PyModule_GetState(module);
    Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    /* Eager only for the Task constructor's call: (loop, step, context=ctx). */
    if (st->eager_pending && st->current_task != NULL && nargs == 2 && nkw <= 1) {
        st->eager_pending = 0;
        PyObject *context = nkw == 1 ? args[2] : Py_None;
        if (nkw == 1 && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "context") != 0)
            goto schedule;
        /* A Task cannot start inside another one on 3.11 (poll() called
         * from a coroutine): schedule it as usual then. */
        PyObject *cur = PyDict_GetItemWithError(st->current_task, args[0]); /* borrowed */
        if (cur == NULL && PyErr_Occurred())
            return NULL;
        if (cur != NULL && cur != Py_None)
            goto schedule;
        if (context != Py_None && PyContext_Enter(context) < 0)
            return NULL;
        PyObject *r = PyObject_CallNoArgs(args[1]);
        if (context != Py_None && PyContext_Exit(context) < 0)
            Py_CLEAR(r);
        if (r == NULL)
            return NULL;
        Py_DECREF(r);
        /* The Task constructor discards the handle. */
        Py_RETURN_NONE;
    }
schedule:
    return PyObject_Vectorcall(st->base_call_soon, args, (size_t)nargs, kwnames);
}

void sqpy_drive_coroutine(sqpy_ctx *ctx, PyObject *coro) {
    sqpy_server *server = ctx->server;
    sqpy_state *st = server->st;
    if (server->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Server.configure() was not called");
        sqpy_answer_exception(ctx);
        return;
    }
    PyObject *task = start_task(st, server->loop, coro);
    if (task == NULL) {
        /* Not a coroutine, or the loop is closed. Close a coroutine so it
         * does not warn "never awaited". */
        if (PyCoro_CheckExact(coro)) {
            sqpy_saved_err saved;
            sqpy_err_save(&saved);
            PyObject *r = PyObject_CallMethod(coro, "close", NULL);
            Py_XDECREF(r);
            PyErr_Clear();
            sqpy_err_restore(&saved);
        }
        sqpy_answer_exception(ctx);
        return;
    }
    PyObject *done = PyObject_CallMethodNoArgs(task, st->str_done);
    int is_done = done == NULL ? -1 : PyObject_IsTrue(done);
    Py_XDECREF(done);
    if (is_done < 0) {
        Py_DECREF(task);
        sqpy_answer_exception(ctx);
        return;
    }
    if (is_done) {
        /* Finished within its first step: answer now, no loop turn. */
        PyObject *result = PyObject_CallMethodNoArgs(task, st->str_result);
        Py_DECREF(task);
        if (result == NULL) {
            sqpy_answer_exception(ctx);
            return;
        }
        sqpy_answer_value(ctx, result, ctx->route->status_code);
        Py_DECREF(result);
        return;
    }
    /* Suspended: the Task answers through ctx(task) when done; on_cancel
     * finds it in ctx->task (ctx is the responder's data). */
    ctx->task = task; /* steals our reference */
    PyObject *r = PyObject_CallMethodOneArg(task, st->str_add_done_callback, (PyObject *)ctx);
    if (r == NULL) {
        PyObject *c = PyObject_CallMethodNoArgs(task, st->str_cancel);
        Py_XDECREF(c);
        sqpy_answer_exception(ctx);
        return;
    }
    Py_DECREF(r);
}
