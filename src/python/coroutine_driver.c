/* squall._squall: how an async endpoint's coroutine is run and answered.
 *
 * The coroutine runs in an EndpointTask (endpoint_task.c) whose first step
 * runs here, inside on_request, already as asyncio's current task. A
 * coroutine that finishes without suspending is answered at once, with no
 * loop turn and no task left behind. One that suspends is answered by the
 * task when it finishes (sqpy_ctx_task_finished); until then ctx->task
 * lets on_cancel cancel it when the client goes away. */
#include "squall_py.h"

void sqpy_drive_coroutine(sqpy_ctx *ctx, PyObject *coro) {
    sqpy_server *server = ctx->server;
    if (server->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Server.configure() was not called");
        sqpy_answer_exception(ctx);
        return;
    }
    PyObject *task = sqpy_task_start(server->st, server->loop, coro);
    if (task == NULL) {
        /* Not a coroutine (or no memory). Close a coroutine so it does not
         * warn "never awaited". */
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
    if (sqpy_task_is_done(task)) {
        /* Finished within its first step: answer now, no loop turn. */
        PyObject *result = sqpy_task_result(task);
        if (result == NULL) {
            Py_DECREF(task);
            sqpy_answer_exception(ctx);
            return;
        }
        /* A Response may go on running code (a StreamingResponse's body):
         * answer it in the endpoint's context, as when the task finishes
         * later, so ContextVars the endpoint set reach it. A plain dict or
         * list needs no context. */
        PyObject *pyctx = NULL;
        if (!PyDict_CheckExact(result) && !PyList_CheckExact(result)) {
            pyctx = sqpy_task_context(task);
            if (PyContext_Enter(pyctx) < 0) {
                PyErr_Clear();
                pyctx = NULL;
            }
        }
        sqpy_answer_value(ctx, result, ctx->route->status_code);
        if (pyctx != NULL && PyContext_Exit(pyctx) < 0)
            PyErr_WriteUnraisable(pyctx);
        Py_DECREF(result);
        Py_DECREF(task);
        return;
    }
    /* Suspended: the task answers ctx when it finishes; on_cancel finds it
     * in ctx->task (ctx is the responder's data). The two references form
     * a cycle that finishing breaks. */
    sqpy_task_set_owner(task, ctx);
    ctx->task = task; /* steals our reference */
}
