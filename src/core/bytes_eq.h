/* Equality of two short byte strings of the same length, inline.
 *
 * JSON object keys are mostly under 16 bytes and are compared many times
 * per request (schema property lookup, the binding's key cache); a call to
 * libc's memcmp costs more than the comparison itself there. Two
 * overlapping loads cover any length from 4 to 16 bytes exactly. */
#ifndef SQUALL_BYTES_EQ_H
#define SQUALL_BYTES_EQ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "word_load.h"

static inline int sq__bytes_eq(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    if (n >= 8 && n <= 16) {
        return ((sq__load64(x) ^ sq__load64(y)) | (sq__load64(x + n - 8) ^ sq__load64(y + n - 8))) == 0;
    }
    if (n >= 4 && n < 8) {
        return ((sq__load32(x) ^ sq__load32(y)) | (sq__load32(x + n - 4) ^ sq__load32(y + n - 4))) == 0;
    }
    if (n < 4) {
        for (size_t i = 0; i < n; i++)
            if (x[i] != y[i]) return 0;
        return 1;
    }
    return memcmp(x, y, n) == 0;
}

#endif
