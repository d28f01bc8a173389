/* Per-request bump allocator. The first 1 KiB comes from the arena struct
 * itself (most small requests never malloc); after that, blocks of
 * _block_size (or bigger for large requests) are chained newest first.
 * Reset keeps the newest ordinary block for reuse so a steady stream of
 * requests settles to zero malloc calls. */
#include "squall/arena.h"

#include <stdlib.h>
#include <string.h>

#define SQ_ARENA_DEFAULT_BLOCK 8192
#define SQ_ARENA_ALIGN 8

struct sq_arena_block {
    sq_arena_block *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(max_align_t) char data[];
};

static size_t align_up(size_t n) { return (n + (SQ_ARENA_ALIGN - 1)) & ~(size_t)(SQ_ARENA_ALIGN - 1); }

void sq_arena_init(sq_arena *a) {
    a->_head = NULL;
    a->_block_size = SQ_ARENA_DEFAULT_BLOCK;
    a->_inline_used = 0;
}

void *sq_arena_alloc(sq_arena *a, size_t size) {
    if (size == 0) size = 1;
    if (size > SIZE_MAX / 2) return NULL;
    size_t need = align_up(size);
    /* The inline buffer is aligned to 8 via the struct's natural alignment of
     * its preceding pointer/size_t fields. */
    if (a->_inline_used + need <= sizeof a->_inline) {
        void *p = a->_inline + a->_inline_used;
        a->_inline_used += need;
        return p;
    }
    sq_arena_block *b = a->_head;
    if (b && b->used + need <= b->size) {
        void *p = b->data + b->used;
        b->used += need;
        return p;
    }
    size_t bsize = a->_block_size;
    if (need > bsize / 4) {
        /* A big allocation gets its own block placed behind the head so the
         * head's free tail is not wasted. */
        sq_arena_block *nb = malloc(sizeof *nb + need);
        if (!nb) return NULL;
        nb->size = need;
        nb->used = need;
        if (b) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = NULL;
            a->_head = nb;
        }
        return nb->data;
    }
    sq_arena_block *nb = malloc(sizeof *nb + bsize);
    if (!nb) return NULL;
    nb->size = bsize;
    nb->used = need;
    nb->next = b;
    a->_head = nb;
    return nb->data;
}

char *sq_arena_strndup(sq_arena *a, const char *s, size_t len) {
    char *p = sq_arena_alloc(a, len + 1);
    if (!p) return NULL;
    if (len) memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void sq_arena_reset(sq_arena *a) {
    a->_inline_used = 0;
    sq_arena_block *keep = NULL;
    sq_arena_block *b = a->_head;
    while (b) {
        sq_arena_block *next = b->next;
        if (!keep && b->size == a->_block_size) {
            keep = b;
        } else {
            free(b);
        }
        b = next;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->_head = keep;
}

void sq_arena_free(sq_arena *a) {
    sq_arena_block *b = a->_head;
    while (b) {
        sq_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->_head = NULL;
    a->_inline_used = 0;
}
