"""Routes, HEAD, 404/405/OPTIONS, pipelining order, keep-alive rules,
100-continue, chunked bodies, byte-at-a-time requests."""

import json
import time

from conftest import Reader


def test_plaintext_and_json(server):
    s = server.connect()
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\nGET /json HTTP/1.1\r\nHost: a\r\n\r\n")
    r = Reader(s)
    st, h, body = r.response()
    assert (st, body, h["content-type"]) == (200, b"Hello, World!", "text/plain")
    assert h["content-length"] == "13"
    assert h["date"].endswith("GMT")
    st, h, body = r.response()
    assert st == 200 and json.loads(body) == {"message": "Hello, World!"}
    assert h["content-type"] == "application/json"


def test_head_keeps_length_drops_body(server):
    s = server.connect()
    s.sendall(b"HEAD /plaintext HTTP/1.1\r\nHost: a\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    r = Reader(s)
    st, h, body = r.response(head_request=True)
    assert st == 200 and h["content-length"] == "13" and body == b""
    # The next response starts right after the head: no body bytes leaked.
    st, h, body = r.response()
    assert st == 200 and body == b"Hello, World!"


def test_404_405_options(server):
    s = server.connect()
    s.sendall(
        b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
        b"DELETE /json HTTP/1.1\r\nHost: a\r\n\r\n"
        b"OPTIONS /json HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /json HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    r = Reader(s)
    st, h, body = r.response()
    assert st == 404 and h["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 404
    st, h, body = r.response()
    assert st == 405 and "GET" in h["allow"]
    st, h, body = r.response()
    assert st == 204 and "GET" in h["allow"] and body == b""
    st, h, body = r.response()
    assert st == 200  # 404/405/OPTIONS keep the connection usable


def test_options_asterisk_asks_about_the_server(server):
    s = server.connect()
    s.sendall(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nGET * HTTP/1.1\r\nHost: a\r\n\r\n")
    r = Reader(s)
    st, _h, body = r.response()
    assert st == 204 and body == b""
    st, _h, _body = r.response()
    assert st == 400  # "*" is a target for OPTIONS only


def test_pipelining_order_16_deep(server):
    s = server.connect()
    reqs, expected = [], []
    for i in range(16):
        if i % 3 == 0:
            reqs.append(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            expected.append(b"Hello, World!")
        elif i % 3 == 1:
            body = b"body-%d" % i
            reqs.append(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            expected.append(body)
        else:
            reqs.append(b"GET /slow?ms=%d HTTP/1.1\r\nHost: a\r\n\r\n" % (30 - i))
            expected.append(b"slow done")
    s.sendall(b"".join(reqs))
    r = Reader(s)
    for want in expected:
        st, _h, body = r.response()
        assert st == 200 and body == want


def test_keepalive_rules(server):
    # HTTP/1.0 without keep-alive: answer then close.
    s = server.connect()
    s.sendall(b"GET /plaintext HTTP/1.0\r\n\r\n")
    r = Reader(s)
    st, h, body = r.response()
    assert st == 200 and body == b"Hello, World!"
    assert r.closed()
    # HTTP/1.0 with keep-alive: says so and stays open.
    s = server.connect()
    s.sendall(b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r = Reader(s)
    st, h, body = r.response()
    assert h.get("connection", "").lower() == "keep-alive"
    s.sendall(b"GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    st, h, body = r.response()
    assert st == 200 and b"Hello" in body
    # HTTP/1.1 Connection: close: answer then close, nothing after is served.
    s = server.connect()
    s.sendall(
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        b"GET /json HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    r = Reader(s)
    st, h, body = r.response()
    assert st == 200 and h["connection"] == "close"
    assert b"HTTP/1.1" not in r.read_to_eof()


def test_expect_100_continue(server):
    s = server.connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    r = Reader(s)
    st, _h, body = r.response()
    assert st == 100
    s.sendall(b"hello")
    st, _h, body = r.response()
    assert st == 200 and body == b"hello"
    # Body sent along with the head: no 100 Continue needed.
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi")
    st, _h, body = r.response()
    assert st == 200 and body == b"hi"


def test_chunked_request_body(server):
    s = server.connect()
    s.sendall(
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    r = Reader(s)
    st, _h, body = r.response()
    assert st == 200 and body == b"hello world"
    st, _h, body = r.response()
    assert st == 200 and body == b"Hello, World!"


def test_one_byte_at_a_time(server):
    raw = (
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nwxyz"
    )
    s = server.connect()
    for i in range(len(raw)):
        s.sendall(raw[i : i + 1])
        time.sleep(0.001)
    r = Reader(s)
    assert r.response()[2] == b"abcde"
    assert r.response()[2] == b"wxyz"


def test_large_body_across_reads(server):
    body = bytes(range(256)) * 2000  # 512000 bytes, larger than one read buffer
    s = server.connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    r = Reader(s)
    st, _h, got = r.response()
    assert st == 200 and got == body


def test_stream_chunked_and_http10(server):
    s = server.connect()
    s.sendall(b"GET /stream?bytes=100000 HTTP/1.1\r\nHost: a\r\n\r\n")
    r = Reader(s)
    st, h, body = r.response()
    assert st == 200 and h["transfer-encoding"] == "chunked" and len(body) == 100000
    s = server.connect()
    s.sendall(b"GET /stream?bytes=50000 HTTP/1.0\r\n\r\n")
    r = Reader(s)
    st, h, body = r.response()
    assert st == 200 and "content-length" not in h and len(body) == 50000


def test_access_log_escapes_control_bytes(start_server):
    srv = start_server("--access-log")
    s = srv.connect()
    s.sendall(b'GET /plaintext?x=%0A"q HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    r = Reader(s)
    assert r.response()[0] == 200
    s.close()
    srv.stop()
    log = srv.stderr_text()
    lines = [line for line in log.splitlines() if "/plaintext" in line]
    assert len(lines) == 1, log
    assert lines[0].startswith("127.0.0.1 ")
    assert "\\x22q" in lines[0] and lines[0].endswith(" 200 13")


def test_absolute_form_and_percent_decoded_path(server):
    s = server.connect()
    s.sendall(
        b"GET http://a/plaintext?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /%70laintext HTTP/1.1\r\nHost: a\r\n\r\n"
        b"GET /slow?ms=1&ms=2 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    r = Reader(s)
    assert r.response()[2] == b"Hello, World!"
    assert r.response()[2] == b"Hello, World!"  # %70 is "p"
    assert r.response()[2] == b"slow done"
