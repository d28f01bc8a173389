/* squall._squall: module definition (multi-phase init) and module state.
 *
 * The state holds the heap types, interned strings and the handful of
 * stdlib objects the encoder and dispatcher need, fetched once at import so
 * the request path never looks anything up by name in a module dict. */
#include "squall_py.h"

/* ------------------------------------------------------------------ */
/* State access                                                        */
/* ------------------------------------------------------------------ */

sqpy_state *sqpy_state_of_type(PyTypeObject *tp) {
    /* Our heap types are created with PyType_FromModuleAndSpec, so the
     * module (and its state) is reachable from the type. */
    return (sqpy_state *)PyType_GetModuleState(tp);
}

static sqpy_state *state_of_module(PyObject *m) { return (sqpy_state *)PyModule_GetState(m); }

/* ------------------------------------------------------------------ */
/* Module functions                                                    */
/* ------------------------------------------------------------------ */

PyDoc_STRVAR(json_dumps_doc, "json_dumps(obj) -> bytes\n\nEncode obj with the C JSON encoder.");
PyDoc_STRVAR(json_loads_doc,
             "json_loads(data) -> object\n\nParse JSON text (bytes or str) with the C reader.");

static PyMethodDef module_methods[] = {
    {"start_endpoint_task", (PyCFunction)(void (*)(void))sqpy_start_endpoint_task, METH_FASTCALL,
     "start_endpoint_task(coro, loop) -> EndpointTask\n\nStart a task the way dispatch does: "
     "its first step runs now."},
    {"json_dumps", (PyCFunction)sqpy_json_dumps, METH_O, json_dumps_doc},
    {"json_loads", (PyCFunction)sqpy_json_loads, METH_O, json_loads_doc},
    {NULL, NULL, 0, NULL},
};

/* ------------------------------------------------------------------ */
/* Exec slot                                                           */
/* ------------------------------------------------------------------ */

/* New reference to module.attr, or NULL with an exception. */
static PyObject *import_attr(const char *module, const char *attr) {
    PyObject *mod = PyImport_ImportModule(module);
    if (mod == NULL)
        return NULL;
    PyObject *value = PyObject_GetAttrString(mod, attr);
    Py_DECREF(mod);
    return value;
}

#define INTERN(field, text)                                                                       \
    do {                                                                                           \
        st->field = PyUnicode_InternFromString(text);                                              \
        if (st->field == NULL)                                                                     \
            return -1;                                                                             \
    } while (0)

/* getattr(obj, name, None) by C string: 1, 0 (absent, *out NULL) or -1. */
static int optional_attr(PyObject *obj, const char *name, PyObject **out) {
    PyObject *n = PyUnicode_FromString(name);
    if (n == NULL)
        return -1;
    int r = sqpy_get_optional_attr(obj, n, out);
    Py_DECREF(n);
    return r;
}

