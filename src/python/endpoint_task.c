/* squall._squall.EndpointTask: the task an async endpoint's coroutine runs
 * in, written in C.
 *
 * Why not asyncio.Task: for a handler that never suspends, the Task was
 * about 65% of the request's instructions (docs/benchmarks/profile.md):
 * its constructor, its registration in asyncio's all-tasks WeakSet (Python
 * code on 3.11), its name, its done-callback machinery and the loop turn or
 * eager-start trick its first step needs. This type runs the first step
 * directly inside dispatch and answers at once when the coroutine returns.
 *
 * What code inside the handler sees is a task: asyncio.current_task()
 * returns it while its coroutine runs, and it has the Task methods that
 * asyncio.timeout, asyncio.TaskGroup, anyio's cancel scopes and sniffio
 * use (cancel(msg), uncancel(), cancelling(), done(), result(), get_coro(),
 * get_loop(), add_done_callback(), _fut_waiter, _must_cancel, ...), it can
 * be awaited like a Future, and it is weak-referenceable. Its step follows
 * asyncio.Task.__step: a yielded Future gets the wake-up callback, a bare
 * yield (asyncio.sleep(0)) schedules the next step with call_soon, a
 * cancel() cancels the awaited Future or throws CancelledError into the
 * coroutine at its next step.
 *
 * What differs: it is not an instance of asyncio.Task, and
 * asyncio.all_tasks() does not list it (the server cancels its endpoints'
 * tasks itself when a client leaves or at shutdown).
 *
 * Ownership: the request context (sqpy_ctx) holds the task while it is
 * suspended (ctx->task) and the task holds the context (owner) until it
 * finishes; finishing breaks the cycle and answers the request. */
#include "squall_py.h"

#include <structmember.h>

enum { TASK_PENDING, TASK_FINISHED, TASK_CANCELLED };

typedef struct sqpy_task {
    PyObject_HEAD
    sqpy_state *st;
    PyObject *loop;
    PyObject *coro;
    PyObject *context;    /* contextvars.Context the coroutine runs in */
    PyObject *fut_waiter; /* the Future the coroutine waits for, or NULL */
    PyObject *result;     /* FINISHED without exception */
    PyObject *exception;  /* FINISHED with exception, or CANCELLED's CancelledError (may be NULL) */
    PyObject *exception_tb; /* its traceback when it finished: result() restores it, so
                             * raising the same object again does not grow it (asyncio) */
    PyObject *cancel_msg;
    PyObject *callbacks;  /* list of (fn, context) tuples, or NULL */
    PyObject *name;       /* NULL: the default name */
    sqpy_ctx *owner;      /* the request answered when this finishes, or NULL */
    PyObject *weakreflist;
    int state;
    int must_cancel;
    int future_blocking;  /* asyncio's _asyncio_future_blocking, while awaited */
    int num_cancels_requested;
} sqpy_task;

#define TASK(o) ((sqpy_task *)(o))

static int schedule_step(sqpy_task *t, PyObject *exc);

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* loop.call_soon(fn, arg?, context=context); 0 or -1. */
static int call_soon(sqpy_task *t, PyObject *fn, PyObject *arg, PyObject *context) {
    PyObject *args[4] = {NULL, fn, arg, context};
    Py_ssize_t npos = arg != NULL ? 2 : 1;
    if (arg == NULL)
        args[2] = context;
    PyObject *meth = PyObject_GetAttr(t->loop, t->st->str_call_soon);
    if (meth == NULL)
        return -1;
    PyObject *h = PyObject_Vectorcall(meth, args + 1, (size_t)npos | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                      t->st->kwnames_context);
    Py_DECREF(meth);
    if (h == NULL)
        return -1;
    Py_DECREF(h);
    return 0;
}

/* fut.cancel(msg=msg) (no argument when msg is NULL or None): 1 if it was
 * cancelled, 0 if it could not be (already done), -1 on error. */
static int cancel_future(sqpy_state *st, PyObject *fut, PyObject *msg) {
    PyObject *c = msg != NULL && msg != Py_None
                      ? PyObject_VectorcallMethod(st->str_cancel, (PyObject *[]){fut, msg}, 1,
                                                  st->kwnames_msg)
                      : PyObject_CallMethodNoArgs(fut, st->str_cancel);
    if (c == NULL)
        return -1;
    int ok = PyObject_IsTrue(c);
    Py_DECREF(c);
    return ok;
}

