"""``squall run`` / ``python -m squall run``: workers, crash replacement, SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import HAVE_EXTENSION, subprocess_env

pytestmark = pytest.mark.skipif(not HAVE_EXTENSION, reason="squall._squall is not built")

APP = textwrap.dedent(
    """
    import os
    from squall import Squall

    app = Squall()

    @app.get("/pid")
    async def pid():
        return {"pid": os.getpid()}
    """
)


def get(port: int, path: str) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    (tmp_path / "myapp.py").write_text(APP)
    env = subprocess_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "myapp:app", "--port", "0", *args],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if match is None:
        proc.kill()
        rest = proc.stderr.read()
        pytest.fail(f"no serving line: {line!r} {rest!r}")
    return proc, int(match.group(1))


def stop(proc: subprocess.Popen[str]) -> int:
    """SIGTERM, wait (draining stderr, closing the pipe) and return the exit status."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    return proc.returncode


def test_run_serves_and_sigterm_exits_zero(tmp_path: Path) -> None:
    proc, port = start(tmp_path)
    try:
        status, body = get(port, "/pid")
        assert status == 200 and body["pid"] != proc.pid
    finally:
        assert stop(proc) == 0


def test_workers_share_the_port_and_crashed_workers_are_replaced(tmp_path: Path) -> None:
    proc, port = start(tmp_path, "--workers", "2")
    try:
        pids = set()
        deadline = time.monotonic() + 10
        while len(pids) < 2 and time.monotonic() < deadline:
            pids.add(get(port, "/pid")[1]["pid"])
        assert len(pids) == 2, "both workers answer"
        victim = next(iter(pids))
        os.kill(victim, signal.SIGKILL)
        time.sleep(1.0)
        seen = set()
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            status, body = get(port, "/pid")
            assert status == 200
            seen.add(body["pid"])
        assert len(seen) == 2 and victim not in seen, "a new worker replaced the killed one"
    finally:
        assert stop(proc) == 0


def test_bad_target_is_a_clear_error(tmp_path: Path) -> None:
    env = subprocess_env()
    r = subprocess.run(
        [sys.executable, "-m", "squall", "run", "nosuchmodule:app"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode != 0 and "nosuchmodule" in r.stderr


def test_app_run(tmp_path: Path) -> None:
    script = tmp_path / "serve.py"
    script.write_text(APP + "\napp.run(port=0, workers=1)\n")
    env = subprocess_env()
    proc = subprocess.Popen(
        [sys.executable, str(script)], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    try:
        match = re.search(r"http://127\.0\.0\.1:(\d+)", proc.stderr.readline())
        assert match is not None
        status, body = get(int(match.group(1)), "/pid")
        assert status == 200 and isinstance(body["pid"], int)
    finally:
        assert stop(proc) == 0


def test_access_log(tmp_path: Path) -> None:
    proc, port = start(tmp_path, "--access-log")
    try:
        assert get(port, "/pid?tag=%0Aevil")[0] == 200
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    lines = [line for line in err.splitlines() if "/pid" in line]
    assert lines, err
    # A control character never reaches the log raw (no forged log lines).
    assert not any(line.startswith("evil") for line in err.splitlines())
