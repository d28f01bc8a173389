/* multipart/form-data bodies (RFC 7578 over RFC 2046's framing).
 *
 * The whole body is in memory, so the parser is a handful of searches:
 * memmem for each delimiter ("\r\n--" boundary), memmem for the end of each
 * part's header block (within the header cap, so a line that never ends
 * costs at most the cap), memchr inside header lines. Each search starts
 * where the previous one stopped, so the work is linear in the body's
 * length whatever it holds: many tiny parts are cut off by max_parts, CR/LF
 * floods are just bytes memmem skips, and nothing is ever rescanned. */
#include <string.h>

#include "squall/form.h"

#define MAX_BOUNDARY 70

sq_multipart_limits sq_multipart_limits_default(void) {
    sq_multipart_limits l = {1000, 8 * 1024, 1024 * 1024};
    return l;
}

/* ===== Small helpers ===== */

static int is_ows(char c) { return c == ' ' || c == '\t'; }

static unsigned char lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int ieq(sq_slice a, const char *lit) {
    size_t n = strlen(lit);
    if (a.len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a.base[i]) != (unsigned char)lit[i]) return 0;
    return 1;
}

static sq_slice trim(const char *s, const char *e) {
    while (s < e && is_ows(*s)) s++;
    while (e > s && is_ows(e[-1])) e--;
    return (sq_slice){s, (size_t)(e - s)};
}

/* ===== Header parameters: `type; key=value; key="quoted"` ===== */

typedef struct hparam {
    sq_slice key;
    sq_slice value; /* raw: inside the quotes when quoted, escapes not removed */
    int quoted;
    int escaped; /* quoted and holds a \" or \\ to remove */
} hparam;

/* Skip the leading media type / disposition type; returns its slice. */
static sq_slice header_main_value(const char **p, const char *end) {
    const char *s = *p;
    const char *semi = memchr(s, ';', (size_t)(end - s));
    const char *e = semi ? semi : end;
    *p = e;
    return trim(s, e);
}

/* Next parameter after *p (which points at ';' or the end). Returns 1 with
 * *out set, 0 at the end, -1 when malformed (an unterminated quote). */
static int next_param(const char **p, const char *end, hparam *out) {
    const char *s = *p;
    for (;;) {
        while (s < end && (is_ows(*s) || *s == ';')) s++;
        if (s == end) {
            *p = s;
            return 0;
        }
        break;
    }
    const char *k = s;
    while (s < end && *s != '=' && *s != ';') s++;
    out->key = trim(k, s);
    out->value = (sq_slice){s, 0};
    out->quoted = out->escaped = 0;
    if (s == end || *s == ';') {
        *p = s;
        return 1;
    }
    s++; /* '=' */
    while (s < end && is_ows(*s)) s++;
    if (s < end && *s == '"') {
        const char *v = ++s;
        for (;;) {
            if (s == end) return -1;
            if (*s == '"') break;
            if (*s == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\')) {
                out->escaped = 1;
                s += 2;
                continue;
            }
            s++;
        }
        out->value = (sq_slice){v, (size_t)(s - v)};
        out->quoted = 1;
        s++; /* closing quote; anything up to ';' is ignored */
        const char *semi = memchr(s, ';', (size_t)(end - s));
        *p = semi ? semi : end;
        return 1;
    }
    const char *semi = memchr(s, ';', (size_t)(end - s));
    const char *e = semi ? semi : end;
    out->value = trim(s, e);
    *p = e;
    return 1;
}

/* The value of a parameter with quoted-string escapes removed (only \" and
 * \\ are escapes; any other backslash is kept). */
static int param_value(const hparam *hp, sq_arena *arena, sq_slice *out) {
    if (!hp->escaped) {
        *out = hp->value;
        return 0;
    }
    char *buf = sq_arena_alloc(arena, hp->value.len ? hp->value.len : 1);
    if (!buf) return SQ_ENOMEM;
    size_t o = 0;
    const char *s = hp->value.base, *e = s + hp->value.len;
    while (s < e) {
        if (*s == '\\' && s + 1 < e && (s[1] == '"' || s[1] == '\\')) s++;
        buf[o++] = *s++;
    }
    *out = (sq_slice){buf, o};
    return 0;
}

