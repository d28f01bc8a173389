"""Review findings: deadline flags. A huge value means "practically never",
not "at once" (a double past INT64_MAX ms was cast to int64_t: undefined
behaviour, in practice a deadline in the past); NaN and infinity are
refused as usage errors."""

import subprocess
import time

from conftest import Reader, server_binary


def test_huge_keepalive_timeout_keeps_the_connection(start_server):
    srv = start_server("--keepalive-timeout", "1e300", "--header-timeout", "1e300")
    s = srv.connect()
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    r = Reader(s)
    assert r.response()[0] == 200
    time.sleep(0.5)
    assert not r.closed(timeout=0.5)
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
    assert r.response()[0] == 200


def test_non_finite_deadline_is_a_usage_error():
    for value in ("nan", "inf", "-inf"):
        p = subprocess.run(
            [server_binary(), "--port", "0", "--keepalive-timeout", value], capture_output=True, timeout=10
        )
        assert p.returncode == 2, (value, p.returncode, p.stderr)
        assert b"usage" in p.stderr
