/* Growable malloc-backed byte buffer used by the JSON writer and the
 * response renderers. Growth doubles so appends are amortised O(1). */
#include "squall/json.h"

#include <stdlib.h>
#include <string.h>

void sq_buf_init(sq_buf *b) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

int sq_buf_reserve(sq_buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len) return SQ_ENOMEM;
    size_t need = b->len + extra;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *d = realloc(b->data, cap);
    if (!d) return SQ_ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int sq_buf_append(sq_buf *b, const void *data, size_t len) {
    if (len == 0) return 0;
    int rc = sq_buf_reserve(b, len);
    if (rc) return rc;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

void sq_buf_free(sq_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
