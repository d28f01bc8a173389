/* squall._squall: the core's parsed JSON tree (sq_json_value) straight into
 * Python objects, never through JSON text; and json_loads on top of it. */
#include "squall_py.h"

#include "bytes_eq.h"
#include "word_load.h"

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
 * values are short ASCII. The str is made with PyUnicode_New as ASCII and
 * filled by one pass that copies and checks together (words at a time; the
 * last word overlaps the one before rather than finishing byte by byte), so
 * a short value costs neither a libc memcpy call nor a second read. The
 * rare non-ASCII value is found by that pass, freed, and made by
 * PyUnicode_DecodeUTF8 instead (public API throughout). */
#define HIGH_BITS UINT64_C(0x8080808080808080)

/* Longer values go to memcpy (wide copies) and a separate check. */
#define WORD_COPY_MAX 64

/* Copies d[0..n) = p[0..n) for 4 <= n <= WORD_COPY_MAX; nonzero when every
 * byte is ASCII. Touches nothing outside p[0..n) and d[0..n). */
static inline int copy_if_ascii(char *d, const char *p, size_t n) {
    uint64_t acc;
    if (n >= 8) {
        acc = 0;
        for (size_t i = 0; i + 8 <= n; i += 8) {
            uint64_t w = sq__load64(p + i);
            acc |= w;
            memcpy(d + i, &w, 8);
        }
        uint64_t last = sq__load64(p + n - 8);
        acc |= last;
        memcpy(d + n - 8, &last, 8);
    } else {
        uint32_t a = sq__load32(p), b = sq__load32(p + n - 4);
        acc = a | b;
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    }
    return (acc & HIGH_BITS) == 0;
}

/* For the lengths copy_if_ascii leaves: under 4 bytes, and over
 * WORD_COPY_MAX (correct for any n). */
static int all_ascii(const char *p, size_t n) {
    uint64_t acc = 0;
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8)
            acc |= sq__load64(p + i);
        acc |= sq__load64(p + n - 8);
    } else {
        for (size_t i = 0; i < n; i++)
            acc |= (unsigned char)p[i];
    }
    return (acc & HIGH_BITS) == 0;
}

static PyObject *make_str(const char *p, size_t n) {
    if (n < 4 || n > WORD_COPY_MAX) {
        /* "" and one-character strings are shared singletons: the decoder
         * returns them */
        if (n <= 1 || !all_ascii(p, n))
            return PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "strict");
        PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
        if (s != NULL)
            memcpy(PyUnicode_1BYTE_DATA(s), p, n);
        return s;
    }
    PyObject *s = PyUnicode_New((Py_ssize_t)n, 127);
    if (s == NULL)
        return NULL;
    if (copy_if_ascii((char *)PyUnicode_1BYTE_DATA(s), p, n))
        return s;
    Py_DECREF(s);
    return PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "strict");
}

/* Object keys repeat, within a document (the same fields in every item of
 * a list) and across requests (the same API): a small table maps key bytes
 * to the interned str already made for them, so a repeated key costs a hash
 * of its bytes and a memcmp instead of a UTF-8 decode, a siphash and a
 * lookup in the interned-strings dict (measured: docs/benchmarks/
 * profile.md). Two lifetimes: one table per server, kept across requests
 * (the loop thread's, under the GIL), and one on the stack per document for
 * json_loads and the other callers. Only ASCII keys of up to 32 bytes are
 * kept; a slot compares against its own str's bytes, so no pointer into a
 * request outlives it. When a key's probes are all taken, the first is
 * replaced: a client sending endless new keys only churns the table. */
#define KEY_CACHE_PROBES 4
#define KEY_CACHE_MAX_LEN 32
#define DOC_CACHE_SLOTS 64     /* power of two */
#define SERVER_CACHE_SLOTS 512 /* power of two */

typedef struct key_slot {
    PyObject *str; /* strong, compact ASCII; NULL when the slot is free */
} key_slot;

