"""Review finding: a client that sends its request and half-closes
(shutdown(SHUT_WR), as `nc -N` or a one-shot script does) must see the
server close right after the response. When the request bytes and the FIN
arrived in one epoll edge, a short read cleared `readable` and the pending
EOF was never read: the connection sat until the keep-alive timeout."""

import socket
import time

from conftest import Reader


def test_half_close_after_request_closes_promptly(start_server):
    srv = start_server("--keepalive-timeout", "10")
    for _ in range(20):
        s = srv.connect(timeout=15)
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        s.shutdown(socket.SHUT_WR)
        t = time.monotonic()
        data = Reader(s).read_to_eof()
        assert data.count(b"Hello, World!") == 1
        assert time.monotonic() - t < 2.0
        s.close()


def test_half_close_after_pipelined_requests_answers_all(start_server):
    srv = start_server("--keepalive-timeout", "10")
    for _ in range(10):
        s = srv.connect(timeout=15)
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n" * 3)
        s.shutdown(socket.SHUT_WR)
        t = time.monotonic()
        assert Reader(s).read_to_eof().count(b"Hello, World!") == 3
        assert time.monotonic() - t < 2.0
        s.close()
