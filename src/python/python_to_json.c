/* squall._squall: the C JSON encoder for return values.
 *
 * Supported: dict (str/int/float/bool/None/Enum/UUID keys), list, tuple,
 * set/frozenset (as arrays), str, int of any size, float, bool, None,
 * dataclass instances, msgspec Structs, pydantic models (v2 model_dump, v1
 * dict, by alias), datetime/date/time (ISO 8601 via isoformat), UUID, Enum
 * (its value), Decimal (as a JSON number with its exact digits).
 * Refused: NaN and Infinity (ValueError), lone surrogates in str
 * (UnicodeEncodeError, never invalid UTF-8 output), nesting deeper than
 * SQPY_JSON_MAX_DEPTH (ValueError, which also catches cycles), anything
 * else (TypeError naming the type). */
#include "squall_py.h"

#include "json_escape.h"

#include <datetime.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Buffer                                                              */
/* ------------------------------------------------------------------ */

/* The slow half of buf_grow, kept out of line so the inline check stays
 * small at every call site. */
static int buf_grow_slow(sqpy_buf *b, size_t extra) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        if (cap > ((size_t)PY_SSIZE_T_MAX) / 2) {
            PyErr_NoMemory();
            return -1;
        }
        cap *= 2;
    }
    char *p = PyMem_Realloc(b->data, cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

static inline int buf_grow(sqpy_buf *b, size_t extra) {
    if (b->cap - b->len >= extra)
        return 0;
    return buf_grow_slow(b, extra);
}

static inline int buf_put(sqpy_buf *b, const char *s, size_t n) {
    if (buf_grow(b, n) < 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static inline int buf_putc(sqpy_buf *b, char c) {
    if (b->len == b->cap && buf_grow(b, 1) < 0)
        return -1;
    b->data[b->len++] = c;
    return 0;
}

void sqpy_buf_free(sqpy_buf *b) {
    PyMem_Free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */
/* ------------------------------------------------------------------ */

/* UTF-8 in, JSON string out (json_escape.h, the core's rule). Python's own
 * UTF-8 is valid, so non-ASCII bytes are copied without a check. */
static inline int write_utf8_string(sqpy_buf *b, const char *s, size_t n) {
    /* Worst case every byte becomes \u00XX (6 bytes) plus the quotes. */
    if (buf_grow(b, n * 6 + 2) < 0)
        return -1;
    char *o = b->data + b->len;
    *o++ = '"';
    o = sq__json_escape(o, s, n, 0);
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

static inline int write_str(sqpy_buf *b, PyObject *s) {
    /* Compact ASCII strings hold their text as UTF-8 already: read it in
     * place, skipping the call that looks up the UTF-8 cache. */
    if (PyUnicode_IS_COMPACT_ASCII(s))
        return write_utf8_string(b, (const char *)PyUnicode_DATA(s),
                                 (size_t)PyUnicode_GET_LENGTH(s));
    Py_ssize_t n;
    /* Fails with UnicodeEncodeError on a lone surrogate, so the output is
     * always valid UTF-8. The UTF-8 form is cached in the str object. */
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL)
        return -1;
    return write_utf8_string(b, u, (size_t)n);
}

/* str() of a huge int can hit the interpreter's int-to-str digit limit
 * (3.11+); convert in chunks of 18 decimal digits instead, which has no
 * limit. Appends the decimal text of a non-negative int `v` (borrowed). */
static int write_big_nonneg_int(sqpy_buf *b, PyObject *v) {
    PyObject *base = PyLong_FromLongLong(1000000000000000000LL);
    PyObject *chunks = PyList_New(0);
    PyObject *cur = v;
    Py_INCREF(cur);
    int rc = -1;
    if (base == NULL || chunks == NULL)
        goto done;
    while (1) {
        PyObject *qr = PyNumber_Divmod(cur, base);
        if (qr == NULL)
            goto done;
        PyObject *q = PyTuple_GET_ITEM(qr, 0); /* borrowed from qr */
        PyObject *r = PyTuple_GET_ITEM(qr, 1);
        if (PyList_Append(chunks, r) < 0) {
            Py_DECREF(qr);
            goto done;
        }
        Py_INCREF(q);
        Py_DECREF(qr);
        Py_SETREF(cur, q);
        int zero = PyObject_Not(cur);
        if (zero < 0)
            goto done;
        if (zero)
            break;
    }
    for (Py_ssize_t i = PyList_GET_SIZE(chunks) - 1; i >= 0; i--) {
        long long part = PyLong_AsLongLong(PyList_GET_ITEM(chunks, i));
        char tmp[32];
        int len = (i == PyList_GET_SIZE(chunks) - 1) ? snprintf(tmp, sizeof tmp, "%lld", part)
                                                     : snprintf(tmp, sizeof tmp, "%018lld", part);
        if (buf_put(b, tmp, (size_t)len) < 0)
            goto done;
    }
    rc = 0;
done:
    Py_XDECREF(base);
    Py_XDECREF(chunks);
    Py_DECREF(cur);
    return rc;
}

/* "00".."99": two digits per division instead of one (snprintf is a
 * large share of the time for int-heavy documents). */
static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

static inline int write_small_int(sqpy_buf *b, long long x) {
    /* Negate as unsigned so LLONG_MIN does not overflow. */
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    size_t digits = 1;
    for (unsigned long long t = u; t >= 10; t /= 10)
        digits++;
    size_t len = digits + (x < 0);
    if (buf_grow(b, len) < 0)
        return -1;
    /* Written backwards, straight into the buffer. */
    char *p = b->data + b->len + len;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        *--p = digit_pairs[d + 1];
        *--p = digit_pairs[d];
    }
    if (u >= 10) {
        *--p = digit_pairs[u * 2 + 1];
        *--p = digit_pairs[u * 2];
    } else {
        *--p = (char)('0' + u);
    }
    if (x < 0)
        *--p = '-';
    b->len += len;
    return 0;
}

static inline int write_int(sqpy_buf *b, PyObject *v) {
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (x == -1 && PyErr_Occurred())
        return -1;
    if (!overflow)
        return write_small_int(b, x);
    if (overflow < 0) {
        if (buf_putc(b, '-') < 0)
            return -1;
        PyObject *neg = PyNumber_Negative(v);
        if (neg == NULL)
            return -1;
        int rc = write_big_nonneg_int(b, neg);
        Py_DECREF(neg);
        return rc;
    }
    return write_big_nonneg_int(b, v);
}

static int write_double(sqpy_buf *b, double d) {
    if (!Py_IS_FINITE(d)) {
        PyErr_SetString(PyExc_ValueError, "JSON cannot represent NaN or Infinity");
        return -1;
    }
    /* repr() semantics: the shortest text that round-trips. */
    char *text = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL)
        return -1;
    int rc = buf_put(b, text, strlen(text));
    PyMem_Free(text);
    return rc;
}

/* Decimal: finite ones as a JSON number with their exact digits. */
static int write_decimal(sqpy_state *st, sqpy_buf *b, PyObject *v) {
    PyObject *fin = PyObject_CallMethodNoArgs(v, st->str_is_finite);
    if (fin == NULL)
        return -1;
    int finite = PyObject_IsTrue(fin);
    Py_DECREF(fin);
    if (finite < 0)
        return -1;
    if (!finite) {
        PyErr_SetString(PyExc_ValueError, "JSON cannot represent a NaN or infinite Decimal");
        return -1;
    }
    PyObject *s = PyObject_Str(v);
    if (s == NULL)
        return -1;
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    int rc = u == NULL ? -1 : buf_put(b, u, (size_t)n);
    Py_DECREF(s);
    return rc;
}

/* A str object's text as a JSON string, for values reached by a method call
 * (isoformat, str(uuid)). Steals `s`. */
static int write_str_steal(sqpy_buf *b, PyObject *s) {
    if (s == NULL)
        return -1;
    int rc;
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "expected str");
        rc = -1;
    } else {
        rc = write_str(b, s);
    }
    Py_DECREF(s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Containers and objects                                              */
/* ------------------------------------------------------------------ */

static int encode(sqpy_state *st, PyObject *obj, sqpy_buf *b, int depth);

/* getattr that treats AttributeError as absence: 1 found, 0 absent (*out
 * NULL), -1 error. (PyObject_GetOptionalAttr is 3.13+ only.) */
static int get_optional_attr(PyObject *obj, PyObject *name, PyObject **out) {
    *out = PyObject_GetAttr(obj, name);
    if (*out != NULL)
        return 1;
    if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
        PyErr_Clear();
        return 0;
    }
    return -1;
}

static int write_key(sqpy_state *st, sqpy_buf *b, PyObject *key) {
    if (PyUnicode_CheckExact(key) || PyUnicode_Check(key))
        return write_str(b, key);
    /* Like json.dumps, simple scalar keys become strings. */
    if (key == Py_None)
        return buf_put(b, "\"null\"", 6);
    if (key == Py_True)
        return buf_put(b, "\"true\"", 6);
    if (key == Py_False)
        return buf_put(b, "\"false\"", 7);
    if (PyLong_Check(key) || PyFloat_Check(key) ||
        PyObject_IsInstance(key, st->uuid_type) == 1) {
        PyObject *s;
        if (PyFloat_Check(key)) {
            if (!Py_IS_FINITE(PyFloat_AS_DOUBLE(key))) {
                PyErr_SetString(PyExc_ValueError, "JSON cannot represent NaN or Infinity");
                return -1;
            }
            s = PyObject_Repr(key);
        } else if (PyLong_Check(key)) {
            /* int subclasses (IntEnum) print as their integer. */
            s = PyLong_Type.tp_repr(key);
        } else {
            s = PyObject_Str(key);
        }
        return write_str_steal(b, s);
    }
    if (PyObject_IsInstance(key, st->enum_type) == 1) {
        PyObject *value = PyObject_GetAttr(key, st->str_value);
        if (value == NULL)
            return -1;
        int rc = write_key(st, b, value);
        Py_DECREF(value);
        return rc;
    }
    if (!PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "dict keys must be str, int, float, bool or None, not %.100s",
                     Py_TYPE(key)->tp_name);
    return -1;
}

/* A value borrowed from a container. Exact str/int/bool values are written
 * inline: writing them runs no Python code, so the container cannot drop
 * them meanwhile and no reference is taken. Anything else is held across
 * encode(), which may run user code that mutates the container. */
static inline int encode_borrowed_item(sqpy_state *st, PyObject *v, sqpy_buf *b, int depth) {
    PyTypeObject *vt = Py_TYPE(v);
    if (vt == &PyUnicode_Type)
        return write_str(b, v);
    if (vt == &PyLong_Type)
        return write_int(b, v);
    if (vt == &PyBool_Type)
        return v == Py_True ? buf_put(b, "true", 4) : buf_put(b, "false", 5);
    Py_INCREF(v);
    int rc = encode(st, v, b, depth);
    Py_DECREF(v);
    return rc;
}

static int write_dict(sqpy_state *st, PyObject *d, sqpy_buf *b, int depth) {
    if (buf_putc(b, '{') < 0)
        return -1;
    Py_ssize_t pos = 0;
    PyObject *key, *value; /* borrowed from the dict */
    int first = 1;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (!first && buf_putc(b, ',') < 0)
            return -1;
        first = 0;
        if (PyUnicode_CheckExact(key)) {
            /* Writing an exact str key, or an exact str/int/bool value, runs
             * no Python code, so the dict cannot change under us and the
             * borrowed references need no incref. */
            if (write_str(b, key) < 0 || buf_putc(b, ':') < 0)
                return -1;
            if (encode_borrowed_item(st, value, b, depth + 1) < 0)
                return -1;
            continue;
        }
        /* Keep both alive: encoding user objects can run Python code that
         * mutates the dict. */
        Py_INCREF(key);
        Py_INCREF(value);
        int rc = write_key(st, b, key);
        if (rc == 0)
            rc = buf_putc(b, ':');
        if (rc == 0)
            rc = encode(st, value, b, depth + 1);
        Py_DECREF(key);
        Py_DECREF(value);
        if (rc < 0)
            return -1;
    }
    return buf_putc(b, '}');
}

