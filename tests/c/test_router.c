/* Router tests: table-driven registration and matching cases. Each match
 * case names the expected status, route (by its index in the table of
 * routes), parameters ("name=value;name=value") and, for 405, the Allow
 * string; for 422, the invalid parameter. Paths are placed right before an
 * unmapped page so an over-read crashes. */
#include <stdlib.h>
#include <string.h>

#include "squall/router.h"
#include "sq_test.h"
#include "../../src/core/router_internal.h"

/* ---- Typed segment parsers ---- */

static void test_typed_parsers(void) {
    static const struct {
        int (*fn)(const char *, size_t);
        const char *in;
        int ok;
    } cases[] = {
        {sq__route_parse_int, "0", 1},
        {sq__route_parse_int, "42", 1},
        {sq__route_parse_int, "-7", 1},
        {sq__route_parse_int, "9223372036854775807", 1},
        {sq__route_parse_int, "9223372036854775808", 0},
        {sq__route_parse_int, "-9223372036854775808", 1},
        {sq__route_parse_int, "-9223372036854775809", 0},
        {sq__route_parse_int, "99999999999999999999999", 0},
        {sq__route_parse_int, "", 0},
        {sq__route_parse_int, "-", 0},
        {sq__route_parse_int, "+5", 0},
        {sq__route_parse_int, "1.0", 0},
        {sq__route_parse_int, "12a", 0},
        {sq__route_parse_int, " 1", 0},
        {sq__route_parse_float, "1", 1},
        {sq__route_parse_float, "-1.5", 1},
        {sq__route_parse_float, ".5", 1},
        {sq__route_parse_float, "5.", 1},
        {sq__route_parse_float, "1e10", 1},
        {sq__route_parse_float, "1.5E-3", 1},
        {sq__route_parse_float, "+2", 1},
        {sq__route_parse_float, ".", 0},
        {sq__route_parse_float, "e5", 0},
        {sq__route_parse_float, "1e", 0},
        {sq__route_parse_float, "1e+", 0},
        {sq__route_parse_float, "abc", 0},
        {sq__route_parse_float, "1.2.3", 0},
        {sq__route_parse_float, "", 0},
        {sq__route_parse_uuid, "ec38df32-ceda-4cfa-9b4a-1aeb94ad551a", 1},
        {sq__route_parse_uuid, "EC38DF32-CEDA-4CFA-9B4A-1AEB94AD551A", 1},
        {sq__route_parse_uuid, "ec38df32ceda4cfa9b4a1aeb94ad551a", 0},
        {sq__route_parse_uuid, "ec38df32-ceda-4cfa-9b4a-1aeb94ad551", 0},
        {sq__route_parse_uuid, "ec38df32-ceda-4cfa-9b4a-1aeb94ad551ab", 0},
        {sq__route_parse_uuid, "gc38df32-ceda-4cfa-9b4a-1aeb94ad551a", 0},
        {sq__route_parse_uuid, "ec38df32_ceda-4cfa-9b4a-1aeb94ad551a", 0},
        {sq__route_parse_uuid, "not-a-uuid", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in);
        sq_guarded g = sq_test_guard(cases[i].in, n);
        int got = cases[i].fn(g.data, n);
        if (got != cases[i].ok) fprintf(stderr, "  typed parser case %zu: \"%s\"\n", i, cases[i].in);
        SQ_CHECK_EQ_INT(got, cases[i].ok);
        sq_test_guard_free(g);
    }
}

/* ---- Registration ---- */