static PyObject *new_cancelled_error(sqpy_task *t) {
    if (t->cancel_msg != NULL && t->cancel_msg != Py_None)
        return PyObject_CallOneArg(t->st->cancelled_error, t->cancel_msg);
    return PyObject_CallNoArgs(t->st->cancelled_error);
}

/* Makes `task` the loop's current task; *prev gets the one it replaced
 * (new reference or NULL). Like asyncio's eager start, a task may start
 * while another runs (a request dispatched from inside a coroutine). */
static int swap_in(sqpy_state *st, PyObject *loop, PyObject *task, PyObject **prev) {
    *prev = NULL;
    if (st->current_task != NULL) {
        PyObject *p = PyDict_GetItemWithError(st->current_task, loop); /* borrowed */
        if (p == NULL && PyErr_Occurred())
            return -1;
        *prev = Py_XNewRef(p);
        if (PyDict_SetItem(st->current_task, loop, task) < 0) {
            Py_CLEAR(*prev);
            return -1;
        }
        return 0;
    }
    PyObject *args[3] = {NULL, loop, task};
    PyObject *p = PyObject_Vectorcall(st->swap_current_task, args + 1,
                                      2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (p == NULL)
        return -1;
    if (p == Py_None)
        Py_DECREF(p);
    else
        *prev = p;
    return 0;
}

/* Puts back what swap_in replaced (steals prev). Keeps a raised exception. */
static void swap_out(sqpy_state *st, PyObject *loop, PyObject *prev) {
    sqpy_saved_err saved;
    sqpy_err_save(&saved);
    int rc;
    if (st->current_task != NULL) {
        if (prev != NULL)
            rc = PyDict_SetItem(st->current_task, loop, prev);
        else if ((rc = PyDict_DelItem(st->current_task, loop)) < 0 &&
                 PyErr_ExceptionMatches(PyExc_KeyError)) {
            PyErr_Clear(); /* the coroutine removed it itself */
            rc = 0;
        }
    } else {
        PyObject *args[3] = {NULL, loop, prev != NULL ? prev : Py_None};
        PyObject *r = PyObject_Vectorcall(st->swap_current_task, args + 1,
                                          2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
        rc = r == NULL ? -1 : 0;
        Py_XDECREF(r);
    }
    if (rc < 0)
        PyErr_WriteUnraisable(loop);
    Py_XDECREF(prev);
    sqpy_err_restore(&saved);
}

/* ------------------------------------------------------------------ */
/* Finishing                                                           */
/* ------------------------------------------------------------------ */

/* Sets the final state (steals result and exception: a return value, or
 * the exception raised, or the CancelledError when cancelled, which may be
 * NULL), schedules the done callbacks and answers the owner. Failures to
 * schedule a callback are logged. */
static void finish(sqpy_task *t, int state, PyObject *result, PyObject *exception) {
    t->state = state;
    t->result = result;
    t->exception = exception;
    if (exception != NULL && state == TASK_FINISHED)
        t->exception_tb = PyException_GetTraceback(exception); /* new reference or NULL */
    Py_CLEAR(t->fut_waiter);
    PyObject *cbs = t->callbacks;
    t->callbacks = NULL;
    if (cbs != NULL) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(cbs); i++) {
            PyObject *pair = PyList_GET_ITEM(cbs, i);
            if (call_soon(t, PyTuple_GET_ITEM(pair, 0), (PyObject *)t, PyTuple_GET_ITEM(pair, 1)) < 0)
                PyErr_WriteUnraisable((PyObject *)t);
        }
        Py_DECREF(cbs);
    }
    sqpy_ctx *owner = t->owner;
    if (owner != NULL) {
        t->owner = NULL;
        sqpy_ctx_task_finished(owner, (PyObject *)t);
        Py_DECREF(owner);
    }
}

/* The task's result as a new reference, or NULL with the exception set
 * (CancelledError when cancelled, InvalidStateError while pending). */
PyObject *sqpy_task_result(PyObject *task) {
    sqpy_task *t = TASK(task);
    if (t->state == TASK_PENDING) {
        PyErr_SetString(t->st->invalid_state_error, "Result is not set.");
        return NULL;
    }
    if (t->state == TASK_CANCELLED) {
        PyObject *e = t->exception != NULL ? Py_NewRef(t->exception) : new_cancelled_error(t);
        if (e != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(e), e);
            Py_DECREF(e);
        }
        return NULL;
    }
    if (t->exception != NULL) {
        /* Each raise appends frames to the exception's traceback: start
         * from the one it finished with, as Future.result() does. */
        if (PyException_SetTraceback(t->exception, t->exception_tb != NULL ? t->exception_tb : Py_None) < 0)
            return NULL;
        PyErr_SetObject((PyObject *)Py_TYPE(t->exception), t->exception);
        return NULL;
    }
    return Py_NewRef(t->result);
}

