/* squall._squall.Server: one worker's sq_server, its routes and the Python
 * objects configure() hands over (loop, executor, handlers).
 *
 * The set-up methods (__init__, configure, add_route) run once per worker
 * and parse keywords the ordinary way; the per-event method poll() takes no
 * arguments and releases the GIL around the core's loop turn. */
#include "squall_py.h"

#include "cors.h" /* the core's CORS compiler: a pattern is checked before the server is made */

#include <errno.h>
#include <pythread.h>
#include <stddef.h>
#include <structmember.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static int check_open(sqpy_server *self) {
    if (self->srv == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Server is closed");
        return -1;
    }
    return 0;
}

static void route_free(sqpy_route *r) {
    if (r == NULL)
        return;
    Py_XDECREF(r->endpoint);
    Py_XDECREF(r->kwnames);
    Py_XDECREF(r->converters);
    Py_XDECREF(r->body_kwarg);
    Py_XDECREF(r->body_converter);
    Py_XDECREF(r->request_kwarg);
    Py_XDECREF(r->param_names);
    if (r->validator != NULL)
        sq_validator_free(r->validator);
    PyMem_Free(r);
}

/* sq_config fields settable through `limits`. */
typedef enum { LIM_SIZE, LIM_DOUBLE, LIM_INT } limit_kind;
typedef struct {
    const char *name;
    size_t offset;
    limit_kind kind;
} limit_field;

static const limit_field limit_fields[] = {
    {"backlog", offsetof(sq_config, backlog), LIM_INT},
    {"reuse_port", offsetof(sq_config, reuse_port), LIM_INT},
    {"max_request_line", offsetof(sq_config, max_request_line), LIM_SIZE},
    {"max_header_bytes", offsetof(sq_config, max_header_bytes), LIM_SIZE},
    {"max_headers", offsetof(sq_config, max_headers), LIM_SIZE},
    {"max_body", offsetof(sq_config, max_body), LIM_SIZE},
    {"max_chunk_ext", offsetof(sq_config, max_chunk_ext), LIM_SIZE},
    {"max_trailer_bytes", offsetof(sq_config, max_trailer_bytes), LIM_SIZE},
    {"header_timeout", offsetof(sq_config, header_timeout), LIM_DOUBLE},
    {"body_timeout", offsetof(sq_config, body_timeout), LIM_DOUBLE},
    {"keepalive_timeout", offsetof(sq_config, keepalive_timeout), LIM_DOUBLE},
    {"write_timeout", offsetof(sq_config, write_timeout), LIM_DOUBLE},
    {"max_connections", offsetof(sq_config, max_connections), LIM_SIZE},
    {"grace", offsetof(sq_config, grace), LIM_DOUBLE},
    {"output_high_water", offsetof(sq_config, output_high_water), LIM_SIZE},
    {"send_batch_threshold", offsetof(sq_config, send_batch_threshold), LIM_DOUBLE},
    {"send_batch_max_wait", offsetof(sq_config, send_batch_max_wait), LIM_DOUBLE},
};

static int apply_limits(sq_config *cfg, PyObject *limits) {
    PyObject *items = PyMapping_Items(limits);
    if (items == NULL)
        return -1;
    int rc = -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *pair = PyList_GET_ITEM(items, i); /* borrowed */
        PyObject *key = PyTuple_GetItem(pair, 0);
        PyObject *value = PyTuple_GetItem(pair, 1);
        if (key == NULL || value == NULL)
            goto done;
        const char *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        if (name == NULL) {
            PyErr_SetString(PyExc_TypeError, "limits keys must be str");
            goto done;
        }
        const limit_field *f = NULL;
        for (size_t j = 0; j < sizeof limit_fields / sizeof limit_fields[0]; j++)
            if (strcmp(limit_fields[j].name, name) == 0)
                f = &limit_fields[j];
        if (f == NULL) {
            PyErr_Format(PyExc_ValueError, "unknown limit %R", key);
            goto done;
        }
        char *field = (char *)cfg + f->offset;
        double d = PyFloat_AsDouble(value);
        if (d == -1.0 && PyErr_Occurred())
            goto done;
        if (!(d >= 0) || d > 1e15) {
            PyErr_Format(PyExc_ValueError, "limit %R out of range", key);
            goto done;
        }
        switch (f->kind) {
        case LIM_SIZE: *(size_t *)(void *)field = (size_t)d; break;
        case LIM_DOUBLE: *(double *)(void *)field = d; break;
        case LIM_INT:
            if (d > 2147483647.0) {
                PyErr_Format(PyExc_ValueError, "limit %R out of range", key);
                goto done;
            }
            *(int *)(void *)field = (int)d;
            break;
        }
    }
    rc = 0;
