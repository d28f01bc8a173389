#!/usr/bin/env python3
"""RSS soak: the Python server's memory stays flat across 200,000 requests.

Issue 3, "How it is tested": a script, not a timed test. It starts
`python -m squall run` (one worker) on a small app whose routes cover the
paths a request can take through the binding:

  GET  /hello        async def returning a dict (JSON encoded in C)
  GET  /sync         def on the thread pool
  GET  /inline       def with inline=True (runs on the loop)
  POST /items        validated dataclass body (the item-small.json payload)
  GET  /invalid?k=x  a query parameter that fails validation -> 422
  GET  /http-error   raises HTTPException(409)              -> problem+json
  GET  /boom         raises RuntimeError                    -> 500, traceback logged
  GET  /request      uses `request: Request` (headers, query, path params)

drives N requests (default 200,000) over keep-alive connections with a
small multi-connection client (the request kinds rotate across the
connections, each connection keeps one request in flight), samples the
worker's VmRSS from /proc every 10,000 requests, prints the table and the
growth from the 50,000-request sample to the last one, and exits 1 if that
growth exceeds 5% (or if any reply had an unexpected status).

Run from the repository root (uses the package built in place):
    python3 bench/rss_soak.py [--requests 200000] [--connections 8]
Needs python/squall/_squall*.so for this interpreter; build it with
    python3 setup.py build_ext --inplace -q
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ITEM_FILE = "/work/shared/bench/item-small.json"
FALLBACK_ITEM = b'{"name":"Widget","price":19.99,"quantity":3,"tags":["blue","large","sale"],"active":true}'

APP_SOURCE = """
import dataclasses
import os

from squall import HTTPException, PlainTextResponse, Request, Squall

app = Squall()

# --leak-bytes (a check of this script): /hello keeps that much per call.
LEAK = int(os.environ.get("RSS_SOAK_LEAK", "0"))
kept = []


@dataclasses.dataclass
class Item:
    name: str
    price: float
    quantity: int
    tags: list[str] = dataclasses.field(default_factory=list)
    active: bool = True


@app.get("/hello")
async def hello():
    if LEAK:
        kept.append(bytearray(LEAK))
    return {"message": "Hello, World!"}


@app.get("/sync")
def sync_pool():
    return {"where": "pool", "numbers": list(range(10))}


@app.get("/inline", inline=True)
def inline_plain():
    return PlainTextResponse("Hello, World!")


@app.post("/items")
async def create_item(item: Item):
    return {"name": item.name, "total": item.price * item.quantity, "tags": item.tags}


@app.get("/invalid")
async def needs_int(k: int):
    return {"k": k}


@app.get("/http-error")
async def http_error():
    raise HTTPException(409, "already there")


@app.get("/boom")
async def boom():
    raise RuntimeError("soak: deliberate failure")


@app.get("/request/{name}")
async def with_request(request: Request, name: str):
    return {
        "method": request.method,
        "path": request.url.path,
        "name": request.path_params["name"],
        "q": request.query_params.get("q"),
        "agent": request.headers.get("user-agent"),
        "cookie": request.cookies.get("c"),
    }
"""


def request_kinds(item_body: bytes) -> list[tuple[bytes, int]]:
    """(raw request, expected status) for each route."""

    def get(target: str) -> bytes:
        return (
            f"GET {target} HTTP/1.1\r\nHost: soak\r\nUser-Agent: rss-soak\r\nCookie: c=1\r\n\r\n"
        ).encode()

    post = (
        b"POST /items HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(item_body)).encode() + b"\r\n\r\n" + item_body
    )
    return [
        (get("/hello"), 200),
        (get("/sync"), 200),
        (get("/inline"), 200),
        (post, 200),
        (get("/invalid?k=x"), 422),
        (get("/http-error"), 409),
        (get("/boom"), 500),
        (get("/request/soak?q=one&q=two"), 200),
    ]


# ---- the client ------------------------------------------------------------


class Conn:
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, host: str, port: int):
        self.addr = (host, port)
        self.sock: socket.socket | None = None
        self.buf = b""
        self.expect = 0
        self.reconnects = -1
        self.open()

    def open(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = socket.create_connection(self.addr, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.reconnects += 1

    def send(self, raw: bytes, expect: int) -> None:
        self.expect = expect
        self.sock.sendall(raw)

    def try_parse(self) -> tuple[int, bool] | None:
        """(status, keep-alive) once a whole response is buffered."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, keep = 0, True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                raise RuntimeError("unexpected chunked reply")
            elif name == "connection" and value == "close":
                keep = False
        if len(self.buf) < end + 4 + length:
            return None
        self.buf = self.buf[end + 4 + length :]
        return status, keep


def drive(
    conns: list[Conn], kinds: list[tuple[bytes, int]], count: int, start: int, wrong: dict[int, int]
) -> None:
    """Sends `count` requests, rotating the kinds across the connections."""
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    sent = done = 0
    index = start
    for c in conns:
        if sent < count:
            raw, expect = kinds[index % len(kinds)]
            index += 1
            c.send(raw, expect)
            sent += 1
    while done < count:
        events = sel.select(timeout=30)
        if not events:
            raise RuntimeError("no reply for 30 s")
        for key, _ in events:
            c = key.data
            chunk = c.sock.recv(65536)
            if not chunk:
                raise RuntimeError("server closed a keep-alive connection mid-request")
            c.buf += chunk
            while True:
                parsed = c.try_parse()
                if parsed is None:
                    break
                status, keep = parsed
                done += 1
                if status != c.expect:
                    wrong[status] = wrong.get(status, 0) + 1
                if not keep:
                    sel.unregister(c.sock)
                    c.open()
                    sel.register(c.sock, selectors.EVENT_READ, c)
                if sent < count:
                    raw, expect = kinds[index % len(kinds)]
                    index += 1
                    c.send(raw, expect)
                    sent += 1
                break
    sel.close()


