/* Squall core: the router, a compiled tree of path segments.
 *
 * Templates: static segments and typed parameters {name}, {name:int},
 * {name:float}, {name:uuid}, {name:path} (the rest of the path, may contain
 * '/', only last). At each level static segments win over parameters.
 * Match time depends on the path's length, not on the number of routes.
 *
 * Ownership: the router copies templates; route_data is borrowed. A match
 * result points into the router (templates) and into the path given to
 * sq_router_match (parameter values): valid while both are. */
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
    SQ_ROUTE_PARAM_INVALID       /* a typed segment did not parse: 422 from the caller */
} sq_route_status;

typedef struct sq_route_match {
    sq_route_status status;
    void *route_data;
    const char *route_template;
    const void *route_extra;   /* the `extra` pointer given to sq_router_add */
    unsigned route_flags;
    sq_param_view params[SQ_ROUTER_MAX_PARAMS];
    size_t num_params;
    /* SQ_ROUTE_METHOD_NOT_ALLOWED: "GET, HEAD, OPTIONS" (NUL-terminated, owned by the router). */
    const char *allow;
    /* SQ_ROUTE_PARAM_INVALID: which parameter, its declared type ("int",
     * "float", "uuid") and the offending text. */
    sq_slice invalid_name;
    const char *invalid_type;
    sq_slice invalid_value;
} sq_route_match;

sq_router *sq_router_new(void);
void sq_router_free(sq_router *r);

/* methods: comma-separated ("GET,POST"); a GET route also answers HEAD.
 * Returns 0, SQ_EINVAL (bad template), SQ_ESTATE (same method+template twice,
 * or conflicting parameter names at one position), SQ_ENOMEM. */
int sq_router_add(sq_router *r, const char *methods, const char *templ, void *route_data,
                  const void *extra, unsigned flags);

/* Freeze: build lookup structures. Must be called once before matching. */
int sq_router_compile(sq_router *r);

/* `path` is the percent-decoded path. OPTIONS on a known path without an
 * explicit OPTIONS route is reported as SQ_ROUTE_METHOD_NOT_ALLOWED with
 * `allow` set, and the server answers 204 with Allow. */
void sq_router_match(const sq_router *r, sq_slice method, sq_slice path, sq_route_match *out);

#ifdef __cplusplus
}
#endif
#endif
