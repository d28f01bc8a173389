#!/usr/bin/env python3
"""Per-connection memory of build/squall-cserver with many idle keep-alive
connections while it serves load (issue 2, "Speed": 10,000 idle keep-alive
connections held at under 8 KiB each while serving that load).

What it does:
1. raises RLIMIT_NOFILE (inherited by the server) and starts the server with
   --max-connections large enough for the idle set plus the load;
2. warms the server with a short load run so its pools exist, then reads
   its RSS (the baseline);
3. opens N connections, sends one request on each and reads the answer, so
   every connection has served a request and sits idle in keep-alive (the
   realistic case: a browser's or a pool's parked connection);
4. runs load (wrk if installed, else a small Python pipelining client) on
   the other connections while the idle ones are held, and checks that the
   idle ones are still open and still served afterwards;
5. prints the RSS delta per idle connection (bytes) and exits non-zero if
   it is 8 KiB or more, or if anything failed.

RSS is the process's resident memory (user space: connection structs,
buffers); kernel socket buffers are not in it, as for nginx's figures.

Usage: python3 bench/idle_connections.py [--connections 10000]
       [--binary build/squall-cserver] [--load-seconds 5]
"""

import argparse
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUEST = b"GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n"
LOAD_CONNECTIONS = 64


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need if hard == resource.RLIM_INFINITY else min(need, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def start_server(binary, max_conns):
    args = [
        binary,
        "--port",
        "0",
        "--keepalive-timeout",
        "600",
        "--header-timeout",
        "600",
        "--max-connections",
        str(max_conns),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    if not ready:
        proc.kill()
        raise RuntimeError("server did not start")
    line = proc.stdout.readline().decode()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"unexpected: {line!r}")
    host, port = line.split()[-1].rsplit(":", 1)
    return proc, host, int(port)


def read_one_response(sock, buf):
    """Reads one Content-Length response from a blocking socket."""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise EOFError("closed")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            raise EOFError("closed in body")
        rest += data
    return status, rest[length:]


def open_idle(host, port, n):
    """N connections, each served one request, left open. Non-blocking in
    batches so the listen backlog never overflows."""
    conns = []
    batch = 500
    while len(conns) < n:
        group = []
        for _ in range(min(batch, n - len(conns))):
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(REQUEST)
            group.append(s)
        for s in group:
            status, _ = read_one_response(s, b"")
            if status != 200:
                raise RuntimeError(f"idle warm-up got {status}")
        conns += group
    return conns


def run_load(host, port, seconds):
    """Returns (tool, requests per second)."""
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t1", f"-c{LOAD_CONNECTIONS}", f"-d{seconds}s", f"http://{host}:{port}/plaintext"],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
        ).stdout
        for line in out.splitlines():
            if line.startswith("Requests/sec:"):
                return "wrk", float(line.split()[1])
            if "Non-2xx" in line or "Socket errors" in line:
                print("  wrk:", line.strip())
        raise RuntimeError("wrk output not understood:\n" + out)
    # Fallback: a few pipelining Python clients.
    socks = [socket.create_connection((host, port)) for _ in range(8)]
    done, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        for s in socks:
            s.sendall(REQUEST * 16)
        for s in socks:
            rest = b""
            for _ in range(16):
                status, rest = read_one_response(s, rest)
                done += status == 200
    for s in socks:
        s.close()
    return "python", done / seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "squall-cserver"))
    ap.add_argument("--load-seconds", type=int, default=5)
    a = ap.parse_args()

    n = a.connections
    # The client holds n sockets and the server n + the load: one limit
    # (inherited by the server) covers both.
    limit = raise_nofile(n + LOAD_CONNECTIONS + 256)
    if limit < n + LOAD_CONNECTIONS + 64:
        sys.exit(f"RLIMIT_NOFILE is {limit}, too low for {n} connections")
    proc, host, port = start_server(a.binary, n + LOAD_CONNECTIONS + 32)
    ok = False
    try:
        tool, rps = run_load(host, port, 2)  # warm-up: pools and buffers exist
        time.sleep(0.2)
        base = rss_kib(proc.pid)
        t = time.monotonic()
        conns = open_idle(host, port, n)
        opened = time.monotonic() - t
        after_open = rss_kib(proc.pid)
        tool, rps = run_load(host, port, a.load_seconds)
        after_load = rss_kib(proc.pid)
        # The idle connections are still open and still served.
        sample = conns[:: max(1, n // 50)]
        for s in sample:
            s.sendall(REQUEST)
            status, _ = read_one_response(s, b"")
            if status != 200:
                raise RuntimeError(f"idle connection got {status} after the load")
        worst = max(after_open, after_load)
        per_conn = (worst - base) * 1024.0 / n
        print(f"server: {a.binary} (pid {proc.pid})")
        print(f"idle keep-alive connections: {n} (opened in {opened:.1f} s)")
        print(
            f"RSS: baseline {base:.0f} KiB, with idle {after_open:.0f} KiB, after load {after_load:.0f} KiB"
        )
        print(f"load while idle held: {tool}, {LOAD_CONNECTIONS} connections, {rps:.0f} requests/s")
        print(f"RSS delta per idle connection: {per_conn:.0f} bytes (limit 8192)")
        ok = per_conn < 8192
        for s in conns:
            s.close()
    finally:
        proc.terminate()
        try:
            rc = proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        if rc != 0:
            print(f"server exit status {rc}")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