int sqpy_task_is_done(PyObject *task) { return TASK(task)->state != TASK_PENDING; }

PyObject *sqpy_task_context(PyObject *task) { return TASK(task)->context; }

/* ------------------------------------------------------------------ */
/* The step (asyncio.Task.__step)                                      */
/* ------------------------------------------------------------------ */

/* Sends None (exc == NULL) or throws exc into the coroutine. Returns the
 * yielded value (PYGEN_NEXT), the return value (PYGEN_RETURN) or NULL with
 * the exception set (PYGEN_ERROR). */
static PySendResult send_or_throw(PyObject *coro, PyObject *exc, PyObject *throw_name,
                                  PyObject **out) {
    if (exc == NULL)
        return PyIter_Send(coro, Py_None, out);
    *out = PyObject_CallMethodOneArg(coro, throw_name, exc);
    if (*out != NULL)
        return PYGEN_NEXT;
    if (!PyErr_ExceptionMatches(PyExc_StopIteration))
        return PYGEN_ERROR;
    PyObject *e = sqpy_fetch_exception();
    PyObject *v = e != NULL ? ((PyStopIterationObject *)e)->value : NULL;
    *out = Py_NewRef(v != NULL ? v : Py_None);
    Py_XDECREF(e);
    return PYGEN_RETURN;
}

/* After a yield: wait for the yielded Future, or schedule the next step.
 * Steals yielded. */
static int after_yield(sqpy_task *t, PyObject *yielded) {
    sqpy_state *st = t->st;
    PyObject *err = NULL;
    PyObject *blocking;
    if (yielded == Py_None) {
        Py_DECREF(yielded);
        return schedule_step(t, NULL);
    }
    if (sqpy_get_optional_attr(yielded, st->str_future_blocking, &blocking) < 0) {
        Py_DECREF(yielded);
        return -1;
    }
    if (blocking == NULL || blocking == Py_None) {
        Py_XDECREF(blocking);
        err = PyUnicode_FromFormat("Task got bad yield: %R", yielded);
        goto fail_in_coroutine;
    }
    int is_blocking = PyObject_IsTrue(blocking);
    Py_DECREF(blocking);
    if (is_blocking < 0) {
        Py_DECREF(yielded);
        return -1;
    }
    if (!is_blocking) {
        err = PyUnicode_FromFormat("yield was used instead of yield from in task %R with %R",
                                   (PyObject *)t, yielded);
        goto fail_in_coroutine;
    }
    if (yielded == (PyObject *)t) {
        err = PyUnicode_FromFormat("Task cannot await on itself: %R", (PyObject *)t);
        goto fail_in_coroutine;
    }
    /* asyncio.futures._get_loop: get_loop(), else the _loop attribute. */
    PyObject *fut_loop = PyObject_CallMethodNoArgs(yielded, st->str_get_loop);
    if (fut_loop == NULL && PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        fut_loop = PyObject_GetAttrString(yielded, "_loop");
    }
    if (fut_loop == NULL) {
        Py_DECREF(yielded);
        return -1;
    }
    int same_loop = fut_loop == t->loop;
    Py_DECREF(fut_loop);
    if (!same_loop) {
        err = PyUnicode_FromFormat("Task %R got Future %R attached to a different loop",
                                   (PyObject *)t, yielded);
        goto fail_in_coroutine;
    }
    if (PyObject_SetAttr(yielded, st->str_future_blocking, Py_False) < 0) {
        Py_DECREF(yielded);
        return -1;
    }
    PyObject *wakeup = PyObject_GetAttr((PyObject *)t, st->str_wakeup);
    if (wakeup == NULL) {
        Py_DECREF(yielded);
        return -1;
    }
    PyObject *r = PyObject_VectorcallMethod(st->str_add_done_callback,
                                            (PyObject *[]){yielded, wakeup, t->context}, 2,
                                            st->kwnames_context);
    Py_DECREF(wakeup);
    if (r == NULL) {
        Py_DECREF(yielded);
        return -1;
    }
    Py_DECREF(r);
    t->fut_waiter = yielded; /* steals */
    if (t->must_cancel) {
        /* cancel() came while the coroutine ran: pass it to the Future. */
        int ok = cancel_future(st, yielded, t->cancel_msg);
        if (ok < 0)
            return -1;
        if (ok)
            t->must_cancel = 0;
    }
    return 0;

fail_in_coroutine:
    /* As asyncio does: the next step throws a RuntimeError into the coroutine. */
    Py_DECREF(yielded);
    if (err == NULL)
        return -1;
    PyObject *exc = PyObject_CallOneArg(PyExc_RuntimeError, err);
    Py_DECREF(err);
    if (exc == NULL)
        return -1;
    int rc = schedule_step(t, exc);
    Py_DECREF(exc);
    return rc;
}

