/* Router microbenchmark: ns per match with 10, 100 and 1,000 routes (half
 * static /api/v1/resourceN, half /api/v1/resourceN/{id:int}/sub). The
 * numbers should stay flat as the route count grows: static children are
 * found by hash, so the walk depends on the path, not on the table. Prints
 * results; asserts nothing about time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "squall/router.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum { NUM_PATHS = 64, ITERS = 100000, ROUNDS = 5 };

static int run(int n) {
    sq_router *r = sq_router_new();
    if (!r) return 1;
    static int tag;
    char buf[128];
    for (int i = 0; i < n / 2; i++) {
        snprintf(buf, sizeof buf, "/api/v1/resource%d", i);
        if (sq_router_add(r, "GET", buf, &tag, NULL, 0)) return 1;
        snprintf(buf, sizeof buf, "/api/v1/resource%d/{id:int}/sub", i);
        if (sq_router_add(r, "GET,POST", buf, &tag, NULL, 0)) return 1;
    }
    if (sq_router_compile(r)) return 1;

    /* Paths spread over the whole table, half static, half with a parameter. */
    static char paths[NUM_PATHS][64];
    sq_slice slices[NUM_PATHS];
    for (int i = 0; i < NUM_PATHS; i++) {
        int k = (i * 7919) % (n / 2);
        int len = (i & 1) ? snprintf(paths[i], sizeof paths[i], "/api/v1/resource%d/%d/sub", k, i)
                          : snprintf(paths[i], sizeof paths[i], "/api/v1/resource%d", k);
        slices[i] = (sq_slice){paths[i], (size_t)len};
    }
    /* Best of ROUNDS: the machine is shared, the minimum is the least noisy. */
    sq_route_match m;
    size_t found = 0;
    double best = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now_ns();
        for (int it = 0; it < ITERS; it++) {
            sq_router_match(r, SQ_SLICE_LIT("GET"), slices[it % NUM_PATHS], &m);
            found += m.status == SQ_ROUTE_FOUND;
        }
        double dt = (now_ns() - t0) / ITERS;
        if (dt < best) best = dt;
    }
    printf("bench_router: %5d routes: %6.1f ns/match (best of %d x %d; %zu/%d found)\n", n, best,
           ROUNDS, ITERS, found, ROUNDS * ITERS);
    sq_router_free(r);
    return found == (size_t)ROUNDS * ITERS ? 0 : 1;
}

int main(void) {
    int rc = 0;
    rc |= run(10);
    rc |= run(100);
    rc |= run(1000);
    return rc;
}