done:
    Py_DECREF(items);
    return rc;
}

/* cors={"allow_origins": "a, b", "allow_methods": ..., "allow_headers": ...,
 * "expose_headers": ..., "allow_origin_regex": str or None, "allow_credentials":
 * bool, "allow_private_network": bool, "max_age": int}: squall._cors.CORS renders it (lists joined).
 *
 * The flags are converted first: __bool__ / __index__ may run Python that
 * changes the dict. Each list's str is then held (a strong reference in
 * held[], released by the caller after sq_server_create has copied the
 * policy), so its UTF-8 buffer lives while the GIL is released. */
enum { CORS_TEXTS = 5 };
static const char *const CORS_TEXT_KEYS[CORS_TEXTS] = {"allow_origins", "allow_methods", "allow_headers",
                                                        "expose_headers", "allow_origin_regex"};

static int cors_flag(PyObject *d, const char *key, int *out) {
    PyObject *v = PyDict_GetItemString(d, key); /* borrowed, used at once */
    int t = v == NULL ? 0 : PyObject_IsTrue(v);
    if (t < 0)
        return -1;
    *out = t;
    return 0;
}

static int cors_from_dict(PyObject *d, sq_cors_config *c, PyObject *held[CORS_TEXTS]) {
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "cors must be a dict");
        return -1;
    }
    memset(c, 0, sizeof *c);
    c->max_age = -1;
    if (cors_flag(d, "allow_credentials", &c->allow_credentials) < 0 ||
        cors_flag(d, "allow_private_network", &c->allow_private_network) < 0)
        return -1;
    PyObject *age = PyDict_GetItemString(d, "max_age");
    if (age != NULL && age != Py_None) {
        long v = PyLong_AsLong(age);
        if (v == -1 && PyErr_Occurred())
            return -1;
        if (v < 0 || v > 2147483647L) {
            PyErr_SetString(PyExc_ValueError, "cors max_age out of range");
            return -1;
        }
        c->max_age = (int)v;
    }
    const char **texts[CORS_TEXTS] = {&c->allow_origins, &c->allow_methods, &c->allow_headers,
                                      &c->expose_headers, &c->allow_origin_regex};
    for (int i = 0; i < CORS_TEXTS; i++) {
        PyObject *v = PyDict_GetItemString(d, CORS_TEXT_KEYS[i]);
        if (v == NULL || v == Py_None)
            continue;
        if (!PyUnicode_Check(v)) {
            PyErr_Format(PyExc_TypeError, "cors[%s] must be a str", CORS_TEXT_KEYS[i]);
            return -1;
        }
        held[i] = Py_NewRef(v);
        const char *u = PyUnicode_AsUTF8(v);
        if (u == NULL)
            return -1;
        /* The core refuses these too (SQ_EINVAL); said here, by name. */
        for (const char *q = u; *q; q++) {
            if ((unsigned char)*q < 0x20 || *q == 0x7f) {
                PyErr_Format(PyExc_ValueError, "cors[%s] holds a control character", CORS_TEXT_KEYS[i]);
                return -1;
            }
        }
        *texts[i] = u;
    }
    if (c->allow_origin_regex != NULL) {
        /* Compiled once here to tell a pattern PCRE2 refuses (Python's re
         * may have taken it) from the server's other failures by name. */
        int err = 0;
        sq__cors *probe = sq__cors_compile(c, &err);
        if (probe == NULL) {
            if (err == SQ_ENOMEM)
                PyErr_NoMemory();
            else
                PyErr_SetString(PyExc_ValueError, "cors allow_origin_regex is not a valid PCRE2 pattern");
            return -1;
        }
        sq__cors_free(probe);
    }
    return 0;
}

static void cors_release(PyObject *held[CORS_TEXTS]) {
    for (int i = 0; i < CORS_TEXTS; i++)
        Py_CLEAR(held[i]);
}

/* ------------------------------------------------------------------ */
/* __init__ / dealloc / GC                                             */
/* ------------------------------------------------------------------ */

