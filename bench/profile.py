#!/usr/bin/env python3
"""Where the time goes (issue 5 point 7): instructions per request, by function group.

    python bench/profile.py                  cserver (b) and Squall (b), (e);
                                             writes docs/benchmarks/profile-auto.md
    python bench/profile.py --requests 500 --out /tmp/profile.md

For each server and scenario:
1. callgrind: the server runs under valgrind with instrumentation off; after a
   warm-up, instrumentation is switched on for exactly --requests sequential
   keep-alive requests, then dumped. The self cost (Ir) of every function is
   grouped by what it does (source file for Squall's C, object file for the
   interpreter and libraries) and divided by the request count.
2. strace -c: the same server without valgrind, strace attached to all its
   threads for the same number of requests: system calls per request.
   (Hardware counters are not available on these machines, so the kernel side
   of a system call is counted in calls, not in instructions.)

Uses the bench venv (bench/.venv, made by bench/run.py) and build/squall-cserver.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import contextlib

from benchkit import procstat
from benchkit import scenarios as S
from benchkit.contenders import APPS, REPO
from benchkit.setup_env import VENV_BIN, ensure_cserver, ensure_squall, log

# (group, test) in order: the first that matches names the group.
CORE_FILES = [
    (
        "HTTP parsing",
        ("http1_", "percent_decode", "query_split", "body_decode", "form_urlencoded", "multipart"),
    ),
    ("routing", ("router",)),
    (
        "JSON parsing + validation",
        (
            "json_reader",
            "schema_",
            "validator",
            "param_coerce",
            "error_list",
            "validation_problem",
            "problem",
        ),
    ),
    ("JSON encoding", ("json_writer", "python_to_json")),
    ("JSON -> Python objects", ("json_to_python",)),
    (
        "Python call (binding)",
        (
            "dispatch",
            "coroutine_driver",
            "request_ctx",
            "module",
            "server_type",
            "src/python/response",
            "/response.c",
        ),
    ),
    (
        "event loop, connections, responses",
        (
            "loop",
            "server",
            "connection",
            "responder",
            "response_writer",
            "date_cache",
            "buf",
            "arena",
            "config",
            "common",
            "access_log",
        ),
    ),
]
SYSCALL_WRAPPERS = re.compile(
    r"^(__)?(epoll_\w+|read|readv|write|writev|recv\w*|send\w*|accept4?|close|"
    r"eventfd\w*|timerfd\w*|syscall|__libc_\w+|__GI___\w+|__internal_syscall\w*|"
    r"clock_gettime\w*|__clock_gettime\w*|futex\w*|__lll_\w+|pthread_cond_\w+)$"
)
MEMORY = re.compile(r"(malloc|free|calloc|realloc|memalign|_int_\w+|tcache|arena_get|sysmalloc|brk)")
LINE = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(.*?)\s+\[(.+)\]\s*$")
RECURSION = re.compile(r"'\d+$")
TOTAL = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?PROGRAM TOTALS")


def group_of(fileloc: str, obj: str) -> str:
    """fileloc is callgrind_annotate's "file:function"; obj the object it lives in."""
    file, _, func = fileloc.rpartition(":")
    base = os.path.basename(obj)
    in_squall = "squall" in base or "src/core" in file or "src/python" in file
    if in_squall:
        for group, keys in CORE_FILES:
            if any(k in file for k in keys):
                return group
        if func.startswith("sq_router"):
            return "routing"
        if func.startswith(("sq_http1", "sq_chunked")):
            return "HTTP parsing"
        if func.startswith(("sq_schema", "sq_validator", "sq_json_parse")):
            return "JSON parsing + validation"
        return "Squall C, other"
    if "pcre2" in base:
        return "JSON parsing + validation"
    if base.startswith("_asyncio"):
        return "asyncio's C module (_asyncio)"
    if base.startswith(("python", "libpython")) or "lib-dynload" in obj or "site-packages" in obj:
        return "Python interpreter (handler, asyncio)"
    if base.startswith(("libc.", "libc-", "ld-linux", "libpthread")):
        if SYSCALL_WRAPPERS.match(func):
            return "syscall wrappers (user side)"
        if MEMORY.search(func):
            return "memory allocation"
        return "libc, other (memcpy, string)"
    return "other"