int sq_multipart_boundary(sq_slice content_type, sq_slice *boundary) {
    const char *p = content_type.base, *end = p + content_type.len;
    *boundary = (sq_slice){NULL, 0};
    header_main_value(&p, end);
    hparam hp;
    int rc;
    while ((rc = next_param(&p, end, &hp)) == 1) {
        if (!ieq(hp.key, "boundary")) continue;
        sq_slice b = hp.value;
        if (b.len == 0 || b.len > MAX_BOUNDARY || b.base[b.len - 1] == ' ') return SQ_EINVAL;
        for (size_t i = 0; i < b.len; i++) {
            unsigned char c = (unsigned char)b.base[i];
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return SQ_EINVAL;
        }
        *boundary = b;
        return 0;
    }
    return rc < 0 ? SQ_EINVAL : SQ_ENOTFOUND;
}

/* ===== Content-Disposition ===== */

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* filename*=charset'lang'percent-encoded (RFC 5987/8187). Returns 1 with
 * *out decoded to UTF-8 in the arena, 0 to ignore it (unknown charset or
 * malformed: the plain filename, if any, is used), or SQ_ENOMEM. */
static int decode_ext_value(sq_slice v, sq_arena *arena, sq_slice *out) {
    const char *q1 = memchr(v.base, '\'', v.len);
    if (!q1) return 0;
    const char *end = v.base + v.len;
    const char *q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1));
    if (!q2) return 0;
    sq_slice charset = {v.base, (size_t)(q1 - v.base)};
    int latin1;
    if (ieq(charset, "utf-8")) latin1 = 0;
    else if (ieq(charset, "iso-8859-1")) latin1 = 1;
    else return 0;
    const char *s = q2 + 1;
    size_t n = (size_t)(end - s);
    char *buf = sq_arena_alloc(arena, n * 2 + 1); /* latin-1 bytes may double */
    if (!buf) return SQ_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) return 0;
            int hi = hex_value((unsigned char)s[i + 1]), lo = hex_value((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) return 0;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if (latin1 && c >= 0x80) {
            buf[o++] = (char)(0xC0 | (c >> 6));
            buf[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            buf[o++] = (char)c;
        }
    }
    *out = (sq_slice){buf, o};
    return 1;
}

/* Fill name/filename from a Content-Disposition value. Returns 0, SQ_EINVAL
 * with *reason, or SQ_ENOMEM. */
static int parse_disposition(sq_slice v, sq_arena *arena, sq_multipart_part *pt,
                             const char **reason) {
    const char *p = v.base, *end = v.base + v.len;
    sq_slice type = header_main_value(&p, end);
    if (!ieq(type, "form-data")) {
        *reason = "part Content-Disposition is not form-data";
        return SQ_EINVAL;
    }
    int have_name = 0, have_ext = 0, rc;
    sq_slice ext_filename = {NULL, 0};
    hparam hp;
    while ((rc = next_param(&p, end, &hp)) == 1) {
        if (ieq(hp.key, "name") && !have_name) {
            if ((rc = param_value(&hp, arena, &pt->name)) != 0) return rc;
            have_name = 1;
        } else if (ieq(hp.key, "filename") && !pt->has_filename) {
            if ((rc = param_value(&hp, arena, &pt->filename)) != 0) return rc;
            pt->has_filename = 1;
        } else if (ieq(hp.key, "filename*") && !have_ext && !hp.quoted) {
            rc = decode_ext_value(hp.value, arena, &ext_filename);
            if (rc < 0) return rc;
            have_ext = rc == 1;
        }
    }
    if (rc < 0) {
        *reason = "unterminated quoted-string in part Content-Disposition";
        return SQ_EINVAL;
    }
    if (!have_name) {
        *reason = "part Content-Disposition without a name";
        return SQ_EINVAL;
    }
    if (have_ext) {
        pt->filename = ext_filename;
        pt->has_filename = 1;
    }
    return 0;
}

/* ===== Part headers ===== */