static int server_init(sqpy_server *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"host",        "port",       "listen_fd", "limits", "access_log",
                             "server_name", "problem_type_base", "cors", "unavailable", NULL};
    const char *host = "127.0.0.1";
    int port = 8000, listen_fd = -1, access_log = 0, unavailable = -1;
    PyObject *limits = Py_None, *cors = Py_None;
    const char *server_name = NULL;
    const char *type_base = "https://squall.dev/errors/";
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$siiOpzsOi:Server", kwlist, &host, &port,
                                     &listen_fd, &limits, &access_log, &server_name, &type_base,
                                     &cors, &unavailable))
        return -1;
    if (self->srv != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Server.__init__ called twice");
        return -1;
    }
    sq_config cfg;
    sq_config_init(&cfg);
    cfg.host = host;
    cfg.port = port;
    cfg.listen_fd = listen_fd;
    cfg.access_log = access_log;
    cfg.server_name = server_name;
    if (limits != Py_None && apply_limits(&cfg, limits) < 0)
        return -1;
    cfg.unavailable_retry_after = unavailable < 0 ? -1 : unavailable;

    size_t blen = strlen(type_base);
    /* The core's own rule (sq_server_create), with a clearer message. */
    for (size_t i = 0; i < blen; i++) {
        unsigned char c = (unsigned char)type_base[i];
        if (c < 0x20 || c == 0x7f) {
            PyErr_SetString(PyExc_ValueError, "problem_type_base contains a control character");
            return -1;
        }
    }
    if (blen > SQ_PROBLEM_TYPE_BASE_MAX) {
        PyErr_Format(PyExc_ValueError, "problem_type_base is longer than %d bytes",
                     SQ_PROBLEM_TYPE_BASE_MAX);
        return -1;
    }
    /* The core's own replies (404, 405, 413, its 422s, ...) use the same
     * base as the problems rendered here; sq_server_create copies it. */
    cfg.problem_type_base = type_base;
    self->problem_type_base = PyMem_Malloc(blen + 1);
    if (self->problem_type_base == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(self->problem_type_base, type_base, blen + 1);

    /* ctx is borrowed by the core: the sq_server is destroyed before this
     * object goes away (close() or dealloc). */
    sq_handler handler = {
        .ctx = self,
        .on_request = sqpy_on_request,
        .on_cancel = sqpy_on_cancel,
        .on_writable = sqpy_on_writable,
    };
    /* Last before sq_server_create, which copies the policy: its strings are
     * held until then (cors_from_dict). */
    sq_cors_config cors_cfg;
    PyObject *cors_held[CORS_TEXTS] = {NULL};
    if (cors != Py_None) {
        if (cors_from_dict(cors, &cors_cfg, cors_held) < 0) {
            cors_release(cors_held);
            return -1;
        }
        cfg.cors = &cors_cfg;
    }
    int err = 0;
    sq_server *srv;
    Py_BEGIN_ALLOW_THREADS srv = sq_server_create(&cfg, &handler, &err);
    Py_END_ALLOW_THREADS cors_release(cors_held);
    if (srv == NULL) {
        if (err == SQ_EIO && errno != 0)
            PyErr_SetFromErrno(PyExc_OSError);
        else
            PyErr_Format(PyExc_OSError, "cannot create server on %s:%d: %s", host, port,
                         sq_strerror(err));
        return -1;
    }
    self->srv = srv;
    return 0;
}

static void server_destroy_core(sqpy_server *self) {
    if (self->srv != NULL) {
        sq_server *srv = self->srv;
        self->srv = NULL;
        sq_server_destroy(srv);
    }
}

static int server_traverse(sqpy_server *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->loop);
    Py_VISIT(self->executor_submit);
    Py_VISIT(self->response_type);
    Py_VISIT(self->error_handler);
    Py_VISIT(self->validation_error_handler);
    Py_VISIT(self->request_factory);
    for (size_t i = 0; i < self->num_routes; i++) {
        sqpy_route *r = self->routes[i];
        Py_VISIT(r->endpoint);
        Py_VISIT(r->converters);
        Py_VISIT(r->body_converter);
    }
    return 0;
}