static void test_add_errors(void) {
    static const struct {
        const char *methods;
        const char *templ;
        int rc;
    } cases[] = {
        {"GET", "/", 0},
        {"GET", "/a", 0},
        {"GET", "/a/", 0},
        {"GET", "/a/{id}", 0},
        {"GET", "/a/{id}/b/{name:str}", 0},
        {"GET", "/f/{p:path}", 0},
        {"GET, POST", "/m", 0},
        {" PUT ,PATCH ", "/m", 0},
        {"PURGE", "/m", 0},
        {"GET", "", SQ_EINVAL},
        {"GET", "a", SQ_EINVAL},
        {"GET", "/a//b", SQ_EINVAL},
        {"GET", "//", SQ_EINVAL},
        {"GET", "/a/{", SQ_EINVAL},
        {"GET", "/a/{}", SQ_EINVAL},
        {"GET", "/a/{1x}", SQ_EINVAL},
        {"GET", "/a/{x-y}", SQ_EINVAL},
        {"GET", "/a/{x:bool}", SQ_EINVAL},
        {"GET", "/a/{x:}", SQ_EINVAL},
        {"GET", "/a/pre{x}", SQ_EINVAL},
        {"GET", "/a/{x}post", SQ_EINVAL},
        {"GET", "/a/x}", SQ_EINVAL},
        {"GET", "/a/{x}/{x}", SQ_EINVAL},
        {"GET", "/a/{p:path}/b", SQ_EINVAL},
        {"GET", "/a/{p:path}/", SQ_EINVAL},
        {"", "/z", SQ_EINVAL},
        {"GET,", "/z", SQ_EINVAL},
        {",GET", "/z", SQ_EINVAL},
        {"GE T", "/z", SQ_EINVAL},
        {"GET;", "/z", SQ_EINVAL},
        {"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}/{n}/{o}/{p}", 0},
        {"GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}/{n}/{o}/{p}/{q}", SQ_EINVAL},
        /* Conflicts: same method + template, or another parameter name of the
         * same type at the same position. */
        {"GET", "/a", SQ_ESTATE},
        {"POST,GET", "/a", SQ_ESTATE},
        {"POST", "/a", 0},
        {"GET", "/a/{id:str}", SQ_ESTATE}, /* {id} and {id:str} are the same */
        {"GET", "/a/{other}", SQ_ESTATE},
        {"PURGE", "/m", SQ_ESTATE},
        {"DELETE", "/a/{id}", 0},
        {"GET", "/a/{id:int}", 0},
        {"GET", "/a/{num:int}/x", SQ_ESTATE},
    };
    sq_router *r = sq_router_new();
    SQ_CHECK(r != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = sq_router_add(r, cases[i].methods, cases[i].templ, NULL, NULL, 0);
        if (rc != cases[i].rc)
            fprintf(stderr, "  add case %zu: %s %s\n", i, cases[i].methods, cases[i].templ);
        SQ_CHECK_EQ_INT(rc, cases[i].rc);
    }
    SQ_CHECK_EQ_INT(sq_router_compile(r), 0);
    SQ_CHECK_EQ_INT(sq_router_compile(r), SQ_ESTATE);
    SQ_CHECK_EQ_INT(sq_router_add(r, "GET", "/late", NULL, NULL, 0), SQ_ESTATE);
    /* A refused route left nothing behind. */
    sq_route_match m;
    sq_router_match(r, SQ_SLICE_LIT("GET"), SQ_SLICE_LIT("/late"), &m);
    SQ_CHECK_EQ_INT(m.status, SQ_ROUTE_NOT_FOUND);
    sq_router_match(r, SQ_SLICE_LIT("GET"), SQ_SLICE_LIT("/a/7/x"), &m);
    SQ_CHECK_EQ_INT(m.status, SQ_ROUTE_NOT_FOUND);
    sq_router_free(r);
}

static void test_match_before_compile(void) {
    sq_router *r = sq_router_new();
    SQ_CHECK_EQ_INT(sq_router_add(r, "GET", "/a", NULL, NULL, 0), 0);
    sq_route_match m;
    sq_router_match(r, SQ_SLICE_LIT("GET"), SQ_SLICE_LIT("/a"), &m);
    SQ_CHECK_EQ_INT(m.status, SQ_ROUTE_NOT_FOUND);
    sq_router_free(r);
    sq_router_free(NULL);
}

/* ---- Matching ---- */

