/* The router: a tree of path segments built by sq_router_add, frozen by
 * sq_router_compile (hash tables for static children, Allow strings), and
 * walked by sq_router_match without allocating.
 *
 * Each tree node is one segment position of one or more templates. A node
 * has static children (looked up by hash after compile, so a level with a
 * thousand siblings costs the same as one with two) and at most one
 * parameter child per type. The walk is a depth-first search that tries, at
 * each level, the static child, then the typed parameters whose parser
 * accepts the segment (int, float, uuid), then the plain parameter, then the
 * rest-of-path parameter. Every node is reached from exactly one parent, so
 * one walk visits each node at most once: backtracking is bounded by the
 * size of the part of the tree the path's segments can reach.
 *
 * A second, lenient walk runs only when the strict one found no route for
 * the method: typed parameters then accept any non-empty segment, and a
 * route found this way is reported as SQ_ROUTE_PARAM_INVALID so the caller
 * can answer 422 with the route's own validator. */
#include "squall/router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "router_internal.h"

/* ===== Nodes and routes ===== */

enum { KIND_STATIC = -1 };

typedef struct route {
    char *templ; /* NUL-terminated copy, also backs the parameter names */
    unsigned mask;
    char **custom; /* unusual method tokens, NUL-terminated copies */
    size_t num_custom;
    void *data;
    const void *extra;
    unsigned flags;
    /* Parameter names as slices of templ: a match reports these, so names
     * point into the matched route's own template. */
    sq_slice names[SQ_ROUTER_MAX_PARAMS];
    size_t num_names;
} route;

typedef struct rnode rnode;
struct rnode {
    int kind;        /* KIND_STATIC or an sq__param_kind */
    sq_slice text;   /* static: the segment; parameter: its name (into a route's templ) */
    uint64_t hash;   /* static: hash of text */
    rnode **statics; /* registration order while building */
    size_t num_statics, cap_statics;
    rnode **table; /* compiled: open addressing, size mask + 1, NULL = empty */
    size_t table_mask;
    rnode *params[SQ__PARAM_KINDS];
    route **routes; /* routes ending at this node */
    size_t num_routes, cap_routes;
    char *allow; /* compiled when num_routes > 0 */
};

struct sq_router {
    rnode *root;
    route **routes;
    size_t num_routes, cap_routes;
    int compiled;
    int has_typed; /* any int/float/uuid parameter: the lenient walk can matter */
};

static const char *const kind_names[SQ__PARAM_KINDS] = {"int", "float", "uuid", "str", "path"};

/* Methods known to the bitmask, in the order an Allow string lists them. */
static const char *const std_methods[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                          "DELETE", "OPTIONS", "TRACE", "CONNECT"};
enum { NUM_STD = sizeof std_methods / sizeof std_methods[0] };
#define BIT_GET (1u << 0)
#define BIT_HEAD (1u << 1)
#define BIT_OPTIONS (1u << 6)

static int std_method_bit(const char *s, size_t n) {
    for (int i = 0; i < NUM_STD; i++)
        if (strlen(std_methods[i]) == n && memcmp(std_methods[i], s, n) == 0) return i;
    return -1;
}

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    while (ncap < need) ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (!p) return SQ_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

static void node_free(rnode *n) {
    if (!n) return;
    for (size_t i = 0; i < n->num_statics; i++) node_free(n->statics[i]);
    for (int k = 0; k < SQ__PARAM_KINDS; k++) node_free(n->params[k]);
    free(n->statics);
    free(n->table);
    free(n->routes);
    free(n->allow);
    free(n);
}

static void route_free(route *rt) {
    if (!rt) return;
    for (size_t i = 0; i < rt->num_custom; i++) free(rt->custom[i]);
    free(rt->custom);
    free(rt->templ);
    free(rt);
}

sq_router *sq_router_new(void) {
    sq_router *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->root = calloc(1, sizeof *r->root);
    if (!r->root) {
        free(r);
        return NULL;
    }
    r->root->kind = KIND_STATIC;
    return r;
}

void sq_router_free(sq_router *r) {
    if (!r) return;
    node_free(r->root);
    for (size_t i = 0; i < r->num_routes; i++) route_free(r->routes[i]);
    free(r->routes);
    free(r);
}

/* ===== Registration ===== */

