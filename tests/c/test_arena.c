/* Arena: alignment, inline first allocations, big blocks, reset reuse. */
#include <stdint.h>

#include "sq_test.h"
#include "squall/arena.h"

static void test_alignment_and_contents(void) {
    sq_arena a;
    sq_arena_init(&a);
    char *ptrs[200];
    for (int i = 0; i < 200; i++) {
        ptrs[i] = sq_arena_alloc(&a, (size_t)(i % 37) + 1);
        SQ_CHECK(ptrs[i] != NULL);
        SQ_CHECK(((uintptr_t)ptrs[i] & 7) == 0);
        memset(ptrs[i], i & 0xff, (size_t)(i % 37) + 1);
    }
    for (int i = 0; i < 200; i++) {
        for (int j = 0; j < i % 37 + 1; j++) SQ_CHECK((unsigned char)ptrs[i][j] == (i & 0xff));
    }
    sq_arena_free(&a);
}

static void test_big_allocation(void) {
    sq_arena a;
    sq_arena_init(&a);
    char *small = sq_arena_alloc(&a, 2000);
    char *big = sq_arena_alloc(&a, 1 << 20);
    char *after = sq_arena_alloc(&a, 100);
    SQ_CHECK(small && big && after);
    memset(big, 7, 1 << 20);
    memset(small, 1, 2000);
    memset(after, 2, 100);
    SQ_CHECK(big[(1 << 20) - 1] == 7 && small[1999] == 1 && after[99] == 2);
    sq_arena_reset(&a);
    char *again = sq_arena_alloc(&a, 5000);
    SQ_CHECK(again != NULL);
    memset(again, 3, 5000);
    sq_arena_free(&a);
}

static void test_strndup(void) {
    sq_arena a;
    sq_arena_init(&a);
    char *s = sq_arena_strndup(&a, "hello world", 5);
    SQ_CHECK(s && strcmp(s, "hello") == 0);
    char *e = sq_arena_strndup(&a, "", 0);
    SQ_CHECK(e && e[0] == '\0');
    sq_arena_free(&a);
}

static void test_reset_reuses(void) {
    sq_arena a;
    sq_arena_init(&a);
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 1000; i++) {
            int *p = sq_arena_alloc(&a, sizeof(int) * 4);
            SQ_CHECK(p != NULL);
            p[0] = i;
            p[3] = round;
        }
        sq_arena_reset(&a);
    }
    SQ_CHECK(a._inline_used == 0);
    sq_arena_free(&a);
}

int main(void) {
    SQ_RUN(test_alignment_and_contents);
    SQ_RUN(test_big_allocation);
    SQ_RUN(test_strndup);
    SQ_RUN(test_reset_reuses);
    return SQ_TEST_SUMMARY();
}
