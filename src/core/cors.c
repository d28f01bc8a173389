/* Squall core: CORS answered in C.
 *
 * The policy's lists are split once at start-up into slices over one copy
 * of the configuration; the header lines every answer shares (Max-Age,
 * Allow-Credentials, Expose-Headers, the method list) are rendered then too.
 * Per request the work is one scan of the headers for Origin and the two
 * Access-Control-Request-* names, a few comparisons, and one arena block
 * for the lines that echo the request (the origin, the requested headers).
 *
 * The rules are the Fetch standard's, as Starlette's CORSMiddleware applies
 * them (what FastAPI users configure today): the four CORS-safelisted
 * request headers are always allowed; a policy that allows credentials or
 * lists origins echoes the request's origin (with Vary: Origin), "*" is sent
 * only for any origin without credentials. */
#include "cors.h"

#include "http1_chars.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    sq_slice *items;
    size_t n;
    int any; /* the list is "*" */
} item_list;

struct sq__cors {
    char *store; /* the copied lists the slices point into */
    item_list origins, methods, headers;
    pcre2_code *origin_re; /* allow_origin_regex, anchored at both ends; NULL without one */
    pcre2_match_context *origin_mctx; /* its limits: a pattern that backtracks badly gives up */
    int allow_credentials, allow_private_network;
    int echo_origin;     /* Allow-Origin repeats the request's origin */
    char *methods_line;  /* "Access-Control-Allow-Methods: GET, POST\r\n" (NULL for "*") */
    char *preflight_tail; /* Max-Age and Allow-Credentials lines */
    char *actual_tail;    /* Allow-Credentials and Expose-Headers lines */
};

static const char *const SAFELISTED[] = {"accept", "accept-language", "content-language",
                                         "content-type"};

static int is_space(char ch) { return ch == ' ' || ch == '\t'; }

static sq_slice trim(const char *b, const char *e) {
    while (b < e && is_space(*b)) b++;
    while (e > b && is_space(e[-1])) e--;
    return (sq_slice){b, (size_t)(e - b)};
}

static int ieq(sq_slice a, const char *b, size_t bl) {
    if (a.len != bl) return 0;
    for (size_t i = 0; i < bl; i++)
        if (sq__ascii_lower((unsigned char)a.base[i]) != sq__ascii_lower((unsigned char)b[i])) return 0;
    return 1;
}

static int eq(sq_slice a, sq_slice b) { return a.len == b.len && memcmp(a.base, b.base, a.len) == 0; }

/* Splits `text` (already in the store) at commas into `out`. */
static int split(const char *text, item_list *out) {
    size_t n = 1;
    for (const char *p = text; *p; p++) n += *p == ',';
    out->items = calloc(n, sizeof *out->items);
    if (!out->items) return SQ_ENOMEM;
    const char *start = text;
    for (const char *p = text;; p++) {
        if (*p != ',' && *p) continue;
        sq_slice item = trim(start, p);
        if (item.len == 1 && item.base[0] == '*') out->any = 1;
        else if (item.len) out->items[out->n++] = item;
        if (!*p) break;
        start = p + 1;
    }
    return 0;
}

