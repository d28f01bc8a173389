"""Review findings: per-connection memory of idle keep-alive connections
(issue 2, "Speed": under 8 KiB each). A connection that served a response
of a few KiB must not keep the output buffer that response needed.

RSS is measured on the plain build (build/squall-cserver): ASan's
quarantine keeps freed memory resident, which would hide the fix."""

import os

import pytest
from conftest import ROOT, Reader, proc_rss_kib


@pytest.fixture
def plain_server(start_server, monkeypatch):
    path = os.path.join(ROOT, "build", "squall-cserver")
    if not os.path.exists(path):
        pytest.skip("build/squall-cserver not built")
    monkeypatch.setenv("SQUALL_CSERVER", path)
    return start_server("--keepalive-timeout", "60", "--header-timeout", "60")


def idle_cost_per_connection(srv, request, n=1000):
    warm = [srv.connect() for _ in range(20)]
    for s in warm:
        s.sendall(request)
        assert Reader(s).response()[0] == 200
    rss0 = proc_rss_kib(srv.proc.pid)
    conns = []
    for _ in range(n):
        s = srv.connect()
        s.sendall(request)
        conns.append(s)
    for s in conns:
        st, _, body = Reader(s).response()
        assert st == 200 and body
    per_conn = (proc_rss_kib(srv.proc.pid) - rss0) * 1024 / n
    for s in conns + warm:
        s.close()
    return per_conn


def test_idle_connection_after_a_12k_response_is_cheap(plain_server):
    # 12,000 bytes streamed: the output buffer grows to 16 KiB for it.
    per_conn = idle_cost_per_connection(plain_server, b"GET /stream?bytes=12000 HTTP/1.1\r\nHost: a\r\n\r\n")
    assert per_conn < 8192, per_conn


def test_idle_connection_after_a_pipelined_burst_is_cheap(plain_server):
    per_conn = idle_cost_per_connection(plain_server, b"GET /json HTTP/1.1\r\nHost: a\r\n\r\n" * 64)
    assert per_conn < 8192, per_conn
