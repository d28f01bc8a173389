/* Router internals shared with its tests: parameter kinds and the parsers
 * that decide whether a segment fits a typed parameter. */
#ifndef SQUALL_ROUTER_INTERNAL_H
#define SQUALL_ROUTER_INTERNAL_H

#include <stddef.h>

/* Order matters: it is the order in which parameter children are tried. */
enum sq__param_kind {
    SQ__PARAM_INT = 0,
    SQ__PARAM_FLOAT,
    SQ__PARAM_UUID,
    SQ__PARAM_STR, /* {name} or {name:str} */
    SQ__PARAM_PATH,
    SQ__PARAM_KINDS
};

/* 1 if s[0..n) is an optional '-' then digits, within int64. */
int sq__route_parse_int(const char *s, size_t n);
/* 1 if s[0..n) is a decimal or scientific number ("1", "-1.5", ".5", "1e3"). */
int sq__route_parse_float(const char *s, size_t n);
/* 1 if s[0..n) is 8-4-4-4-12 hex digits, either case. */
int sq__route_parse_uuid(const char *s, size_t n);

#endif
