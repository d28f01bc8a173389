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
    {"json_dumps", (PyCFunction)sqpy_json_dumps, METH_O, json_dumps_doc},
    {"json_loads", (PyCFunction)sqpy_json_loads, METH_O, json_loads_doc},
    {"eager_task", (PyCFunction)(void (*)(void))sqpy_eager_task, METH_FASTCALL,
     "eager_task(coro, loop) -> Task\n\nStart a Task the way dispatch does (eagerly)."},
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

static int module_exec(PyObject *m) {
    sqpy_state *st = state_of_module(m);

    INTERN(str_status_code, "status_code");
    INTERN(str_body, "body");
    INTERN(str_raw_headers, "raw_headers");
    INTERN(str_done, "done");
    INTERN(str_result, "result");
    INTERN(str_cancel, "cancel");
    INTERN(str_add_done_callback, "add_done_callback");
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

    if ((st->asyncio_task = import_attr("asyncio", "Task")) == NULL)
        return -1;
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

    /* asyncio.Task(coro, loop=loop[, eager_start=True]): 3.12 has eager
     * tasks built in; on 3.11 the worker's loop class does the eager start
     * (see coroutine_driver.c). */
#if PY_VERSION_HEX >= 0x030C0000
    st->task_kwnames = Py_BuildValue("(ss)", "loop", "eager_start");
#else
    /* 3.11 formats a "Task-<n>" name in every Task constructor (3.12 does
     * it lazily): a constant name saves that sprintf per request. */
    st->task_kwnames = Py_BuildValue("(ss)", "loop", "name");
    st->task_name = PyUnicode_InternFromString("squall-endpoint");
    if (st->task_name == NULL)
        return -1;
#endif
    if (st->task_kwnames == NULL)
        return -1;
    if ((st->base_call_soon = import_attr("asyncio.base_events", "BaseEventLoop")) == NULL)
        return -1;
    Py_SETREF(st->base_call_soon, PyObject_GetAttrString(st->base_call_soon, "call_soon"));
    if (st->base_call_soon == NULL)
        return -1;
#if PY_VERSION_HEX < 0x030C0000
    /* 3.11's asyncio.current_task is a Python function around this dict
     * (loop -> running Task): the eager check reads the dict directly.
     * (3.12+ starts Tasks eagerly itself and never sets eager_pending.) */
    st->current_task = import_attr("asyncio.tasks", "_current_tasks");
    if (st->current_task == NULL)
        return -1;
    if (!PyDict_Check(st->current_task)) {
        PyErr_SetString(PyExc_ImportError, "asyncio.tasks._current_tasks is not a dict");
        return -1;
    }
#endif
    /* eager_call_soon binds like a method (loop.call_soon(...) passes the
     * loop first), so EagerStartLoop can use it as its call_soon. */
    static PyMethodDef eager_def = {
        "eager_call_soon", (PyCFunction)(void (*)(void))sqpy_eager_call_soon,
        METH_FASTCALL | METH_KEYWORDS,
        "call_soon for EagerStartLoop: runs the callback at once when the binding "
        "starts a Task eagerly, else BaseEventLoop.call_soon."};
    PyObject *func = PyCFunction_NewEx(&eager_def, m, NULL);
    if (func == NULL)
        return -1;
    PyObject *meth = PyInstanceMethod_New(func);
    Py_DECREF(func);
    if (meth == NULL || PyModule_AddObject(m, "eager_call_soon", meth) < 0) {
        Py_XDECREF(meth);
        return -1;
    }

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
    X(server_type) X(ctx_type) X(asyncio_task) X(logger) X(uuid_type) X(enum_type)                 \
    X(decimal_type) X(dataclass_fields) X(task_kwnames) X(task_name) X(base_call_soon)            \
    X(current_task) X(str_status_code) X(str_body)                                                 \
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
