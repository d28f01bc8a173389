/* Squall core, internal: the CORS policy of a server (sq_cors_config,
 * squall/server.h) compiled once, and the decision for one request. */
#ifndef SQUALL_CORS_INTERNAL_H
#define SQUALL_CORS_INTERNAL_H

#include "squall/arena.h"
#include "squall/http1_parser.h"
#include "squall/server.h"

typedef struct sq__cors sq__cors;

/* NULL with *err = SQ_ENOMEM, or SQ_EINVAL when a list item holds a byte
 * that cannot go into a header value (a control character). */
sq__cors *sq__cors_compile(const sq_cors_config *cfg, int *err);
void sq__cors_free(sq__cors *c);

enum {
    SQ__CORS_NONE = 0,         /* no Origin, or one not allowed: serve as usual */
    SQ__CORS_ACTUAL,           /* serve as usual, with *lines added to the answer */
    SQ__CORS_PREFLIGHT_OK,     /* answer 200 with *lines, no route runs */
    SQ__CORS_PREFLIGHT_DENIED, /* answer 403 (*why says which check failed) */
    SQ__CORS_NOMEM
};

/* Decides for the parsed request `p`. *lines ("Name: value\r\n"...) is
 * allocated in `arena` and lives as long as the exchange. */
int sq__cors_check(const sq__cors *c, const sq_http1_request *p, sq_arena *arena, sq_slice *lines,
                   const char **why);

#endif
