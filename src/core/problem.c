/* Squall core: generic RFC 9457 problem details ({"type","title","status",
 * "detail"}) for the errors the core answers itself. */
#include "squall/server.h"
#include "squall/validator.h"

#include <stdio.h>
#include <string.h>

/* JSON string contents with the escapes RFC 8259 requires; bytes >= 0x80 are passed
 * through (titles and details are ASCII or UTF-8 written by us). */
static int append_json_chars(sq_buf *out, const char *s, size_t len) {
    static const char HEX[] = "0123456789abcdef";
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (i > start && sq_buf_append(out, s + start, i - start) < 0) return SQ_ENOMEM;
        char esc[6] = {'\\', 'u', '0', '0', HEX[c >> 4], HEX[c & 15]};
        size_t elen = 6;
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            elen = 2;
        } else if (c == '\n') {
            esc[1] = 'n';
            elen = 2;
        } else if (c == '\r') {
            esc[1] = 'r';
            elen = 2;
        } else if (c == '\t') {
            esc[1] = 't';
            elen = 2;
        }
        if (sq_buf_append(out, esc, elen) < 0) return SQ_ENOMEM;
        start = i + 1;
    }
    if (len > start && sq_buf_append(out, s + start, len - start) < 0) return SQ_ENOMEM;
    return 0;
}

static int append_json_string(sq_buf *out, const char *s, size_t len) {
    if (sq_buf_append(out, "\"", 1) < 0 || append_json_chars(out, s, len) < 0 ||
        sq_buf_append(out, "\"", 1) < 0)
        return SQ_ENOMEM;
    return 0;
}

/* "Payload Too Large" -> "payload-too-large": the type URI's last segment. */
static void slug_of(const char *title, char *slug, size_t cap) {
    size_t n = 0;
    int dash = 0;
    for (const char *p = title; *p && n + 1 < cap; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0 && n + 2 < cap) slug[n++] = '-';
            dash = 0;
            slug[n++] = c;
        } else {
            dash = 1;
        }
    }
    slug[n] = '\0';
}

int sq_problem_render(int status, const char *title, const char *detail, const char *type_base,
                      sq_buf *out) {
    if (!title) title = "Error";
    if (!type_base) type_base = SQ_PROBLEM_TYPE_BASE_DEFAULT;
    char slug[64];
    slug_of(title, slug, sizeof slug);
    char num[32];
    int nn = snprintf(num, sizeof num, ",\"status\":%d", status);
    /* The type is base + slug, escaped as one string: no length cap here. */
    if (sq_buf_append(out, "{\"type\":\"", 9) < 0) return SQ_ENOMEM;
    if (append_json_chars(out, type_base, strlen(type_base)) < 0) return SQ_ENOMEM;
    if (append_json_chars(out, slug, strlen(slug)) < 0) return SQ_ENOMEM;
    if (sq_buf_append(out, "\"", 1) < 0) return SQ_ENOMEM;
    if (sq_buf_append(out, ",\"title\":", 9) < 0) return SQ_ENOMEM;
    if (append_json_string(out, title, strlen(title)) < 0) return SQ_ENOMEM;
    if (sq_buf_append(out, num, (size_t)nn) < 0) return SQ_ENOMEM;
    if (detail) {
        if (sq_buf_append(out, ",\"detail\":", 10) < 0) return SQ_ENOMEM;
        if (append_json_string(out, detail, strlen(detail)) < 0) return SQ_ENOMEM;
    }
    return sq_buf_append(out, "}", 1) < 0 ? SQ_ENOMEM : 0;
}

int sq_error_render(const char *error, const char *message, sq_buf *out) {
    if (sq_buf_append(out, "{\"error\":", 9) < 0 || append_json_string(out, error, strlen(error)) < 0 ||
        sq_buf_append(out, ",\"message\":", 11) < 0 ||
        append_json_string(out, message, strlen(message)) < 0 || sq_buf_append(out, "}", 1) < 0)
        return SQ_ENOMEM;
    return 0;
}