# ---- the server ------------------------------------------------------------


def worker_pids(supervisor: int) -> list[int]:
    """Children of the supervisor (the pre-forked workers)."""
    pids = []
    for path in glob.glob(f"/proc/{supervisor}/task/*/children"):
        try:
            with open(path) as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return sorted(set(pids))


def vm_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def start_server(python: str, app_dir: str, log_path: str, leak: int) -> tuple[subprocess.Popen, int, int]:
    env = dict(os.environ)
    env["RSS_SOAK_LEAK"] = str(leak)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "python"), app_dir])
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [python, "-m", "squall", "run", "rss_soak_app:app", "--port", "0", "--workers", "1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=app_dir,
    )
    log.close()
    deadline = time.monotonic() + 30
    port = None
    while time.monotonic() < deadline and port is None:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited at start:\n{open(log_path).read()}")
        m = re.search(r"serving on http://[^:]+:(\d+)", open(log_path, errors="replace").read())
        if m:
            port = int(m.group(1))
        else:
            time.sleep(0.05)
    if port is None:
        raise RuntimeError("server did not start in 30 s")
    workers: list[int] = []
    while time.monotonic() < deadline and not workers:
        workers = worker_pids(proc.pid)
        time.sleep(0.05)
    if len(workers) != 1:
        raise RuntimeError(f"expected one worker, found {workers}")
    while time.monotonic() < deadline:  # the worker binds after forking
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, port, workers[0]


def stop_server(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def extension_present() -> bool:
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return os.path.exists(os.path.join(ROOT, "python", "squall", "_squall" + suffix))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200_000)
    ap.add_argument("--every", type=int, default=10_000, help="sample RSS every N requests")
    ap.add_argument(
        "--baseline",
        type=int,
        default=50_000,
        help="growth is measured from the sample at this many requests",
    )
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--max-growth", type=float, default=5.0, help="percent")
    ap.add_argument(
        "--leak-bytes",
        type=int,
        default=0,
        help="make /hello leak this much per call (to see the check fail)",
    )
    args = ap.parse_args()
    if (
        args.every <= 0
        or args.requests % args.every
        or args.baseline % args.every
        or not 0 < args.baseline < args.requests
        or args.connections < 1
    ):
        ap.error("--requests and --baseline must be positive multiples of --every, baseline < requests")
    if not extension_present():
        print("rss_soak: building the extension in place", file=sys.stderr)
        subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace", "-q"], cwd=ROOT, check=True)

    try:
        with open(ITEM_FILE, "rb") as f:
            item_body = f.read()
    except OSError:
        item_body = FALLBACK_ITEM
    kinds = request_kinds(item_body)

    with tempfile.TemporaryDirectory(prefix="rss-soak-") as app_dir:
        with open(os.path.join(app_dir, "rss_soak_app.py"), "w") as f:
            f.write(APP_SOURCE)
        log_path = os.path.join(app_dir, "server.log")
        proc, port, worker = start_server(sys.executable, app_dir, log_path, args.leak_bytes)
        samples: list[tuple[int, int, float]] = []
        wrong: dict[int, int] = {}
        conns: list[Conn] = []
        failure = None
        try:
            conns = [Conn("127.0.0.1", port) for _ in range(args.connections)]
            started = time.monotonic()
            samples.append((0, vm_rss_kib(worker), 0.0))
            for done in range(args.every, args.requests + 1, args.every):
                drive(conns, kinds, args.every, done - args.every, wrong)
                samples.append((done, vm_rss_kib(worker), time.monotonic() - started))
        except Exception as e:  # report what we have, then fail
            failure = f"{type(e).__name__}: {e}"
        finally:
            for c in conns:
                c.sock.close()
            rc = stop_server(proc)
            log_size = os.path.getsize(log_path)
            with open(log_path, errors="replace") as f:
                log_text = f.read()
        reconnects = sum(c.reconnects for c in conns)

    print(f"{'requests':>9} {'VmRSS KiB':>10} {'vs ' + str(args.baseline):>10} {'elapsed s':>9}")
    base = dict((n, rss) for n, rss, _ in samples).get(args.baseline)
    for n, rss, t in samples:
        rel = f"{(rss - base) * 100.0 / base:+.2f}%" if base and n >= args.baseline else ""
        print(f"{n:>9} {rss:>10} {rel:>10} {t:>9.1f}")
    print(
        f"connections {args.connections}, reconnects {reconnects}, "
        f"server log {log_size} bytes, server exit status {rc}"
    )
    if failure:
        print(f"FAIL: {failure}")
        print(log_text[-2000:])
        return 1
    if wrong:
        print(f"FAIL: unexpected statuses {wrong}")
        return 1
    if "Traceback" not in log_text or "deliberate failure" not in log_text:
        print("FAIL: the /boom tracebacks were not logged (is the 500 path exercised?)")
        return 1
    last_n, last_rss, _ = samples[-1]
    growth = (last_rss - base) * 100.0 / base
    print(
        f"growth from {args.baseline} to {last_n} requests: {last_rss - base:+d} KiB ({growth:+.2f}%), "
        f"limit {args.max_growth:.1f}%"
    )
    if growth > args.max_growth:
        print("FAIL: RSS grew")
        return 1
    print("OK: RSS flat")
    return 0


if __name__ == "__main__":
    sys.exit(main())