def annotate(paths: list[str]) -> tuple[int, dict[str, int], list[tuple[int, str, str]]]:
    total, groups, merged = 0, {}, {}
    for path in paths:
        r = subprocess.run(
            ["callgrind_annotate", "--inclusive=no", "--threshold=100", path], capture_output=True, text=True
        )
        for line in r.stdout.splitlines():
            m = TOTAL.match(line)
            if m:
                total += int(m.group(1).replace(",", ""))
                continue
            m = LINE.match(line)
            if not m:
                continue
            ir = int(m.group(1).replace(",", ""))
            g = group_of(m.group(2), m.group(3))
            groups[g] = groups.get(g, 0) + ir
            # "path/file.c:func'2" (a recursive call level) -> "file.c:func"
            file, _, func = m.group(2).rpartition(":")
            name = os.path.basename(file) + ":" + RECURSION.sub("", func)
            key = (name, os.path.basename(m.group(3)))
            merged[key] = merged.get(key, 0) + ir
    top = sorted(((ir, name, obj) for (name, obj), ir in merged.items()), reverse=True)
    return total, groups, top[:15]


class Client:
    """Sequential keep-alive requests on one connection (a fixed, countable load)."""

    def __init__(self, port: int, method: str, path: str, body: bytes | None):
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.req = (head + "\r\n").encode() + (body or b"")
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def one(self) -> int:
        self.sock.sendall(self.req)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        n = int(m.group(1)) if m else 0
        while len(rest) < n:
            self._recv()
            head, _, rest = self.buf.partition(b"\r\n\r\n")
        self.buf = rest[n:]
        return status

    def _recv(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def run(self, n: int, want: int) -> None:
        for _ in range(n):
            st = self.one()
            if st != want:
                raise RuntimeError(f"status {st}, expected {want}")

    def close(self) -> None:
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_argv(target: str, port: int) -> tuple[list[str], str]:
    if target == "cserver":
        return [os.path.join(REPO, "build", "squall-cserver"), "--port", str(port), "--workers", "1"], REPO
    return [
        os.path.join(VENV_BIN, "python"),
        "-m",
        "squall",
        "run",
        "app:app",
        "--port",
        str(port),
        "--workers",
        "1",
    ], os.path.join(APPS, "squall")


def start(argv: list[str], cwd: str, port: int, timeout: float, log_path: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.path.join(APPS, "_shared"), "PYTHONDONTWRITEBYTECODE": "1"}
    p = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"server exited: {open(log_path, errors='replace').read()[-400:]}")
        try:
            c = Client(port, "GET", "/json", None)
            c.one()
            c.close()
            return p
        except OSError:
            time.sleep(0.3)
    stop(p)
    raise RuntimeError(f"server not ready after {timeout:.0f} s")


def stop(p: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
                p.wait(timeout=wait)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


def callgrind_profile(target: str, sc: S.Scenario, n: int, warmup: int, tmp: str) -> dict:
    port = free_port()
    argv, cwd = server_argv(target, port)
    out = os.path.join(tmp, f"cg-{target}-{sc.id}.%p")
    vg = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--trace-children=yes",
        f"--callgrind-out-file={out}",
        "--quiet",
        *argv,
    ]
    p = start(vg, cwd, port, 240, os.path.join(tmp, f"{target}-{sc.id}.log"))
    try:
        body = S.body_bytes(sc.body_file)
        client = Client(port, sc.method, sc.path, body)
        client.run(warmup, sc.expect_status)
        pids = [str(x) for x in procstat.tree(p.pid)]
        subprocess.run(["callgrind_control", "-i", "on", *pids], capture_output=True)
        client.run(n, sc.expect_status)
        subprocess.run(["callgrind_control", "-d", *pids], capture_output=True)
        subprocess.run(["callgrind_control", "-i", "off", *pids], capture_output=True)
        client.close()
    finally:
        stop(p)
    files = [f for f in glob.glob(out.replace("%p", "*")) if re.search(r"\.\d+\.\d+$", f)]
    total, groups, top = annotate(files)
    return {"total": total, "groups": groups, "top": top}


