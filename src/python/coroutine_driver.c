/* squall._squall: async endpoints run as real asyncio Tasks started eagerly.
 *
 * The coroutine's first step runs inside on_request, already as the current
 * Task (asyncio.current_task(), timeouts, cancellation and per-request
 * contextvars all behave as under any asyncio server). A coroutine that
 * finishes without suspending is answered at once, with no loop turn.
 *
 * - Python 3.12+: asyncio.Task(coro, loop=loop, eager_start=True).
 * - Python 3.11: the worker's loop class (squall._worker.EagerStartLoop)
 *   runs the callback of the next call_soon immediately while
 *   loop._squall_eager is set; the Task constructor's only call_soon is its
 *   first __step, and the flag is cleared before the step runs, so nothing
 *   the step schedules becomes eager. (A one-shot C call_soon set as an
 *   instance attribute of the loop was measured too: no difference above
 *   the noise of this machine, and it de-optimises attribute access on the
 *   loop, so the simpler flag stays.) */
#include "squall_py.h"

/* New reference to the Task wrapping coro (borrowed), or NULL. */
static PyObject *start_task(sqpy_server *server, PyObject *coro) {
    sqpy_state *st = server->st;
    PyObject *loop = server->loop;
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *args[4] = {NULL, coro, loop, Py_True};
    return PyObject_Vectorcall(st->asyncio_task, args + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                               st->task_kwnames);
#else
    /* The flag is consumed (cleared) by EagerStartLoop.call_soon before
     * the step runs; reset it anyway in case the loop is not ours. */
    if (PyObject_SetAttr(loop, st->str_squall_eager, Py_True) < 0)
        PyErr_Clear(); /* a loop without attributes (uvloop): not eager, still correct */
    PyObject *args[3] = {NULL, coro, loop};
    PyObject *task = PyObject_Vectorcall(st->asyncio_task, args + 1,
                                         1 | PY_VECTORCALL_ARGUMENTS_OFFSET, st->task_kwnames);
    sqpy_saved_err saved;
    sqpy_err_save(&saved);
    if (PyObject_SetAttr(loop, st->str_squall_eager, Py_False) < 0)
        PyErr_Clear();
    sqpy_err_restore(&saved);
    return task;
#endif
}

void sqpy_drive_coroutine(sqpy_ctx *ctx, PyObject *coro) {
    sqpy_server *server = ctx->server;
    sqpy_state *st = server->st;
    if (server->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Server.configure() was not called");
        sqpy_answer_exception(ctx);
        return;
    }
    PyObject *task = start_task(server, coro);
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
