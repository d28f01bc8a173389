"""One worker: one asyncio loop, one thread pool and one ``_squall.Server``.

The core's epoll descriptor is registered as a single reader in the asyncio
loop, so the HTTP engine and the asyncio loop are one loop in one thread:
no cross-thread hand-off per request. ``run_worker`` serves until SIGTERM or
SIGINT (when ``install_signals`` and in the main thread) or until
``WorkerControl.stop()`` is called from any thread, then drains gracefully.

Async endpoints run in the binding's own task type (``_squall.EndpointTask``,
src/python/endpoint_task.c): its first step runs inside the request's
dispatch, so any asyncio loop works; the worker uses a plain selector loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["WorkerControl", "default_threads", "new_event_loop", "run_worker"]

# How long to wait for thread-pool handlers still running after the core
# reports drained (the core has already cancelled them past its grace).
_THREAD_DRAIN_SECONDS = 30.0


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The loop a worker runs."""
    return asyncio.SelectorEventLoop()


def default_threads() -> int:
    """Thread-pool size for sync endpoints (as concurrent.futures' default)."""
    return min(32, (os.cpu_count() or 1) + 4)


class WorkerControl:
    """Thread-safe handle on a running worker: its port and a stop request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_requested = False
        self.port: int | None = None
        self.started = threading.Event()

    def stop(self) -> None:
        """Ask the worker to drain and return (callable from any thread)."""
        with self._lock:
            self._stop_requested = True
            loop, event = self._loop, self._stop
        if loop is not None and event is not None and not loop.is_closed():
            # RuntimeError: the loop closed in between, so it is already stopping.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    def _attach(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        with self._lock:
            self._loop, self._stop = loop, event
            if self._stop_requested:
                event.set()

    def _detach(self) -> None:
        with self._lock:
            self._loop = self._stop = None


async def _run_hooks(hooks: Iterable[Callable[[], Any]]) -> None:
    for hook in hooks:
        result = hook()
        if inspect.isawaitable(result):
            await result


async def _serve(
    loop: asyncio.AbstractEventLoop,
    executor: ThreadPoolExecutor,
    build_server: Callable[[asyncio.AbstractEventLoop, ThreadPoolExecutor], Any],
    on_startup: Iterable[Callable[[], Any]],
    on_shutdown: Iterable[Callable[[], Awaitable[Any] | Any]],
    install_signals: bool,
    ready: Callable[[int], Any] | None,
    control: WorkerControl | None,
) -> None:
    server = build_server(loop, executor)
    stop = asyncio.Event()
    installed: list[int] = []
    fd = -1
    try:
        server.start()
        # Startup hooks run before the first request is read.
        await _run_hooks(on_startup)
        fd = server.fileno()
        loop.add_reader(fd, server.poll)
        if install_signals and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
                installed.append(signum)
        if control is not None:
            control.port = server.port
            control._attach(loop, stop)
            control.started.set()
        if ready is not None:
            ready(server.port)
        # Connections that arrived before the reader was registered.
        loop.call_soon(server.poll)
        await stop.wait()

        server.shutdown()
        loop.call_soon(server.poll)
        while not server.drained():
            await asyncio.sleep(0.01)
        await _run_hooks(on_shutdown)
    finally:
        if control is not None:
            control._detach()
        for installed_signum in installed:
            loop.remove_signal_handler(installed_signum)
        if fd >= 0:
            loop.remove_reader(fd)
        # Thread-pool handlers the core gave up on still hold responders.
        deadline = time.monotonic() + _THREAD_DRAIN_SECONDS
        while server.inflight and time.monotonic() < deadline:
            loop.call_soon(server.poll)
            await asyncio.sleep(0.01)
        if not server.inflight:
            server.close()


def run_worker(
    build_server: Callable[[asyncio.AbstractEventLoop, ThreadPoolExecutor], Any],
    *,
    on_startup: Iterable[Callable[[], Any]] = (),
    on_shutdown: Iterable[Callable[[], Any]] = (),
    install_signals: bool = True,
    ready: Callable[[int], Any] | None = None,
    control: WorkerControl | None = None,
    threads: int | None = None,
) -> int:
    """Serve one worker until stopped; returns 0 after a graceful drain.

    ``build_server(loop, executor)`` returns a configured
    ``squall._squall.Server`` with its routes. ``ready(port)`` is called once
    the server listens and reads requests. ``control`` (optional) lets
    another thread stop the worker; ``threads`` sizes the sync pool.
    """
    loop = new_event_loop()
    executor = ThreadPoolExecutor(max_workers=threads or default_threads(), thread_name_prefix="squall-sync")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(
            _serve(
                loop,
                executor,
                build_server,
                on_startup,
                on_shutdown,
                install_signals,
                ready,
                control,
            )
        )
        return 0
    finally:
        try:
            _cancel_remaining(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