/* Any iterable (list, tuple, set) as an array; lists are indexed each
 * time since encoding an item may change the list. */
static int write_sequence(sqpy_state *st, PyObject *seq, sqpy_buf *b, int depth) {
    if (buf_putc(b, '[') < 0)
        return -1;
    if (PyList_CheckExact(seq)) {
        /* The size is re-read each time: encoding an item may shrink it. */
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(seq); i++) {
            if (i > 0 && buf_putc(b, ',') < 0)
                return -1;
            if (encode_borrowed_item(st, PyList_GET_ITEM(seq, i), b, depth + 1) < 0)
                return -1;
        }
    } else if (PyList_Check(seq) || PyTuple_Check(seq)) {
        for (Py_ssize_t i = 0;; i++) {
            Py_ssize_t n = PyList_Check(seq) ? PyList_GET_SIZE(seq) : PyTuple_GET_SIZE(seq);
            if (i >= n)
                break;
            PyObject *item = PyList_Check(seq) ? PyList_GET_ITEM(seq, i) : PyTuple_GET_ITEM(seq, i);
            Py_INCREF(item); /* borrowed -> held across Python code */
            int rc = (i > 0) ? buf_putc(b, ',') : 0;
            if (rc == 0)
                rc = encode(st, item, b, depth + 1);
            Py_DECREF(item);
            if (rc < 0)
                return -1;
        }
    } else {
        PyObject *it = PyObject_GetIter(seq);
        if (it == NULL)
            return -1;
        PyObject *item;
        int first = 1;
        while ((item = PyIter_Next(it)) != NULL) {
            int rc = first ? 0 : buf_putc(b, ',');
            first = 0;
            if (rc == 0)
                rc = encode(st, item, b, depth + 1);
            Py_DECREF(item);
            if (rc < 0) {
                Py_DECREF(it);
                return -1;
            }
        }
        Py_DECREF(it);
        if (PyErr_Occurred())
            return -1;
    }
    return buf_putc(b, ']');
}

