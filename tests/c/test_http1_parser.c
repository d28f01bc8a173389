/* Table-driven tests of sq_http1_parse_request: one line per case. Every
 * case is parsed (1) at once, from a copy ending right before an unmapped
 * page so any over-read faults, and (2) one byte per call from a buffer
 * whose unread tail is poisoned for ASan; both must give the same result. */
#include <stdint.h>
#include <stdlib.h>

#include "sq_test.h"
#include "squall/http1_parser.h"
#include "../../src/core/http1_chars.h" /* white-box: the byte-class table */

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(a, n) ((void)(a), (void)(n))
#endif

#define MAX_HEADERS 16

/* Expected outcome. status 0: a valid head whose length is the input's
 * length minus `body` bytes; -1: SQ_EINCOMPLETE; else the error_status.
 * Fields left NULL / zero-initialised are not checked, except the framing
 * flags, which are checked on every valid case. */
typedef struct {
    const char *in;
    size_t in_len; /* 0: strlen(in) */
    int status;
    size_t body;
    const char *method, *path, *query;
    int minor;
    int64_t cl; /* checked on valid cases; use CL_NONE for -1 */
    int chunked, keep_alive, expect, upgrade;
    size_t nheaders; /* checked when non-zero */
    const char *h0_value; /* value of the first header, when non-NULL */
    size_t max_line, max_head, max_headers, cap; /* 0: defaults */
} parse_case;

#define CL_NONE (-1)
#define H11 "Host: x\r\n"