static int is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Parse "GET, POST" into rt->mask and rt->custom. */
static int parse_methods(route *rt, const char *methods) {
    const char *p = methods;
    int any = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        const char *start = p;
        while (is_tchar((unsigned char)*p)) p++;
        size_t n = (size_t)(p - start);
        while (*p == ' ' || *p == '\t') p++;
        if (n == 0 || (*p != ',' && *p != '\0')) return SQ_EINVAL;
        int bit = std_method_bit(start, n);
        if (bit >= 0) {
            rt->mask |= 1u << bit;
        } else {
            int dup = 0;
            for (size_t i = 0; i < rt->num_custom; i++)
                if (strlen(rt->custom[i]) == n && memcmp(rt->custom[i], start, n) == 0) dup = 1;
            if (!dup) {
                char **c = realloc(rt->custom, (rt->num_custom + 1) * sizeof *c);
                if (!c) return SQ_ENOMEM;
                rt->custom = c;
                char *copy = malloc(n + 1);
                if (!copy) return SQ_ENOMEM;
                memcpy(copy, start, n);
                copy[n] = '\0';
                rt->custom[rt->num_custom++] = copy;
            }
        }
        any = 1;
        if (*p == '\0') break;
        p++; /* ',' */
    }
    return any ? 0 : SQ_EINVAL;
}

static int routes_share_method(const route *a, const route *b) {
    if (a->mask & b->mask) return 1;
    for (size_t i = 0; i < a->num_custom; i++)
        for (size_t j = 0; j < b->num_custom; j++)
            if (strcmp(a->custom[i], b->custom[j]) == 0) return 1;
    return 0;
}

