"""Issue 2 point 3: deadlines and connection limits, with short settings."""

import contextlib
import socket
import time

from conftest import Reader, proc_cpu_seconds, proc_rss_kib, wait_for


def test_slowloris_header_deadline_is_absolute(start_server):
    srv = start_server("--header-timeout", "1", "--keepalive-timeout", "5")
    s = srv.connect()
    s.setblocking(False)
    head = b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX-Slow: " + b"a" * 100
    start = time.monotonic()
    got = b""
    for i in range(len(head)):
        try:
            s.sendall(head[i : i + 1])
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            break
        time.sleep(0.2)  # one byte every 200 ms never resets the deadline
        with contextlib.suppress(BlockingIOError):
            got += s.recv(4096)
        if got or time.monotonic() - start > 4:
            break
    answered_at = time.monotonic()
    # The deadline counts from the first byte: told 408 after about 1 s, not 20.
    assert answered_at - start < 2.0, answered_at - start
    s.setblocking(True)
    s.settimeout(5)
    r = Reader(s)
    r.buf = got
    st, h, _body = r.response()
    assert st == 408
    assert h["connection"] == "close"
    assert r.closed(timeout=5)


def test_keepalive_timeout(start_server):
    srv = start_server("--keepalive-timeout", "0.5")
    s = srv.connect()
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    r = Reader(s)
    assert r.response()[0] == 200
    t = time.monotonic()
    assert r.closed(timeout=3)
    assert 0.3 < time.monotonic() - t < 2.5


def test_idle_connection_gets_keepalive_timeout(start_server):
    srv = start_server("--keepalive-timeout", "0.5")
    s = srv.connect()
    assert Reader(s).closed(timeout=3)


def test_body_timeout(start_server):
    srv = start_server("--body-timeout", "0.5")
    s = srv.connect()
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
    t = time.monotonic()
    r = Reader(s)
    st, h, _body = r.response()
    assert st == 408 and h["connection"] == "close"
    assert time.monotonic() - t < 2.5
    assert r.closed(timeout=3)


def test_idle_keepalive_gets_no_408(start_server):
    srv = start_server("--keepalive-timeout", "0.3", "--header-timeout", "0.3")
    s = srv.connect()
    assert Reader(s).read_to_eof() == b""  # nothing was asked: nothing to answer


def test_max_connections_pauses_without_spinning(start_server):
    srv = start_server("--max-connections", "4", "--keepalive-timeout", "30", "--header-timeout", "30")
    held = [srv.connect() for _ in range(4)]
    for s in held:  # make sure the server accepted all four
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        assert Reader(s).response()[0] == 200
    # The fifth connects (kernel backlog) but is not served while paused.
    extra = srv.connect()
    extra.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    extra.settimeout(0.5)
    try:
        got = extra.recv(100)
    except TimeoutError:
        got = None
    assert got is None
    cpu0 = proc_cpu_seconds(srv.proc.pid)
    time.sleep(1.0)
    assert proc_cpu_seconds(srv.proc.pid) - cpu0 < 0.2  # paused, not spinning
    held[0].close()  # a slot frees: the waiting one is served
    extra.settimeout(5)
    st, _h, body = Reader(extra).response()
    assert st == 200 and body == b"Hello, World!"
    for s in held[1:]:
        s.close()


def test_many_idle_connections_then_service(start_server):
    srv = start_server("--keepalive-timeout", "30")
    conns = [srv.connect() for _ in range(200)]
    for s in conns[::20]:
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        assert Reader(s).response()[0] == 200
    assert wait_for(lambda: srv.proc.poll() is None, 0.1)
    for s in conns:
        s.close()


def test_idle_keepalive_connections_are_cheap(start_server):
    """Issue 2: 10,000 idle keep-alive connections under 8 KiB each. 2,000
    connections that each served a request and went idle show the slope."""
    srv = start_server("--keepalive-timeout", "60", "--header-timeout", "60")
    warm = [srv.connect() for _ in range(50)]
    for s in warm:
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        assert Reader(s).response()[0] == 200
    rss0 = proc_rss_kib(srv.proc.pid)
    conns = []
    for _ in range(2000):
        s = srv.connect()
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        conns.append(s)
    for s in conns:
        assert Reader(s).response()[0] == 200
    per_conn = (proc_rss_kib(srv.proc.pid) - rss0) * 1024 / len(conns)
    assert per_conn < 8192, per_conn
    for s in conns + warm:
        s.close()


def test_emfile_pauses_accepting_without_spinning(start_server, monkeypatch):
    import resource
    import subprocess as sp

    real_popen = sp.Popen

    def limited(*a, **kw):
        kw["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))
        return real_popen(*a, **kw)

    monkeypatch.setattr(sp, "Popen", limited)
    srv = start_server("--keepalive-timeout", "30", "--header-timeout", "30")
    monkeypatch.setattr(sp, "Popen", real_popen)
    conns = [srv.connect() for _ in range(60)]  # more than the server has descriptors
    time.sleep(0.3)
    cpu0 = proc_cpu_seconds(srv.proc.pid)
    time.sleep(1.0)
    assert proc_cpu_seconds(srv.proc.pid) - cpu0 < 0.2  # paused on EMFILE, not spinning
    for s in conns:
        s.close()
    time.sleep(0.5)
    s = srv.connect()
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    assert Reader(s).response()[0] == 200


def test_write_timeout_drops_a_client_that_stops_reading(start_server):
    srv = start_server("--write-timeout", "1")
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b"GET /stream?bytes=104857600 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(2.5)  # no progress for longer than the write timeout
    s.settimeout(5)
    total = 0
    while True:
        try:
            data = s.recv(1 << 20)
        except ConnectionResetError:
            break
        if not data:
            break
        total += len(data)
    assert total < 100 * 1024 * 1024  # cut short: the server gave up on it
