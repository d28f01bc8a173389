/* squall._squall: the core's parsed JSON tree (sq_json_value) straight into
 * Python objects, never through JSON text; and json_loads on top of it. */
#include "squall_py.h"

#include <stdint.h>
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

/* String values: the JSON reader has already checked the UTF-8, and most
 * values are ASCII. An ASCII string is made with PyUnicode_New and one
 * memcpy (public API), skipping the UTF-8 decoder's set-up; anything else
 * goes through PyUnicode_DecodeUTF8 as before. */
static int all_ascii(const char *p, size_t n) {
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= (unsigned char)p[i];
    return (acc & UINT64_C(0x8080808080808080)) == 0;
}

static PyObject *make_str(const char *p, size_t n) {
    if (n <= 1 || !all_ascii(p, n)) /* "" and one-character strings are shared singletons */
        return PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "strict");
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s == NULL)
        return NULL;
    memcpy(PyUnicode_1BYTE_DATA(s), p, n);
    return s;
}

/* Object keys repeat within a document (the same fields in every item of a
 * list): a small per-document table maps key bytes to the str already made
 * for them, so a repeated key costs a hash of its bytes and a memcmp instead
 * of a UTF-8 decode, a siphash and a lookup in the interned-strings dict
 * (measured: docs/benchmarks/profile.md). Long keys are not cached. */
#define KEY_CACHE_SLOTS 64 /* power of two */
#define KEY_CACHE_PROBES 4
#define KEY_CACHE_MAX_LEN 32

typedef struct key_slot {
    const char *ptr;
    size_t len;
    PyObject *str; /* strong, or NULL when the slot is free */
} key_slot;

typedef struct key_cache {
    key_slot slots[KEY_CACHE_SLOTS];
} key_cache;

static size_t key_hash(const char *p, size_t n) {
    size_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* New reference to the interned str for a key, or NULL. */
static PyObject *make_key(key_cache *kc, const char *p, size_t n) {
    key_slot *free_slot = NULL;
    size_t h = 0;
    if (n <= KEY_CACHE_MAX_LEN) {
        h = key_hash(p, n);
        for (size_t i = 0; i < KEY_CACHE_PROBES; i++) {
            key_slot *s = &kc->slots[(h + i) & (KEY_CACHE_SLOTS - 1)];
            if (s->str == NULL) {
                free_slot = s;
                break;
            }
            if (s->len == n && memcmp(s->ptr, p, n) == 0)
                return Py_NewRef(s->str);
        }
    }
    PyObject *key = make_str(p, n);
    if (key == NULL)
        return NULL;
    /* Interned: shares one object with the handler's own constants, so its
     * dict lookups are mostly pointer compares. */
    PyUnicode_InternInPlace(&key);
    if (free_slot != NULL) {
        free_slot->ptr = p;
        free_slot->len = n;
        free_slot->str = Py_NewRef(key);
    }
    return key;
}

/* The core bounds the tree's depth (sq_json_parse_options.max_depth), so
 * the recursion here is bounded too. */
static PyObject *to_python(const sq_json_value *v, key_cache *kc) {
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
        return make_str(v->u.str.ptr, v->u.str.len);
    case SQ_JSON_ARRAY: {
        PyObject *list = PyList_New((Py_ssize_t)v->u.arr.len);
        if (list == NULL)
            return NULL;
        for (size_t i = 0; i < v->u.arr.len; i++) {
            PyObject *item = to_python(&v->u.arr.items[i], kc);
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
            PyObject *key = make_key(kc, m->key, m->key_len);
            if (key == NULL)
                goto obj_error;
            PyObject *value = to_python(&m->value, kc);
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

PyObject *sqpy_json_to_python(const sq_json_value *v) {
    if (v->type != SQ_JSON_OBJECT && v->type != SQ_JSON_ARRAY)
        return to_python(v, NULL); /* scalars never reach the key cache */
    key_cache kc;
    memset(&kc, 0, sizeof kc);
    PyObject *out = to_python(v, &kc);
    for (size_t i = 0; i < KEY_CACHE_SLOTS; i++)
        Py_XDECREF(kc.slots[i].str);
    return out;
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
