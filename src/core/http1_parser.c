/* Incremental, zero-copy HTTP/1.1 request-head parser (RFC 9112).
 *
 * The head is processed one complete line at a time: memchr finds the LF,
 * then the line is validated (a table lookup per byte for short runs, eight
 * bytes at a time for targets and header values) and its slices stored.
 * Between calls only two offsets and a small sub-state survive: where the
 * current line starts, where scanning resumes, and where inside the line
 * the scan is; so a head that arrives one byte per call is scanned once,
 * not quadratically.
 *
 * Incremental equals whole: every refusal is a function of the shortest
 * prefix of the input that already decides it, whichever way the bytes are
 * split. On an incomplete line, the new bytes are checked for a byte that
 * no completion could make valid, and the limits (414, 431) are checked
 * with conditions monotone in the length; whichever fires at the shorter
 * prefix wins. When the line is complete, the same decision is replayed
 * only if a limit is at stake (rare); otherwise the complete-line parsers,
 * which refuse every such line with 400 as well, do the work in one pass. */
#include <limits.h>
#include <string.h>

#include "http1_chars.h"
#include "http1_internal.h"

enum {
    ST_START = 0,     /* nothing accepted yet (maybe one leading CRLF) */
    ST_REQUEST_LINE,  /* receiving the request line */
    ST_HEADERS,       /* receiving header lines */
    ST_DONE,          /* head complete: _scan_pos is its length */
    ST_ERROR          /* refused: error_status is set */
};

/* ---- Results ---- */

int sq__http1_fail(sq_http1_request *req, int status, const char *reason) {
    req->error_status = status;
    req->error_reason = reason;
    req->_state = ST_ERROR;
    return (status == 413 || status == 414 || status == 431) ? SQ_ETOOBIG : SQ_EINVAL;
}

const char sq_http1_reason_too_many_headers[] = "too many headers";
const char sq_http1_reason_trailers_too_large[] = "trailer section too large";

void sq_http1_request_init(sq_http1_request *req, sq_header_view *headers, size_t headers_cap) {
    memset(req, 0, sizeof *req);
    req->headers = headers;
    req->headers_cap = headers_cap;
    req->content_length = -1;
}

/* ---- Request line ---- */

static int is_absolute_scheme(const char *t, size_t n, size_t *scheme_len) {
    static const char http[] = "http://";
    static const char https[] = "https://";
    size_t i;
    if (n >= sizeof https - 1) {
        for (i = 0; i < sizeof https - 1; i++)
            if (sq__ascii_lower((unsigned char)t[i]) != (unsigned char)https[i]) break;
        if (i == sizeof https - 1) {
            *scheme_len = i;
            return 1;
        }
    }
    if (n >= sizeof http - 1) {
        for (i = 0; i < sizeof http - 1; i++)
            if (sq__ascii_lower((unsigned char)t[i]) != (unsigned char)http[i]) break;
        if (i == sizeof http - 1) {
            *scheme_len = i;
            return 1;
        }
    }
    return 0;
}

/* Split a path-and-query (starting with '/' or '?', or empty) into path and
 * query. An empty path (absolute-form without one) is "/" (RFC 9112 3.2.2). */
static void split_path_query(sq_http1_request *req, const char *p, size_t n) {
    const char *q = n ? memchr(p, '?', n) : NULL;
    size_t path_len = q ? (size_t)(q - p) : n;
    if (path_len == 0) {
        req->path = SQ_SLICE_LIT("/"); /* static: valid forever */
    } else {
        req->path.base = p;
        req->path.len = path_len;
    }
    if (q) {
        req->query.base = q + 1;
        req->query.len = n - path_len - 1;
    } else {
        req->query.base = p + n;
        req->query.len = 0;
    }
}