static const parse_case cases[] = {
    /* ---- valid ---- */
    {.in = "GET / HTTP/1.1\r\nHost: x\r\n\r\n", .method = "GET", .path = "/", .query = "", .minor = 1, .cl = CL_NONE, .keep_alive = 1, .nheaders = 1, .h0_value = "x"},
    {.in = "GET /plaintext?a=1&b=2 HTTP/1.1\r\n" H11 "\r\n", .path = "/plaintext", .query = "a=1&b=2", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET /q? HTTP/1.1\r\n" H11 "\r\n", .path = "/q", .query = "", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.0\r\n\r\n", .minor = 0, .cl = CL_NONE, .keep_alive = 0, .path = "/"},
    {.in = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", .minor = 0, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", .minor = 0, .cl = CL_NONE, .keep_alive = 0},
    {.in = "GET / HTTP/1.1\r\n" H11 "Connection: close\r\n\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 0},
    {.in = "GET / HTTP/1.1\r\n" H11 "Connection: Upgrade ,\t CLOSE\r\n\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 0},
    {.in = "GET / HTTP/1.1\r\n" H11 "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 1, .upgrade = 1},
    {.in = "POST /p HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\nhello", .body = 5, .method = "POST", .minor = 1, .cl = 5, .keep_alive = 1},
    {.in = "POST /p HTTP/1.1\r\n" H11 "Content-Length: 5\r\ncontent-length:5\r\n\r\nhello", .body = 5, .minor = 1, .cl = 5, .keep_alive = 1},
    {.in = "POST /p HTTP/1.1\r\n" H11 "Content-Length: 0\r\n\r\n", .minor = 1, .cl = 0, .keep_alive = 1},
    {.in = "POST /p HTTP/1.1\r\n" H11 "Content-Length: 9223372036854775807\r\n\r\n", .minor = 1, .cl = INT64_MAX, .keep_alive = 1},
    {.in = "POST /p HTTP/1.1\r\n" H11 "Content-Length: 007\r\n\r\n", .minor = 1, .cl = 7, .keep_alive = 1},
    {.in = "POST /p HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .body = 5, .minor = 1, .cl = CL_NONE, .chunked = 1, .keep_alive = 1},
    {.in = "POST /p HTTP/1.1\r\n" H11 "Transfer-Encoding: Chunked \r\n\r\n", .minor = 1, .cl = CL_NONE, .chunked = 1, .keep_alive = 1},
    {.in = "\r\nGET / HTTP/1.1\r\n" H11 "\r\n", .path = "/", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET http://example.com:8080/a/b?x=y HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", .path = "/a/b", .query = "x=y", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET HTTPS://example.com HTTP/1.1\r\n" H11 "\r\n", .path = "/", .query = "", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET http://example.com?q=1 HTTP/1.1\r\n" H11 "\r\n", .path = "/", .query = "q=1", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "OPTIONS * HTTP/1.1\r\n" H11 "\r\n", .method = "OPTIONS", .path = "*", .query = "", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nHost:   x  \t\r\n\r\n", .h0_value = "x", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nHost:x\r\n\r\n", .h0_value = "x", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nX-Empty:\r\n" H11 "\r\n", .h0_value = "", .nheaders = 2, .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nX-Empty: \t \r\n" H11 "\r\n", .h0_value = "", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nX-A: a \t b\r\n" H11 "\r\n", .h0_value = "a \t b", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nX-A: caf\xc3\xa9\r\n" H11 "\r\n", .h0_value = "caf\xc3\xa9", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\n" H11 "Expect: 100-Continue\r\n\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 1, .expect = 1},
    {.in = "GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", .minor = 0, .cl = CL_NONE, .keep_alive = 0, .expect = 0},
    {.in = "GET / HTTP/1.2\r\n" H11 "\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "M-S.E!A#R$C%H&'*+^_`|~9 /x HTTP/1.1\r\n" H11 "\r\n", .method = "M-S.E!A#R$C%H&'*+^_`|~9", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET /a%20b;c=d@e:f!$&'()*+,=~ HTTP/1.1\r\n" H11 "\r\n", .path = "/a%20b;c=d@e:f!$&'()*+,=~", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    /* pipelined: the head length lets the caller find the next request */
    {.in = "GET /a HTTP/1.1\r\n" H11 "\r\nGET /b HTTP/1.1\r\n" H11 "\r\n", .body = 28, .path = "/a", .minor = 1, .cl = CL_NONE, .keep_alive = 1},

    /* ---- incomplete ---- */
    {.in = "", .status = -1},
    {.in = "\r", .status = -1},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\n", .status = -1},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\n\r", .status = -1},
    {.in = "GET / HTTP/1.1\r\nHost: x", .status = -1},

    /* ---- framing: request smuggling vectors ---- */
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: +5\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: -1\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 0x5\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length:\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 5,6\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 5,5\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 5 5\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 9223372036854775808\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Content-Length: 99999999999999999999999\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked;x=1\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n\r\n", .status = 400},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", .status = 501},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", .status = 501},
    {.in = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: identity\r\n\r\n", .status = 501},
    {.in = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "Expect: 200-ok\r\n\r\n", .status = 417},

    /* ---- header syntax ---- */
    {.in = "GET / HTTP/1.1\r\nHost : x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\r\n b\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\r\n\tb\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n Host: x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 ": x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X@A: x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X\"A: x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X\xc3\xa9: x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\x01" "b\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\x7f\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\0b\r\n\r\n", .in_len = 36, .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\rb\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\r\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\nb\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "X-A: a\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n" H11 "\r\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\nHost: x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\rHost: x\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\n\r\n", .status = 400}, /* 1.1 without Host */
    {.in = "GET / HTTP/1.1\r\n" H11 "HOST: y\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: \"a\"\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 1, .h0_value = "[::1]:8080"},
    {.in = "GET / HTTP/1.1\r\nHost: xn--caf-dma.example_1.com:80\r\n\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nHost:\r\n\r\n", .minor = 1, .cl = CL_NONE, .keep_alive = 1, .h0_value = ""},
    {.in = "GET http://a\"b/ HTTP/1.1\r\n" H11 "\r\n", .status = 400},

    /* ---- refused before the line ends ---- */
    {.in = "\x16\x03\x01\x02\x00", .in_len = 5, .status = 400}, /* a TLS hello */
    {.in = "GET /\x01", .status = 400},
    {.in = "GET  ", .status = 400},
    {.in = " GET", .status = 400},
    {.in = "GET / HTTP/1.1 ", .status = 400},
    {.in = "GET / HTTP/1.1\rX", .status = 400},
    {.in = "GET / HTTP/2", .status = -1}, /* could still be 505 */
    {.in = "GET / HTTP/1.1\r\nHost: x\x7f", .status = 400},
    {.in = "GET / HTTP/1.1\r\n Host", .status = 400},
    {.in = "GET / HTTP/1.1\r\n: x", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHo st", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: x\rY", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\n\rY", .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\n\r", .status = -1},

    /* ---- request line ---- */
    {.in = "\nGET / HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "\rGET / HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = " GET / HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "G(T / HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET  / HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET /  HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET / HTTP/1.1 \r\n" H11 "\r\n", .status = 400},
    {.in = "GET\t/ HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET /\x01 HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET /\xc3\xa9 HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET /a#frag HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET / HTTP/1.1\r\r\n" H11 "\r\n", .status = 400},
    {.in = "GET /\r\n" H11 "\r\n", .status = 400},
    {.in = "GET\r\n" H11 "\r\n", .status = 400},
    {.in = "\r\n", .status = -1},
    {.in = "GET / HTTP/1.x\r\n" H11 "\r\n", .status = 400},
    {.in = "GET / HTTP/11\r\n" H11 "\r\n", .status = 400},
    {.in = "GET / HTTP/1.10\r\n" H11 "\r\n", .status = 400},
    {.in = "GET / http/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET / HTTP/1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET / HTTP/2.0\r\n" H11 "\r\n", .status = 505},
    {.in = "GET / HTTP/3.0\r\n" H11 "\r\n", .status = 505},
    {.in = "GET / HTTP/0.9\r\n" H11 "\r\n", .status = 505},
    {.in = "GET * HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "OPTIONS *a HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "CONNECT example.com:443 HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET ftp://example.com/ HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET http:///a HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET http://u:p@example.com/ HTTP/1.1\r\n" H11 "\r\n", .status = 400},
    {.in = "GET a/b HTTP/1.1\r\n" H11 "\r\n", .status = 400},

    /* ---- limits ---- */
    /* request line content of exactly max_request_line (14) bytes is fine */
    {.in = "GET / HTTP/1.1\r\n" H11 "\r\n", .max_line = 14, .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET /a HTTP/1.1\r\n" H11 "\r\n", .max_line = 14, .status = 414},
    {.in = "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .max_line = 14, .status = 414}, /* before complete */
    {.in = "\r\nGET /aaaaaaaaaaaaaaaaaaaaaaaa", .max_line = 14, .status = 414},
    {.in = "GET / HTTP/1.1\r", .max_line = 14, .status = -1},
    {.in = "GET / HTTP/1.1x", .max_line = 14, .status = 400}, /* malformed before too long */
    {.in = "GET /aaaaaaaaa\x01", .max_line = 14, .status = 400}, /* tie: the byte wins */
    {.in = "GET /aaaaaaaaaa\x01", .max_line = 14, .status = 414},
    {.in = "GET /aaaaaaaaaaa\x01", .max_line = 14, .status = 414}, /* too long first */
    {.in = "GET /aaaaaaaaaaa\x01 HTTP/1.1\r\n" H11 "\r\n", .max_line = 14, .status = 414},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\nX-A: \x01" "aaaaaaaaaaaaaaaaaaa", .max_head = 40, .status = 400},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\nX-A: aaaaaaaaaaaaaaaaaaaa\x01", .max_head = 40, .status = 431},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\nX-A: aaaaaaaaaaaaaaaaaaaa\x01\r\n\r\n", .max_head = 40, .status = 431},
    {.in = "GET / HTTP/1.1\n" H11 "\r\n", .max_line = 14, .status = 400},
    {.in = "GET /a HTTP/1.1\n" H11 "\r\n", .max_line = 14, .status = 414},
    /* whole head of exactly max_header_bytes (27) is fine, one more is not */
    {.in = "GET / HTTP/1.1\r\n" H11 "\r\n", .max_head = 27, .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nHost: xy\r\n\r\n", .max_head = 27, .status = 431},
    {.in = "GET / HTTP/1.1\r\nHost: x\r\nX-Long: aaaaaaaaaaaaaaaa", .max_head = 27, .status = 431}, /* before complete */
    {.in = "GET / HTTP/1.1\r\nHost: x\r\n\r\n", .max_head = 16, .status = 431},
    /* fuzzer find: the LF itself passes the head limit, an earlier byte is invalid */
    {.in = " GET / HTTP/1.1\r\n", .max_head = 17, .status = 400},
    {.in = "GET / HTTP/1.1\r\nA\x01: 1\r\n", .max_head = 22, .status = 400},
    {.in = "GET / HTTP/1.1\r\nAB: 1\r\n", .max_head = 22, .status = 431},
    {.in = "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .max_line = 20, .max_head = 20, .status = 414},
    {.in = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n" H11 "\r\n", .max_headers = 2, .status = 431},
    {.in = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n" H11 "\r\n", .max_headers = 3, .nheaders = 3, .minor = 1, .cl = CL_NONE, .keep_alive = 1},
    {.in = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n" H11 "\r\n", .cap = 2, .status = 431},
};

/* ---- running one case ---- */

typedef struct {
    int rc;
    sq_http1_request req;
    sq_header_view headers[MAX_HEADERS];
} outcome;

static sq_http1_limits case_limits(const parse_case *c) {
    sq_http1_limits l = {8192, 16384, 100};
    if (c->max_line) l.max_request_line = c->max_line;
    if (c->max_head) l.max_header_bytes = c->max_head;
    if (c->max_headers) l.max_headers = c->max_headers;
    return l;
}

static void slice_offsets_equal(sq_slice a, const char *abuf, sq_slice b, const char *bbuf,
                                size_t line) {
    int a_in = a.base >= abuf && a.base <= abuf + 100000;
    int b_in = b.base >= bbuf && b.base <= bbuf + 100000;
    if (a.len != b.len || (a.len && memcmp(a.base, b.base, a.len) != 0) || a_in != b_in ||
        (a_in && a.base - abuf != b.base - bbuf)) {
        fprintf(stderr, "case %zu: slices differ: \"%.*s\" vs \"%.*s\"\n", line, (int)a.len,
                a.base, (int)b.len, b.base);
        sq_test_current_failed = 1;
    }
}

static void check_outcome(const parse_case *c, size_t idx, const char *buf, size_t len,
                          const outcome *o) {
    int failed_before = sq_test_current_failed;
    sq_test_current_failed = 0;
    const sq_http1_request *r = &o->req;
    if (c->status == -1) {
        SQ_CHECK_EQ_INT(o->rc, SQ_EINCOMPLETE);
        SQ_CHECK_EQ_INT(r->error_status, 0);
    } else if (c->status != 0) {
        SQ_CHECK_EQ_INT(o->rc, (c->status == 414 || c->status == 431) ? SQ_ETOOBIG : SQ_EINVAL);
        SQ_CHECK_EQ_INT(r->error_status, c->status);
        SQ_CHECK(r->error_reason != NULL);
    } else {
        SQ_CHECK_EQ_INT(o->rc, (long long)(len - c->body));
        SQ_CHECK_EQ_INT(r->error_status, 0);
        if (c->method) SQ_CHECK_SLICE(r->method, c->method);
        if (c->path) SQ_CHECK_SLICE(r->path, c->path);
        if (c->query) SQ_CHECK_SLICE(r->query, c->query);
        SQ_CHECK_EQ_INT(r->version_minor, c->minor);
        SQ_CHECK_EQ_INT(r->content_length, c->cl);
        SQ_CHECK_EQ_INT(r->chunked, c->chunked);
        SQ_CHECK_EQ_INT(r->keep_alive, c->keep_alive);
        SQ_CHECK_EQ_INT(r->expect_continue, c->expect);
        SQ_CHECK_EQ_INT(r->upgrade, c->upgrade);
        if (c->nheaders) SQ_CHECK_EQ_INT(r->num_headers, c->nheaders);
        if (c->h0_value) {
            SQ_CHECK(r->num_headers > 0);
            if (r->num_headers > 0) SQ_CHECK_SLICE(r->headers[0].value, c->h0_value);
        }
        /* every slice lies inside the buffer, within the head */
        for (size_t i = 0; i < r->num_headers; i++) {
            SQ_CHECK(r->headers[i].name.base >= buf &&
                     r->headers[i].name.base + r->headers[i].name.len <= buf + o->rc);
            SQ_CHECK(r->headers[i].value.base >= buf &&
                     r->headers[i].value.base + r->headers[i].value.len <= buf + o->rc);
        }
        SQ_CHECK(r->method.base >= buf && r->method.base + r->method.len <= buf + o->rc);
        SQ_CHECK(r->target.base >= buf && r->target.base + r->target.len <= buf + o->rc);
    }
    if (sq_test_current_failed) fprintf(stderr, "  ^ in case %zu: %.60s\n", idx, c->in);
    sq_test_current_failed |= failed_before;
}

static void parse_whole(outcome *o, const char *buf, size_t len, const sq_http1_limits *l,
                        size_t cap) {
    memset(o, 0, sizeof *o);
    sq_http1_request_init(&o->req, o->headers, cap);
    o->rc = sq_http1_parse_request(buf, len, &o->req, l);
}

/* One byte per call; the bytes not yet delivered are poisoned, so reading
 * them is an ASan error. Returns the first result that is not
 * SQ_EINCOMPLETE (or SQ_EINCOMPLETE after the last byte) and checks that
 * a valid head is reported exactly when its last byte arrives. */
static void parse_bytewise(outcome *out, const char *buf, size_t len, const sq_http1_limits *l,
                           size_t cap, size_t idx) {
    outcome o_, *op = out;
    (void)o_;
    memset(op, 0, sizeof *op);
#define o (*op)
    sq_http1_request_init(&o.req, o.headers, cap);
    ASAN_POISON_MEMORY_REGION(buf, len);
    o.rc = SQ_EINCOMPLETE;
    for (size_t k = 1; k <= len && o.rc == SQ_EINCOMPLETE; k++) {
        ASAN_UNPOISON_MEMORY_REGION(buf + k - 1, 1);
        o.rc = sq_http1_parse_request(buf, k, &o.req, l);
        /* no rescan: the resume point follows the input (a lone first CR
         * is the one byte held back, to see whether an LF follows) */
        if (o.rc == SQ_EINCOMPLETE && !(k == 1 && buf[0] == '\r'))
            SQ_CHECK_EQ_INT(o.req._scan_pos, k);
        if (o.rc > 0 && (size_t)o.rc != k) {
            fprintf(stderr, "case %zu: head reported at byte %zu, length %d\n", idx, k, o.rc);
            sq_test_current_failed = 1;
        }
    }
    if (len == 0) o.rc = sq_http1_parse_request(buf, 0, &o.req, l);
    ASAN_UNPOISON_MEMORY_REGION(buf, len);
#undef o
}

static void test_table(void) {
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        const parse_case *c = &cases[i];
        size_t len = c->in_len ? c->in_len : strlen(c->in);
        size_t cap = c->cap ? c->cap : MAX_HEADERS;
        sq_http1_limits l = case_limits(c);

        sq_guarded g = sq_test_guard(c->in, len);
        static outcome whole, bytes;
        parse_whole(&whole, g.data, len, &l, cap);
        check_outcome(c, i, g.data, len, &whole);

        char *copy = malloc(len ? len : 1);
        memcpy(copy, c->in, len);
        parse_bytewise(&bytes, copy, len, &l, cap, i);
        check_outcome(c, i, copy, len, &bytes);

        /* identical results, field by field */
        int before = sq_test_current_failed;
        SQ_CHECK_EQ_INT(bytes.rc, whole.rc);
        SQ_CHECK_EQ_INT(bytes.req.error_status, whole.req.error_status);
        if (whole.rc > 0) {
            slice_offsets_equal(whole.req.method, g.data, bytes.req.method, copy, i);
            slice_offsets_equal(whole.req.target, g.data, bytes.req.target, copy, i);
            slice_offsets_equal(whole.req.path, g.data, bytes.req.path, copy, i);
            slice_offsets_equal(whole.req.query, g.data, bytes.req.query, copy, i);
            SQ_CHECK_EQ_INT(bytes.req.num_headers, whole.req.num_headers);
            for (size_t h = 0; h < whole.req.num_headers && h < bytes.req.num_headers; h++) {
                slice_offsets_equal(whole.headers[h].name, g.data, bytes.headers[h].name, copy, i);
                slice_offsets_equal(whole.headers[h].value, g.data, bytes.headers[h].value, copy,
                                    i);
            }
            SQ_CHECK_EQ_INT(bytes.req.content_length, whole.req.content_length);
            SQ_CHECK_EQ_INT(bytes.req.keep_alive, whole.req.keep_alive);
            SQ_CHECK_EQ_INT(bytes.req.chunked, whole.req.chunked);
        }
        if (sq_test_current_failed && !before) fprintf(stderr, "  ^ bytewise differs in case %zu\n", i);
        free(copy);
        sq_test_guard_free(g);
    }
}

/* Every case cut in two at every point: the first call sees a prefix, the
 * second the whole input; the result must be the one-call result. */
static void test_table_two_pieces(void) {
    size_t n = sizeof cases / sizeof cases[0];
    static outcome whole, split;
    for (size_t i = 0; i < n; i++) {
        const parse_case *c = &cases[i];
        size_t len = c->in_len ? c->in_len : strlen(c->in);
        size_t cap = c->cap ? c->cap : MAX_HEADERS;
        sq_http1_limits l = case_limits(c);
        parse_whole(&whole, c->in, len, &l, cap);
        for (size_t k = 0; k < len; k++) {
            memset(&split, 0, sizeof split);
            sq_http1_request_init(&split.req, split.headers, cap);
            split.rc = sq_http1_parse_request(c->in, k, &split.req, &l);
            if (split.rc == SQ_EINCOMPLETE) split.rc = sq_http1_parse_request(c->in, len, &split.req, &l);
            if (split.rc != whole.rc || split.req.error_status != whole.req.error_status ||
                split.req.num_headers != whole.req.num_headers ||
                split.req.content_length != whole.req.content_length) {
                fprintf(stderr, "case %zu cut at %zu: rc %d/%d status %d/%d\n", i, k, split.rc,
                        whole.rc, split.req.error_status, whole.req.error_status);
                sq_test_current_failed = 1;
                break;
            }
        }
    }
}

/* ---- behaviour around the table ---- */

static void test_pipelined_requests(void) {
    const char in[] = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                      "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    sq_guarded g = sq_test_guard(in, sizeof in - 1);
    sq_http1_limits l = {8192, 16384, 100};
    sq_header_view hv[8];
    sq_http1_request r;
    sq_http1_request_init(&r, hv, 8);
    int rc = sq_http1_parse_request(g.data, sizeof in - 1, &r, &l);
    SQ_CHECK(rc > 0);
    SQ_CHECK_SLICE(r.path, "/a");
    SQ_CHECK_EQ_INT(r.content_length, 3);
    size_t next = (size_t)rc + (size_t)r.content_length;
    sq_http1_request_init(&r, hv, 8);
    rc = sq_http1_parse_request(g.data + next, sizeof in - 1 - next, &r, &l);
    SQ_CHECK_EQ_INT(rc, (long long)(sizeof in - 1 - next));
    SQ_CHECK_SLICE(r.method, "GET");
    SQ_CHECK_SLICE(r.path, "/b");
    sq_test_guard_free(g);
}

static void test_repeat_calls_are_stable(void) {
    const char in[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    sq_http1_limits l = {8192, 16384, 100};
    sq_header_view hv[4];
    sq_http1_request r;
    sq_http1_request_init(&r, hv, 4);
    int rc = sq_http1_parse_request(in, sizeof in - 1, &r, &l);
    SQ_CHECK_EQ_INT(rc, sizeof in - 1);
    SQ_CHECK_EQ_INT(sq_http1_parse_request(in, sizeof in - 1, &r, &l), rc);
    SQ_CHECK_EQ_INT(r.num_headers, 1);

    /* a buffer that shrinks between calls is refused, not read past */
    sq_http1_request_init(&r, hv, 4);
    SQ_CHECK_EQ_INT(sq_http1_parse_request(in, 10, &r, &l), SQ_EINCOMPLETE);
    SQ_CHECK_EQ_INT(sq_http1_parse_request(in, 5, &r, &l), SQ_ESTATE);
    SQ_CHECK_EQ_INT(sq_http1_parse_request(in, sizeof in - 1, &r, &l), rc);

    const char bad[] = "GET / HTTP/2.0\r\n\r\n";
    sq_http1_request_init(&r, hv, 4);
    SQ_CHECK_EQ_INT(sq_http1_parse_request(bad, sizeof bad - 1, &r, &l), SQ_EINVAL);
    SQ_CHECK_EQ_INT(sq_http1_parse_request(bad, sizeof bad - 1, &r, &l), SQ_EINVAL);
    SQ_CHECK_EQ_INT(r.error_status, 505);
}

/* A long header value delivered one byte per call: each call looks only at
 * the new byte (the resume point moves with the input). */
static void test_no_quadratic_rescan(void) {
    static char in[12000];
    size_t n = 0;
    n += (size_t)sprintf(in, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(in + n, 'a', 10000);
    n += 10000;
    memcpy(in + n, "\r\n\r\n", 4);
    n += 4;
    sq_http1_limits l = {8192, 16384, 100};
    sq_header_view hv[4];
    sq_http1_request r;
    sq_http1_request_init(&r, hv, 4);
    int rc = SQ_EINCOMPLETE;
    size_t k;
    for (k = 1; k <= n && rc == SQ_EINCOMPLETE; k++) {
        rc = sq_http1_parse_request(in, k, &r, &l);
        if (rc == SQ_EINCOMPLETE && r._scan_pos != k) break;
    }
    SQ_CHECK_EQ_INT(rc, n);
    SQ_CHECK_EQ_INT(k - 1, n);
    SQ_CHECK_EQ_INT(r.headers[1].value.len, 10000);
}

/* The byte-class table against the RFC grammar written out longhand. */
static void test_char_table(void) {
    for (int c = 0; c < 256; c++) {
        int tok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
        int val = c == '\t' || (c >= 0x20 && c != 0x7f);
        int tgt = c > 0x20 && c < 0x7f && c != '#';
        int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        int want = (tok ? SQ__CH_TOKEN : 0) | (val ? SQ__CH_VALUE : 0) |
                   (tgt ? SQ__CH_TARGET : 0) | (hex ? SQ__CH_HEX : 0);
        if (sq__http1_chars[c] != want) {
            fprintf(stderr, "byte 0x%02x: class %d, want %d\n", c, sq__http1_chars[c], want);
            sq_test_current_failed = 1;
        }
        if (hex) SQ_CHECK_EQ_INT(sq__hex_value((unsigned char)c), strtol((char[]){(char)c, 0}, NULL, 16));
    }
}

static void test_strerror(void) {
    SQ_CHECK(strcmp(sq_strerror(SQ_OK), sq_strerror(SQ_EINVAL)) != 0);
    SQ_CHECK(strcmp(sq_strerror(SQ_EINCOMPLETE), sq_strerror(SQ_ETOOBIG)) != 0);
    int codes[] = {SQ_OK, SQ_EINCOMPLETE, SQ_EINVAL, SQ_ENOMEM, SQ_EGONE, SQ_ETOOBIG,
                   SQ_EIO, SQ_ESTATE, SQ_EAGAIN, SQ_ENOTFOUND, -1000};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        SQ_CHECK(sq_strerror(codes[i]) != NULL);
        SQ_CHECK(sq_strerror(codes[i])[0] != '\0');
        for (size_t j = 0; j < i; j++) SQ_CHECK(strcmp(sq_strerror(codes[i]), sq_strerror(codes[j])) != 0);
    }
}

int main(void) {
    SQ_RUN(test_table);
    SQ_RUN(test_table_two_pieces);
    SQ_RUN(test_pipelined_requests);
    SQ_RUN(test_repeat_calls_are_stable);
    SQ_RUN(test_no_quadratic_rescan);
    SQ_RUN(test_char_table);
    SQ_RUN(test_strerror);
    return SQ_TEST_SUMMARY();
}