static int module_exec(PyObject *m) {
    sqpy_state *st = state_of_module(m);

    INTERN(str_status_code, "status_code");
    INTERN(str_body, "body");
    INTERN(str_raw_headers, "raw_headers");
    INTERN(str_done, "done");
    INTERN(str_result, "result");
    INTERN(str_cancel, "cancel");
    INTERN(str_add_done_callback, "add_done_callback");
    INTERN(str_call_soon, "call_soon");
    INTERN(str_future_blocking, "_asyncio_future_blocking");
    INTERN(str_get_loop, "get_loop");
    INTERN(str_wakeup, "_wakeup");
    INTERN(str_step, "_step");
    INTERN(str_throw, "throw");
    INTERN(str_cr_frame, "cr_frame");
    INTERN(str_pump, "_pump");
    INTERN(str_create_future, "create_future");
    INTERN(str_set_result, "set_result");
    INTERN(str_call_soon_threadsafe, "call_soon_threadsafe");
    INTERN(str_submit, "submit");
    INTERN(str_isoformat, "isoformat");
    INTERN(str_dataclass_fields, "__dataclass_fields__");
    INTERN(str_struct_fields, "__struct_fields__");
    INTERN(str_struct_encode_fields, "__struct_encode_fields__");
    INTERN(str_model_dump, "model_dump");
    INTERN(str_dict, "dict");
    INTERN(str_value, "value");
    INTERN(str_by_alias, "by_alias");
    INTERN(str_is_finite, "is_finite");
    INTERN(str_error, "error");
    INTERN(str_exc_info, "exc_info");
    INTERN(str_type, "type");
    INTERN(str_loc, "loc");
    INTERN(str_msg, "msg");
    INTERN(str_input, "input");
    INTERN(str_ctx, "ctx");

    if ((st->cancelled_error = import_attr("asyncio", "CancelledError")) == NULL)
        return -1;
    if ((st->invalid_state_error = import_attr("asyncio", "InvalidStateError")) == NULL)
        return -1;
    /* Where asyncio keeps the tasks all_tasks() lists (a WeakSet for task
     * types other than its own). Private, so optional: without it endpoint
     * tasks are just not listed. */
    if ((st->register_task = import_attr("asyncio.tasks", "_register_task")) == NULL)
        PyErr_Clear();
    if ((st->uuid_type = import_attr("uuid", "UUID")) == NULL)
        return -1;
    if ((st->enum_type = import_attr("enum", "Enum")) == NULL)
        return -1;
    if ((st->decimal_type = import_attr("decimal", "Decimal")) == NULL)
        return -1;
    if ((st->dataclass_fields = import_attr("dataclasses", "fields")) == NULL)
        return -1;
    PyObject *get_logger = import_attr("logging", "getLogger");
    if (get_logger == NULL)
        return -1;
    st->logger = PyObject_CallFunction(get_logger, "s", "squall.error");
    Py_DECREF(get_logger);
    if (st->logger == NULL)
        return -1;

    /* Endpoint tasks (endpoint_task.c) become asyncio's current task
     * through the dict asyncio.current_task() reads where there is one
     * (3.11-3.13: a dict lookup instead of a call), else through
     * asyncio.tasks._swap_current_task. */
    st->task_name = PyUnicode_InternFromString("squall-endpoint");
    st->kwnames_context = Py_BuildValue("(s)", "context");
    st->kwnames_msg = Py_BuildValue("(s)", "msg");
    if (st->task_name == NULL || st->kwnames_context == NULL || st->kwnames_msg == NULL)
        return -1;
    PyObject *tasks = PyImport_ImportModule("asyncio.tasks");
    if (tasks == NULL)
        return -1;
    if (optional_attr(tasks, "_current_tasks", &st->current_task) < 0 ||
        optional_attr(tasks, "_swap_current_task", &st->swap_current_task) < 0) {
        Py_DECREF(tasks);
        return -1;
    }
    Py_DECREF(tasks);
    if (st->current_task != NULL && !PyDict_Check(st->current_task))
        Py_CLEAR(st->current_task);
    if (st->current_task == NULL && st->swap_current_task == NULL) {
        PyErr_SetString(PyExc_ImportError,
                        "asyncio.tasks has neither _current_tasks nor _swap_current_task");
        return -1;
    }
    st->task_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &sqpy_task_spec, NULL);
    if (st->task_type == NULL)
        return -1;
    st->task_waiter_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &sqpy_task_waiter_spec, NULL);
    if (st->task_waiter_type == NULL)
        return -1;
    if (PyModule_AddObjectRef(m, "EndpointTask", (PyObject *)st->task_type) < 0)
        return -1;
    st->stream_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &sqpy_stream_spec, NULL);
    if (st->stream_type == NULL || PyModule_AddObjectRef(m, "ResponseStream", (PyObject *)st->stream_type) < 0)
        return -1;

    st->server_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &sqpy_server_spec, NULL);
    if (st->server_type == NULL)
        return -1;
    st->ctx_type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &sqpy_ctx_spec, NULL);
    if (st->ctx_type == NULL)
        return -1;
    if (PyModule_AddObjectRef(m, "Server", (PyObject *)st->server_type) < 0)
        return -1;
    if (PyModule_AddStringConstant(m, "__version__", "0.1.0") < 0)
        return -1;
    return 0;
}

#undef INTERN

/* ------------------------------------------------------------------ */
/* GC of the state                                                     */
/* ------------------------------------------------------------------ */

#define STATE_FIELDS(X)                                                                           \
    X(server_type) X(ctx_type) X(task_type) X(task_waiter_type) X(logger) X(uuid_type)            \
    X(enum_type) X(decimal_type) X(dataclass_fields) X(cancelled_error) X(invalid_state_error) X(register_task)     \
    X(task_name) X(current_task) X(swap_current_task) X(kwnames_context) X(kwnames_msg)           \
    X(str_call_soon) X(str_future_blocking) X(str_get_loop) X(str_wakeup) X(str_step)             \
    X(str_throw) X(str_cr_frame) X(str_status_code) X(str_body) X(stream_type) X(str_pump)         \
    X(str_create_future) X(str_set_result) X(str_call_soon_threadsafe)               \
    X(str_raw_headers) X(str_done) X(str_result) X(str_cancel) X(str_add_done_callback)            \
    X(str_submit) X(str_isoformat) X(str_dataclass_fields)                     \
    X(str_struct_fields) X(str_struct_encode_fields) X(str_model_dump) X(str_dict) X(str_value)    \
    X(str_by_alias) X(str_is_finite) X(str_error) X(str_exc_info) X(str_type) X(str_loc)          \
    X(str_msg) X(str_input) X(str_ctx)

static int module_traverse(PyObject *m, visitproc visit, void *arg) {
    sqpy_state *st = state_of_module(m);
    if (st == NULL)
        return 0;
#define VISIT(f) Py_VISIT(st->f);
    STATE_FIELDS(VISIT)
#undef VISIT
    return 0;
}

static int module_clear(PyObject *m) {
    sqpy_state *st = state_of_module(m);
    if (st == NULL)
        return 0;
#define CLEAR(f) Py_CLEAR(st->f);
    STATE_FIELDS(CLEAR)
#undef CLEAR
    return 0;
}

static void module_free(void *m) { module_clear((PyObject *)m); }

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, (void *)module_exec},
    {0, NULL},
};

static struct PyModuleDef squall_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "squall._squall",
    .m_doc = "The C core of Squall bound to Python (see _squall.pyi).",
    .m_size = sizeof(sqpy_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit__squall(void) { return PyModuleDef_Init(&squall_module); }