/* Before the bytes are looked at, a key is looked up by its address among
 * the names the routes' body schemas declare: the core's validator points
 * every member key that matched a declared property at the schema's copy
 * of the name (sq_validator_body_property_name), so the common key costs
 * one multiplication and a pointer compare. A key from the request itself
 * never has one of these addresses (the schema's memory is not the
 * request's), and the schemas live as long as the server, as this table
 * does. Open addressing, at most half full, so a probe ends. */
typedef struct name_slot {
    const char *name; /* the schema's copy; NULL when the slot is free */
    PyObject *str;    /* strong, interned */
} name_slot;

struct sqpy_key_cache {
    size_t mask;
    key_slot *slots;
    size_t names_mask; /* names table size - 1; 0 with no table */
    size_t num_names;
    name_slot *names;
};

static inline size_t name_hash(const char *p) {
    return (size_t)(((uint64_t)(uintptr_t)p * UINT64_C(0x9E3779B97F4A7C15)) >> 32);
}

/* Only picks a slot (a slot's key is compared in full), so a few
 * multiplications over overlapping words do: keys are short. */
static size_t key_hash(const char *p, size_t n) {
    const uint64_t k1 = UINT64_C(0x9E3779B97F4A7C15), k2 = UINT64_C(0xC2B2AE3D27D4EB4F);
    uint64_t h = n * k2;
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8)
            h = (h ^ sq__load64(p + i)) * k1;
        h = (h ^ sq__load64(p + n - 8)) * k2;
    } else if (n >= 4) {
        h = (h ^ (((uint64_t)sq__load32(p) << 32) | sq__load32(p + n - 4))) * k1;
    } else if (n > 0) {
        uint64_t w = (unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
                     (uint64_t)(unsigned char)p[n - 1] << 16;
        h = (h ^ w) * k1;
    }
    return (size_t)(h ^ (h >> 29));
}

/* Borrowed str registered for a declared name at address p, or NULL. */
static inline PyObject *key_by_address(const sqpy_key_cache *kc, const char *p) {
    for (size_t i = name_hash(p);; i++) {
        const name_slot *ns = &kc->names[i & kc->names_mask];
        if (ns->name == p)
            return ns->str;
        if (ns->name == NULL)
            return NULL;
    }
}

/* New reference to the interned str for a key, or NULL. */
static PyObject *make_key(sqpy_key_cache *kc, const char *p, size_t n) {
    key_slot *slot = NULL;
    if (kc != NULL && n <= KEY_CACHE_MAX_LEN) {
        size_t h = key_hash(p, n);
        for (size_t i = 0; i < KEY_CACHE_PROBES; i++) {
            key_slot *s = &kc->slots[(h + i) & kc->mask];
            if (s->str == NULL) {
                slot = s;
                break;
            }
            if ((size_t)PyUnicode_GET_LENGTH(s->str) == n &&
                sq__bytes_eq(PyUnicode_1BYTE_DATA(s->str), p, n))
                return Py_NewRef(s->str);
        }
        if (slot == NULL)
            slot = &kc->slots[h & kc->mask]; /* all taken: replace the first */
    }
    PyObject *key = make_str(p, n);
    if (key == NULL)
        return NULL;
    /* Interned: shares one object with the handler's own constants, so its
     * dict lookups are mostly pointer compares. */
    PyUnicode_InternInPlace(&key);
    if (slot != NULL && PyUnicode_IS_COMPACT_ASCII(key))
        Py_XSETREF(slot->str, Py_NewRef(key));
    return key;
}

sqpy_key_cache *sqpy_key_cache_new(void) {
    sqpy_key_cache *kc = PyMem_Calloc(1, sizeof *kc);
    if (kc == NULL)
        return NULL;
    kc->slots = PyMem_Calloc(SERVER_CACHE_SLOTS, sizeof *kc->slots);
    if (kc->slots == NULL) {
        PyMem_Free(kc);
        return NULL;
    }
    kc->mask = SERVER_CACHE_SLOTS - 1;
    return kc;
}