/* One step. enter_context: the first step enters the task's context
 * itself; later steps are loop callbacks scheduled with context=, which the
 * loop has already entered. Returns 0, or -1 with SystemExit or
 * KeyboardInterrupt from the coroutine set (the task is finished with it),
 * which propagates as it does from an asyncio Task. */
static int task_step(sqpy_task *t, PyObject *exc, int enter_context) {
    sqpy_state *st = t->st;
    if (t->state != TASK_PENDING) {
        PyErr_SetString(st->invalid_state_error, "step(): already done");
        return -1;
    }
    PyObject *own_exc = NULL;
    if (t->must_cancel) {
        if (exc == NULL || !PyObject_TypeCheck(exc, (PyTypeObject *)st->cancelled_error)) {
            own_exc = new_cancelled_error(t);
            if (own_exc == NULL)
                return -1;
            exc = own_exc;
        }
        t->must_cancel = 0;
    }
    Py_CLEAR(t->fut_waiter);

    /* Keep ourselves alive: finishing may drop the owner's reference. */
    Py_INCREF(t);
    PyObject *prev, *out = NULL;
    PySendResult sr;
    if (swap_in(st, t->loop, (PyObject *)t, &prev) < 0) {
        sr = PYGEN_ERROR;
    } else {
        if (enter_context && PyContext_Enter(t->context) < 0) {
            sr = PYGEN_ERROR;
        } else {
            sr = send_or_throw(t->coro, exc, st->str_throw, &out);
            if (enter_context && PyContext_Exit(t->context) < 0)
                PyErr_WriteUnraisable((PyObject *)t); /* the coroutine left a context entered */
        }
        swap_out(st, t->loop, prev);
    }
    Py_XDECREF(own_exc);

    int rc = 0;
    if (sr == PYGEN_RETURN) {
        if (t->must_cancel) {
            t->must_cancel = 0;
            Py_DECREF(out);
            PyObject *e = new_cancelled_error(t);
            if (e == NULL)
                PyErr_Clear(); /* cancelled all the same; result() makes a fresh one */
            finish(t, TASK_CANCELLED, NULL, e);
        } else {
            finish(t, TASK_FINISHED, out, NULL);
        }
    } else if (sr == PYGEN_NEXT) {
        if (after_yield(t, out) < 0 && t->state == TASK_PENDING)
            /* The task cannot go on: finish it with the error, so its
             * request is answered (500) instead of waiting forever. */
            finish(t, TASK_FINISHED, NULL, sqpy_fetch_exception());
    } else {
        PyObject *e = sqpy_fetch_exception();
        if (e == NULL) {
            PyErr_SetString(PyExc_SystemError, "a coroutine step failed without an exception");
            e = sqpy_fetch_exception();
        }
        if (e != NULL && PyObject_TypeCheck(e, (PyTypeObject *)st->cancelled_error)) {
            finish(t, TASK_CANCELLED, NULL, e);
        } else {
            int fatal = e != NULL && (PyErr_GivenExceptionMatches(e, PyExc_KeyboardInterrupt) ||
                                      PyErr_GivenExceptionMatches(e, PyExc_SystemExit));
            if (fatal)
                Py_INCREF(e);
            finish(t, TASK_FINISHED, NULL, e);
            if (fatal) {
                PyErr_SetObject((PyObject *)Py_TYPE(e), e);
                Py_DECREF(e);
                rc = -1;
            }
        }
    }
    Py_DECREF(t);
    return rc;
}

/* Schedules the next step with call_soon (a bare yield, or an exception
 * to throw in). */
