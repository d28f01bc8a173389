/* Query string into an ordered multi-map (repeated keys kept, in order),
 * the way application/x-www-form-urlencoded is read by browsers and by
 * Python's parse_qsl(keep_blank_values=True). */
#include <string.h>

#include "squall/http1_parser.h"

int sq_query_split(sq_slice query, char *scratch, sq_query_pair *pairs, size_t cap) {
    const char *p = query.base, *end = query.base + query.len;
    size_t used = 0, count = 0;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *piece_end = amp ? amp : end;
        if (piece_end > p) { /* empty pieces ("a=1&&b=2") are skipped */
            if (count == cap) return SQ_ETOOBIG;
            const char *eq = memchr(p, '=', (size_t)(piece_end - p));
            sq_slice key = {p, (size_t)((eq ? eq : piece_end) - p)};
            sq_slice val = {eq ? eq + 1 : piece_end, eq ? (size_t)(piece_end - eq - 1) : 0};
            /* Decoding never grows text and the separators are dropped, so
             * the pieces fit in query.len bytes of scratch. */
            int kn = sq_percent_decode(key, scratch + used, 1);
            if (kn < 0) return kn;
            pairs[count].key.base = scratch + used;
            pairs[count].key.len = (size_t)kn;
            used += (size_t)kn;
            int vn = sq_percent_decode(val, scratch + used, 1);
            if (vn < 0) return vn;
            pairs[count].value.base = scratch + used;
            pairs[count].value.len = (size_t)vn;
            used += (size_t)vn;
            count++;
        }
        if (!amp) break;
        p = amp + 1;
    }
    return (int)count;
}