/* An object as a JSON object of the given attributes: names[i] is read
 * with getattr and written under keys[i]. */
static int write_attrs(sqpy_state *st, PyObject *obj, PyObject *names, PyObject *keys, sqpy_buf *b,
                       int depth) {
    if (buf_putc(b, '{') < 0)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyTuple_GET_ITEM(names, i); /* borrowed */
        PyObject *key = PyTuple_GET_ITEM(keys, i);
        PyObject *value = PyObject_GetAttr(obj, name);
        if (value == NULL)
            return -1;
        int rc = i > 0 ? buf_putc(b, ',') : 0;
        if (rc == 0)
            rc = write_key(st, b, key);
        if (rc == 0)
            rc = buf_putc(b, ':');
        if (rc == 0)
            rc = encode(st, value, b, depth + 1);
        Py_DECREF(value);
        if (rc < 0)
            return -1;
    }
    return buf_putc(b, '}');
}

static int write_dataclass(sqpy_state *st, PyObject *obj, sqpy_buf *b, int depth) {
    /* dataclasses.fields() skips ClassVar and InitVar pseudo-fields. */
    PyObject *fields = PyObject_CallOneArg(st->dataclass_fields, obj);
    if (fields == NULL)
        return -1;
    PyObject *seq = PySequence_Tuple(fields);
    Py_DECREF(fields);
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(seq);
    PyObject *names = PyTuple_New(n);
    int rc = -1;
    if (names == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PyObject_GetAttrString(PyTuple_GET_ITEM(seq, i), "name");
        if (name == NULL)
            goto done;
        PyTuple_SET_ITEM(names, i, name); /* steals */
    }
    rc = write_attrs(st, obj, names, names, b, depth);
done:
    Py_XDECREF(names);
    Py_DECREF(seq);
    return rc;
}