static int schedule_step(sqpy_task *t, PyObject *exc) {
    PyObject *step = PyObject_GetAttr((PyObject *)t, t->st->str_step);
    if (step == NULL)
        return -1;
    int rc = call_soon(t, step, exc, t->context);
    Py_DECREF(step);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Starting, cancelling (C API for the dispatcher)                     */
/* ------------------------------------------------------------------ */

PyObject *sqpy_task_start(sqpy_state *st, PyObject *loop, PyObject *coro) {
    if (!PyCoro_CheckExact(coro) && !PyObject_HasAttr(coro, st->str_throw)) {
        PyErr_Format(PyExc_TypeError, "a coroutine was expected, got %R", coro);
        return NULL;
    }
    sqpy_task *t = PyObject_GC_New(sqpy_task, st->task_type);
    if (t == NULL)
        return NULL;
    t->st = st;
    t->loop = Py_NewRef(loop);
    t->coro = Py_NewRef(coro);
    t->context = PyContext_CopyCurrent();
    t->fut_waiter = t->result = t->exception = t->exception_tb = t->cancel_msg = t->callbacks = t->name = NULL;
    t->owner = NULL;
    t->weakreflist = NULL;
    t->state = TASK_PENDING;
    t->must_cancel = t->future_blocking = t->num_cancels_requested = 0;
    PyObject_GC_Track(t);
    if (t->context == NULL) {
        Py_DECREF(t);
        return NULL;
    }
    if (task_step(t, NULL, 1) < 0) {
        /* SystemExit/KeyboardInterrupt: the task is finished with it; the
         * caller answers from the task like any other failure. */
        PyErr_Clear();
    }
    if (t->state == TASK_PENDING && st->register_task != NULL) {
        /* Suspended: from now on asyncio.all_tasks() lists it (shutdown
         * code and debuggers look there). A task done in its first step,
         * the common case, never costs the WeakSet insert. */
        PyObject *r = PyObject_CallOneArg(st->register_task, (PyObject *)t);
        if (r == NULL)
            PyErr_WriteUnraisable((PyObject *)t);
        Py_XDECREF(r);
    }
    return (PyObject *)t;
}

PyObject *sqpy_start_endpoint_task(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "start_endpoint_task(coro, loop) takes 2 arguments");
        return NULL;
    }
    return sqpy_task_start((sqpy_state *)PyModule_GetState(module), args[1], args[0]);
}

void sqpy_task_set_owner(PyObject *task, sqpy_ctx *owner) {
    Py_XSETREF(TASK(task)->owner, (sqpy_ctx *)Py_XNewRef(owner));
}

/* Task.cancel(msg): 1 if a cancellation was requested, 0 if already done. */
static int task_cancel(sqpy_task *t, PyObject *msg) {
    if (t->state != TASK_PENDING)
        return 0;
    t->num_cancels_requested++;
    if (t->fut_waiter != NULL) {
        PyObject *w = Py_NewRef(t->fut_waiter);
        int ok = cancel_future(t->st, w, msg);
        Py_DECREF(w);
        if (ok != 0)
            return ok < 0 ? -1 : 1;
    }
    t->must_cancel = 1;
    Py_XSETREF(t->cancel_msg, Py_XNewRef(msg));
    return 1;
}

int sqpy_task_cancel(PyObject *task) { return task_cancel(TASK(task), NULL); }

/* ------------------------------------------------------------------ */
/* Python methods                                                      */
/* ------------------------------------------------------------------ */

