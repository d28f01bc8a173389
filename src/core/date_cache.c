/* Squall core: the "Date: ...\r\n" header line, formatted at most once per
 * second (every response carries it; strftime per response would cost). */
#include "connection_internal.h"

#include <stdio.h>
#include <time.h>

static const char *const WDAY[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const MON[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

const char *sq__date_line(sq__date_cache *dc) {
    time_t now = time(NULL);
    if (now != dc->second || dc->len == 0) {
        struct tm tm;
        gmtime_r(&now, &tm);
        int n = snprintf(dc->line, sizeof dc->line, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                         WDAY[tm.tm_wday], tm.tm_mday, MON[tm.tm_mon], tm.tm_year + 1900,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
        dc->len = n > 0 && (size_t)n < sizeof dc->line ? (size_t)n : 0;
        dc->second = now;
    }
    return dc->line;
}
