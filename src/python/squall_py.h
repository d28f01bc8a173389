/* squall._squall: declarations shared by the extension's source files.
 *
 * Files and their jobs:
 *   module.c            multi-phase init, module state (interned strings,
 *                       cached types), json_dumps / json_loads
 *   server_type.c       the Server heap type (config, routes, poll, shutdown)
 *   dispatch.c          on_request / on_cancel: kwargs, calling endpoints
 *   coroutine_driver.c  async endpoints: start the task, answer now or later
 *   endpoint_task.c     EndpointTask, the C task an async endpoint runs in
 *   request_ctx.c       the per-request object (task finished, thread job)
 *   response_stream.c   StreamingResponse bodies: ResponseStream, on_writable
 *   response.c          return value / Response / exception -> sq_respond
 *   upload_parts.c      multipart file parts into the body object
 *   json_to_python.c    sq_json_value -> Python objects
 *   python_to_json.c    Python objects -> JSON text (the C encoder)
 *
 * Threading: every function here needs the GIL unless its comment says
 * otherwise. Internal names shared between files use the sqpy_ prefix. */
#ifndef SQUALL_PY_H
#define SQUALL_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "squall/handler.h"
#include "squall/json.h"
#include "squall/server.h"
#include "squall/validator.h"

/* ------------------------------------------------------------------ */
/* Keeping an exception aside across cleanup calls (no deprecated API on  */
/* 3.12+, where PyErr_Fetch/Restore are deprecated).                     */
/* ------------------------------------------------------------------ */

typedef struct sqpy_saved_err {
    PyObject *type, *value, *tb;
} sqpy_saved_err;

static inline void sqpy_err_save(sqpy_saved_err *s) {
#if PY_VERSION_HEX >= 0x030C0000
    s->type = s->tb = NULL;
    s->value = PyErr_GetRaisedException();
#else
    PyErr_Fetch(&s->type, &s->value, &s->tb);
#endif
}

static inline void sqpy_err_restore(sqpy_saved_err *s) {
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(s->value);
#else
    PyErr_Restore(s->type, s->value, s->tb);
#endif
}

/* The raised exception as a new reference to a normalized instance (with
 * its traceback attached), cleared from the thread state; NULL if none. */
static inline PyObject *sqpy_fetch_exception(void) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL)
        return NULL;
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* getattr(obj, name, None) without raising: 1 found (*out new ref), 0 absent
 * (*out NULL), -1 error. */
static inline int sqpy_get_optional_attr(PyObject *obj, PyObject *name, PyObject **out) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyObject_GetOptionalAttr(obj, name, out);
#else
    return _PyObject_LookupAttr(obj, name, out);
#endif
}

/* ------------------------------------------------------------------ */
/* Module state                                                        */
/* ------------------------------------------------------------------ */

typedef struct sqpy_state {
    PyTypeObject *server_type;
    PyTypeObject *ctx_type;

    /* Cached objects (strong references). */
    PyTypeObject *task_type;        /* EndpointTask (endpoint_task.c) */
    PyTypeObject *task_waiter_type; /* what `await task` iterates */
    PyTypeObject *stream_type;      /* ResponseStream (response_stream.c) */
    PyObject *logger;          /* logging.getLogger("squall.error") */
    PyObject *uuid_type;       /* uuid.UUID */
    PyObject *enum_type;       /* enum.Enum */
    PyObject *decimal_type;    /* decimal.Decimal */
    PyObject *dataclass_fields; /* dataclasses.fields */
    PyObject *cancelled_error;     /* asyncio.CancelledError */
    PyObject *invalid_state_error; /* asyncio.InvalidStateError */
    PyObject *register_task;   /* asyncio.tasks._register_task, or NULL where there is none */
    PyObject *task_name;       /* the name endpoint tasks report */
    /* asyncio's current task: the loop -> task dict asyncio.current_task()
     * reads (3.11-3.13), else asyncio.tasks._swap_current_task. */
    PyObject *current_task;
    PyObject *swap_current_task;
    PyObject *kwnames_context; /* ("context",) */
    PyObject *kwnames_msg;     /* ("msg",) */

    /* Interned strings. */
    PyObject *str_status_code, *str_body, *str_raw_headers;
    PyObject *str_done, *str_result, *str_cancel, *str_add_done_callback;
    PyObject *str_call_soon, *str_future_blocking, *str_get_loop, *str_wakeup, *str_step;
    PyObject *str_throw, *str_cr_frame;
    PyObject *str_pump, *str_create_future, *str_set_result, *str_call_soon_threadsafe;
    PyObject *str_submit, *str_isoformat;
    PyObject *str_dataclass_fields, *str_struct_fields, *str_struct_encode_fields;
    PyObject *str_model_dump, *str_dict, *str_value, *str_by_alias;
    PyObject *str_is_finite, *str_error, *str_exc_info;
    PyObject *str_type, *str_loc, *str_msg, *str_input, *str_ctx;
} sqpy_state;

