/* Squall core: a bump allocator for per-request memory, cleared in one step
 * when the response is done (h2o's memory pools are the model).
 * Not thread-safe: one arena belongs to one request at a time. */
#ifndef SQUALL_ARENA_H
#define SQUALL_ARENA_H

#include "squall/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sq_arena_block sq_arena_block;
typedef struct sq_arena {
    sq_arena_block *_head;  /* current block */
    size_t _block_size;     /* size of blocks to allocate (first block may be inline) */
    char _inline[1024];     /* first allocations never hit malloc */
    size_t _inline_used;
} sq_arena;

void sq_arena_init(sq_arena *a);
/* 8-byte aligned; NULL only if malloc fails. Valid until sq_arena_reset. */
void *sq_arena_alloc(sq_arena *a, size_t size);
char *sq_arena_strndup(sq_arena *a, const char *s, size_t len); /* NUL-terminated copy */
/* Frees every block but one, keeps it for reuse. */
void sq_arena_reset(sq_arena *a);
void sq_arena_free(sq_arena *a);

#ifdef __cplusplus
}
#endif
#endif