/* Puts (name, str) in a table known to have room; str is stolen. */
static void names_put(name_slot *table, size_t mask, const char *name, PyObject *str) {
    for (size_t i = name_hash(name);; i++) {
        name_slot *ns = &table[i & mask];
        if (ns->name == NULL) {
            ns->name = name;
            ns->str = str;
            return;
        }
    }
}

static int names_grow(sqpy_key_cache *kc) {
    size_t size = kc->names ? (kc->names_mask + 1) * 2 : 64;
    name_slot *table = PyMem_Calloc(size, sizeof *table);
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (kc->names != NULL) {
        for (size_t i = 0; i <= kc->names_mask; i++)
            if (kc->names[i].name != NULL)
                names_put(table, size - 1, kc->names[i].name, kc->names[i].str);
        PyMem_Free(kc->names);
    }
    kc->names = table;
    kc->names_mask = size - 1;
    return 0;
}

int sqpy_key_cache_add_names(sqpy_key_cache *kc, const sq_validator *v) {
    size_t count = sq_validator_num_body_property_names(v);
    for (size_t i = 0; i < count; i++) {
        size_t len;
        const char *name = sq_validator_body_property_name(v, i, &len);
        if (kc->names != NULL && key_by_address(kc, name) != NULL)
            continue; /* this address is registered already */
        if ((kc->num_names + 1) * 2 > (kc->names ? kc->names_mask + 1 : 0) && names_grow(kc) < 0)
            return -1;
        PyObject *str = make_key(kc, name, len);
        if (str == NULL)
            return -1;
        names_put(kc->names, kc->names_mask, name, str);
        kc->num_names++;
    }
    return 0;
}

void sqpy_key_cache_free(sqpy_key_cache *kc) {
    if (kc == NULL)
        return;
    for (size_t i = 0; i <= kc->mask; i++)
        Py_XDECREF(kc->slots[i].str);
    PyMem_Free(kc->slots);
    if (kc->names != NULL) {
        for (size_t i = 0; i <= kc->names_mask; i++)
            Py_XDECREF(kc->names[i].str);
        PyMem_Free(kc->names);
    }
    PyMem_Free(kc);
}

/* The core bounds the tree's depth (sq_json_parse_options.max_depth), so
 * the recursion here is bounded too. */
static PyObject *to_python(const sq_json_value *v, sqpy_key_cache *kc) {
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
        /* CPython leaves a new dict untracked by the GC and tests every key
         * and value put in it until a container arrives; a dict that will
         * hold one is tracked at once, sparing those tests. */
        for (size_t i = 0; i < v->u.obj.len; i++) {
            if (v->u.obj.members[i].value.type >= SQ_JSON_ARRAY) {
                if (!PyObject_GC_IsTracked(dict))
                    PyObject_GC_Track(dict);
                break;
            }
        }
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const sq_json_member *m = &v->u.obj.members[i];
            PyObject *key = kc != NULL && kc->names != NULL ? key_by_address(kc, m->key) : NULL;
            if (key != NULL)
                Py_INCREF(key);
            else if ((key = make_key(kc, m->key, m->key_len)) == NULL)
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

PyObject *sqpy_json_to_python_keys(const sq_json_value *v, sqpy_key_cache *keys) {
    if (v->type != SQ_JSON_OBJECT && v->type != SQ_JSON_ARRAY)
        return to_python(v, NULL); /* scalars never reach the key cache */
    if (keys != NULL)
        return to_python(v, keys);
    key_slot slots[DOC_CACHE_SLOTS];
    memset(slots, 0, sizeof slots);
    sqpy_key_cache kc = {DOC_CACHE_SLOTS - 1, slots, 0, 0, NULL};
    PyObject *out = to_python(v, &kc);
    for (size_t i = 0; i < DOC_CACHE_SLOTS; i++)
        Py_XDECREF(slots[i].str);
    return out;
}

PyObject *sqpy_json_to_python(const sq_json_value *v) { return sqpy_json_to_python_keys(v, NULL); }

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
