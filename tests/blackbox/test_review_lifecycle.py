"""Review: ordering, late answers, cancellation and shutdown seen from the
wire, under the ASan build (the start_server fixture fails the test on any
sanitizer report or a non-zero exit)."""

import random
import signal
import socket
import struct
import threading
import time

from conftest import Reader

GET = b"GET %s HTTP/1.1\r\nHost: a\r\n\r\n"


def test_late_answer_keeps_pipeline_order(server):
    s = server.connect()
    s.sendall(GET % b"/slow?ms=200" + GET % b"/plaintext" + GET % b"/json")
    r = Reader(s)
    bodies = [r.response()[2] for _ in range(3)]
    assert bodies == [b"slow done", b"Hello, World!", b'{"message":"Hello, World!"}']


def test_head_of_a_stream_has_no_body_and_next_is_served(server):
    s = server.connect()
    s.sendall(b"HEAD /stream?bytes=100 HTTP/1.1\r\nHost: a\r\n\r\n" + GET % b"/plaintext")
    r = Reader(s)
    st, _h, body = r.response(head_request=True)
    assert st == 200 and body == b""
    assert r.response()[2] == b"Hello, World!"
    assert r.buf == b""


def test_chunked_body_one_byte_per_write_then_pipelined(server):
    s = server.connect()
    raw = (
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n" + GET % b"/plaintext"
    )
    for i in range(len(raw)):
        s.send(raw[i : i + 1])
    r = Reader(s)
    assert r.response()[2] == b"abcde"
    assert r.response()[2] == b"Hello, World!"


def test_http10_stream_is_close_delimited(server):
    s = server.connect()
    s.sendall(b"GET /stream?bytes=100000 HTTP/1.0\r\n\r\n")
    st, h, body = Reader(s).response()
    assert st == 200 and len(body) == 100000
    assert "transfer-encoding" not in h and h.get("connection") == "close"


def test_shutdown_answers_upload_and_partial_head_in_progress(start_server):
    srv = start_server("--grace", "5")
    up = srv.connect()
    up.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello")
    part = srv.connect()
    part.sendall(b"GET /plaintext HTTP/1.1\r\nHo")
    idle = srv.connect()
    time.sleep(0.2)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    up.sendall(b"world")
    st, h, body = Reader(up).response()
    assert (st, body, h.get("connection")) == (200, b"helloworld", "close")
    part.sendall(b"st: a\r\n\r\n")
    st, h, body = Reader(part).response()
    assert (st, h.get("connection")) == (200, "close")
    assert Reader(idle).closed(timeout=2)
    assert srv.proc.wait(timeout=10) == 0


def test_disconnect_storm_is_clean_under_asan(start_server):
    """Clients that leave at random points (mid-head, mid-body, while a
    helper thread holds the answer, mid-stream, with RST or FIN)."""
    srv = start_server(
        "--keepalive-timeout",
        "2",
        "--header-timeout",
        "2",
        "--body-timeout",
        "1",
        "--write-timeout",
        "1",
        "--grace",
        "3",
    )
    reqs = [
        GET % b"/slow?ms=%d",
        GET % b"/stream?bytes=%d000",
        GET % b"/plaintext",
        b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + b"x" * 50,
        b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        b"HEAD /stream?bytes=%d HTTP/1.1\r\nHost: a\r\n\r\n",
    ]
    errors = []

    def client(seed):
        rnd = random.Random(seed)
        for _ in range(60):
            try:
                s = srv.connect(2)
                picks = [rnd.choice(reqs) for _ in range(rnd.randint(1, 4))]
                s.sendall(b"".join(p % rnd.randint(0, 30) if b"%d" in p else p for p in picks))
                time.sleep(rnd.random() * 0.02)
                if rnd.random() < 0.5:
                    s.recv(rnd.randint(1, 5000))
                if rnd.random() < 0.5:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            except OSError:
                pass
            except Exception as e:
                errors.append(e)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    s = srv.connect()
    s.sendall(GET % b"/plaintext")
    assert Reader(s).response()[0] == 200
