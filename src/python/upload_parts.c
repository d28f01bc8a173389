/* squall._squall: file parts of a multipart body into the body object.
 *
 * The core leaves each file field's value in the validated body as the
 * filename (so the schema can validate it) and lists the parts themselves in
 * sq_validation.files, in body order. Here each such filename string (or
 * each string of a list, in order, matched by field name) is replaced by
 *   {"filename": str, "content_type": str | None,
 *    "headers": list[tuple[str, str]], "content": bytes}
 * before the body converter runs (see _squall.pyi, add_route). */
#include "squall_py.h"

/* New dict describing one file part, or NULL. */
static PyObject *file_part(const sq_validation_file *f) {
    PyObject *headers = PyList_New((Py_ssize_t)f->num_headers);
    if (headers == NULL)
        return NULL;
    for (size_t i = 0; i < f->num_headers; i++) {
        const sq_header_view *h = &f->headers[i];
        /* "N" steals; Py_BuildValue releases them if one is NULL. */
        PyObject *pair = Py_BuildValue(
            "(NN)", PyUnicode_DecodeLatin1(h->name.base, (Py_ssize_t)h->name.len, NULL),
            PyUnicode_DecodeLatin1(h->value.base, (Py_ssize_t)h->value.len, NULL));
        if (pair == NULL) {
            Py_DECREF(headers);
            return NULL;
        }
        PyList_SET_ITEM(headers, (Py_ssize_t)i, pair); /* steals */
    }
    PyObject *ctype;
    if (f->content_type.len == 0)
        ctype = Py_NewRef(Py_None);
    else
        ctype = PyUnicode_DecodeLatin1(f->content_type.base, (Py_ssize_t)f->content_type.len, NULL);
    return Py_BuildValue("{s:N,s:N,s:N,s:N}", "filename",
                         PyUnicode_DecodeUTF8(f->filename.base, (Py_ssize_t)f->filename.len,
                                              "replace"),
                         "content_type", ctype, "headers", headers, "content",
                         PyBytes_FromStringAndSize(f->data.base, (Py_ssize_t)f->data.len));
}

int sqpy_attach_files(PyObject *body, const sq_validation *val) {
    if (val == NULL || val->num_files == 0 || !PyDict_Check(body))
        return 0;
    /* field name -> how many of its files were placed already */
    PyObject *seen = PyDict_New();
    if (seen == NULL)
        return -1;
    int rc = -1;
    for (size_t i = 0; i < val->num_files; i++) {
        const sq_validation_file *f = &val->files[i];
        PyObject *field = PyUnicode_DecodeUTF8(f->field.base, (Py_ssize_t)f->field.len, "replace");
        if (field == NULL)
            goto done;
        PyObject *count_o = PyDict_GetItemWithError(seen, field); /* borrowed */
        Py_ssize_t count = count_o != NULL ? PyLong_AsSsize_t(count_o) : 0;
        if (PyErr_Occurred()) {
            Py_DECREF(field);
            goto done;
        }
        PyObject *current = PyDict_GetItemWithError(body, field); /* borrowed */
        int ok = 0;
        if (current != NULL && (PyUnicode_Check(current) || PyList_Check(current))) {
            PyObject *part = file_part(f);
            if (part == NULL) {
                Py_DECREF(field);
                goto done;
            }
            if (PyUnicode_Check(current)) {
                ok = count == 0 ? PyDict_SetItem(body, field, part) : 0;
            } else if (count < PyList_GET_SIZE(current)) {
                /* PyList_SetItem steals part; keep our own reference. */
                ok = PyList_SetItem(current, count, Py_NewRef(part));
            }
            Py_DECREF(part);
        }
        PyObject *next = ok == 0 ? PyLong_FromSsize_t(count + 1) : NULL;
        if (next == NULL || PyDict_SetItem(seen, field, next) < 0 || PyErr_Occurred()) {
            Py_XDECREF(next);
            Py_DECREF(field);
            goto done;
        }
        Py_DECREF(next);
        Py_DECREF(field);
    }
    rc = 0;
done:
    Py_DECREF(seen);
    return rc;
}