static int server_clear(sqpy_server *self) {
    Py_CLEAR(self->loop);
    Py_CLEAR(self->executor_submit);
    Py_CLEAR(self->response_type);
    Py_CLEAR(self->error_handler);
    Py_CLEAR(self->validation_error_handler);
    Py_CLEAR(self->request_factory);
    return 0;
}

static void server_dealloc(sqpy_server *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    /* No request can be in flight here: each holds a reference to us. */
    server_destroy_core(self);
    for (size_t i = 0; i < self->num_routes; i++)
        route_free(self->routes[i]);
    PyMem_Free(self->routes);
    PyMem_Free(self->problem_type_base);
    sqpy_key_cache_free(self->keys);
    server_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *server_new(PyTypeObject *tp, PyObject *args, PyObject *kwds) {
    (void)args;
    (void)kwds;
    sqpy_server *self = (sqpy_server *)tp->tp_alloc(tp, 0);
    if (self == NULL)
        return NULL;
    self->st = sqpy_state_of_type(tp);
    if (self->st == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->keys = sqpy_key_cache_new();
    if (self->keys == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

/* ------------------------------------------------------------------ */
/* configure / add_route / start                                       */
/* ------------------------------------------------------------------ */

static PyObject *server_configure(sqpy_server *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"loop",        "executor",   "response_type", "error_handler",
                             "validation_error_handler", "request_factory", NULL};
    PyObject *loop, *executor, *response_type, *error_handler, *veh, *request_factory;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$OOOOOO:configure", kwlist, &loop, &executor,
                                     &response_type, &error_handler, &veh, &request_factory))
        return NULL;
    /* All keywords are required, but "|$" keeps the error message keyword-only. */
    if (PyTuple_GET_SIZE(args) != 0 || kwds == NULL || PyDict_GET_SIZE(kwds) != 6) {
        PyErr_SetString(PyExc_TypeError,
                        "configure() needs exactly the keywords loop, executor, response_type, "
                        "error_handler, validation_error_handler, request_factory");
        return NULL;
    }
    if (!PyType_Check(response_type)) {
        PyErr_SetString(PyExc_TypeError, "response_type must be a type");
        return NULL;
    }
    if (!PyCallable_Check(error_handler) || !PyCallable_Check(request_factory) ||
        (veh != Py_None && !PyCallable_Check(veh))) {
        PyErr_SetString(PyExc_TypeError, "handlers must be callable");
        return NULL;
    }
    PyObject *submit = PyObject_GetAttr(executor, self->st->str_submit);
    if (submit == NULL)
        return NULL;
    Py_XSETREF(self->executor_submit, submit);
    Py_XSETREF(self->loop, Py_NewRef(loop));
    Py_XSETREF(self->response_type, Py_NewRef(response_type));
    Py_XSETREF(self->error_handler, Py_NewRef(error_handler));
    Py_XSETREF(self->validation_error_handler, veh == Py_None ? NULL : Py_NewRef(veh));
    Py_XSETREF(self->request_factory, Py_NewRef(request_factory));
    Py_RETURN_NONE;
}

/* New tuple of interned str from any sequence of str (interned so the
 * callee's keyword matching is mostly a pointer compare). */
static PyObject *str_tuple(PyObject *seq, const char *what) {
    PyObject *in = PySequence_Tuple(seq);
    if (in == NULL)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(in);
    PyObject *out = PyTuple_New(n);
    if (out == NULL)
        goto error;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyTuple_GET_ITEM(in, i); /* borrowed */
        if (!PyUnicode_CheckExact(s)) {
            PyErr_Format(PyExc_TypeError, "%s must contain only str", what);
            goto error;
        }
        Py_INCREF(s);
        PyUnicode_InternInPlace(&s);
        PyTuple_SET_ITEM(out, i, s); /* steals */
    }
    Py_DECREF(in);
    return out;
error:
    Py_DECREF(in);
    Py_XDECREF(out);
    return NULL;
}