static PyObject *m_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError, "_step() takes at most 1 argument");
        return NULL;
    }
    PyObject *exc = nargs == 1 && args[0] != Py_None ? args[0] : NULL;
    if (task_step(TASK(self), exc, 0) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_wakeup(PyObject *self, PyObject *fut) {
    sqpy_task *t = TASK(self);
    PyObject *r = PyObject_CallMethodNoArgs(fut, t->st->str_result);
    int rc;
    if (r != NULL) {
        Py_DECREF(r);
        rc = task_step(t, NULL, 0);
    } else {
        PyObject *e = sqpy_fetch_exception();
        rc = task_step(t, e, 0);
        Py_XDECREF(e);
    }
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_cancel(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                          PyObject *kwnames) {
    PyObject *msg = NULL;
    Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs + nkw > 1 ||
        (nkw == 1 && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "msg") != 0)) {
        PyErr_SetString(PyExc_TypeError, "cancel() takes one optional argument, msg");
        return NULL;
    }
    if (nargs + nkw == 1)
        msg = args[0];
    int r = task_cancel(TASK(self), msg);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

static PyObject *m_uncancel(PyObject *self, PyObject *unused) {
    (void)unused;
    sqpy_task *t = TASK(self);
    if (t->num_cancels_requested > 0) {
        t->num_cancels_requested--;
#if PY_VERSION_HEX >= 0x030D0000
        if (t->num_cancels_requested == 0)
            t->must_cancel = 0; /* 3.13's Task does this too */
#endif
    }
    return PyLong_FromLong(t->num_cancels_requested);
}

static PyObject *m_cancelling(PyObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromLong(TASK(self)->num_cancels_requested);
}

static PyObject *m_done(PyObject *self, PyObject *unused) {
    (void)unused;
    return PyBool_FromLong(TASK(self)->state != TASK_PENDING);
}

static PyObject *m_cancelled(PyObject *self, PyObject *unused) {
    (void)unused;
    return PyBool_FromLong(TASK(self)->state == TASK_CANCELLED);
}

static PyObject *m_result(PyObject *self, PyObject *unused) {
    (void)unused;
    return sqpy_task_result(self);
}

static PyObject *m_exception(PyObject *self, PyObject *unused) {
    (void)unused;
    sqpy_task *t = TASK(self);
    if (t->state == TASK_PENDING) {
        PyErr_SetString(t->st->invalid_state_error, "Exception is not set.");
        return NULL;
    }
    if (t->state == TASK_CANCELLED)
        return sqpy_task_result(self); /* raises the CancelledError */
    return Py_NewRef(t->exception != NULL ? t->exception : Py_None);
}

static PyObject *m_add_done_callback(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                     PyObject *kwnames) {
    sqpy_task *t = TASK(self);
    Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs != 1 || nkw > 1 ||
        (nkw == 1 &&
         PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "context") != 0)) {
        PyErr_SetString(PyExc_TypeError, "add_done_callback(fn, *, context=None)");
        return NULL;
    }
    PyObject *context = nkw == 1 && args[1] != Py_None ? Py_NewRef(args[1]) : PyContext_CopyCurrent();
    if (context == NULL)
        return NULL;
    int rc;
    if (t->state != TASK_PENDING) {
        rc = call_soon(t, args[0], self, context);
    } else {
        PyObject *pair = PyTuple_Pack(2, args[0], context);
        if (pair == NULL) {
            Py_DECREF(context);
            return NULL;
        }
        if (t->callbacks == NULL && (t->callbacks = PyList_New(0)) == NULL)
            rc = -1;
        else
            rc = PyList_Append(t->callbacks, pair);
        Py_DECREF(pair);
    }
    Py_DECREF(context);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *m_remove_done_callback(PyObject *self, PyObject *fn) {
    sqpy_task *t = TASK(self);
    Py_ssize_t removed = 0;
    if (t->callbacks != NULL) {
        PyObject *kept = PyList_New(0);
        if (kept == NULL)
            return NULL;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(t->callbacks); i++) {
            PyObject *pair = PyList_GET_ITEM(t->callbacks, i);
            int eq = PyObject_RichCompareBool(PyTuple_GET_ITEM(pair, 0), fn, Py_EQ);
            if (eq < 0 || (!eq && PyList_Append(kept, pair) < 0)) {
                Py_DECREF(kept);
                return NULL;
            }
            removed += eq;
        }
        Py_SETREF(t->callbacks, kept);
    }
    return PyLong_FromSsize_t(removed);
}

static PyObject *m_get_loop(PyObject *self, PyObject *unused) {
    (void)unused;
    return Py_NewRef(TASK(self)->loop);
}

static PyObject *m_get_coro(PyObject *self, PyObject *unused) {
    (void)unused;
    return Py_NewRef(TASK(self)->coro);
}

static PyObject *m_get_context(PyObject *self, PyObject *unused) {
    (void)unused;
    return Py_NewRef(TASK(self)->context);
}

static PyObject *m_get_name(PyObject *self, PyObject *unused) {
    (void)unused;
    sqpy_task *t = TASK(self);
    return Py_NewRef(t->name != NULL ? t->name : t->st->task_name);
}

static PyObject *m_set_name(PyObject *self, PyObject *value) {
    PyObject *s = PyObject_Str(value);
    if (s == NULL)
        return NULL;
    Py_XSETREF(TASK(self)->name, s);
    Py_RETURN_NONE;
}

