/* Talking to a server under test over loopback, from the thread that polls
 * it: the tests drive the server's loop themselves (sq_server_poll) while
 * they wait for a reply, so no second thread is needed. */
#ifndef SQ_TEST_SOCKET_H
#define SQ_TEST_SOCKET_H

#include "sq_test.h"

#include "squall/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* A connected socket to the server's bound loopback port. */
static inline int sq_test_dial(sq_server *s) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sq_server_port(s))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SQ_CHECK_EQ_INT(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Polls the server until `fd` has received text containing `want` (NULL:
 * until EOF), or EOF, a full buffer or 2 s. Returns the bytes read into
 * out, which is NUL-terminated. */
static inline size_t sq_test_collect(sq_server *s, int fd, char *out, size_t cap, const char *want) {
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < 400; i++) {
        sq_server_poll(s, 5);
        ssize_t r = recv(fd, out + n, cap - 1 - n, MSG_DONTWAIT);
        if (r > 0) n += (size_t)r;
        out[n] = '\0';
        if (r == 0 || (want && strstr(out, want)) || n == cap - 1) break;
    }
    return n;
}

#endif
