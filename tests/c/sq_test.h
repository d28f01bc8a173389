/* A minimal test harness for the C tests: each tests/c/test_*.c is one
 * binary with a main() that calls SQ_RUN(test_fn) for each test and ends
 * with SQ_TEST_SUMMARY(), which prints "N passed, N failed" and returns
 * the exit status. A failed check prints file:line and the expression and
 * marks the current test failed; the test continues to its end. */
#ifndef SQ_TEST_H
#define SQ_TEST_H

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int sq_test_passed, sq_test_failed, sq_test_current_failed;

#define SQ_CHECK(expr)                                                                     \
    do {                                                                                   \
        if (!(expr)) {                                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);      \
            sq_test_current_failed = 1;                                                    \
        }                                                                                  \
    } while (0)

#define SQ_CHECK_EQ_INT(a, b)                                                              \
    do {                                                                                   \
        long long sq_a_ = (long long)(a), sq_b_ = (long long)(b);                          \
        if (sq_a_ != sq_b_) {                                                              \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
                    #a, #b, sq_a_, sq_b_);                                                 \
            sq_test_current_failed = 1;                                                    \
        }                                                                                  \
    } while (0)

#define SQ_CHECK_SLICE(slice, lit)                                                         \
    do {                                                                                   \
        sq_slice sq_s_ = (slice);                                                          \
        const char *sq_l_ = (lit);                                                         \
        if (sq_s_.len != strlen(sq_l_) || memcmp(sq_s_.base, sq_l_, sq_s_.len) != 0) {     \
            fprintf(stderr, "%s:%d: %s == \"%s\" failed: got \"%.*s\"\n", __FILE__,       \
                    __LINE__, #slice, sq_l_, (int)sq_s_.len, sq_s_.base);                 \
            sq_test_current_failed = 1;                                                    \
        }                                                                                  \
    } while (0)

#define SQ_RUN(fn)                                                                         \
    do {                                                                                   \
        sq_test_current_failed = 0;                                                        \
        fn();                                                                              \
        if (sq_test_current_failed) {                                                      \
            sq_test_failed++;                                                              \
            fprintf(stderr, "FAIL %s\n", #fn);                                             \
        } else {                                                                           \
            sq_test_passed++;                                                              \
        }                                                                                  \
    } while (0)

#define SQ_TEST_SUMMARY()                                                                  \
    (printf("%d passed, %d failed\n", sq_test_passed, sq_test_failed), sq_test_failed ? 1 : 0)

/* Copy `len` bytes so they end exactly at an unmapped page: any read past
 * the end faults. Returns a pointer to the copy; free with
 * sq_test_guard_free. */
typedef struct sq_guarded {
    char *map;
    size_t map_len;
    char *data;
} sq_guarded;

static inline sq_guarded sq_test_guard(const void *src, size_t len) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (len + page - 1) / page;
    if (data_pages == 0) data_pages = 1;
    sq_guarded g;
    g.map_len = (data_pages + 1) * page;
    g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED) {
        perror("mmap");
        _exit(2);
    }
    mprotect(g.map + data_pages * page, page, PROT_NONE);
    g.data = g.map + data_pages * page - len;
    memcpy(g.data, src, len);
    return g;
}

static inline void sq_test_guard_free(sq_guarded g) { munmap(g.map, g.map_len); }

#endif
