/* Microbenchmark: nanoseconds per sq_http1_parse_request on a typical
 * browser-like request (~200 bytes) and on the plaintext benchmark's
 * minimal request, plus the chunked decoder on a small body. Prints the
 * figures; asserts nothing about time (the machine is shared). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "squall/http1_parser.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile size_t sink;

static void bench_head(const char *label, const char *req, long iters) {
    size_t len = strlen(req);
    sq_http1_limits limits = {8192, 16384, 100};
    sq_header_view headers[32];
    sq_http1_request r;
    /* warm up, and make sure the input is valid: a failing parse is fast */
    sq_http1_request_init(&r, headers, 32);
    int rc = sq_http1_parse_request(req, len, &r, &limits);
    if (rc != (int)len) {
        printf("%-28s parse failed: %d (%d %s)\n", label, rc, r.error_status, r.error_reason);
        return;
    }
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            sq_http1_request_init(&r, headers, 32);
            sink += (size_t)sq_http1_parse_request(req, len, &r, &limits) + r.num_headers;
        }
        double per = (now_ns() - t0) / (double)iters;
        if (per < best) best = per;
    }
    printf("%-28s %4zu bytes %7.1f ns/parse %6.2f GB/s\n", label, len, best, (double)len / best);
}

static void bench_chunked(long iters) {
    static const char body[] = "10\r\n0123456789abcdef\r\n20;ext=1\r\n0123456789abcdef0123456789abcdef\r\n0\r\n\r\n";
    sq_chunked_limits limits = {1 << 20, 4096, 16384};
    char buf[sizeof body];
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            sq_chunked_decoder d;
            sq_chunked_decoder_init(&d);
            memcpy(buf, body, sizeof body - 1);
            size_t len = sizeof body - 1;
            sink += (size_t)sq_chunked_decode(&d, buf, &len, &limits) + len;
        }
        double per = (now_ns() - t0) / (double)iters;
        if (per < best) best = per;
    }
    printf("%-28s %4zu bytes %7.1f ns/decode\n", "chunked, 2 chunks", sizeof body - 1, best);
}

int main(void) {
    static const char browser[] =
        "GET /items/42?sort=asc&page=2 HTTP/1.1\r\n"
        "Host: localhost:8000\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
        "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
        "Accept-Language: en-US,en;q=0.5\r\n"
        "Accept-Encoding: gzip, deflate\r\n"
        "Connection: keep-alive\r\n"
        "\r\n";
    static const char plaintext[] = "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n";
    bench_head("browser-like request", browser, 200000);
    bench_head("GET /plaintext", plaintext, 500000);
    bench_chunked(200000);
    return (int)(sink & 0);
}