sqpy_state *sqpy_state_of_type(PyTypeObject *tp);

/* ------------------------------------------------------------------ */
/* Server and routes                                                   */
/* ------------------------------------------------------------------ */

/* One registered route. Owned by its server (plain C struct, not a Python
 * object): route_data in the core points here. */
typedef struct sqpy_route {
    PyObject *endpoint;
    PyObject *kwnames;        /* tuple: spec params..., body_kwarg?, request_kwarg? */
    Py_ssize_t num_params;    /* entries of kwnames that map to validation values */
    PyObject *converters;     /* tuple (len num_params) of callables/None, or NULL */
    PyObject *body_kwarg;     /* str or NULL */
    PyObject *body_converter; /* callable or NULL */
    PyObject *request_kwarg;  /* str or NULL */
    PyObject *param_names;    /* tuple: the validator's names (for `validated`) */
    int is_async;
    int inline_sync;
    int status_code;
    int wants_errors;
    sq_validator *validator;  /* NULL when the route has no spec */
} sqpy_route;

typedef struct sqpy_key_cache sqpy_key_cache; /* json_to_python.c */

typedef struct sqpy_server {
    PyObject_HEAD
    sqpy_state *st;           /* module state (the module outlives its types' instances) */
    sq_server *srv;           /* NULL after close() */
    sqpy_route **routes;
    size_t num_routes, cap_routes;
    int started;

    /* Set while poll() runs with the GIL released: callbacks from the core
     * must take it back with PyEval_RestoreThread(tstate). */
    PyThreadState *tstate;
    int polling;              /* inside poll(): callbacks must not poll again */
    unsigned long loop_ident; /* the thread that polls (PyThread_get_thread_ident) */

    /* configure() */
    PyObject *loop;
    PyObject *executor_submit;
    PyObject *response_type;
    PyObject *error_handler;
    PyObject *validation_error_handler;
    PyObject *request_factory;
    char *problem_type_base;

    sqpy_key_cache *keys;     /* JSON object keys seen in request bodies (loop thread) */
    Py_ssize_t inflight;      /* requests whose responder we still hold (GIL-protected) */
    Py_ssize_t pool_jobs;     /* thread-pool jobs submitted and not finished (GIL-protected) */
    PyObject *weakreflist;
} sqpy_server;

extern PyType_Spec sqpy_server_spec;

/* ------------------------------------------------------------------ */
/* Per-request context                                                 */
/* ------------------------------------------------------------------ */

/* Lives from on_request until the responder is given back. It is the
 * responder's data (sq_responder_set_data), the Task's done callback and,
 * for thread-pool endpoints, the job the executor runs. */
typedef struct sqpy_ctx {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    sqpy_server *server;      /* strong */
    sqpy_route *route;        /* owned by server */
    sq_responder *res;        /* NULL once answered */
    const sq_request *req;    /* valid while res != NULL */
    PyObject *task;           /* EndpointTask while an async endpoint is suspended, or NULL */
    PyObject *request;        /* cached squall.Request or NULL */
    /* Thread-pool endpoints: the prepared call. */
    PyObject **args;
    Py_ssize_t nargs;
    PyObject *call_kwnames;
    PyObject *pyctx;          /* contextvars.Context the job runs in, or NULL */
    PyObject *stream;         /* ResponseStream while a streamed body is open, or NULL */
} sqpy_ctx;

extern PyType_Spec sqpy_ctx_spec;

sqpy_ctx *sqpy_ctx_new(sqpy_server *server, sqpy_route *route, const sq_request *req,
                       sq_responder *res);