static int write_struct(sqpy_state *st, PyObject *obj, PyObject *names, sqpy_buf *b, int depth) {
    /* msgspec: __struct_encode_fields__ holds the renamed keys, if any. */
    PyObject *keys = PyObject_GetAttr((PyObject *)Py_TYPE(obj), st->str_struct_encode_fields);
    if (keys == NULL) {
        PyErr_Clear();
        keys = Py_NewRef(names);
    }
    int rc;
    if (!PyTuple_Check(names) || !PyTuple_Check(keys) ||
        PyTuple_GET_SIZE(names) != PyTuple_GET_SIZE(keys)) {
        PyErr_SetString(PyExc_TypeError, "unexpected msgspec Struct layout");
        rc = -1;
    } else {
        rc = write_attrs(st, obj, names, keys, b, depth);
    }
    Py_DECREF(keys);
    return rc;
}

/* pydantic v2 (model_dump) or v1 (dict): dump by alias, then encode the
 * resulting plain objects. */
static int write_pydantic(sqpy_state *st, PyObject *method, sqpy_buf *b, int depth) {
    PyObject *kwnames = PyTuple_Pack(1, st->str_by_alias);
    if (kwnames == NULL)
        return -1;
    PyObject *args[2] = {NULL, Py_True};
    PyObject *dumped = PyObject_Vectorcall(method, args + 1, 0 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                           kwnames);
    Py_DECREF(kwnames);
    if (dumped == NULL)
        return -1;
    int rc = encode(st, dumped, b, depth);
    Py_DECREF(dumped);
    return rc;
}