static PyObject *m_get_stack(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                             PyObject *kwnames) {
    (void)args;
    (void)nargs;
    (void)kwnames;
    /* The suspended coroutine's frame, as asyncio's get_stack(limit=1) gives. */
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    PyObject *frame;
    if (sqpy_get_optional_attr(TASK(self)->coro, TASK(self)->st->str_cr_frame, &frame) < 0) {
        Py_DECREF(list);
        return NULL;
    }
    if (frame != NULL && frame != Py_None && PyList_Append(list, frame) < 0)
        Py_CLEAR(list);
    Py_XDECREF(frame);
    return list;
}

static PyObject *m_repr(PyObject *self) {
    sqpy_task *t = TASK(self);
    const char *state = t->state == TASK_PENDING    ? "pending"
                        : t->state == TASK_CANCELLED ? "cancelled"
                                                     : "finished";
    return PyUnicode_FromFormat("<EndpointTask %s name=%R coro=%R>", state,
                                t->name != NULL ? t->name : t->st->task_name, t->coro);
}

static PyMethodDef task_methods[] = {
    {"_step", (PyCFunction)(void (*)(void))m_step, METH_FASTCALL, NULL},
    {"_wakeup", m_wakeup, METH_O, NULL},
    {"cancel", (PyCFunction)(void (*)(void))m_cancel, METH_FASTCALL | METH_KEYWORDS,
     "Request cancellation: the awaited Future is cancelled, or CancelledError is thrown in."},
    {"uncancel", m_uncancel, METH_NOARGS, NULL},
    {"cancelling", m_cancelling, METH_NOARGS, NULL},
    {"done", m_done, METH_NOARGS, NULL},
    {"cancelled", m_cancelled, METH_NOARGS, NULL},
    {"result", m_result, METH_NOARGS, NULL},
    {"exception", m_exception, METH_NOARGS, NULL},
    {"add_done_callback", (PyCFunction)(void (*)(void))m_add_done_callback,
     METH_FASTCALL | METH_KEYWORDS, NULL},
    {"remove_done_callback", m_remove_done_callback, METH_O, NULL},
    {"get_loop", m_get_loop, METH_NOARGS, NULL},
    {"get_coro", m_get_coro, METH_NOARGS, NULL},
    {"get_context", m_get_context, METH_NOARGS, NULL},
    {"get_name", m_get_name, METH_NOARGS, NULL},
    {"set_name", m_set_name, METH_O, NULL},
    {"get_stack", (PyCFunction)(void (*)(void))m_get_stack, METH_FASTCALL | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL},
};

/* ------------------------------------------------------------------ */
/* Attributes asyncio and anyio read                                   */
/* ------------------------------------------------------------------ */

static PyObject *g_fut_waiter(PyObject *self, void *c) {
    (void)c;
    PyObject *w = TASK(self)->fut_waiter;
    return Py_NewRef(w != NULL ? w : Py_None);
}

static PyObject *g_must_cancel(PyObject *self, void *c) {
    (void)c;
    return PyBool_FromLong(TASK(self)->must_cancel);
}

static PyObject *g_loop(PyObject *self, void *c) {
    (void)c;
    return Py_NewRef(TASK(self)->loop);
}

static PyObject *g_coro(PyObject *self, void *c) {
    (void)c;
    return Py_NewRef(TASK(self)->coro);
}

static PyObject *g_blocking(PyObject *self, void *c) {
    (void)c;
    return PyBool_FromLong(TASK(self)->future_blocking);
}

static int s_blocking(PyObject *self, PyObject *value, void *c) {
    (void)c;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete _asyncio_future_blocking");
        return -1;
    }
    int b = PyObject_IsTrue(value);
    if (b < 0)
        return -1;
    TASK(self)->future_blocking = b;
    return 0;
}