static PyObject *server_add_route(sqpy_server *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"methods",        "path",          "endpoint",  "spec",
                             "kwnames",        "converters",    "body_kwarg", "body_converter",
                             "request_kwarg",  "is_async",      "inline",    "status_code",
                             "wants_errors",   NULL};
    const char *methods, *path;
    PyObject *endpoint, *spec = Py_None, *kwnames_in = NULL, *converters_in = NULL;
    PyObject *body_kwarg = Py_None, *body_converter = Py_None, *request_kwarg = Py_None;
    int is_async = 0, inline_sync = 0, status_code = 200, wants_errors = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ssO|$OOOOOOppip:add_route", kwlist, &methods,
                                     &path, &endpoint, &spec, &kwnames_in, &converters_in,
                                     &body_kwarg, &body_converter, &request_kwarg, &is_async,
                                     &inline_sync, &status_code, &wants_errors))
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    if (self->started) {
        PyErr_SetString(PyExc_RuntimeError, "add_route() after start()");
        return NULL;
    }
    if (!PyCallable_Check(endpoint)) {
        PyErr_SetString(PyExc_TypeError, "endpoint must be callable");
        return NULL;
    }
    if (status_code < 100 || status_code > 999) {
        PyErr_SetString(PyExc_ValueError, "status_code out of range");
        return NULL;
    }
    if ((body_kwarg != Py_None && !PyUnicode_Check(body_kwarg)) ||
        (request_kwarg != Py_None && !PyUnicode_Check(request_kwarg)) ||
        (spec != Py_None && !PyUnicode_Check(spec))) {
        PyErr_SetString(PyExc_TypeError, "spec, body_kwarg and request_kwarg must be str or None");
        return NULL;
    }

    sqpy_route *r = PyMem_Calloc(1, sizeof *r);
    if (r == NULL)
        return PyErr_NoMemory();
    PyObject *names = NULL, *convs = NULL, *all = NULL;

    names = kwnames_in != NULL && kwnames_in != Py_None ? str_tuple(kwnames_in, "kwnames")
                                                        : PyTuple_New(0);
    if (names == NULL)
        goto error;
    r->num_params = PyTuple_GET_SIZE(names);

    if (converters_in != NULL && converters_in != Py_None) {
        convs = PySequence_Tuple(converters_in);
        if (convs == NULL)
            goto error;
        if (PyTuple_GET_SIZE(convs) != r->num_params) {
            PyErr_SetString(PyExc_ValueError, "converters and kwnames differ in length");
            goto error;
        }
        int any = 0;
        for (Py_ssize_t i = 0; i < r->num_params; i++) {
            PyObject *c = PyTuple_GET_ITEM(convs, i);
            if (c != Py_None) {
                if (!PyCallable_Check(c)) {
                    PyErr_SetString(PyExc_TypeError, "converters must be callables or None");
                    goto error;
                }
                any = 1;
            }
        }
        if (any) {
            r->converters = convs; /* steals our reference */
            convs = NULL;
        }
    }

    /* Full kwnames: parameters, then body, then request. */
    Py_ssize_t extra = (body_kwarg != Py_None) + (request_kwarg != Py_None);
    all = PyTuple_New(r->num_params + extra);
    if (all == NULL)
        goto error;
    for (Py_ssize_t i = 0; i < r->num_params; i++)
        PyTuple_SET_ITEM(all, i, Py_NewRef(PyTuple_GET_ITEM(names, i)));
    Py_ssize_t k = r->num_params;
    if (body_kwarg != Py_None) {
        PyObject *s = Py_NewRef(body_kwarg);
        PyUnicode_InternInPlace(&s);
        r->body_kwarg = Py_NewRef(s);
        PyTuple_SET_ITEM(all, k++, s);
    }
    if (request_kwarg != Py_None) {
        PyObject *s = Py_NewRef(request_kwarg);
        PyUnicode_InternInPlace(&s);
        r->request_kwarg = Py_NewRef(s);
        PyTuple_SET_ITEM(all, k++, s);
    }
    r->kwnames = all;
    all = NULL;
    r->body_converter = body_converter == Py_None ? NULL : Py_NewRef(body_converter);
    r->endpoint = Py_NewRef(endpoint);
    r->is_async = is_async;
    r->inline_sync = inline_sync;
    r->status_code = status_code;
    r->wants_errors = wants_errors;

    if (spec != Py_None) {
        Py_ssize_t slen;
        const char *stext = PyUnicode_AsUTF8AndSize(spec, &slen);
        if (stext == NULL)
            goto error;
        char errbuf[256] = "";
        r->validator = sq_validator_compile(stext, (size_t)slen, errbuf, sizeof errbuf);
        if (r->validator == NULL) {
            PyErr_Format(PyExc_ValueError, "invalid route spec for %s: %s", path,
                         errbuf[0] ? errbuf : "compilation failed");
            goto error;
        }
        size_t np = sq_validator_num_params(r->validator);
        if ((Py_ssize_t)np != r->num_params) {
            PyErr_Format(PyExc_ValueError,
                         "route %s: spec declares %zu parameters but %zd kwnames were given", path,
                         np, r->num_params);
            goto error;
        }
        r->param_names = PyTuple_New((Py_ssize_t)np);
        if (r->param_names == NULL)
            goto error;
        for (size_t i = 0; i < np; i++) {
            PyObject *s = PyUnicode_FromString(sq_validator_param_name(r->validator, i));
            if (s == NULL)
                goto error;
            PyTuple_SET_ITEM(r->param_names, (Py_ssize_t)i, s);
        }
    } else if (r->num_params != 0) {
        PyErr_SetString(PyExc_ValueError, "kwnames given without a spec");
        goto error;
    }

    if (self->num_routes == self->cap_routes) {
        size_t cap = self->cap_routes ? self->cap_routes * 2 : 16;
        sqpy_route **p = PyMem_Realloc(self->routes, cap * sizeof *p);
        if (p == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        self->routes = p;
        self->cap_routes = cap;
    }
    unsigned flags = wants_errors ? SQ_ROUTE_WANTS_ERRORS : 0;
    int rc = sq_server_add_route(self->srv, methods, path, r, r->validator, flags);
    if (rc != 0) {
        PyErr_Format(PyExc_ValueError, "cannot add route %s %s: %s", methods, path,
                     rc == SQ_ESTATE ? "conflicts with an existing route" : sq_strerror(rc));
        goto error;
    }
    self->routes[self->num_routes++] = r;
    /* Only a speed-up: a name left out (out of memory) is found by its bytes. */
    if (r->validator != NULL && sqpy_key_cache_add_names(self->keys, r->validator) < 0)
        PyErr_Clear();
    Py_DECREF(names);
    Py_RETURN_NONE;

error:
    Py_XDECREF(names);
    Py_XDECREF(convs);
    Py_XDECREF(all);
    route_free(r);
    return NULL;
}