/* Parse the header lines of block [s, e) (each line ends with CRLF) into
 * the part. Returns 0, SQ_EINVAL with *reason, or SQ_ENOMEM. */
static int parse_part_headers(const char *s, const char *e, sq_arena *arena,
                              sq_multipart_part *pt, const char **reason) {
    size_t lines = 0;
    for (const char *q = s; q < e && (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++) lines++;
    sq_header_view *hv = NULL;
    if (lines) {
        hv = sq_arena_alloc(arena, lines * sizeof *hv);
        if (!hv) return SQ_ENOMEM;
    }
    size_t n = 0;
    int have_disposition = 0;
    while (s < e) {
        const char *lf = memchr(s, '\n', (size_t)(e - s));
        /* The block ends with CRLF, so lf exists; a bare LF or CR inside a
         * line is refused rather than guessed at. */
        if (!lf || lf == s || lf[-1] != '\r' || memchr(s, '\r', (size_t)(lf - 1 - s))) {
            *reason = "bare CR or LF in part headers";
            return SQ_EINVAL;
        }
        const char *line_end = lf - 1;
        if (is_ows(*s)) {
            *reason = "folded part header line";
            return SQ_EINVAL;
        }
        const char *colon = memchr(s, ':', (size_t)(line_end - s));
        if (!colon || colon == s) {
            *reason = "part header line without a name and ':'";
            return SQ_EINVAL;
        }
        for (const char *c = s; c < colon; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch <= 0x20 || ch == 0x7f) {
                *reason = "invalid character in part header name";
                return SQ_EINVAL;
            }
        }
        hv[n].name = (sq_slice){s, (size_t)(colon - s)};
        hv[n].value = trim(colon + 1, line_end);
        if (ieq(hv[n].name, "content-disposition") && !have_disposition) {
            int rc = parse_disposition(hv[n].value, arena, pt, reason);
            if (rc) return rc;
            have_disposition = 1;
        } else if (ieq(hv[n].name, "content-type") && pt->content_type.len == 0) {
            pt->content_type = hv[n].value;
        }
        n++;
        s = lf + 1;
    }
    if (!have_disposition) {
        *reason = "part without Content-Disposition";
        return SQ_EINVAL;
    }
    pt->headers = hv;
    pt->num_headers = n;
    return 0;
}

/* ===== Delimiters ===== */

/* `p` is just past "--boundary". A real delimiter goes on with "--" (the
 * close delimiter) or with optional spaces/tabs and CRLF. Returns 2 for the
 * close delimiter, 1 for a part delimiter (*next = first byte after CRLF),
 * 0 when this is not a delimiter (the boundary text inside data). */
static int delimiter_kind(const char *p, const char *end, const char **next) {
    if (end - p >= 2 && p[0] == '-' && p[1] == '-') return 2;
    while (p < end && is_ows(*p)) p++;
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
        *next = p + 2;
        return 1;
    }
    return 0;
}

/* First "\r\n--boundary" in [from, end), or NULL. memchr to each CR, then
 * memcmp. Linear: a comparison that matches k bytes has read "\r\n--" and
 * part of the boundary, which holds no CR, so the next CR is k bytes on.
 * (Not memmem: sanitizers check memmem's whole haystack on every call,
 * which makes a body full of near-delimiters quadratic under ASan.) */
static const char *find_bytes(const char *from, const char *end, const char *needle, size_t n) {
    while ((size_t)(end - from) >= n) {
        const char *cr = memchr(from, needle[0], (size_t)(end - from) - n + 1);
        if (!cr) return NULL;
        if (memcmp(cr + 1, needle + 1, n - 1) == 0) return cr;
        from = cr + 1;
    }
    return NULL;
}

/* Find the next real delimiter "\r\n--boundary" at or after `from`.
 * Returns its start or NULL; *kind and *next as delimiter_kind. */
static const char *find_delimiter(const char *from, const char *end, const char *delim,
                                  size_t dlen, int *kind, const char **next) {
    while ((size_t)(end - from) >= dlen) {
        const char *d = find_bytes(from, end, delim, dlen);
        if (!d) return NULL;
        *kind = delimiter_kind(d + dlen, end, next);
        if (*kind) return d;
        from = d + 1;
    }
    return NULL;
}

