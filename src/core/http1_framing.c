/* Message framing from a complete request head (RFC 9112 6, RFC 9110 7.6.1,
 * 10.1.1). Done once the empty line arrives, over the stored header slices:
 * every decision then depends on the whole head, so incremental and whole
 * parsing agree, and the per-line hot loop stays free of name comparisons.
 * Everything that could make two parsers disagree on where the body ends
 * (request smuggling) is refused. */
#include <stdint.h>
#include <string.h>

#include "http1_chars.h"
#include "http1_internal.h"

/* `name` equals the lowercase literal `lit` of length n, ignoring case.
 * `lit` holds only lowercase letters, digits and '-'; `name` holds only
 * bytes the parser accepted (tokens, field-value bytes), and among those
 * c | 0x20 equals such a literal byte only for that byte or its uppercase
 * (the other candidates, 0x0D, 0x10-0x19, are controls the parser refused). */
static int name_is(sq_slice name, const char *lit, size_t n) {
    if (name.len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)name.base[i] | 0x20) != (unsigned char)lit[i]) return 0;
    return 1;
}
#define NAME_IS(s, lit) name_is((s), (lit), sizeof(lit) - 1)

/* One element of a comma-separated list (RFC 9110 5.6.1): the next element
 * of *rest, trimmed of OWS, possibly empty; advances *rest. 0 at the end. */
static int next_list_element(sq_slice *rest, sq_slice *elem) {
    if (rest->base == NULL) return 0;
    const char *p = rest->base, *end = p + rest->len;
    const char *comma = rest->len ? memchr(p, ',', rest->len) : NULL;
    const char *e = comma ? comma : end;
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    const char *q = e;
    while (q > p && (q[-1] == ' ' || q[-1] == '\t')) q--;
    elem->base = p;
    elem->len = (size_t)(q - p);
    if (comma) {
        rest->base = comma + 1;
        rest->len = (size_t)(end - comma - 1);
    } else {
        rest->base = NULL;
        rest->len = 0;
    }
    return 1;
}

/* Host = uri-host [ ":" port ] (RFC 9110 7.2): the bytes of reg-name,
 * IP-literal and port. Anything else (spaces, '/', '@', quotes) is a Host
 * with an invalid field value, which RFC 9112 3.2 answers with 400. */
int sq__http1_valid_host(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
        switch (c) {
        case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'':
        case '(': case ')': case '*': case '+': case ',': case ';': case '=': case ':':
        case '[': case ']': case '%':
            continue;
        default:
            return 0;
        }
    }
    return 1;
}

/* Content-Length = 1*DIGIT, at most 2^63 - 1. No sign, no list. */
static int parse_content_length(sq_slice v, int64_t *out) {
    if (v.len == 0) return -1;
    uint64_t n = 0;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.base[i];
        if (c < '0' || c > '9') return -1;
        if (n > ((uint64_t)INT64_MAX - (c - '0')) / 10) return -1;
        n = n * 10 + (c - '0');
    }
    *out = (int64_t)n;
    return 0;
}

/* The coding name of a transfer-coding element, without parameters. */
static sq_slice coding_name(sq_slice elem) {
    size_t i = 0;
    while (i < elem.len && sq__is_token((unsigned char)elem.base[i])) i++;
    sq_slice s = {elem.base, i};
    return s;
}

int sq__http1_derive_framing(sq_http1_request *req) {
    int hosts = 0, has_cl = 0, has_te = 0, te_elems = 0, chunked_count = 0, others = 0;
    int last_is_chunked = 0, bad_te = 0;
    int conn_close = 0, conn_keep_alive = 0, conn_upgrade = 0, has_upgrade = 0;
    int expect_continue = 0;
    int64_t cl = -1;

    for (size_t h = 0; h < req->num_headers; h++) {
        sq_slice name = req->headers[h].name, value = req->headers[h].value;
        sq_slice rest, elem;
        switch (name.len) {
        case 4:
            if (NAME_IS(name, "host")) {
                if (!sq__http1_valid_host(value.base, value.len))
                    return sq__http1_fail(req, 400, "invalid Host header");
                hosts++;
            }
            break;
        case 6:
            if (NAME_IS(name, "expect")) {
                if (name_is(value, "100-continue", 12)) expect_continue = 1;
                else return sq__http1_fail(req, 417, "unsupported expectation");
            }
            break;
        case 7:
            if (NAME_IS(name, "upgrade")) has_upgrade = 1;
            break;
        case 10:
            if (NAME_IS(name, "connection")) {
                rest = value;
                if (rest.base == NULL) break;
                while (next_list_element(&rest, &elem)) {
                    if (NAME_IS(elem, "close")) conn_close = 1;
                    else if (NAME_IS(elem, "keep-alive")) conn_keep_alive = 1;
                    else if (NAME_IS(elem, "upgrade")) conn_upgrade = 1;
                }
            }
            break;
        case 14:
            if (NAME_IS(name, "content-length")) {
                int64_t n;
                if (parse_content_length(value, &n) != 0)
                    return sq__http1_fail(req, 400, "invalid Content-Length");
                if (has_cl && n != cl) return sq__http1_fail(req, 400, "conflicting Content-Length");
                has_cl = 1;
                cl = n;
            }
            break;
        case 17:
            if (NAME_IS(name, "transfer-encoding")) {
                has_te = 1;
                rest = value;
                if (rest.base == NULL) break;
                while (next_list_element(&rest, &elem)) {
                    if (elem.len == 0) continue; /* empty list elements are ignored */
                    sq_slice c = coding_name(elem);
                    te_elems++;
                    if (c.len == 0) bad_te = 1;
                    if (NAME_IS(c, "chunked")) {
                        chunked_count++;
                        last_is_chunked = 1;
                        if (c.len != elem.len) bad_te = 1; /* chunked takes no parameters */
                    } else {
                        others++;
                        last_is_chunked = 0;
                    }
                }
            }
            break;
        default:
            break;
        }
    }

    if (has_te) {
        if (req->version_minor == 0)
            return sq__http1_fail(req, 400, "Transfer-Encoding in an HTTP/1.0 request");
        if (has_cl) return sq__http1_fail(req, 400, "both Content-Length and Transfer-Encoding");
        if (te_elems == 0 || bad_te) return sq__http1_fail(req, 400, "invalid Transfer-Encoding");
        if (chunked_count > 0 && (!last_is_chunked || chunked_count > 1))
            return sq__http1_fail(req, 400, "chunked is not the final transfer coding");
        if (others > 0) return sq__http1_fail(req, 501, "unsupported transfer coding");
        if (chunked_count == 0) /* only reachable without codings; kept for safety */
            return sq__http1_fail(req, 400, "invalid Transfer-Encoding");
        req->chunked = 1;
    }
    if (hosts > 1) return sq__http1_fail(req, 400, "more than one Host header");
    if (hosts == 0 && req->version_minor == 1) return sq__http1_fail(req, 400, "missing Host header");

    req->content_length = cl;
    req->has_host = hosts == 1;
    /* 100-continue means nothing to an HTTP/1.0 client (RFC 9110 10.1.1). */
    req->expect_continue = expect_continue && req->version_minor == 1;
    req->keep_alive = req->version_minor == 1 ? !conn_close : (conn_keep_alive && !conn_close);
    req->upgrade = conn_upgrade && has_upgrade;
    return 0;
}