static PyObject *server_start(sqpy_server *self, PyObject *unused) {
    (void)unused;
    if (check_open(self) < 0)
        return NULL;
    if (self->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "start() before configure()");
        return NULL;
    }
    self->started = 1;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* Serving                                                             */
/* ------------------------------------------------------------------ */

static PyObject *server_fileno(sqpy_server *self, PyObject *unused) {
    (void)unused;
    if (check_open(self) < 0)
        return NULL;
    return PyLong_FromLong(sq_server_fd(self->srv));
}

static PyObject *server_poll(sqpy_server *self, PyObject *unused) {
    (void)unused;
    if (self->srv == NULL)
        Py_RETURN_NONE; /* a stale reader callback after close(): nothing to do */
    if (!self->started) {
        PyErr_SetString(PyExc_RuntimeError, "poll() before start()");
        return NULL;
    }
    if (self->polling) {
        /* e.g. an inline endpoint calling poll(): the core's loop is not
         * re-entrant. */
        PyErr_SetString(PyExc_RuntimeError, "poll() is not re-entrant");
        return NULL;
    }
    self->polling = 1;
    self->loop_ident = PyThread_get_thread_ident();
    int rc;
    if (self->pool_jobs > 0) {
        /* Thread-pool endpoints are running or queued: let them run while
         * the core reads, parses and validates. Its callbacks take the GIL
         * back through self->tstate only to call Python. */
        self->tstate = PyEval_SaveThread();
        rc = sq_server_poll(self->srv, 0);
        PyThreadState *ts = self->tstate;
        self->tstate = NULL;
        PyEval_RestoreThread(ts);
    } else {
        /* Nobody is waiting for the GIL on our behalf: keep it for the
         * whole turn instead of giving it up and taking it back around
         * every request (measured: docs/benchmarks/profile.md). The turn
         * never blocks (timeout 0); the wait for I/O happens in the asyncio
         * selector, which releases the GIL. */
        rc = sq_server_poll(self->srv, 0);
    }
    self->polling = 0;
    if (rc < 0 && rc != SQ_EAGAIN) {
        PyErr_Format(PyExc_OSError, "server loop failed: %s", sq_strerror(rc));
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *server_shutdown(sqpy_server *self, PyObject *unused) {
    (void)unused;
    if (check_open(self) < 0)
        return NULL;
    sq_server_shutdown(self->srv);
    Py_RETURN_NONE;
}

static PyObject *server_drained(sqpy_server *self, PyObject *unused) {
    (void)unused;
    if (self->srv == NULL)
        Py_RETURN_TRUE;
    return PyBool_FromLong(sq_server_is_drained(self->srv) && self->inflight == 0);
}

static PyObject *server_close(sqpy_server *self, PyObject *unused) {
    (void)unused;
    if (self->polling) {
        PyErr_SetString(PyExc_RuntimeError, "close() from inside poll()");
        return NULL;
    }
    if (self->inflight > 0) {
        /* A responder we hold would dangle (a thread-pool handler still
         * running past the grace period, say). */
        PyErr_Format(PyExc_RuntimeError, "close(): %zd requests still in flight", self->inflight);
        return NULL;
    }
    server_destroy_core(self);
    Py_RETURN_NONE;
}

static PyObject *server_get_port(sqpy_server *self, void *closure) {
    (void)closure;
    if (check_open(self) < 0)
        return NULL;
    return PyLong_FromLong(sq_server_port(self->srv));
}

/* set_unavailable(retry_after): 503 for every request from now on (from
 * any thread: the core's flag is atomic); None makes it available again. */
static PyObject *server_set_unavailable(sqpy_server *self, PyObject *arg) {
    if (self->srv == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "server is closed");
        return NULL;
    }
    int retry_after = -1;
    if (arg != Py_None) {
        long v = PyLong_AsLong(arg);
        if (v == -1 && PyErr_Occurred())
            return NULL;
        if (v < 0 || v > 2147483647L) {
            PyErr_SetString(PyExc_ValueError, "retry_after must be from 0 to 2**31-1 seconds");
            return NULL;
        }
        retry_after = (int)v;
    }
    sq_server_set_unavailable(self->srv, retry_after);
    Py_RETURN_NONE;
}

static PyObject *server_get_inflight(sqpy_server *self, void *closure) {
    (void)closure;
    return PyLong_FromSsize_t(self->inflight);
}

/* ------------------------------------------------------------------ */
/* Type                                                                */
/* ------------------------------------------------------------------ */

static PyMethodDef server_methods[] = {
    {"configure", (PyCFunction)(void (*)(void))server_configure, METH_VARARGS | METH_KEYWORDS,
     "Hand over the loop, executor and the package's handlers."},
    {"add_route", (PyCFunction)(void (*)(void))server_add_route, METH_VARARGS | METH_KEYWORDS,
     "Register a route (before start())."},
    {"start", (PyCFunction)server_start, METH_NOARGS, "Freeze the routes and serve."},
    {"fileno", (PyCFunction)server_fileno, METH_NOARGS, "The core's epoll descriptor."},
    {"poll", (PyCFunction)server_poll, METH_NOARGS, "One non-blocking turn of the core's loop."},
    {"shutdown", (PyCFunction)server_shutdown, METH_NOARGS, "Begin graceful shutdown."},
    {"drained", (PyCFunction)server_drained, METH_NOARGS, "True when nothing is left."},
    {"close", (PyCFunction)server_close, METH_NOARGS, "Free the core server."},
    {"set_unavailable", (PyCFunction)server_set_unavailable, METH_O,
     "set_unavailable(retry_after: int | None): answer 503 before routing (None: serve again)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef server_getset[] = {
    {"port", (getter)server_get_port, NULL, "The bound port.", NULL},
    {"inflight", (getter)server_get_inflight, NULL,
     "Requests whose answer is still pending in Python.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef server_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(sqpy_server, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyType_Slot server_slots[] = {
    {Py_tp_new, server_new},
    {Py_tp_init, server_init},
    {Py_tp_dealloc, server_dealloc},
    {Py_tp_traverse, server_traverse},
    {Py_tp_clear, server_clear},
    {Py_tp_methods, server_methods},
    {Py_tp_getset, server_getset},
    {Py_tp_members, server_members},
    {Py_tp_doc, (void *)"One worker's HTTP server (the C core) driven from asyncio."},
    {0, NULL},
};

PyType_Spec sqpy_server_spec = {
    .name = "squall._squall.Server",
    .basicsize = sizeof(sqpy_server),
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = server_slots,
};
