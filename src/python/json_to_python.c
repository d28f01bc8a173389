/* squall._squall: the core's parsed JSON tree (sq_json_value) straight into
 * Python objects, never through JSON text; and json_loads on top of it. */
#include "squall_py.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Tree -> objects                                                     */
/* ------------------------------------------------------------------ */

static PyObject *bigint_from_digits(const char *digits, size_t len) {
    /* PyLong_FromString needs a NUL-terminated string. */
    char small[128];
    char *text = len < sizeof small ? small : PyMem_Malloc(len + 1);
    if (text == NULL)
        return PyErr_NoMemory();
    memcpy(text, digits, len);
    text[len] = '\0';
    PyObject *out = PyLong_FromString(text, NULL, 10);
    if (text != small)
        PyMem_Free(text);
    return out;
}

/* The core bounds the tree's depth (sq_json_parse_options.max_depth), so
 * the recursion here is bounded too. */
PyObject *sqpy_json_to_python(const sq_json_value *v) {
    switch (v->type) {
    case SQ_JSON_NULL:
        Py_RETURN_NONE;
    case SQ_JSON_FALSE:
        Py_RETURN_FALSE;
    case SQ_JSON_TRUE:
        Py_RETURN_TRUE;
    case SQ_JSON_INT:
        return PyLong_FromLongLong((long long)v->u.i);
    case SQ_JSON_BIGINT:
        return bigint_from_digits(v->u.str.ptr, v->u.str.len);
    case SQ_JSON_FLOAT:
        return PyFloat_FromDouble(v->u.f);
    case SQ_JSON_STRING:
        return PyUnicode_DecodeUTF8(v->u.str.ptr, (Py_ssize_t)v->u.str.len, "strict");
    case SQ_JSON_ARRAY: {
        PyObject *list = PyList_New((Py_ssize_t)v->u.arr.len);
        if (list == NULL)
            return NULL;
        for (size_t i = 0; i < v->u.arr.len; i++) {
            PyObject *item = sqpy_json_to_python(&v->u.arr.items[i]);
            if (item == NULL) {
                Py_DECREF(list);
                return NULL;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)i, item); /* steals item */
        }
        return list;
    }
    case SQ_JSON_OBJECT: {
        PyObject *dict = PyDict_New();
        if (dict == NULL)
            return NULL;
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const sq_json_member *m = &v->u.obj.members[i];
            PyObject *key = PyUnicode_DecodeUTF8(m->key, (Py_ssize_t)m->key_len, "strict");
            if (key == NULL)
                goto obj_error;
            /* Keys repeat across objects of one document: interning them
             * shares one string object and speeds later dict lookups. */
            PyUnicode_InternInPlace(&key);
            PyObject *value = sqpy_json_to_python(&m->value);
            if (value == NULL) {
                Py_DECREF(key);
                goto obj_error;
            }
            /* Duplicate keys: the last one wins, as in json.loads. */
            int rc = PyDict_SetItem(dict, key, value); /* does not steal */
            Py_DECREF(key);
            Py_DECREF(value);
            if (rc < 0)
                goto obj_error;
        }
        return dict;
    obj_error:
        Py_DECREF(dict);
        return NULL;
    }
    }
    PyErr_SetString(PyExc_SystemError, "squall: unknown JSON value type");
    return NULL;
}

/* ------------------------------------------------------------------ */
/* json_loads                                                          */
/* ------------------------------------------------------------------ */

PyObject *sqpy_json_loads(PyObject *module, PyObject *data) {
    (void)module;
    const char *text;
    Py_ssize_t len;
    Py_buffer view = {0};
    int have_view = 0;

    if (PyUnicode_Check(data)) {
        /* Lone surrogates cannot be UTF-8 encoded: a ValueError here. */
        text = PyUnicode_AsUTF8AndSize(data, &len);
        if (text == NULL)
            return NULL;
    } else {
        if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
            PyErr_Format(PyExc_TypeError, "json_loads() expects bytes or str, not %.100s",
                         Py_TYPE(data)->tp_name);
            return NULL;
        }
        have_view = 1;
        text = view.buf;
        len = view.len;
    }

    sq_arena arena;
    sq_arena_init(&arena);
    sq_json_value *root = NULL;
    sq_json_error err = {0, NULL};
    PyObject *out = NULL;
    int rc;
    if (len >= 65536) {
        /* Big documents: let other threads run while the C reader works. */
        Py_BEGIN_ALLOW_THREADS
        rc = sq_json_parse(text, (size_t)len, &arena, NULL, &root, &err);
        Py_END_ALLOW_THREADS
    } else {
        rc = sq_json_parse(text, (size_t)len, &arena, NULL, &root, &err);
    }
    if (rc == 0) {
        out = sqpy_json_to_python(root);
    } else if (rc == SQ_ENOMEM) {
        PyErr_NoMemory();
    } else {
        PyErr_Format(PyExc_ValueError, "invalid JSON at byte %zu: %s", err.offset,
                     err.reason != NULL ? err.reason : sq_strerror(rc));
    }
    sq_arena_free(&arena);
    if (have_view)
        PyBuffer_Release(&view);
    return out;
}