static const struct {
    const char *methods;
    const char *templ;
} routes[] = {
    /* 0 */ {"GET", "/"},
    /* 1 */ {"GET", "/items"},
    /* 2 */ {"POST", "/items"},
    /* 3 */ {"GET", "/items/"},
    /* 4 */ {"GET", "/items/{id:int}"},
    /* 5 */ {"GET", "/items/special"},
    /* 6 */ {"GET,PUT", "/items/{name}"},
    /* 7 */ {"GET", "/items/{id:int}/owner"},
    /* 8 */ {"GET", "/u/{uid:uuid}"},
    /* 9 */ {"GET", "/p/{x:float}"},
    /* 10 */ {"GET", "/files/{file_path:path}"},
    /* 11 */ {"GET", "/files/readme"},
    /* 12 */ {"HEAD", "/h"},
    /* 13 */ {"GET", "/h"},
    /* 14 */ {"OPTIONS", "/opt"},
    /* 15 */ {"GET", "/opt"},
    /* 16 */ {"PURGE,GET", "/cache"},
    /* 17 */ {"DELETE", "/cache"},
    /* 18 */ {"GET", "/a/{x:int}/b/{y:uuid}/c"},
    /* 19 */ {"GET", "/a/{x:int}/b/{y}/d"},
    /* 20 */ {"GET", "/mix/{v:int}"},
    /* 21 */ {"GET", "/mix/{v:float}"},
    /* 22 */ {"GET", "/mix/{s:uuid}"},
    /* 23 */ {"GET", "/mix/{w}"},
    /* 24 */ {"GET", "/bt/{a}/x"},
    /* 25 */ {"GET", "/bt/static/y"},
    /* 26 */ {"POST", "/only-post/{id:int}"},
    /* 27 */ {"GET", "/deep/{a:int}/{b:int}"},
    /* 28 */ {"GET", "/deep/{a:int}/{b:int}/{rest:path}"},
};
enum { NUM_ROUTES = sizeof routes / sizeof routes[0] };

#define F SQ_ROUTE_FOUND
#define NF SQ_ROUTE_NOT_FOUND
#define NA SQ_ROUTE_METHOD_NOT_ALLOWED
#define PI SQ_ROUTE_PARAM_INVALID

