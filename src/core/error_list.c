/* The arena-backed error list and location stack helpers shared by the
 * schema validator and the request validator. */
#include <string.h>

#include "schema_internal.h"

void sq_error_list_init(sq_error_list *l, sq_arena *arena) {
    l->items = NULL;
    l->len = 0;
    l->cap = 0;
    l->arena = arena;
}

int sq_error_list_add(sq_error_list *l, const sq_validation_error *e) {
    if (l->len == l->cap) {
        /* Arena memory cannot grow in place: double and copy. */
        size_t ncap = l->cap ? l->cap * 2 : 8;
        sq_validation_error *n = sq_arena_alloc(l->arena, ncap * sizeof *n);
        if (!n) return SQ_ENOMEM;
        if (l->len) memcpy(n, l->items, l->len * sizeof *n);
        l->items = n;
        l->cap = ncap;
    }
    l->items[l->len++] = *e;
    return 0;
}

const sq_json_value *sq_loc_to_json(const sq_loc *loc, sq_arena *arena) {
    sq_json_value *v = sq_arena_alloc(arena, sizeof *v);
    if (!v) return NULL;
    size_t n = loc->len > 64 ? 64 : loc->len;
    v->type = SQ_JSON_ARRAY;
    v->u.arr.len = n;
    v->u.arr.items = NULL;
    if (n) {
        sq_json_value *items = sq_arena_alloc(arena, n * sizeof *items);
        if (!items) return NULL;
        memcpy(items, loc->items, n * sizeof *items);
        v->u.arr.items = items;
    }
    return v;
}
