/* Internal: byte classes shared by the HTTP/1.1 head parser and the chunked
 * decoder (trailers, chunk extensions). One 256-entry table so that every
 * per-byte check in the hot loops is a single load and mask. */
#ifndef SQUALL_HTTP1_CHARS_H
#define SQUALL_HTTP1_CHARS_H

#include <stdint.h>
#include <string.h>

#include "word_load.h"

enum {
    SQ__CH_TOKEN = 1,  /* tchar (RFC 9110 5.6.2): method, field name, coding */
    SQ__CH_VALUE = 2,  /* field-value byte: HTAB, SP, VCHAR, obs-text */
    SQ__CH_TARGET = 4, /* request-target byte: VCHAR except '#' */
    SQ__CH_HEX = 8     /* hexadecimal digit, either case */
};

extern const uint8_t sq__http1_chars[256];

static inline int sq__is_token(unsigned char c) { return sq__http1_chars[c] & SQ__CH_TOKEN; }
static inline int sq__is_value(unsigned char c) { return sq__http1_chars[c] & SQ__CH_VALUE; }
static inline int sq__is_hex(unsigned char c) { return sq__http1_chars[c] & SQ__CH_HEX; }

/* Value of a hex digit already checked with sq__is_hex. */
static inline unsigned sq__hex_value(unsigned char c) {
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* ---- Eight bytes at a time (SWAR) ----
 * Filters for the long runs (header values, targets): a zero result means
 * no byte of the word needs a closer look; nonzero means at least one may
 * (the classic "has a byte less than n" test: exact about whether such a
 * byte exists, so no byte is ever missed). */
#define SQ__ONES UINT64_C(0x0101010101010101)
#define SQ__HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t sq__swar_has_less(uint64_t w, unsigned n) {
    return (w - SQ__ONES * n) & ~w & SQ__HIGHS;
}
static inline uint64_t sq__swar_has_byte(uint64_t w, unsigned char c) {
    uint64_t x = w ^ (SQ__ONES * c);
    return (x - SQ__ONES) & ~x & SQ__HIGHS;
}
/* Some byte may not be a field-value byte other than HTAB: CTL or DEL. */
static inline uint64_t sq__swar_maybe_not_value(uint64_t w) {
    return sq__swar_has_less(w, 0x20) | sq__swar_has_byte(w, 0x7f);
}
/* Some byte may not be a request-target byte: CTL, SP, DEL, '#', >= 0x80. */
static inline uint64_t sq__swar_maybe_not_target(uint64_t w) {
    return sq__swar_has_less(w, 0x21) | (w & SQ__HIGHS) | sq__swar_has_byte(w, 0x7f) |
           sq__swar_has_byte(w, '#');
}

static inline unsigned char sq__ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

#endif
