"""Issue 2 point 3: limits answered with 413/414/431 (then close)."""

from conftest import Reader

NEXT = b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"


def refused(srv, raw, status):
    s = srv.connect()
    s.sendall(raw + NEXT)
    r = Reader(s)
    st, h, body = r.response()
    assert st == status, body
    assert h["connection"] == "close"
    assert b"Hello, World!" not in r.read_to_eof()


def test_body_too_large_content_length(start_server):
    srv = start_server("--max-body", "1000")
    # Refused from the head alone: the body is never read.
    s = srv.connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n")
    st, _h, _body = Reader(s).response()
    assert st == 413
    ok = srv.connect()
    ok.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000)
    assert Reader(ok).response()[0] == 200


def test_body_too_large_chunked(start_server):
    srv = start_server("--max-body", "1000")
    chunk = b"400\r\n" + b"y" * 1024 + b"\r\n"
    s = srv.connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
    st, _h, _body = Reader(s).response()
    assert st == 413


def test_request_line_too_long(start_server):
    srv = start_server("--max-request-line", "1024")
    refused(srv, b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414)


def test_header_block_too_large(start_server):
    srv = start_server("--max-header-bytes", "2048")
    refused(srv, b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 4000 + b"\r\n\r\n", 431)


def test_too_many_headers(start_server):
    srv = start_server("--max-headers", "10")
    extra = b"".join(b"X-H%d: v\r\n" % i for i in range(20))
    refused(srv, b"GET /plaintext HTTP/1.1\r\nHost: a\r\n" + extra + b"\r\n", 431)


def test_default_header_limit(server):
    refused(server, b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431)