static const struct {
    const char *method;
    const char *path;
    sq_route_status status;
    int route;          /* -1 when none */
    const char *params; /* "a=1;b=2" */
    const char *extra;  /* 405: Allow; 422: "name:type:value" */
} match_cases[] = {
    {"GET", "/", F, 0, "", NULL},
    {"HEAD", "/", F, 0, "", NULL},
    {"POST", "/", NA, -1, "", "GET, HEAD"},
    {"GET", "/items", F, 1, "", NULL},
    {"POST", "/items", F, 2, "", NULL},
    {"DELETE", "/items", NA, -1, "", "GET, HEAD, POST"},
    {"OPTIONS", "/items", NA, -1, "", "GET, HEAD, POST"},
    {"GET", "/items/", F, 3, "", NULL},
    {"POST", "/items/", NA, -1, "", "GET, HEAD"},
    {"GET", "/items//", NF, -1, "", NULL},
    {"GET", "/nothing", NF, -1, "", NULL},
    {"GET", "", NF, -1, "", NULL},
    {"GET", "items", NF, -1, "", NULL},
    {"GET", "/items/42", F, 4, "id=42", NULL},
    {"GET", "/items/-42", F, 4, "id=-42", NULL},
    {"GET", "/items/special", F, 5, "", NULL},
    {"GET", "/items/foo", F, 6, "name=foo", NULL},
    {"PUT", "/items/42", F, 6, "name=42", NULL}, /* int route has no PUT */
    {"DELETE", "/items/42", NA, -1, "", "GET, HEAD"},
    {"GET", "/items/42/owner", F, 7, "id=42", NULL},
    {"GET", "/items/foo/owner", PI, 7, "id=foo", "id:int:foo"},
    {"GET", "/items/99999999999999999999/owner", PI, 7, "id=99999999999999999999",
     "id:int:99999999999999999999"},
    {"GET", "/items/42/other", NF, -1, "", NULL},
    {"GET", "/u/ec38df32-ceda-4cfa-9b4a-1aeb94ad551a", F, 8,
     "uid=ec38df32-ceda-4cfa-9b4a-1aeb94ad551a", NULL},
    {"GET", "/u/EC38DF32-CEDA-4CFA-9B4A-1AEB94AD551A", F, 8,
     "uid=EC38DF32-CEDA-4CFA-9B4A-1AEB94AD551A", NULL},
    {"GET", "/u/not-a-uuid", PI, 8, "uid=not-a-uuid", "uid:uuid:not-a-uuid"},
    {"POST", "/u/not-a-uuid", NA, -1, "", "GET, HEAD"},
    {"GET", "/u/", NF, -1, "", NULL},
    {"GET", "/u", NF, -1, "", NULL},
    {"GET", "/p/1.5e3", F, 9, "x=1.5e3", NULL},
    {"GET", "/p/abc", PI, 9, "x=abc", "x:float:abc"},
    {"GET", "/files/home/johndoe/myfile.txt", F, 10, "file_path=home/johndoe/myfile.txt", NULL},
    {"GET", "/files/a", F, 10, "file_path=a", NULL},
    {"GET", "/files/a/", F, 10, "file_path=a/", NULL},
    {"GET", "/files/readme", F, 11, "", NULL},
    {"GET", "/files/readme/more", F, 10, "file_path=readme/more", NULL},
    {"GET", "/files/", NF, -1, "", NULL},
    {"GET", "/files//x", NF, -1, "", NULL},
    {"HEAD", "/h", F, 12, "", NULL}, /* explicit HEAD wins over GET */
    {"GET", "/h", F, 13, "", NULL},
    {"OPTIONS", "/opt", F, 14, "", NULL},
    {"POST", "/opt", NA, -1, "", "GET, HEAD, OPTIONS"},
    {"PURGE", "/cache", F, 16, "", NULL},
    {"HEAD", "/cache", F, 16, "", NULL},
    {"DELETE", "/cache", F, 17, "", NULL},
    {"PURGEX", "/cache", NA, -1, "", "GET, HEAD, DELETE, PURGE"},
    {"get", "/cache", NA, -1, "", "GET, HEAD, DELETE, PURGE"},
    {"GET", "/a/1/b/ec38df32-ceda-4cfa-9b4a-1aeb94ad551a/c", F, 18,
     "x=1;y=ec38df32-ceda-4cfa-9b4a-1aeb94ad551a", NULL},
    {"GET", "/a/1/b/zz/d", F, 19, "x=1;y=zz", NULL},
    /* Invalid uuid under a route that would otherwise match: every parameter
     * value is reported, the invalid one named. */
    {"GET", "/a/1/b/zz/c", PI, 18, "x=1;y=zz", "y:uuid:zz"},
    {"GET", "/a/q/b/zz/c", PI, 18, "x=q;y=zz", "x:int:q"},
    {"GET", "/a/q/b/zz/e", NF, -1, "", NULL},
    {"GET", "/mix/12", F, 20, "v=12", NULL},
    {"GET", "/mix/1.5", F, 21, "v=1.5", NULL},
    {"GET", "/mix/ec38df32-ceda-4cfa-9b4a-1aeb94ad551a", F, 22,
     "s=ec38df32-ceda-4cfa-9b4a-1aeb94ad551a", NULL},
    {"GET", "/mix/word", F, 23, "w=word", NULL},
    {"GET", "/bt/static/x", F, 24, "a=static", NULL}, /* backtracks out of the static child */
    {"GET", "/bt/static/y", F, 25, "", NULL},
    {"GET", "/bt/other/y", NF, -1, "", NULL},
    {"POST", "/only-post/5", F, 26, "id=5", NULL},
    {"POST", "/only-post/x", PI, 26, "id=x", "id:int:x"},
    {"GET", "/only-post/x", NA, -1, "", "POST"},
    {"GET", "/only-post/5", NA, -1, "", "POST"},
    {"GET", "/deep/1/2", F, 27, "a=1;b=2", NULL},
    {"GET", "/deep/1/2/3/4", F, 28, "a=1;b=2;rest=3/4", NULL},
    {"GET", "/deep/1/x/3", PI, 28, "a=1;b=x;rest=3", "b:int:x"},
};

static int route_index(const sq_route_match *m, int *const *datas) {
    for (int i = 0; i < NUM_ROUTES; i++)
        if (m->route_data == datas[i]) return i;
    return -1;
}

static void check_params(const sq_route_match *m, const char *want, sq_slice path) {
    size_t k = 0;
    const char *p = want;
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *semi = strchr(p, ';');
        if (!semi) semi = p + strlen(p);
        SQ_CHECK(k < m->num_params);
        if (k >= m->num_params) return;
        const sq_param_view *pv = &m->params[k];
        SQ_CHECK(pv->name.len == (size_t)(eq - p) && memcmp(pv->name.base, p, pv->name.len) == 0);
        SQ_CHECK(pv->value.len == (size_t)(semi - eq - 1) &&
                 memcmp(pv->value.base, eq + 1, pv->value.len) == 0);
        /* Values point into the path, not into a copy. */
        SQ_CHECK(pv->value.base >= path.base && pv->value.base + pv->value.len <= path.base + path.len);
        k++;
        p = *semi ? semi + 1 : semi;
    }
    SQ_CHECK_EQ_INT(m->num_params, k);
}

