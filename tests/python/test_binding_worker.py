"""squall._worker.run_worker: lifecycle hooks, ready callback, stop from
another thread, graceful drain of in-flight requests, SIGTERM in a child."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

from test_binding_support import Route, Worker, get, needs_ext

pytestmark = needs_ext


def _package_parent() -> str:
    """Where the squall under test lives (in-tree, installed or sanitized)."""
    import squall

    return os.path.dirname(os.path.dirname(os.path.abspath(squall.__file__)))


def test_startup_and_shutdown_hooks_sync_and_async():
    events = []

    def sync_start():
        events.append("sync-start")

    async def async_start():
        await asyncio.sleep(0)
        events.append(("async-start", asyncio.current_task() is not None))

    def sync_stop():
        events.append("sync-stop")

    async def async_stop():
        events.append("async-stop")

    def hello():
        return events[:2]

    w = Worker(
        [Route("GET", "/", hello, inline=True)],
        on_startup=[sync_start, async_start],
        on_shutdown=[sync_stop, async_stop],
    )
    with w:
        assert get(w.port, "/").json() == ["sync-start", ["async-start", True]]
        assert "sync-stop" not in events
    assert events[-2:] == ["sync-stop", "async-stop"]
    assert w.result == [0]


def test_graceful_stop_lets_in_flight_requests_finish():
    started = threading.Event()

    async def slow():
        started.set()
        await asyncio.sleep(0.3)
        return "finished"

    def blocking():
        started.set()
        time.sleep(0.3)
        return "pool finished"

    for path in ("/slow", "/block"):
        started.clear()
        w = Worker([Route("GET", "/slow", slow, is_async=True), Route("GET", "/block", blocking)])
        with w:
            result = {}
            # Bind this iteration's values: the thread runs while they are current anyway.
            t = threading.Thread(
                target=lambda result=result, port=w.port, path=path: result.setdefault("r", get(port, path))
            )
            t.start()
            assert started.wait(5)
            t0 = time.monotonic()
            assert w.stop() == 0
            t.join(5)
            assert time.monotonic() - t0 >= 0.2
        assert result["r"].status == 200
        assert result["r"].json() in ("finished", "pool finished")
        # After the drain nothing listens any more.
        try:
            socket.create_connection(("127.0.0.1", w.port), timeout=1).close()
            refused = False
        except OSError:
            refused = True
        assert refused


def test_stop_requested_before_start_returns_promptly():
    w = Worker([Route("GET", "/", lambda: 1, inline=True)])
    w.control.stop()
    t0 = time.monotonic()
    w.thread.start()
    w.thread.join(10)
    assert not w.thread.is_alive()
    assert w.result == [0]
    assert time.monotonic() - t0 < 5


def test_failing_startup_hook_propagates_and_frees_the_port():
    def bad():
        raise RuntimeError("startup failed")

    w = Worker([Route("GET", "/", lambda: 1, inline=True)], on_startup=[bad])
    w.thread.start()
    w.thread.join(10)
    assert isinstance(w.result[0], RuntimeError)


def test_sigterm_drains_and_exits_zero_in_a_process():
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {_package_parent()!r})
        from squall import _squall
        from squall._worker import run_worker

        class Resp:
            pass

        async def slow():
            await asyncio.sleep(0.3)
            return "drained"

        def build(loop, executor):
            s = _squall.Server(port=0)
            s.configure(loop=loop, executor=executor, response_type=Resp,
                        error_handler=lambda e, r: None, validation_error_handler=None,
                        request_factory=lambda *a: None)
            s.add_route("GET", "/", slow, spec=None, kwnames=[], converters=[], body_kwarg=None,
                        body_converter=None, request_kwarg=None, is_async=True, inline=False,
                        status_code=200, wants_errors=False)
            return s

        def ready(port):
            print(port, flush=True)

        sys.exit(run_worker(build, ready=ready, on_shutdown=[lambda: print("bye", flush=True)]))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("r", get(port, "/")))
        t.start()
        time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        t.join(5)
        assert proc.wait(10) == 0
        assert proc.stdout.read().strip() == "bye"
        assert result["r"].json() == "drained"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # ours to close: an unclosed pipe is a ResourceWarning
