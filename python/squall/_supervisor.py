"""Pre-forked workers sharing one listening socket.

The supervisor binds the socket (SO_REUSEPORT, so a restarted supervisor or
a second one can bind too), compiles the app once, then forks the workers;
each runs squall._worker.run_worker with the inherited descriptor. A worker
that dies is replaced at once; SIGTERM or SIGINT is forwarded to every
worker, which drains its connections, and the supervisor exits 0 when all
are gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ._server import make_build_server

if TYPE_CHECKING:
    from ._app import Squall

__all__ = ["bind_socket", "run_worker_process", "serve", "worker_hooks"]

logger = logging.getLogger("squall.supervisor")

_POLL_INTERVAL: Final = 0.05  # how often dead workers are looked for
_DRAIN_TIMEOUT: Final = 30.0  # the core's default grace; stragglers are killed 5 s after it
_QUICK_DEATH: Final = 1.0  # a worker that dies this fast after starting counts as failing
_MAX_QUICK_DEATHS: Final = 10


def bind_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def worker_hooks(app: Squall) -> tuple[list[Callable[[], Any]], list[Callable[[], Any]]]:
    return list(app.startup_hooks), list(app.shutdown_hooks)


def run_worker_process(
    app: Squall, build_server: Callable[..., Any], ready: Callable[[int], Any] | None = None
) -> int:
    """Body of a worker process; returns its exit status. ``ready(port)`` is
    called once it serves."""
    from ._worker import run_worker  # type: ignore[import-not-found, unused-ignore]

    startup, shutdown = worker_hooks(app)
    try:
        run_worker(build_server, on_startup=startup, on_shutdown=shutdown, ready=ready)
    except KeyboardInterrupt:
        return 0
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def _fork_worker(app: Squall, build_server: Callable[..., Any]) -> int:
    pid = os.fork()
    if pid != 0:
        return pid
    # Child: default signal dispositions; the worker installs its own.
    status = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        status = run_worker_process(app, build_server)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def serve(
    app: Squall,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    access_log: bool = False,
    limits: Mapping[str, float] | None = None,
) -> int:
    """Run the supervisor until SIGTERM/SIGINT; returns the exit status."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    sock = bind_socket(host, port)
    build_server = make_build_server(
        app,
        host=host,
        port=sock.getsockname()[1],
        listen_fd=sock.fileno(),
        access_log=access_log,
        limits=limits,
    )
    stopping = False

    def on_stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    def stop_requested() -> bool:
        # A call, not the bare name: the signal handler above flips the flag
        # between any two statements, which a type checker's flow analysis
        # cannot see (it would call the re-check below unreachable).
        return stopping

    previous = {s: signal.signal(s, on_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    children: dict[int, float] = {}
    quick_deaths = 0
    status = 0
    print(
        f"squall: serving on http://{host}:{sock.getsockname()[1]} with {workers} worker(s)",
        file=sys.stderr,
        flush=True,
    )
    try:
        for _ in range(workers):
            children[_fork_worker(app, build_server)] = time.monotonic()
        while not stopping:
            time.sleep(_POLL_INTERVAL)
            for pid in list(children):
                done, code = os.waitpid(pid, os.WNOHANG)
                if done == 0:
                    continue
                started = children.pop(pid)
                if stop_requested():
                    break
                logger.warning(
                    "squall: worker %d exited (status %d); starting a new one",
                    pid,
                    os.waitstatus_to_exitcode(code),
                )
                quick_deaths = quick_deaths + 1 if time.monotonic() - started < _QUICK_DEATH else 0
                if quick_deaths >= _MAX_QUICK_DEATHS:
                    print("squall: workers keep failing at start-up; giving up", file=sys.stderr, flush=True)
                    stopping = True
                    status = 1
                    break
                children[_fork_worker(app, build_server)] = time.monotonic()
    finally:
        _stop_children(children, (limits or {}).get("grace", _DRAIN_TIMEOUT) + 5.0)
        sock.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return status


def _stop_children(children: dict[int, float], timeout: float) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while children and time.monotonic() < deadline:
        for pid in list(children):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                del children[pid]
        time.sleep(_POLL_INTERVAL)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        except ProcessLookupError:
            pass