static int is_name_start(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_name_char(unsigned char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/* One template segment, parsed. */
typedef struct tseg {
    int kind; /* KIND_STATIC or parameter kind */
    sq_slice text; /* static text or parameter name */
} tseg;

static int parse_param_segment(const char *s, size_t n, tseg *out) {
    /* s = "{name}" or "{name:type}" */
    if (n < 3 || s[0] != '{' || s[n - 1] != '}') return SQ_EINVAL;
    const char *p = s + 1, *end = s + n - 1;
    const char *name = p;
    if (!is_name_start((unsigned char)*p)) return SQ_EINVAL;
    while (p < end && is_name_char((unsigned char)*p)) p++;
    out->text = (sq_slice){name, (size_t)(p - name)};
    out->kind = SQ__PARAM_STR;
    if (p == end) return 0;
    if (*p != ':') return SQ_EINVAL;
    p++;
    size_t tn = (size_t)(end - p);
    for (int k = 0; k < SQ__PARAM_KINDS; k++) {
        if (strlen(kind_names[k]) == tn && memcmp(kind_names[k], p, tn) == 0) {
            out->kind = k;
            return 0;
        }
    }
    return SQ_EINVAL;
}

/* Split a template into segments. "/" has none; a trailing '/' is a final
 * empty static segment (so "/a" and "/a/" are different routes). Empty
 * segments elsewhere, mixed text and parameters in one segment, repeated
 * parameter names and a {x:path} that is not last are refused. */
static int parse_template(const char *t, tseg *segs, size_t cap, size_t *num) {
    size_t n = 0, params = 0;
    if (t[0] != '/') return SQ_EINVAL;
    if (t[1] == '\0') {
        *num = 0;
        return 0;
    }
    const char *p = t + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (n == cap) return SQ_EINVAL;
        tseg *sg = &segs[n];
        if (len > 0 && p[0] == '{') {
            int rc = parse_param_segment(p, len, sg);
            if (rc) return rc;
            if (sg->kind == SQ__PARAM_PATH && slash) return SQ_EINVAL;
            if (++params > SQ_ROUTER_MAX_PARAMS) return SQ_EINVAL;
            for (size_t i = 0; i < n; i++)
                if (segs[i].kind != KIND_STATIC && segs[i].text.len == sg->text.len &&
                    memcmp(segs[i].text.base, sg->text.base, sg->text.len) == 0)
                    return SQ_EINVAL;
        } else {
            if (memchr(p, '{', len) || memchr(p, '}', len)) return SQ_EINVAL;
            if (len == 0 && slash) return SQ_EINVAL; /* "//" inside the template */
            sg->kind = KIND_STATIC;
            sg->text = (sq_slice){p, len};
        }
        n++;
        if (!slash) break;
        p = slash + 1;
    }
    *num = n;
    return 0;
}

static rnode *node_new(int kind, sq_slice text) {
    rnode *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->text = text;
    if (kind == KIND_STATIC) n->hash = hash_bytes(text.base, text.len);
    return n;
}

static rnode *find_static_linear(const rnode *n, sq_slice s) {
    for (size_t i = 0; i < n->num_statics; i++) {
        rnode *c = n->statics[i];
        if (c->text.len == s.len && memcmp(c->text.base, s.base, s.len) == 0) return c;
    }
    return NULL;
}

/* Route templates can be long and numerous; bound segments per template. */
#define MAX_TEMPLATE_SEGMENTS 128

int sq_router_add(sq_router *r, const char *methods, const char *templ, void *route_data,
                  const void *extra, unsigned flags) {
    if (!r || !methods || !templ) return SQ_EINVAL;
    if (r->compiled) return SQ_ESTATE;
    int rc;
    route *rt = calloc(1, sizeof *rt);
    if (!rt) return SQ_ENOMEM;
    rt->data = route_data;
    rt->extra = extra;
    rt->flags = flags;
    rt->templ = strdup(templ);
    if (!rt->templ) {
        rc = SQ_ENOMEM;
        goto error;
    }
    if ((rc = parse_methods(rt, methods)) != 0) goto error;

    tseg segs[MAX_TEMPLATE_SEGMENTS];
    size_t nsegs;
    if ((rc = parse_template(rt->templ, segs, MAX_TEMPLATE_SEGMENTS, &nsegs)) != 0) goto error;

    /* Check everything first, then create nodes: a refused route leaves the
     * tree as it was (nodes created along the way would be harmless but
     * would make error paths differ from success paths). */
    rnode *n = r->root;
    size_t i = 0;
    for (; i < nsegs; i++) {
        rnode *c;
        if (segs[i].kind == KIND_STATIC) {
            c = find_static_linear(n, segs[i].text);
        } else {
            c = n->params[segs[i].kind];
            if (c && (c->text.len != segs[i].text.len ||
                      memcmp(c->text.base, segs[i].text.base, c->text.len) != 0)) {
                rc = SQ_ESTATE; /* same position, same type, another name */
                goto error;
            }
        }
        if (!c) break;
        n = c;
    }
    if (i == nsegs) {
        for (size_t j = 0; j < n->num_routes; j++)
            if (routes_share_method(n->routes[j], rt)) {
                rc = SQ_ESTATE;
                goto error;
            }
    }
    if ((rc = grow((void **)&r->routes, &r->cap_routes, r->num_routes + 1, sizeof(route *))) ||
        (rc = grow((void **)&n->routes, &n->cap_routes, n->num_routes + 1, sizeof(route *))))
        goto error;
    /* Create the missing tail as a detached chain, then attach it. */
    rnode *head = NULL, *tail = NULL;
    for (size_t j = i; j < nsegs; j++) {
        rnode *c = node_new(segs[j].kind, segs[j].text);
        if (!c) {
            node_free(head);
            rc = SQ_ENOMEM;
            goto error;
        }
        if (!head) {
            head = c;
        } else if (c->kind == KIND_STATIC) {
            if (grow((void **)&tail->statics, &tail->cap_statics, 1, sizeof(rnode *))) {
                node_free(c);
                node_free(head);
                rc = SQ_ENOMEM;
                goto error;
            }
            tail->statics[tail->num_statics++] = c;
        } else {
            tail->params[c->kind] = c;
        }
        tail = c;
    }
    if (head) {
        if (grow((void **)&tail->routes, &tail->cap_routes, 1, sizeof(route *))) {
            node_free(head);
            rc = SQ_ENOMEM;
            goto error;
        }
        if (head->kind == KIND_STATIC) {
            if (grow((void **)&n->statics, &n->cap_statics, n->num_statics + 1,
                     sizeof(rnode *))) {
                node_free(head);
                rc = SQ_ENOMEM;
                goto error;
            }
            n->statics[n->num_statics++] = head;
        } else {
            n->params[head->kind] = head;
        }
        n = tail;
    }
    for (size_t j = 0; j < nsegs; j++) {
        if (segs[j].kind == KIND_STATIC) continue;
        rt->names[rt->num_names++] = segs[j].text;
        if (segs[j].kind != SQ__PARAM_STR && segs[j].kind != SQ__PARAM_PATH) r->has_typed = 1;
    }
    n->routes[n->num_routes++] = rt;
    r->routes[r->num_routes++] = rt;
    return 0;
error:
    route_free(rt);
    return rc;
}

/* ===== Compile ===== */

static int build_allow(rnode *n) {
    unsigned mask = 0;
    size_t len = 0;
    for (size_t i = 0; i < n->num_routes; i++) mask |= n->routes[i]->mask;
    if (mask & BIT_GET) mask |= BIT_HEAD;
    for (int b = 0; b < NUM_STD; b++)
        if (mask & (1u << b)) len += strlen(std_methods[b]) + 2;
    for (size_t i = 0; i < n->num_routes; i++)
        for (size_t j = 0; j < n->routes[i]->num_custom; j++)
            len += strlen(n->routes[i]->custom[j]) + 2;
    char *s = malloc(len + 1);
    if (!s) return SQ_ENOMEM;
    size_t pos = 0;
    s[0] = '\0';
#define APPEND(str)                                   \
    do {                                              \
        size_t l_ = strlen(str);                      \
        if (pos) {                                    \
            memcpy(s + pos, ", ", 2);                 \
            pos += 2;                                 \
        }                                             \
        memcpy(s + pos, (str), l_);                   \
        pos += l_;                                    \
    } while (0)
    for (int b = 0; b < NUM_STD; b++)
        if (mask & (1u << b)) APPEND(std_methods[b]);
    /* Custom methods of different routes cannot repeat: that is a conflict. */
    for (size_t i = 0; i < n->num_routes; i++)
        for (size_t j = 0; j < n->routes[i]->num_custom; j++) APPEND(n->routes[i]->custom[j]);
#undef APPEND
    s[pos] = '\0';
    free(n->allow);
    n->allow = s;
    return 0;
}

static int compile_node(rnode *n) {
    int rc;
    if (n->num_routes && (rc = build_allow(n)) != 0) return rc;
    if (n->num_statics) {
        size_t size = 4;
        while (size < n->num_statics * 2) size *= 2;
        rnode **t = calloc(size, sizeof *t);
        if (!t) return SQ_ENOMEM;
        for (size_t i = 0; i < n->num_statics; i++) {
            size_t h = (size_t)n->statics[i]->hash & (size - 1);
            while (t[h]) h = (h + 1) & (size - 1);
            t[h] = n->statics[i];
        }
        free(n->table);
        n->table = t;
        n->table_mask = size - 1;
    }
    for (size_t i = 0; i < n->num_statics; i++)
        if ((rc = compile_node(n->statics[i])) != 0) return rc;
    for (int k = 0; k < SQ__PARAM_KINDS; k++)
        if (n->params[k] && (rc = compile_node(n->params[k])) != 0) return rc;
    return 0;
}

int sq_router_compile(sq_router *r) {
    if (!r) return SQ_EINVAL;
    if (r->compiled) return SQ_ESTATE;
    int rc = compile_node(r->root);
    if (rc) return rc;
    r->compiled = 1;
    return 0;
}

static int segment_parses(int kind, const char *s, size_t n) {
    switch (kind) {
    case SQ__PARAM_INT: return sq__route_parse_int(s, n);
    case SQ__PARAM_FLOAT: return sq__route_parse_float(s, n);
    case SQ__PARAM_UUID: return sq__route_parse_uuid(s, n);
    default: return 1;
    }
}

/* ===== Match ===== */

typedef struct walk {
    const char *path_end;
    unsigned method_bit; /* 0 for an unusual method */
    sq_slice method;
    int lenient;
    sq_route_match *out;
    const rnode *allow_node; /* first node whose path matched without the method */
    const route *found;
    /* Lenient walk: the parameter index that did not parse (-1: none so far)
     * for each depth of the current candidate. */
    int invalid_idx;
    int invalid_kind;
} walk;

/* The route at `n` answering the request's method, or NULL. An explicit HEAD
 * route wins over a GET route for HEAD. */
static const route *route_for_method(const rnode *n, const walk *w) {
    const route *get_route = NULL;
    for (size_t i = 0; i < n->num_routes; i++) {
        const route *rt = n->routes[i];
        if (w->method_bit) {
            if (rt->mask & w->method_bit) return rt;
            if (w->method_bit == BIT_HEAD && (rt->mask & BIT_GET)) get_route = rt;
        } else {
            for (size_t j = 0; j < rt->num_custom; j++)
                if (strlen(rt->custom[j]) == w->method.len &&
                    memcmp(rt->custom[j], w->method.base, w->method.len) == 0)
                    return rt;
        }
    }
    return get_route;
}

static int walk_node(walk *w, const rnode *n, const char *pos);

static int at_end(walk *w, const rnode *n) {
    if (!n->num_routes) return 0;
    const route *rt = route_for_method(n, w);
    if (rt) {
        w->found = rt;
        return 1;
    }
    if (!w->allow_node) w->allow_node = n;
    return 0;
}

/* Try parameter child `c` with value [seg, seg_end), continuing at `next`
 * (NULL when the path ends with this segment). */
static int try_param(walk *w, const rnode *c, const char *seg, const char *seg_end,
                     const char *next) {
    sq_route_match *out = w->out;
    int ok = segment_parses(c->kind, seg, (size_t)(seg_end - seg));
    if (!ok && !w->lenient) return 0;
    size_t idx = out->num_params;
    int saved_invalid = w->invalid_idx, saved_kind = w->invalid_kind;
    out->params[idx].name = c->text;
    out->params[idx].value = (sq_slice){seg, (size_t)(seg_end - seg)};
    out->num_params = idx + 1;
    if (!ok && w->invalid_idx < 0) {
        w->invalid_idx = (int)idx;
        w->invalid_kind = c->kind;
    }
    int r = next ? walk_node(w, c, next) : at_end(w, c);
    if (r) return 1;
    out->num_params = idx;
    w->invalid_idx = saved_invalid;
    w->invalid_kind = saved_kind;
    return 0;
}

/* `pos` points just after a '/': the start of the next segment. */
static int walk_node(walk *w, const rnode *n, const char *pos) {
    const char *slash = memchr(pos, '/', (size_t)(w->path_end - pos));
    const char *seg_end = slash ? slash : w->path_end;
    const char *next = slash ? slash + 1 : NULL;
    size_t len = (size_t)(seg_end - pos);

    if (n->table) {
        uint64_t h = hash_bytes(pos, len);
        for (size_t i = (size_t)h & n->table_mask;; i = (i + 1) & n->table_mask) {
            const rnode *c = n->table[i];
            if (!c) break;
            if (c->hash == h && c->text.len == len && memcmp(c->text.base, pos, len) == 0) {
                if (next ? walk_node(w, c, next) : at_end(w, c)) return 1;
                break;
            }
        }
    }
    if (len == 0) return 0; /* empty segments are never parameters */
    for (int k = SQ__PARAM_INT; k <= SQ__PARAM_STR; k++) {
        const rnode *c = n->params[k];
        if (c && try_param(w, c, pos, seg_end, next)) return 1;
    }
    if (n->params[SQ__PARAM_PATH] &&
        try_param(w, n->params[SQ__PARAM_PATH], pos, w->path_end, NULL))
        return 1;
    return 0;
}

static void fill_route(sq_route_match *out, const route *rt) {
    /* The walk recorded one parameter per parameter segment of this route. */
    for (size_t i = 0; i < out->num_params && i < rt->num_names; i++)
        out->params[i].name = rt->names[i];
    out->route_data = rt->data;
    out->route_template = rt->templ;
    out->route_extra = rt->extra;
    out->route_flags = rt->flags;
}

void sq_router_match(const sq_router *r, sq_slice method, sq_slice path, sq_route_match *out) {
    /* Every field but the (large) params array is reset; params beyond
     * num_params are left as they were. */
    out->status = SQ_ROUTE_NOT_FOUND;
    out->route_data = NULL;
    out->route_template = NULL;
    out->route_extra = NULL;
    out->route_flags = 0;
    out->num_params = 0;
    out->allow = NULL;
    out->invalid_name = (sq_slice){NULL, 0};
    out->invalid_type = NULL;
    out->invalid_value = (sq_slice){NULL, 0};
    if (!r || !r->compiled || path.len == 0 || path.base[0] != '/') return;

    walk w;
    memset(&w, 0, sizeof w);
    w.path_end = path.base + path.len;
    w.method = method;
    w.out = out;
    w.invalid_idx = -1;
    int bit = std_method_bit(method.base, method.len);
    w.method_bit = bit >= 0 ? 1u << bit : 0;

    int ok = path.len == 1 ? at_end(&w, r->root) : walk_node(&w, r->root, path.base + 1);
    if (ok) {
        out->status = SQ_ROUTE_FOUND;
        fill_route(out, w.found);
        return;
    }
    if (r->has_typed && path.len > 1) {
        out->num_params = 0;
        w.lenient = 1;
        if (walk_node(&w, r->root, path.base + 1) && w.invalid_idx >= 0) {
            out->status = SQ_ROUTE_PARAM_INVALID;
            fill_route(out, w.found);
            const sq_param_view *bad = &out->params[w.invalid_idx];
            out->invalid_name = bad->name;
            out->invalid_value = bad->value;
            out->invalid_type = kind_names[w.invalid_kind];
            return;
        }
    }
    out->num_params = 0;
    if (w.allow_node) {
        out->status = SQ_ROUTE_METHOD_NOT_ALLOWED;
        out->allow = w.allow_node->allow;
    }
}