static void test_match_table(void) {
    sq_router *r = sq_router_new();
    static int tags[NUM_ROUTES];
    int *datas[NUM_ROUTES];
    static const int extra_tag = 7;
    for (int i = 0; i < NUM_ROUTES; i++) {
        datas[i] = &tags[i];
        int rc = sq_router_add(r, routes[i].methods, routes[i].templ, datas[i], &extra_tag,
                               (unsigned)i + 100);
        if (rc) fprintf(stderr, "  route %d refused: %d\n", i, rc);
        SQ_CHECK_EQ_INT(rc, 0);
    }
    SQ_CHECK_EQ_INT(sq_router_compile(r), 0);
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        int before = sq_test_current_failed;
        sq_test_current_failed = 0;
        size_t plen = strlen(match_cases[i].path), mlen = strlen(match_cases[i].method);
        sq_guarded gp = sq_test_guard(match_cases[i].path, plen);
        sq_guarded gm = sq_test_guard(match_cases[i].method, mlen);
        sq_slice path = {gp.data, plen};
        sq_route_match m;
        sq_router_match(r, (sq_slice){gm.data, mlen}, path, &m);
        SQ_CHECK_EQ_INT(m.status, match_cases[i].status);
        if (m.status == F || m.status == PI) {
            int idx = route_index(&m, datas);
            SQ_CHECK_EQ_INT(idx, match_cases[i].route);
            if (idx >= 0) {
                SQ_CHECK(strcmp(m.route_template, routes[idx].templ) == 0);
                SQ_CHECK_EQ_INT(m.route_flags, idx + 100);
            }
            SQ_CHECK(m.route_extra == &extra_tag);
        } else {
            SQ_CHECK(m.route_data == NULL);
        }
        check_params(&m, match_cases[i].params, path);
        /* Parameter names point into the matched route's own template. */
        for (size_t k = 0; k < m.num_params && m.route_template; k++)
            SQ_CHECK(m.params[k].name.base >= m.route_template &&
                     m.params[k].name.base + m.params[k].name.len <=
                         m.route_template + strlen(m.route_template));
        if (match_cases[i].status == NA) {
            SQ_CHECK(m.allow != NULL && strcmp(m.allow, match_cases[i].extra) == 0);
            if (m.allow && strcmp(m.allow, match_cases[i].extra) != 0)
                fprintf(stderr, "  allow: %s\n", m.allow);
        } else {
            SQ_CHECK(m.allow == NULL);
        }
        if (match_cases[i].status == PI && m.status == PI) {
            char buf[256];
            snprintf(buf, sizeof buf, "%.*s:%s:%.*s", (int)m.invalid_name.len,
                     m.invalid_name.base, m.invalid_type, (int)m.invalid_value.len,
                     m.invalid_value.base);
            SQ_CHECK(strcmp(buf, match_cases[i].extra) == 0);
        }
        if (sq_test_current_failed)
            fprintf(stderr, "  match case %zu: %s %s\n", i, match_cases[i].method,
                    match_cases[i].path);
        sq_test_current_failed |= before;
        sq_test_guard_free(gp);
        sq_test_guard_free(gm);
    }
    sq_router_free(r);
}

/* The order of registration does not change the outcome: the same table
 * registered backwards gives the same routes. */
static void test_registration_order(void) {
    sq_router *r = sq_router_new();
    static int tags[NUM_ROUTES];
    int *datas[NUM_ROUTES];
    for (int i = NUM_ROUTES - 1; i >= 0; i--) {
        datas[i] = &tags[i];
        SQ_CHECK_EQ_INT(sq_router_add(r, routes[i].methods, routes[i].templ, datas[i], NULL, 0), 0);
    }
    SQ_CHECK_EQ_INT(sq_router_compile(r), 0);
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        sq_route_match m;
        sq_router_match(r, (sq_slice){match_cases[i].method, strlen(match_cases[i].method)},
                        (sq_slice){match_cases[i].path, strlen(match_cases[i].path)}, &m);
        SQ_CHECK_EQ_INT(m.status, match_cases[i].status);
        if (m.status == F || m.status == PI) SQ_CHECK_EQ_INT(route_index(&m, datas), match_cases[i].route);
    }
    sq_router_free(r);
}