/* Borrowed-or-new: the Request object for this ctx (built once). New ref. */
PyObject *sqpy_ctx_request(sqpy_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Dispatch (dispatch.c, coroutine_driver.c)                           */
/* ------------------------------------------------------------------ */

void sqpy_on_request(void *vctx, const sq_request *req, sq_responder *res);
void sqpy_on_cancel(void *vctx, sq_responder *res);
/* The GIL around a core callback while poll() released it: take returns
 * whether it was taken, give puts it back. */
int sqpy_gil_take(sqpy_server *server);
void sqpy_gil_give(sqpy_server *server, int taken);

/* Builds the endpoint's arguments. On success *out_args is a PyMem array of
 * new references (length *out_n) and *out_kwnames a new reference. */
int sqpy_build_call(sqpy_ctx *ctx, PyObject ***out_args, Py_ssize_t *out_n,
                    PyObject **out_kwnames);
void sqpy_free_args(PyObject **args, Py_ssize_t n);

/* Runs an async endpoint's coroutine in an EndpointTask. Steals nothing;
 * answers through ctx (now, or when the task finishes). */
void sqpy_drive_coroutine(sqpy_ctx *ctx, PyObject *coro);

/* ------------------------------------------------------------------ */
/* Endpoint tasks (endpoint_task.c)                                    */
/* ------------------------------------------------------------------ */

extern PyType_Spec sqpy_task_spec, sqpy_task_waiter_spec;

/* A new task for coro on loop, in a copy of the current context, whose
 * first step has already run (the coroutine may be finished). New ref. */
PyObject *sqpy_task_start(sqpy_state *st, PyObject *loop, PyObject *coro);
/* _squall.start_endpoint_task(coro, loop): sqpy_task_start for tests. */
PyObject *sqpy_start_endpoint_task(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
/* The request answered when a suspended task finishes (strong ref). */
void sqpy_task_set_owner(PyObject *task, sqpy_ctx *owner);
int sqpy_task_is_done(PyObject *task);
/* The contextvars.Context the task's coroutine runs in (borrowed). */
PyObject *sqpy_task_context(PyObject *task);
/* The result (new ref) or NULL with the exception (CancelledError if cancelled). */
PyObject *sqpy_task_result(PyObject *task);
/* task.cancel(): 1 requested, 0 already done, -1 error. */
int sqpy_task_cancel(PyObject *task);
/* request_ctx.c: answers ctx from its finished task. */
void sqpy_ctx_task_finished(sqpy_ctx *ctx, PyObject *task);

/* ------------------------------------------------------------------ */
/* Streamed responses (response_stream.c)                              */
/* ------------------------------------------------------------------ */

extern PyType_Spec sqpy_stream_spec;

/* Sends the head of a streamed response (ctx must hold its responder) and
 * starts resp._pump(stream). `length` >= 0 is the Content-Length the
 * response declared (no chunking; the body must match it), -1 for none.
 * 0 when the request is now taken care of (the stream runs, or its failure
 * was answered and logged); -1 with an exception only if nothing was sent. */
int sqpy_start_stream(sqpy_ctx *ctx, PyObject *resp, int status, const sq_header_out *headers,
                      size_t num_headers, long long length);
/* Gives back an open stream's responder unfinished (the pump left it open). */
void sqpy_stream_abort(sqpy_ctx *ctx);
void sqpy_on_writable(void *vctx, sq_responder *res);

/* ------------------------------------------------------------------ */
/* Responses (response.c)                                              */
/* ------------------------------------------------------------------ */

/* Takes the responder out of ctx (NULL if already answered), and the
 * bookkeeping once it was given back (rc: what the core answered). */
sq_responder *sqpy_ctx_claim(sqpy_ctx *ctx);
void sqpy_ctx_retire(sqpy_ctx *ctx, int rc, int status);
/* Answers with an endpoint's return value (borrowed). Never fails: any
 * problem becomes a 500 (through the error handler where possible). */
void sqpy_answer_value(sqpy_ctx *ctx, PyObject *value, int status);
/* Answers for the currently raised exception (which it clears). */
void sqpy_answer_exception(sqpy_ctx *ctx);
/* Sends exactly this reply (copied by the core). */
void sqpy_answer_raw(sqpy_ctx *ctx, int status, const sq_header_out *headers, size_t nh,
                     const void *body, size_t len);
/* Generic 500 problem+json, no Python involved beyond what is given. */
void sqpy_answer_500(sqpy_ctx *ctx);
/* Logs the current exception (and clears it) to "squall.error". */
void sqpy_log_current_exception(sqpy_state *st, const char *what);

/* ------------------------------------------------------------------ */
/* JSON (json_to_python.c, python_to_json.c)                           */
/* ------------------------------------------------------------------ */

PyObject *sqpy_json_to_python(const sq_json_value *v);
/* The same with a key cache kept across documents (a server's), or NULL. */
PyObject *sqpy_json_to_python_keys(const sq_json_value *v, sqpy_key_cache *keys);
sqpy_key_cache *sqpy_key_cache_new(void);
void sqpy_key_cache_free(sqpy_key_cache *keys); /* needs the GIL */
/* Registers the names a route's JSON body schema declares, for lookup by
 * address (json_to_python.c). The validator must live as long as the cache. */
int sqpy_key_cache_add_names(sqpy_key_cache *keys, const sq_validator *v);

/* Growable byte buffer of the encoder (independent of the core's sq_buf so
 * the encoder has no allocation contract with it). */
typedef struct sqpy_buf {
    char *data;
    size_t len, cap;
} sqpy_buf;

#define SQPY_JSON_MAX_DEPTH 256

/* Appends the JSON text of obj. Returns 0, or -1 with a Python exception
 * (TypeError for unsupported types, ValueError for NaN/Infinity, too deep
 * nesting, lone surrogates). */
int sqpy_encode_json(sqpy_state *st, PyObject *obj, sqpy_buf *out);
void sqpy_buf_free(sqpy_buf *b);

/* Multipart file parts into the body dict (upload_parts.c): 0 or -1. */
int sqpy_attach_files(PyObject *body, const sq_validation *val);

PyObject *sqpy_json_dumps(PyObject *module, PyObject *obj);
PyObject *sqpy_json_loads(PyObject *module, PyObject *data);

#endif