/* ===== The parser ===== */

int sq_multipart_parse(sq_slice body, sq_slice boundary, const sq_multipart_limits *limits,
                       sq_arena *arena, sq_multipart_result *out) {
    memset(out, 0, sizeof *out);
    sq_multipart_limits lim = limits ? *limits : sq_multipart_limits_default();
    const char *reason = NULL;
    int rc = 0, kind;
    if (boundary.len == 0 || boundary.len > MAX_BOUNDARY) {
        out->error_reason = "invalid multipart boundary";
        return SQ_EINVAL;
    }
    char delim[4 + MAX_BOUNDARY];
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary.base, boundary.len);
    size_t dlen = 4 + boundary.len;

    /* No body at all is an empty form (what clients send for a form whose
     * optional fields and files were all left out). */
    if (body.len == 0) return 0;
    const char *b = body.base, *end = body.base + body.len;
    const char *pos = NULL;
    /* The first delimiter may open the body (no CRLF before it). */
    if (body.len >= dlen - 2 && memcmp(b, delim + 2, dlen - 2) == 0)
        kind = delimiter_kind(b + dlen - 2, end, &pos);
    else
        kind = 0;
    if (!kind && !find_delimiter(b, end, delim, dlen, &kind, &pos)) {
        out->error_reason = "multipart body without its boundary";
        return SQ_EINVAL;
    }

    sq_multipart_part *parts = NULL;
    size_t n = 0, cap = 0;
    while (kind == 1) {
        out->error_part = n;
        if (n == lim.max_parts) {
            reason = "too many multipart parts";
            rc = SQ_ETOOBIG;
            goto error;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            if (ncap > lim.max_parts) ncap = lim.max_parts;
            sq_multipart_part *np = sq_arena_alloc(arena, ncap * sizeof *np);
            if (!np) {
                rc = SQ_ENOMEM;
                goto error;
            }
            if (n) memcpy(np, parts, n * sizeof *np);
            parts = np;
            cap = ncap;
        }
        sq_multipart_part *pt = &parts[n];
        memset(pt, 0, sizeof *pt);

        /* Header block: lines up to an empty line, searched only within the
         * cap (+2 for the empty line's CRLF). */
        const char *data;
        if (end - pos >= 2 && pos[0] == '\r' && pos[1] == '\n') {
            data = pos + 2; /* no header lines: refused below for lack of a name */
            rc = parse_part_headers(pos, pos, arena, pt, &reason);
        } else {
            size_t avail = (size_t)(end - pos);
            size_t window = avail; /* min(cap + 2, avail), without overflow */
            if (lim.max_part_header_bytes < avail && avail - lim.max_part_header_bytes > 2)
                window = lim.max_part_header_bytes + 2;
            const char *hend = memmem(pos, window, "\r\n\r\n", 4);
            if (!hend) {
                reason = window < avail ? "multipart part header block too large"
                                        : "multipart part headers not terminated";
                rc = window < avail ? SQ_ETOOBIG : SQ_EINVAL;
                goto error;
            }
            data = hend + 4;
            rc = parse_part_headers(pos, hend + 2, arena, pt, &reason);
        }
        if (rc) goto error;

        /* The data ends at the CRLF that opens the next delimiter (an empty
         * part is "\r\n\r\n" then "\r\n--boundary"). */
        const char *d = find_delimiter(data, end, delim, dlen, &kind, &pos);
        if (!d) {
            reason = "multipart body without its closing boundary";
            rc = SQ_EINVAL;
            goto error;
        }
        pt->data = (sq_slice){data, (size_t)(d - data)};
        if (!pt->has_filename && pt->data.len > lim.max_field_size) {
            reason = "multipart field too large";
            rc = SQ_ETOOBIG;
            goto error;
        }
        n++;
    }
    out->parts = parts;
    out->num_parts = n;
    out->error_part = 0;
    return 0;
error:
    out->error_reason = reason ? reason : "out of memory";
    out->parts = NULL;
    out->num_parts = 0;
    return rc;
}
