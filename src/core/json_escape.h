/* Squall core, internal: the text between the quotes of a JSON string
 * (RFC 8259), one rule for the core's writer (json_writer.c) and the
 * binding's encoder (src/python/python_to_json.c).
 *
 * The quote, the backslash and the control characters are escaped (the
 * short forms where JSON has one, \u00XX otherwise); everything else is
 * copied. Runs with nothing to escape, by far the common case, are copied
 * 8 and then 4 bytes at a time; the first byte that needs a look sends the
 * rest of the string to the out-of-line byte loop.
 *
 * check_utf8: the core's writer takes bytes from anywhere, so a byte that
 * does not start a valid UTF-8 sequence becomes \ufffd and the output stays
 * JSON text. The binding's strings come from Python's own UTF-8 and pass 0,
 * so non-ASCII text stays on the fast path there. Pass a constant: the test
 * then folds away. */
#ifndef SQUALL_JSON_ESCAPE_H
#define SQUALL_JSON_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "word_load.h"

/* Escapes s[0..n) into o, from a byte that needs a look; o has room for 6
 * bytes per input byte. Returns the new end of the output. */
char *sq__json_escape_rest(char *o, const char *s, size_t n, int check_utf8);

/* Nonzero if a byte lane of w is below 0x20, a quote or a backslash (or,
 * with `high` = 0x80 in every lane, has its top bit set): the "has a zero
 * byte" bit trick on w - 0x20, w ^ '"' and w ^ '\\'. A lane above a true
 * hit may be flagged falsely; that only ends the fast run early. */
static inline uint64_t sq__json_hit64(uint64_t w, uint64_t high) {
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    return ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & (ones * 0x80)) | (w & high);
}

static inline uint32_t sq__json_hit32(uint32_t w, uint32_t high) {
    const uint32_t ones = 0x01010101U;
    uint32_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    return ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & (ones * 0x80)) | (w & high);
}

/* Writes the escaped text of s[0..n) (no quotes) at o, which has room for
 * 6 bytes per input byte, and returns the new end. */
static inline char *sq__json_escape(char *o, const char *s, size_t n, int check_utf8) {
    const uint64_t high64 = check_utf8 ? 0x8080808080808080ULL : 0;
    const uint32_t high32 = check_utf8 ? 0x80808080U : 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8, o += 8) {
        uint64_t w = sq__load64(s + i);
        if (sq__json_hit64(w, high64)) break;
        memcpy(o, &w, 8);
    }
    if (i + 4 <= n) {
        uint32_t w = sq__load32(s + i);
        if (!sq__json_hit32(w, high32)) {
            memcpy(o, &w, 4);
            o += 4;
            i += 4;
        }
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\' || (check_utf8 && c >= 0x80)) break;
        *o++ = (char)c;
    }
    return i < n ? sq__json_escape_rest(o, s + i, n - i, check_utf8) : o;
}

#endif
