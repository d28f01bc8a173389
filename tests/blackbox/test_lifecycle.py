"""Back-pressure, cross-thread answers, graceful shutdown, workers."""

import contextlib
import os
import signal
import socket
import time

from conftest import Reader, proc_rss_kib, wait_for


def test_client_that_never_reads_costs_bounded_memory(start_server):
    srv = start_server("--write-timeout", "30")
    rss0 = proc_rss_kib(srv.proc.pid)
    s = srv.connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /stream?bytes=104857600 HTTP/1.1\r\nHost: a\r\n\r\n")  # 100 MiB
    time.sleep(1.5)
    grown = proc_rss_kib(srv.proc.pid) - rss0
    assert grown < 16 * 1024, grown  # KiB: a bounded buffer, not 100 MiB
    # The server still serves others meanwhile.
    o = srv.connect()
    o.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    assert Reader(o).response()[0] == 200
    s.close()


def test_stream_completes_when_read_slowly(start_server):
    srv = start_server()
    s = srv.connect()
    s.sendall(b"GET /stream?bytes=3000000 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.3)
    st, _h, body = Reader(s).response()
    assert st == 200 and len(body) == 3000000


def test_client_gone_while_slow_is_cancelled(start_server):
    srv = start_server()
    s = srv.connect()
    s.sendall(b"GET /slow?ms=300 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.05)
    s.close()
    time.sleep(0.5)
    o = srv.connect()
    o.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    assert Reader(o).response()[0] == 200


def test_graceful_shutdown_answers_in_flight(start_server):
    srv = start_server("--grace", "10")
    socks = []
    for i in range(5):
        s = srv.connect(timeout=10)
        s.sendall(b"GET /slow?ms=%d HTTP/1.1\r\nHost: a\r\n\r\n" % (300 + 100 * i))
        socks.append(s)
    idle = srv.connect()
    time.sleep(0.1)
    srv.proc.send_signal(signal.SIGTERM)
    for s in socks:
        st, h, body = Reader(s).response()
        assert st == 200 and body == b"slow done"
        assert h.get("connection") == "close"
    assert Reader(idle).closed(timeout=3)
    assert srv.proc.wait(timeout=10) == 0
    err = srv.stderr_text()
    assert "AddressSanitizer" not in err, err


def test_grace_period_expires(start_server):
    srv = start_server("--grace", "0.5")
    s = srv.connect()
    s.sendall(b"GET /slow?ms=5000 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.1)
    t = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=5) == 0
    assert time.monotonic() - t < 3


def children(pid):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            out += [int(x) for x in f.read().split()]
    return out


def tcp_sockets(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return n


def test_two_workers_and_restart(start_server):
    srv = start_server(workers=2)
    kids = children(srv.proc.pid)
    assert len(kids) == 2
    # Both workers take connections (SO_REUSEPORT spreads them): with 24
    # connections held open, each worker owns some of them.
    base = {k: tcp_sockets(k) for k in kids}
    held = []
    for _ in range(24):
        s = srv.connect()
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
        assert Reader(s).response()[0] == 200
        held.append(s)
    assert all(tcp_sockets(k) > base[k] for k in kids), [(tcp_sockets(k), base[k]) for k in kids]
    for s in held:
        s.close()
    for _ in range(20):
        s = srv.connect()
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert Reader(s).response()[0] == 200
    os.kill(kids[0], signal.SIGKILL)
    assert wait_for(lambda: len(children(srv.proc.pid)) == 2 and kids[0] not in children(srv.proc.pid), 1.0)
    time.sleep(0.2)
    for _ in range(20):
        s = srv.connect()
        s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert Reader(s).response()[0] == 200
