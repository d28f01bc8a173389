/* Squall core: the router, a compiled tree of path segments.
 *
 * Templates start with '/'; each segment is either static text (no '{' or
 * '}') or exactly one parameter: {name} (also {name:str}), {name:int},
 * {name:float}, {name:uuid}, or {name:path} (the rest of the path, may
 * contain '/', only as the last segment). Names are [A-Za-z_][A-Za-z0-9_]*,
 * unique within a template, at most SQ_ROUTER_MAX_PARAMS per template and
 * 128 segments.
 * "/" is the root; a trailing '/' is significant ("/items" and "/items/" are
 * different routes; no automatic redirect, as in FastAPI); an empty segment
 * elsewhere ("/a//b") is refused.
 *
 * Matching: at each level the static child wins; then the typed parameters
 * whose value parses (int, then float, then uuid), then {name}, then
 * {name:path}; if that branch fails further down, the next alternative is
 * tried. Each tree node is visited at most once per walk, so backtracking is
 * bounded. Parameters never match an empty segment (nor an empty rest).
 * - int: optional '-' then digits, within int64; float: decimal or
 *   scientific ("1", "-1.5", ".5", "1e3"); uuid: 8-4-4-4-12 hex digits.
 * - If no route matches with every typed value parsing, the walk is repeated
 *   with typed parameters accepting any non-empty segment; a route for the
 *   method found then is SQ_ROUTE_PARAM_INVALID (the server hands the request
 *   to the route's validator, which answers 422; without a validator: 404).
 * - A path that matches routes structurally, none of them for the method,
 *   is SQ_ROUTE_METHOD_NOT_ALLOWED; nothing at all is SQ_ROUTE_NOT_FOUND.
 * Match time depends on the path's length, not on the number of routes
 * (static children are found by hash); sq_router_match allocates nothing.
 *
 * Methods are case-sensitive tokens. GET, HEAD, POST, PUT, PATCH, DELETE,
 * OPTIONS, TRACE and CONNECT are kept in a bitmask; any other token (e.g.
 * PURGE) in a short list. A GET route answers HEAD unless the same template
 * has an explicit HEAD route, which then wins.
 *
 * Threads: add/compile from one thread; after sq_router_compile the router
 * is read-only and sq_router_match may run on any number of threads.
 *
 * Ownership: the router copies templates and method names; route_data and
 * extra are borrowed (never dereferenced). A match result points into the
 * router (route_template, parameter names, allow, invalid_type: valid until
 * sq_router_free) and into the path given to sq_router_match (parameter
 * values, invalid_value: valid while that buffer is). */
#ifndef SQUALL_ROUTER_H
#define SQUALL_ROUTER_H

#include "squall/common.h"
#include "squall/handler.h" /* sq_param_view */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_router sq_router;

#define SQ_ROUTER_MAX_PARAMS 16

typedef enum sq_route_status {
    SQ_ROUTE_FOUND = 0,
    SQ_ROUTE_NOT_FOUND,          /* 404 */
    SQ_ROUTE_METHOD_NOT_ALLOWED, /* 405: allow lists the methods */
    SQ_ROUTE_PARAM_INVALID       /* a typed segment did not parse: the validator's 422, or 404 */
} sq_route_status;

/* Filled by sq_router_match. FOUND and PARAM_INVALID set route_data,
 * route_template, route_extra, route_flags and params; NOT_FOUND and
 * METHOD_NOT_ALLOWED leave them NULL/0 (num_params 0). Entries of params
 * past num_params are unspecified. */
typedef struct sq_route_match {
    sq_route_status status;
    void *route_data;
    const char *route_template;
    const void *route_extra;   /* the `extra` pointer given to sq_router_add */
    unsigned route_flags;
    /* In template order; names point into route_template, values into the
     * path. For PARAM_INVALID: every parameter of the route, as raw text,
     * the invalid one(s) included. */
    sq_param_view params[SQ_ROUTER_MAX_PARAMS];
    size_t num_params;
    /* SQ_ROUTE_METHOD_NOT_ALLOWED only (NULL otherwise): the methods of the
     * first structurally matching node, e.g. "GET, HEAD, POST": standard
     * methods in the order GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS,
     * TRACE, CONNECT (HEAD added for GET), then other tokens in registration
     * order. OPTIONS is listed only when a route declares it. NUL-terminated,
     * built by sq_router_compile, owned by the router. */
    const char *allow;
    /* SQ_ROUTE_PARAM_INVALID: the first parameter (template order) that did
     * not parse, its declared type ("int", "float", "uuid", static string)
     * and the offending text. Zeroed otherwise. */
    sq_slice invalid_name;
    const char *invalid_type;
    sq_slice invalid_value;
} sq_route_match;

/* NULL on allocation failure. sq_router_free(NULL) does nothing. */
sq_router *sq_router_new(void);
void sq_router_free(sq_router *r);

/* methods: comma-separated tokens, spaces allowed around them ("GET, POST");
 * a GET route also answers HEAD. `flags` is stored and reported as is.
 * Returns 0, SQ_EINVAL (bad template or method list), SQ_ESTATE (a method
 * already routed for the same template ({id} and {id:str} are the same),
 * another parameter name of the same type at the same position
 * ("/a/{id:int}" then "/a/{num:int}/x"), or called after compile),
 * SQ_ENOMEM. A refused route changes nothing. */
int sq_router_add(sq_router *r, const char *methods, const char *templ, void *route_data,
                  const void *extra, unsigned flags);

/* Freeze: build hash tables and Allow strings. Must be called once before
 * matching (before it, every match is NOT_FOUND); a second call, or an add
 * after it, is SQ_ESTATE. Returns 0 or SQ_ENOMEM. */
int sq_router_compile(sq_router *r);

/* `path` is the percent-decoded path (a path not starting with '/' is
 * NOT_FOUND); neither slice needs a NUL. OPTIONS on a known path without an
 * explicit OPTIONS route is reported as SQ_ROUTE_METHOD_NOT_ALLOWED with
 * `allow` set, and the server answers 204 with Allow. */
void sq_router_match(const sq_router *r, sq_slice method, sq_slice path, sq_route_match *out);

#ifdef __cplusplus
}
#endif
#endif