/* Many siblings: every one of 2,000 static and parameter routes is found,
 * and a path that shares every prefix but the last segment is not. */
static void test_many_routes(void) {
    sq_router *r = sq_router_new();
    enum { N = 1000 };
    static int tags[2 * N];
    char buf[128];
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "/api/v1/resource%d", i);
        SQ_CHECK_EQ_INT(sq_router_add(r, "GET", buf, &tags[2 * i], NULL, 0), 0);
        snprintf(buf, sizeof buf, "/api/v1/resource%d/{id:int}/sub", i);
        SQ_CHECK_EQ_INT(sq_router_add(r, "GET,POST", buf, &tags[2 * i + 1], NULL, 0), 0);
    }
    SQ_CHECK_EQ_INT(sq_router_compile(r), 0);
    for (int i = 0; i < N; i++) {
        sq_route_match m;
        int n = snprintf(buf, sizeof buf, "/api/v1/resource%d", i);
        sq_router_match(r, SQ_SLICE_LIT("GET"), (sq_slice){buf, (size_t)n}, &m);
        SQ_CHECK(m.status == F && m.route_data == &tags[2 * i]);
        n = snprintf(buf, sizeof buf, "/api/v1/resource%d/%d/sub", i, i * 7);
        sq_router_match(r, SQ_SLICE_LIT("POST"), (sq_slice){buf, (size_t)n}, &m);
        SQ_CHECK(m.status == F && m.route_data == &tags[2 * i + 1] && m.num_params == 1);
        n = snprintf(buf, sizeof buf, "/api/v1/resource%d/x/sub", i);
        sq_router_match(r, SQ_SLICE_LIT("GET"), (sq_slice){buf, (size_t)n}, &m);
        SQ_CHECK(m.status == PI && m.route_data == &tags[2 * i + 1]);
    }
    sq_route_match m;
    sq_router_match(r, SQ_SLICE_LIT("GET"), SQ_SLICE_LIT("/api/v1/resource1000"), &m);
    SQ_CHECK_EQ_INT(m.status, NF);
    sq_router_free(r);
}

/* Backtracking stays bounded: a tree where every level has a static child,
 * typed children and a plain one, and a path that fails only at the very
 * end, finishes (each node is visited at most once per walk). */
static void test_bounded_backtracking(void) {
    sq_router *r = sq_router_new();
    static const char *kinds[] = {"{a%d:int}", "{b%d:float}", "{c%d}", "1"};
    char templ[1024];
    int added = 0;
    /* Templates of 12 segments, each segment a kind chosen from the digits of i. */
    for (int i = 0; i < 400; i++) {
        size_t pos = 0;
        int v = i * 7919;
        for (int d = 0; d < 12; d++) {
            char seg[32];
            snprintf(seg, sizeof seg, kinds[v % 4], d);
            v /= 4;
            if (v == 0) v = i + d + 1;
            pos += (size_t)snprintf(templ + pos, sizeof templ - pos, "/%s", seg);
        }
        snprintf(templ + pos, sizeof templ - pos, "/end");
        int rc = sq_router_add(r, "GET", templ, &added, NULL, 0);
        SQ_CHECK(rc == 0 || rc == SQ_ESTATE);
        added += rc == 0;
    }
    SQ_CHECK(added > 100);
    SQ_CHECK_EQ_INT(sq_router_compile(r), 0);
    sq_route_match m;
    sq_router_match(r, SQ_SLICE_LIT("GET"), SQ_SLICE_LIT("/1/1/1/1/1/1/1/1/1/1/1/1/nope"), &m);
    SQ_CHECK_EQ_INT(m.status, NF);
    sq_router_match(r, SQ_SLICE_LIT("GET"), SQ_SLICE_LIT("/1/1/1/1/1/1/1/1/1/1/1/1/end"), &m);
    SQ_CHECK_EQ_INT(m.status, F);
    sq_router_free(r);
}

int main(void) {
    SQ_RUN(test_typed_parsers);
    SQ_RUN(test_add_errors);
    SQ_RUN(test_match_before_compile);
    SQ_RUN(test_match_table);
    SQ_RUN(test_registration_order);
    SQ_RUN(test_many_routes);
    SQ_RUN(test_bounded_backtracking);
    return SQ_TEST_SUMMARY();
}