def strace_profile(target: str, sc: S.Scenario, n: int, warmup: int, tmp: str) -> dict:
    port = free_port()
    argv, cwd = server_argv(target, port)
    p = start(argv, cwd, port, 60, os.path.join(tmp, f"{target}-{sc.id}-strace.log"))
    out = os.path.join(tmp, f"strace-{target}-{sc.id}.txt")
    try:
        body = S.body_bytes(sc.body_file)
        client = Client(port, sc.method, sc.path, body)
        client.run(warmup, sc.expect_status)
        attach = []
        for pid in procstat.tree(p.pid):
            attach += ["-p", str(pid)]
        st = subprocess.Popen(["strace", "-c", "-f", "-o", out, *attach], stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # let strace attach to every thread
        client.run(n, sc.expect_status)
        st.send_signal(signal.SIGINT)
        st.wait(timeout=20)
        client.close()
    finally:
        stop(p)
    calls = {}
    for line in open(out, errors="replace"):
        parts = line.split()
        if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
            with contextlib.suppress(ValueError):
                calls[parts[-1]] = int(parts[3])
    return calls


def render(results: list[dict], n: int, warmup: int, command: str, stamp: str) -> str:
    lines = [
        "# Where the time goes: instructions per request",
        "",
        f"Generated by `{command}` ({stamp}): {n} sequential keep-alive requests per case after a warm-up of "
        f"{warmup}, on one connection. Instructions are user-space instructions counted by callgrind "
        "(valgrind) while the measured requests ran, per request, grouped by what the code does; kernel "
        "work is not counted in instructions (no hardware counters on these machines), so the system "
        "calls per request are given separately, counted by `strace -c` over the same number of "
        "requests without valgrind.",
        "",
    ]
    lines += ["| case | instructions / request (user space) | system calls / request |", "|---|---:|---:|"]
    for r in results:
        if r.get("error"):
            lines.append(f"| {r['title']} | not measured | - |")
            continue
        sc = sum((r.get("syscalls") or {}).values())
        lines.append(
            f"| {r['title']} | {r['callgrind']['total'] / n:,.0f} | {f'{sc / n:.2f}' if sc else '-'} |"
        )
    lines += [
        "",
        "Groups are by self cost: an interpreter function called from Squall's C (creating a str, "
        "hashing a dict key) counts under the interpreter.",
        "",
    ]
    for r in results:
        lines += [f"## {r['title']}", ""]
        if r.get("error"):
            lines += [f"Not measured: {r['error']}", ""]
            continue
        cg = r["callgrind"]
        per = cg["total"] / n if n else 0
        lines += [
            f"**{per:,.0f} instructions per request** (user space).",
            "",
            "| group | instructions / request | share |",
            "|---|---:|---:|",
        ]
        for g, ir in sorted(cg["groups"].items(), key=lambda kv: -kv[1]):
            lines.append(f"| {g} | {ir / n:,.0f} | {100 * ir / max(cg['total'], 1):.1f}% |")
        lines += [
            "",
            "Heaviest functions (self cost per request):",
            "",
            "| function | object | instr. / request |",
            "|---|---|---:|",
        ]
        for ir, fn, obj in cg["top"]:
            lines.append(f"| `{fn}` | {obj} | {ir / n:,.0f} |")
        calls = r.get("syscalls") or {}
        if calls:
            total = sum(calls.values())
            lines += [
                "",
                f"System calls per request: **{total / n:.2f}** ("
                + ", ".join(
                    f"{k} {v / n:.2f}"
                    for k, v in sorted(calls.items(), key=lambda kv: -kv[1])
                    if v / n >= 0.01
                )
                + ")",
            ]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=2000, help="measured requests per case (default 2000)")
    ap.add_argument("--warmup", type=int, default=300, help="requests before measuring (default 300)")
    ap.add_argument("--targets", default="cserver,squall", help="cserver,squall")
    ap.add_argument("--scenarios", default="json,order", help="scenario ids (cserver only serves json)")
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks", "profile-auto.md"))
    ap.add_argument("--no-strace", action="store_true")
    a = ap.parse_args(argv)
    for tool in ("valgrind", "callgrind_annotate", "callgrind_control"):
        if shutil.which(tool) is None:
            log(f"{tool} is missing: apt-get install valgrind")
            return 2
    command = " ".join(["python bench/profile.py", *argv])
    scen = S.by_id()
    results = []
    with tempfile.TemporaryDirectory(prefix="squall-profile-") as tmp:
        for target in a.targets.split(","):
            why = ensure_cserver() if target == "cserver" else ensure_squall()
            for sid in a.scenarios.split(","):
                sc = scen[sid]
                if target == "cserver" and sid not in ("plaintext", "json"):
                    continue
                title = (
                    f"{'squall-cserver' if target == 'cserver' else 'Squall (Python handler)'}: "
                    f"({sc.letter}) {sc.title}"
                )
                entry = {"title": title}
                if why:
                    entry["error"] = why
                else:
                    try:
                        log(f"callgrind: {title}")
                        entry["callgrind"] = callgrind_profile(target, sc, a.requests, a.warmup, tmp)
                        if not a.no_strace and shutil.which("strace"):
                            log(f"strace: {title}")
                            entry["syscalls"] = strace_profile(target, sc, a.requests, a.warmup, tmp)
                    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                        entry["error"] = str(e)
                results.append(entry)
    commit = (
        subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    stamp = f"commit {commit}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    text = render(results, a.requests, a.warmup, command, stamp)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    log(f"written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