static int printable(const char *s) {
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

/* Appends "Name: item, item\r\n" for a list (nothing when it is empty). */
static size_t list_line(char *dst, const char *name, const item_list *l) {
    if (!l->n) return 0;
    size_t k = (size_t)sprintf(dst, "%s: ", name);
    for (size_t i = 0; i < l->n; i++) {
        if (i) k += (size_t)sprintf(dst + k, ", ");
        memcpy(dst + k, l->items[i].base, l->items[i].len);
        k += l->items[i].len;
    }
    return k + (size_t)sprintf(dst + k, "\r\n");
}

sq__cors *sq__cors_compile(const sq_cors_config *cfg, int *err) {
    *err = SQ_EINVAL;
    const char *lists[4] = {cfg->allow_origins, cfg->allow_methods, cfg->allow_headers,
                            cfg->expose_headers};
    size_t total = 0;
    for (int i = 0; i < 4; i++) {
        if (!printable(lists[i])) return NULL;
        total += (lists[i] ? strlen(lists[i]) : 0) + 1;
    }
    if (!printable(cfg->allow_origin_regex)) return NULL;
    *err = SQ_ENOMEM;
    sq__cors *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->store = malloc(total);
    /* Each rendered block fits in its list's bytes plus the names and separators. */
    c->methods_line = malloc(total * 2 + 64);
    c->preflight_tail = malloc(128);
    c->actual_tail = malloc(total * 2 + 128);
    if (!c->store || !c->methods_line || !c->preflight_tail || !c->actual_tail) goto fail;
    if (cfg->allow_origin_regex) {
        int code;
        PCRE2_SIZE at;
        /* Anchored at both ends: Starlette matches with re.fullmatch, and a
         * pattern that may match inside an origin would let
         * "https://example.org.evil.com" through. */
        c->origin_re = pcre2_compile((PCRE2_SPTR)cfg->allow_origin_regex, PCRE2_ZERO_TERMINATED,
                                     PCRE2_ANCHORED | PCRE2_ENDANCHORED, &code, &at, NULL);
        if (!c->origin_re) {
            *err = code == PCRE2_ERROR_HEAP_FAILED ? SQ_ENOMEM : SQ_EINVAL;
            goto fail;
        }
        /* Every request with an Origin may run the pattern on the loop
         * thread: compiled to machine code where PCRE2 can (optional), and
         * bounded so a pattern that backtracks badly on a hostile origin
         * costs a refusal, not a stalled worker. */
        (void)pcre2_jit_compile(c->origin_re, PCRE2_JIT_COMPLETE);
        c->origin_mctx = pcre2_match_context_create(NULL);
        if (!c->origin_mctx) goto fail;
        pcre2_set_match_limit(c->origin_mctx, 100000);
        pcre2_set_depth_limit(c->origin_mctx, 1000);
    }
    item_list expose = {0};
    item_list *dst[4] = {&c->origins, &c->methods, &c->headers, &expose};
    char *p = c->store;
    for (int i = 0; i < 4; i++) {
        size_t n = lists[i] ? strlen(lists[i]) : 0;
        memcpy(p, lists[i] ? lists[i] : "", n);
        p[n] = '\0';
        if (split(p, dst[i]) < 0) {
            free(expose.items);
            goto fail;
        }
        p += n + 1;
    }
    c->allow_credentials = cfg->allow_credentials != 0;
    c->allow_private_network = cfg->allow_private_network != 0;
    c->echo_origin = !c->origins.any || c->allow_credentials;
    if (c->methods.any) {
        free(c->methods_line);
        c->methods_line = NULL; /* "*": the requested method is echoed */
    } else {
        c->methods_line[list_line(c->methods_line, "Access-Control-Allow-Methods", &c->methods)] = '\0';
    }
    size_t k = 0;
    if (cfg->max_age >= 0) k += (size_t)sprintf(c->preflight_tail, "Access-Control-Max-Age: %d\r\n", cfg->max_age);
    if (c->allow_credentials) k += (size_t)sprintf(c->preflight_tail + k, "Access-Control-Allow-Credentials: true\r\n");
    c->preflight_tail[k] = '\0';
    k = 0;
    if (c->allow_credentials) k += (size_t)sprintf(c->actual_tail, "Access-Control-Allow-Credentials: true\r\n");
    k += list_line(c->actual_tail + k, "Access-Control-Expose-Headers", &expose);
    c->actual_tail[k] = '\0';
    free(expose.items);
    return c;
fail:
    sq__cors_free(c);
    return NULL;
}

void sq__cors_free(sq__cors *c) {
    if (!c) return;
    pcre2_match_context_free(c->origin_mctx);
    pcre2_code_free(c->origin_re);
    free(c->origins.items);
    free(c->methods.items);
    free(c->headers.items);
    free(c->store);
    free(c->methods_line);
    free(c->preflight_tail);
    free(c->actual_tail);
    free(c);
}

/* 1 when the pattern matches the whole origin, 0 when not, -1 without
 * memory for the match or past the match limits (the origin is then
 * refused). */
static int origin_matches(const sq__cors *c, sq_slice origin) {
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md) return -1;
    int rc = pcre2_match(c->origin_re, (PCRE2_SPTR)origin.base, origin.len, 0, 0, md, c->origin_mctx);
    pcre2_match_data_free(md);
    return rc >= 0;
}

static int origin_allowed(const sq__cors *c, sq_slice origin) {
    if (c->origins.any) return 1;
    for (size_t i = 0; i < c->origins.n; i++)
        if (eq(c->origins.items[i], origin)) return 1;
    return c->origin_re && origin_matches(c, origin) == 1;
}

static int method_allowed(const sq__cors *c, sq_slice m) {
    if (c->methods.any) return 1;
    for (size_t i = 0; i < c->methods.n; i++)
        if (eq(c->methods.items[i], m)) return 1;
    return 0;
}