static int parse_target(sq_http1_request *req) {
    const char *t = req->target.base;
    size_t n = req->target.len;
    size_t scheme_len;
    if (t[0] == '/') {
        split_path_query(req, t, n);
        return 0;
    }
    if (n == 1 && t[0] == '*') {
        if (req->method.len == 7 && memcmp(req->method.base, "OPTIONS", 7) == 0) {
            req->path = req->target;
            req->query.base = t + 1;
            req->query.len = 0;
            return 0;
        }
        return sq__http1_fail(req, 400, "asterisk-form target is only valid with OPTIONS");
    }
    if (is_absolute_scheme(t, n, &scheme_len)) {
        size_t i = scheme_len;
        while (i < n && t[i] != '/' && t[i] != '?') {
            if (t[i] == '@') return sq__http1_fail(req, 400, "userinfo in absolute-form target");
            i++;
        }
        if (i == scheme_len) return sq__http1_fail(req, 400, "absolute-form target without host");
        if (!sq__http1_valid_host(t + scheme_len, i - scheme_len))
            return sq__http1_fail(req, 400, "invalid host in absolute-form target");
        split_path_query(req, t + i, n - i);
        return 0;
    }
    return sq__http1_fail(req, 400, "invalid request-target form");
}

/* `s` holds the request line without its CRLF. */
static int parse_request_line(sq_http1_request *req, const char *s, size_t n) {
    size_t i = 0;
    while (i < n && sq__is_token((unsigned char)s[i])) i++;
    if (i == 0 || i == n || s[i] != ' ') return sq__http1_fail(req, 400, "invalid method");
    req->method.base = s;
    req->method.len = i;

    size_t t0 = ++i;
    while (n - i >= 8 && !sq__swar_maybe_not_target(sq__load64(s + i))) i += 8;
    while (i < n && (sq__http1_chars[(unsigned char)s[i]] & SQ__CH_TARGET)) i++;
    if (i == t0 || i == n || s[i] != ' ') return sq__http1_fail(req, 400, "invalid request-target");
    req->target.base = s + t0;
    req->target.len = i - t0;
    i++;

    /* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive, nothing after. */
    const char *v = s + i;
    if (n - i != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return sq__http1_fail(req, 400, "malformed HTTP version");
    if (v[5] != '1') return sq__http1_fail(req, 505, "HTTP version not supported");
    /* A higher 1.x minor is answered as 1.1, its highest compatible version
     * (RFC 9110 2.5). */
    req->version_minor = v[7] == '0' ? 0 : 1;
    return parse_target(req);
}

/* ---- Header lines ---- */

/* `s` holds one field line without its CRLF (n > 0). */
static int parse_header_line(sq_http1_request *req, const char *s, size_t n, size_t max_headers) {
    if (s[0] == ' ' || s[0] == '\t') return sq__http1_fail(req, 400, "obs-fold in header");
    size_t i = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (n - i >= 4 && sq__is_token(u[i]) && sq__is_token(u[i + 1]) && sq__is_token(u[i + 2]) &&
           sq__is_token(u[i + 3]))
        i += 4;
    while (i < n && sq__is_token(u[i])) i++;
    if (i == n || s[i] != ':') {
        if (i < n && (s[i] == ' ' || s[i] == '\t'))
            return sq__http1_fail(req, 400, "whitespace before colon in header");
        return sq__http1_fail(req, 400, "invalid header name");
    }
    if (i == 0) return sq__http1_fail(req, 400, "empty header name");
    size_t name_len = i++;

    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    size_t v0 = i;
    for (; n - i >= 8; i += 8) {
        if (!sq__swar_maybe_not_value(sq__load64(s + i))) continue;
        for (size_t k = i; k < i + 8; k++) /* an HTAB, or an invalid byte */
            if (!sq__is_value((unsigned char)s[k]))
                return sq__http1_fail(req, 400, "invalid byte in header value");
    }
    for (; i < n; i++)
        if (!sq__is_value((unsigned char)s[i]))
            return sq__http1_fail(req, 400, "invalid byte in header value");
    while (i > v0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) i--;

    if (req->num_headers >= max_headers) return sq__http1_fail(req, 431, sq_http1_reason_too_many_headers);
    sq_header_view *h = &req->headers[req->num_headers++];
    h->name.base = s;
    h->name.len = name_len;
    h->value.base = s + v0;
    h->value.len = i - v0;
    return 0;
}

/* ---- The line still being received ---- */

/* Where we are inside the incomplete line, kept in _state above the phase
 * so that each call looks only at the bytes it did not see before. */
#define PHASE_MASK 0xf
#define SUB_SHIFT 4
enum {
    SUB_METHOD = 0, /* request line */
    SUB_TARGET,
    SUB_VERSION,         /* + k: k bytes of "HTTP/d.d" seen (k <= 8) */
    SUB_RL_CR = SUB_VERSION + 9,
    SUB_NAME = 0, /* header line */
    SUB_VALUE,
    SUB_HEADER_CR
};

/* Scan buf[from, to) of the incomplete line. Returns the index of the first
 * byte after which no completion of the line can be valid, or `to`. Every
 * line it refuses, the complete-line parsers refuse with 400 too, so it
 * only makes refusals earlier, never different. */
static size_t scan_incomplete(sq_http1_request *req, const char *buf, size_t from, size_t to) {
    int phase = req->_state & PHASE_MASK, sub = req->_state >> SUB_SHIFT;
    size_t start = req->_line_start, i = from;
    for (; i < to; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (phase == ST_REQUEST_LINE) {
            if (sub == SUB_METHOD) {
                if (sq__is_token(c)) continue;
                if (c == ' ' && i > start) sub = SUB_TARGET;
                else break;
            } else if (sub == SUB_TARGET) {
                if (sq__http1_chars[c] & SQ__CH_TARGET) continue;
                if (c == ' ' && buf[i - 1] != ' ') sub = SUB_VERSION;
                else break;
            } else if (sub < SUB_VERSION + 8) {
                int k = sub - SUB_VERSION;
                int ok = k < 5 ? c == (unsigned char)"HTTP/"[k]
                               : (k == 6 ? c == '.' : (c >= '0' && c <= '9'));
                if (!ok) break;
                sub++;
            } else if (sub == SUB_VERSION + 8 && c == '\r') {
                sub = SUB_RL_CR;
            } else {
                break;
            }
        } else {
            if (sub == SUB_NAME) {
                if (i == start) {
                    if (c == '\r') {
                        sub = SUB_HEADER_CR;
                        continue;
                    }
                    if (c == ' ' || c == '\t' || c == ':') break;
                }
                if (sq__is_token(c)) continue;
                if (c == ':') sub = SUB_VALUE;
                else break;
            } else if (sub == SUB_VALUE) {
                if (sq__is_value(c)) continue;
                if (c == '\r') sub = SUB_HEADER_CR;
                else break;
            } else {
                break; /* a CR not followed by LF */
            }
        }
    }
    req->_state = phase | sub << SUB_SHIFT;
    return i;
}

/* The smallest prefix length of the buffer, at most `avail` (no LF within
 * it on the current line), at which a limit refuses the line being
 * received; 0 if none does. Sets *status. Limits are monotone in the
 * length, so the point does not depend on how the bytes were split. */
static size_t limit_point(const sq_http1_request *req, const char *buf, size_t avail,
                          const sq_http1_limits *limits, int *status) {
    size_t point = 0;
    if ((req->_state & PHASE_MASK) == ST_REQUEST_LINE &&
        limits->max_request_line < avail - req->_line_start) {
        /* The line's content excludes its CR: max + 1 bytes are too many
         * unless the last one is that CR, then max + 2 are. */
        size_t a = req->_line_start + limits->max_request_line + 1;
        if (buf[a - 1] != '\r') point = a;
        else if (a + 1 <= avail) point = a + 1;
        if (point) *status = 414;
    }
    if (limits->max_header_bytes < avail) {
        size_t h = limits->max_header_bytes + 1;
        if (point == 0 || h < point) {
            point = h;
            *status = 431;
        }
    }
    return point;
}

/* Decide on the incomplete line buf[line start, avail): refuse it if a byte
 * already makes it invalid or a limit is passed, whichever happens at the
 * shorter prefix. `from` is where the previous call stopped scanning. */
static int check_incomplete(sq_http1_request *req, const char *buf, size_t from, size_t avail,
                            const sq_http1_limits *limits) {
    int status = 0;
    size_t point = limit_point(req, buf, avail, limits, &status);
    size_t stop = point ? point : avail;
    if (from < stop && scan_incomplete(req, buf, from, stop) < stop)
        return sq__http1_fail(req, 400, "invalid byte in request head");
    if (point)
        return sq__http1_fail(req, status,
                              status == 414 ? "request line too long" : "request head too large");
    return 0;
}

/* ---- Driver ---- */

int sq_http1_parse_request(const char *buf, size_t len, sq_http1_request *req,
                           const sq_http1_limits *limits) {
    int rc;
    if (req->_state == ST_DONE) return (int)req->_scan_pos;
    if (req->_state == ST_ERROR)
        return (req->error_status == 414 || req->error_status == 431) ? SQ_ETOOBIG : SQ_EINVAL;
    if (len < req->_scan_pos) return SQ_ESTATE; /* the buffer shrank: a caller bug */

    if (req->_state == ST_START) {
        /* One empty line before the request line is ignored (RFC 9112 2.2). */
        if (len == 0) return SQ_EINCOMPLETE;
        if (buf[0] == '\r') {
            if (len < 2) return SQ_EINCOMPLETE;
            if (buf[1] != '\n') return sq__http1_fail(req, 400, "bare CR");
            req->_line_start = req->_scan_pos = 2;
        } else if (buf[0] == '\n') {
            return sq__http1_fail(req, 400, "bare LF");
        }
        req->_state = ST_REQUEST_LINE;
    }

    size_t max_headers = limits->max_headers < req->headers_cap ? limits->max_headers
                                                                 : req->headers_cap;
    for (;;) {
        size_t from = req->_scan_pos;
        const char *lf = len > from ? memchr(buf + from, '\n', len - from) : NULL;
        if (!lf) {
            if ((rc = check_incomplete(req, buf, from, len, limits)) != 0) return rc;
            req->_scan_pos = len;
            return SQ_EINCOMPLETE;
        }
        size_t p = (size_t)(lf - buf), start = req->_line_start, end = p + 1;
        /* Decide as an incremental caller would have, just before the LF
         * arrived: when a limit is at stake, an invalid byte earlier in the
         * line wins over it. Without a limit, the line parsers below find
         * the same invalid bytes, so the scan is skipped on the fast path. */
        int status = 0;
        int over = end > limits->max_header_bytes || end > INT_MAX;
        if ((over || limit_point(req, buf, p, limits, &status)) &&
            (rc = check_incomplete(req, buf, from, p, limits)) != 0)
            return rc;
        if (over)
            return sq__http1_fail(req, 431, "request head too large");
        if (p == start || buf[p - 1] != '\r') return sq__http1_fail(req, 400, "bare LF");
        const char *line = buf + start;
        size_t n = p - 1 - start;

        if ((req->_state & PHASE_MASK) == ST_REQUEST_LINE) {
            if ((rc = parse_request_line(req, line, n)) != 0) return rc;
            req->_state = ST_HEADERS;
        } else if (n == 0) {
            if ((rc = sq__http1_derive_framing(req)) != 0) return rc;
            req->_state = ST_DONE;
            req->_line_start = req->_scan_pos = end;
            return (int)end;
        } else if ((rc = parse_header_line(req, line, n, max_headers)) != 0) {
            return rc;
        } else {
            req->_state = ST_HEADERS; /* sub-state back to the start of a line */
        }
        req->_line_start = req->_scan_pos = end;
    }
}
