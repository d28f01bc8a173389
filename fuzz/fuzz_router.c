/* libFuzzer driver for the router. Input: lines. Lines before the first
 * empty line are routes "METHODS TEMPLATE"; the rest are requests
 * "METHOD PATH". Routes may be refused (bad templates, conflicts); every
 * request is matched and its result must be consistent:
 * - parameter values lie inside the path, names inside the route template;
 * - FOUND / PARAM_INVALID carry a route; PARAM_INVALID names an invalid
 *   parameter that is one of the reported ones and whose value does not
 *   parse as its type; METHOD_NOT_ALLOWED carries a non-empty Allow;
 *   NOT_FOUND and METHOD_NOT_ALLOWED carry no route and no parameters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "squall/router.h"
#include "../src/core/router_internal.h"

#define CHECK(c) \
    do {         \
        if (!(c)) abort(); \
    } while (0)

static int inside(sq_slice s, const char *base, size_t len) {
    return s.len == 0 || (s.base >= base && s.base + s.len <= base + len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    sq_router *r = sq_router_new();
    if (!r) {
        free(buf);
        return 0;
    }
    static int tag;
    char *p = buf, *end = buf + size;
    int routes = 1;
    int compiled = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line_end = nl ? nl : end;
        *line_end = '\0';
        if (routes && line_end == p) {
            routes = 0;
        } else if (routes) {
            char *sp = strchr(p, ' ');
            if (sp) {
                *sp = '\0';
                int rc = sq_router_add(r, p, sp + 1, &tag, &tag, 1);
                CHECK(rc == 0 || rc == SQ_EINVAL || rc == SQ_ESTATE);
            }
        } else {
            if (!compiled) {
                CHECK(sq_router_compile(r) == 0);
                compiled = 1;
            }
            char *sp = memchr(p, ' ', (size_t)(line_end - p));
            sq_slice method = {p, sp ? (size_t)(sp - p) : 0};
            const char *path = sp ? sp + 1 : p;
            size_t plen = (size_t)(line_end - path);
            sq_route_match m;
            sq_router_match(r, method, (sq_slice){path, plen}, &m);
            CHECK(m.num_params <= SQ_ROUTER_MAX_PARAMS);
            for (size_t i = 0; i < m.num_params; i++) {
                CHECK(m.params[i].value.len > 0);
                CHECK(inside(m.params[i].value, path, plen));
                CHECK(m.route_template && inside(m.params[i].name, m.route_template,
                                                 strlen(m.route_template)));
            }
            switch (m.status) {
            case SQ_ROUTE_FOUND:
                CHECK(m.route_data == &tag && m.route_template && !m.allow);
                CHECK(m.invalid_type == NULL);
                break;
            case SQ_ROUTE_PARAM_INVALID: {
                CHECK(m.route_data == &tag && m.route_template && m.invalid_type);
                int seen = 0;
                for (size_t i = 0; i < m.num_params; i++)
                    if (m.params[i].value.base == m.invalid_value.base &&
                        m.params[i].name.base == m.invalid_name.base)
                        seen = 1;
                CHECK(seen);
                const char *t = m.invalid_type;
                const char *v = m.invalid_value.base;
                size_t n = m.invalid_value.len;
                if (!strcmp(t, "int")) CHECK(!sq__route_parse_int(v, n));
                else if (!strcmp(t, "float")) CHECK(!sq__route_parse_float(v, n));
                else if (!strcmp(t, "uuid")) CHECK(!sq__route_parse_uuid(v, n));
                else CHECK(0);
                break;
            }
            case SQ_ROUTE_METHOD_NOT_ALLOWED:
                CHECK(m.allow && m.allow[0] && !m.route_data && m.num_params == 0);
                break;
            case SQ_ROUTE_NOT_FOUND:
                CHECK(!m.route_data && !m.allow && m.num_params == 0);
                break;
            default:
                CHECK(0);
            }
        }
        p = line_end + 1;
    }
    sq_router_free(r);
    free(buf);
    return 0;
}