/* Everything that is not one of the exact fast-path types. */
static int encode_other(sqpy_state *st, PyObject *obj, sqpy_buf *b, int depth) {
    PyTypeObject *tp = Py_TYPE(obj);

    /* Enum before int/str: IntEnum and StrEnum encode their value. */
    int r = PyObject_IsInstance(obj, st->enum_type);
    if (r < 0)
        return -1;
    if (r) {
        PyObject *value = PyObject_GetAttr(obj, st->str_value);
        if (value == NULL)
            return -1;
        int rc = encode(st, value, b, depth + 1);
        Py_DECREF(value);
        return rc;
    }
    /* Subclasses of the basic types. */
    if (PyLong_Check(obj))
        return write_int(b, obj);
    if (PyFloat_Check(obj))
        return write_double(b, PyFloat_AS_DOUBLE(obj));
    if (PyUnicode_Check(obj))
        return write_str(b, obj);
    if (PyDict_Check(obj))
        return write_dict(st, obj, b, depth);
    if (PyList_Check(obj) || PyTuple_Check(obj) || PyAnySet_Check(obj))
        return write_sequence(st, obj, b, depth);

    /* datetime is a subclass of date: both print ISO 8601 via isoformat. */
    if (PyDateTime_Check(obj) || PyDate_Check(obj) || PyTime_Check(obj))
        return write_str_steal(b, PyObject_CallMethodNoArgs(obj, st->str_isoformat));

    r = PyObject_IsInstance(obj, st->uuid_type);
    if (r < 0)
        return -1;
    if (r)
        return write_str_steal(b, PyObject_Str(obj));

    r = PyObject_IsInstance(obj, st->decimal_type);
    if (r < 0)
        return -1;
    if (r)
        return write_decimal(st, b, obj);

    /* Dataclass instances (not the class itself). */
    if (!PyType_Check(obj)) {
        PyObject *marker;
        if (get_optional_attr((PyObject *)tp, st->str_dataclass_fields, &marker) < 0)
            return -1;
        if (marker != NULL) {
            Py_DECREF(marker);
            return write_dataclass(st, obj, b, depth);
        }
        if (get_optional_attr((PyObject *)tp, st->str_struct_fields, &marker) < 0)
            return -1;
        if (marker != NULL) {
            int rc = write_struct(st, obj, marker, b, depth);
            Py_DECREF(marker);
            return rc;
        }
        PyObject *method;
        if (get_optional_attr(obj, st->str_model_dump, &method) < 0)
            return -1;
        if (method == NULL && PyObject_HasAttrString((PyObject *)tp, "__fields__")) {
            /* pydantic v1: BaseModel.dict together with __fields__. */
            if (get_optional_attr(obj, st->str_dict, &method) < 0)
                return -1;
        }
        if (method != NULL) {
            int rc = PyCallable_Check(method) ? write_pydantic(st, method, b, depth) : 1;
            Py_DECREF(method);
            if (rc <= 0)
                return rc;
        }
    }
    PyErr_Format(PyExc_TypeError, "Object of type %.100s is not JSON serializable", tp->tp_name);
    return -1;
}

static int encode(sqpy_state *st, PyObject *obj, sqpy_buf *b, int depth) {
    if (depth > SQPY_JSON_MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError, "JSON nesting deeper than %d levels (or a cycle)",
                     SQPY_JSON_MAX_DEPTH);
        return -1;
    }
    PyTypeObject *tp = Py_TYPE(obj);
    /* Exact types first: the common case costs one pointer compare each. */
    if (tp == &PyUnicode_Type)
        return write_str(b, obj);
    if (tp == &PyDict_Type)
        return write_dict(st, obj, b, depth);
    if (tp == &PyLong_Type)
        return write_int(b, obj);
    if (obj == Py_None)
        return buf_put(b, "null", 4);
    if (obj == Py_True)
        return buf_put(b, "true", 4);
    if (obj == Py_False)
        return buf_put(b, "false", 5);
    if (tp == &PyFloat_Type)
        return write_double(b, PyFloat_AS_DOUBLE(obj));
    if (tp == &PyList_Type || tp == &PyTuple_Type)
        return write_sequence(st, obj, b, depth);
    if (Py_EnterRecursiveCall(" while encoding JSON"))
        return -1;
    int rc = encode_other(st, obj, b, depth);
    Py_LeaveRecursiveCall();
    return rc;
}

int sqpy_encode_json(sqpy_state *st, PyObject *obj, sqpy_buf *out) {
    if (PyDateTimeAPI == NULL) {
        PyDateTime_IMPORT;
        if (PyDateTimeAPI == NULL)
            return -1;
    }
    return encode(st, obj, out, 0);
}

/* ------------------------------------------------------------------ */
/* json_dumps                                                          */
/* ------------------------------------------------------------------ */

PyObject *sqpy_json_dumps(PyObject *module, PyObject *obj) {
    sqpy_state *st = (sqpy_state *)PyModule_GetState(module);
    sqpy_buf b = {NULL, 0, 0};
    PyObject *out = NULL;
    if (sqpy_encode_json(st, obj, &b) == 0)
        out = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
    sqpy_buf_free(&b);
    return out;
}
