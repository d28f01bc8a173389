"""The standalone squall-server binary (embedded Python) serving a file's app
(issue 3 point 9)."""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from test_binding_support import get, needs_ext

pytestmark = needs_ext

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _binary() -> str:
    # Installed next to this interpreter (pip install .), else the in-tree
    # build (python3 setup.py build_ext --inplace), else on PATH.
    candidates = [
        os.path.join(os.path.dirname(sys.executable), "squall-server"),
        os.path.join(ROOT, "build", f"embed-{sys.implementation.cache_tag}", "squall-server"),
        shutil.which("squall-server") or "",
    ]
    # The freshest one: a stale install must not hide an in-tree rebuild
    # (scripts/test-python-asan tests the installed package but does not
    # reinstall the binary), nor an old in-tree build a fresh install.
    found = [path for path in candidates if path and os.access(path, os.X_OK)]
    if found:
        return max(found, key=os.path.getmtime)
    pytest.skip("squall-server is not built (python3 setup.py build_ext --inplace)")


def _package_parent() -> str:
    """Where the squall under test lives, for the binary's sys.path."""
    import squall

    return os.path.dirname(os.path.dirname(os.path.abspath(squall.__file__)))


APP = textwrap.dedent(
    """
    import sys
    from squall import Squall

    app = Squall()
    other = Squall()

    @app.get("/hello")
    async def hello():
        return {"message": "Hello, World!", "embedded": not sys.executable.endswith("python3")}

    @other.get("/hello")
    def hello_other():
        return {"message": "other app"}
    """
)


def _start(tmp_path, *args: str, before: tuple[str, ...] = ()) -> tuple[subprocess.Popen[str], int]:
    (tmp_path / "web_app.py").write_text(APP)
    env = dict(os.environ, PYTHONPATH=_package_parent())
    proc = subprocess.Popen(
        [_binary(), *before, str(tmp_path / "web_app.py"), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 15
    output = ""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=0.5):
                if proc.poll() is not None:
                    break
                continue
            line = proc.stdout.readline()
            if not line:
                break
            output += line
            m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if m:
                return proc, int(m.group(1))
    proc.kill()
    proc.wait()
    proc.stdout.close()
    raise AssertionError(f"squall-server did not start:\n{output}")


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # The pipe is ours to close (warnings are errors: an unclosed pipe
        # would fail whichever later test the garbage collector lands in).
        proc.stdout.close()


def test_squall_server_serves_the_files_app(tmp_path):
    proc, port = _start(tmp_path)
    try:
        r = get(port, "/hello")
        assert r.status == 200
        assert r.json() == {"message": "Hello, World!", "embedded": True}
        assert get(port, "/nope").status == 404
    finally:
        assert _stop(proc) == 0


def test_squall_server_app_option(tmp_path):
    proc, port = _start(tmp_path, "--app", "other")
    try:
        assert get(port, "/hello").json() == {"message": "other app"}
    finally:
        assert _stop(proc) == 0


def test_squall_server_usage_errors(tmp_path):
    binary = _binary()
    r = subprocess.run([binary], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run([binary, str(tmp_path / "missing.py")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "not a Python file" in r.stderr


def test_squall_server_help_is_its_own_not_cpythons():
    # CPython used to parse the options before the app path (parse_argv):
    # --help printed the interpreter's help, -V its version.
    binary = _binary()
    r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: squall-server path/to/app.py")
    assert "-c cmd" not in r.stdout + r.stderr
    r = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=30)
    assert "Python 3" not in r.stdout + r.stderr
    assert r.returncode == 2 and "not a Python file" in r.stderr


def test_squall_server_options_before_the_app_path(tmp_path):
    proc, port = _start(tmp_path, before=("--app", "other"))
    try:
        assert get(port, "/hello").json() == {"message": "other app"}
    finally:
        assert _stop(proc) == 0