static PyGetSetDef task_getset[] = {
    {"_fut_waiter", g_fut_waiter, NULL, NULL, NULL},
    {"_must_cancel", g_must_cancel, NULL, NULL, NULL},
    {"_loop", g_loop, NULL, NULL, NULL},
    {"_coro", g_coro, NULL, NULL, NULL},
    {"_asyncio_future_blocking", g_blocking, s_blocking, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef task_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(sqpy_task, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

/* ------------------------------------------------------------------ */
/* Awaiting the task (as a Future)                                     */
/* ------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    sqpy_task *task;
    int yielded;
} sqpy_task_waiter;

static PyObject *task_await(PyObject *self) {
    sqpy_task *t = TASK(self);
    sqpy_task_waiter *w = PyObject_GC_New(sqpy_task_waiter, t->st->task_waiter_type);
    if (w == NULL)
        return NULL;
    w->task = (sqpy_task *)Py_NewRef(self);
    w->yielded = 0;
    PyObject_GC_Track(w);
    return (PyObject *)w;
}

static PyObject *waiter_next(PyObject *self) {
    sqpy_task_waiter *w = (sqpy_task_waiter *)self;
    sqpy_task *t = w->task;
    if (t->state == TASK_PENDING) {
        if (w->yielded) {
            PyErr_SetString(PyExc_RuntimeError, "await wasn't used with future");
            return NULL;
        }
        w->yielded = 1;
        t->future_blocking = 1;
        return Py_NewRef((PyObject *)t); /* the awaiting Task waits for our callbacks */
    }
    PyObject *r = sqpy_task_result((PyObject *)t);
    if (r == NULL)
        return NULL;
    PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, r);
    Py_DECREF(r);
    if (stop != NULL) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    }
    return NULL;
}

static int waiter_traverse(PyObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(((sqpy_task_waiter *)self)->task);
    return 0;
}

static int waiter_clear(PyObject *self) {
    Py_CLEAR(((sqpy_task_waiter *)self)->task);
    return 0;
}

static void waiter_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    waiter_clear(self);
    PyObject_GC_Del(self);
    Py_DECREF(tp);
}

static PyType_Slot waiter_slots[] = {
    {Py_tp_dealloc, waiter_dealloc}, {Py_tp_traverse, waiter_traverse},
    {Py_tp_clear, waiter_clear},     {Py_tp_iter, PyObject_SelfIter},
    {Py_tp_iternext, waiter_next},   {0, NULL},
};

PyType_Spec sqpy_task_waiter_spec = {
    .name = "squall._squall._EndpointTaskWaiter",
    .basicsize = sizeof(sqpy_task_waiter),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = waiter_slots,
};

/* ------------------------------------------------------------------ */
/* Type                                                                */
/* ------------------------------------------------------------------ */

static int task_traverse(PyObject *self, visitproc visit, void *arg) {
    sqpy_task *t = TASK(self);
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(t->loop);
    Py_VISIT(t->coro);
    Py_VISIT(t->context);
    Py_VISIT(t->fut_waiter);
    Py_VISIT(t->result);
    Py_VISIT(t->exception);
    Py_VISIT(t->exception_tb);
    Py_VISIT(t->cancel_msg);
    Py_VISIT(t->callbacks);
    Py_VISIT(t->name);
    Py_VISIT((PyObject *)t->owner);
    return 0;
}

static int task_clear(PyObject *self) {
    sqpy_task *t = TASK(self);
    Py_CLEAR(t->loop);
    Py_CLEAR(t->coro);
    Py_CLEAR(t->context);
    Py_CLEAR(t->fut_waiter);
    Py_CLEAR(t->result);
    Py_CLEAR(t->exception);
    Py_CLEAR(t->exception_tb);
    Py_CLEAR(t->cancel_msg);
    Py_CLEAR(t->callbacks);
    Py_CLEAR(t->name);
    Py_CLEAR(t->owner);
    return 0;
}

static void task_dealloc(PyObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (TASK(self)->weakreflist != NULL)
        PyObject_ClearWeakRefs(self);
    task_clear(self);
    PyObject_GC_Del(self);
    Py_DECREF(tp);
}

static PyType_Slot task_slots[] = {
    {Py_tp_dealloc, task_dealloc},
    {Py_tp_traverse, task_traverse},
    {Py_tp_clear, task_clear},
    {Py_tp_repr, m_repr},
    {Py_tp_methods, task_methods},
    {Py_tp_getset, task_getset},
    {Py_tp_members, task_members},
    {Py_am_await, task_await},
    {Py_tp_iter, task_await}, /* `yield from task`, as Future.__iter__ */
    {Py_tp_doc, "The task an async endpoint runs in (see endpoint_task.c)."},
    {0, NULL},
};

PyType_Spec sqpy_task_spec = {
    .name = "squall._squall.EndpointTask",
    .basicsize = sizeof(sqpy_task),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_DISALLOW_INSTANTIATION |
             Py_TPFLAGS_IMMUTABLETYPE,
    .slots = task_slots,
};