static int header_allowed(const sq__cors *c, sq_slice h) {
    if (c->headers.any) return 1;
    for (size_t i = 0; i < sizeof SAFELISTED / sizeof *SAFELISTED; i++)
        if (ieq(h, SAFELISTED[i], strlen(SAFELISTED[i]))) return 1;
    for (size_t i = 0; i < c->headers.n; i++)
        if (ieq(h, c->headers.items[i].base, c->headers.items[i].len)) return 1;
    return 0;
}

/* Every comma-separated name of an Access-Control-Request-Headers value. */
static int headers_allowed(const sq__cors *c, sq_slice v) {
    const char *start = v.base, *end = v.base + v.len;
    for (const char *p = start;; p++) {
        if (p < end && *p != ',') continue;
        sq_slice name = trim(start, p);
        if (name.len && !header_allowed(c, name)) return 0;
        if (p == end) return 1;
        start = p + 1;
    }
}

typedef struct {
    char *p;
} writer;

static void put(writer *w, const char *s, size_t n) {
    memcpy(w->p, s, n);
    w->p += n;
}
#define PUT_LIT(w, lit) put((w), (lit), sizeof(lit) - 1)

static void put_origin(const sq__cors *c, writer *w, sq_slice origin) {
    PUT_LIT(w, "Access-Control-Allow-Origin: ");
    if (c->echo_origin) {
        put(w, origin.base, origin.len);
        PUT_LIT(w, "\r\nVary: Origin\r\n");
    } else {
        PUT_LIT(w, "*\r\n");
    }
}

int sq__cors_check(const sq__cors *c, const sq_http1_request *p, sq_arena *arena, sq_slice *lines,
                   const char **why) {
    sq_slice origin = {0}, req_method = {0}, req_headers = {0};
    int has_origin = 0, has_method = 0, wants_private = 0;
    for (size_t i = 0; i < p->num_headers; i++) {
        sq_slice n = p->headers[i].name;
        if (n.len == 6 && !has_origin && ieq(n, "origin", 6)) {
            origin = p->headers[i].value;
            has_origin = 1;
        } else if (n.len > 22 && sq__ascii_lower((unsigned char)n.base[0]) == 'a') {
            if (ieq(n, "access-control-request-method", 29)) {
                req_method = p->headers[i].value;
                has_method = 1;
            } else if (ieq(n, "access-control-request-headers", 30)) {
                req_headers = p->headers[i].value;
            } else if (ieq(n, "access-control-request-private-network", 38)) {
                wants_private = ieq(p->headers[i].value, "true", 4);
            }
        }
    }
    if (!has_origin) return SQ__CORS_NONE;
    int preflight = has_method && p->method.len == 7 && memcmp(p->method.base, "OPTIONS", 7) == 0;
    if (!origin_allowed(c, origin)) {
        *why = "the origin is not allowed";
        return preflight ? SQ__CORS_PREFLIGHT_DENIED : SQ__CORS_NONE;
    }
    if (preflight && !method_allowed(c, req_method)) {
        *why = "the requested method is not allowed";
        return SQ__CORS_PREFLIGHT_DENIED;
    }
    if (preflight && !headers_allowed(c, req_headers)) {
        *why = "a requested header is not allowed";
        return SQ__CORS_PREFLIGHT_DENIED;
    }
    size_t need = 64 + origin.len + 32;
    if (preflight)
        need += (c->methods_line ? strlen(c->methods_line) : 40 + req_method.len) + 40 +
                req_headers.len + strlen(c->preflight_tail) + 48;
    else
        need += strlen(c->actual_tail);
    char *block = sq_arena_alloc(arena, need);
    if (!block) return SQ__CORS_NOMEM;
    writer w = {block};
    put_origin(c, &w, origin);
    if (!preflight) {
        put(&w, c->actual_tail, strlen(c->actual_tail));
        *lines = (sq_slice){block, (size_t)(w.p - block)};
        return SQ__CORS_ACTUAL;
    }
    if (c->methods_line) {
        put(&w, c->methods_line, strlen(c->methods_line));
    } else {
        PUT_LIT(&w, "Access-Control-Allow-Methods: ");
        put(&w, req_method.base, req_method.len);
        PUT_LIT(&w, "\r\n");
    }
    if (req_headers.len) {
        PUT_LIT(&w, "Access-Control-Allow-Headers: ");
        put(&w, req_headers.base, req_headers.len);
        PUT_LIT(&w, "\r\n");
    }
    put(&w, c->preflight_tail, strlen(c->preflight_tail));
    if (wants_private && c->allow_private_network) PUT_LIT(&w, "Access-Control-Allow-Private-Network: true\r\n");
    *lines = (sq_slice){block, (size_t)(w.p - block)};
    return SQ__CORS_PREFLIGHT_OK;
}
