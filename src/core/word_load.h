/* Unaligned loads of 4 and 8 bytes, for the code that reads text a word at
 * a time (the HTTP parser's scans, the JSON escaper, bytes_eq.h, fixed
 * regex windows, the binding's string checks). memcpy keeps them defined
 * for any alignment and aliasing; compilers emit one load for it. */
#ifndef SQUALL_WORD_LOAD_H
#define SQUALL_WORD_LOAD_H

#include <stdint.h>
#include <string.h>

static inline uint64_t sq__load64(const void *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint32_t sq__load32(const void *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

#endif
