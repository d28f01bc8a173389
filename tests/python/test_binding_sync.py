"""Sync endpoints (issue 3 point 5): the bounded thread pool by default,
inline=True on the loop thread; the GIL is free while the worker waits."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from test_binding_support import Route, Worker, _read_reply, get, needs_ext, param, spec

pytestmark = needs_ext


def test_blocking_def_handler_does_not_delay_fast_requests():
    def slow():
        time.sleep(0.2)
        return "slow"

    async def fast():
        return "fast"

    with Worker([Route("GET", "/slow", slow), Route("GET", "/fast", fast, is_async=True)]) as w:
        # 50 connections opened up front, so client overhead is not measured.
        conns = [socket.create_connection(("127.0.0.1", w.port), timeout=5) for _ in range(50)]
        slow_result = {}

        def slow_client():
            t0 = time.monotonic()
            slow_result["body"] = get(w.port, "/slow").json()
            slow_result["done"] = time.monotonic()
            slow_result["elapsed"] = slow_result["done"] - t0

        st = threading.Thread(target=slow_client)
        st.start()
        time.sleep(0.03)  # the slow request is in its handler now
        t_start = time.monotonic()
        for c in conns:
            c.sendall(b"GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        bodies = [_read_reply(c).json() for c in conns]
        fast_done = time.monotonic()
        for c in conns:
            c.close()
        st.join()
    assert bodies == ["fast"] * 50
    assert slow_result["body"] == "slow"
    assert slow_result["elapsed"] >= 0.2
    # All 50 fast requests were answered while the slow handler still slept.
    assert fast_done < slow_result["done"], (fast_done - t_start, slow_result)


def test_pool_and_inline_run_on_the_expected_threads():
    seen = {}

    def pooled():
        seen["pool"] = threading.current_thread().name
        return "p"

    def inline():
        seen["inline"] = threading.current_thread().name
        try:
            asyncio.get_running_loop()
            seen["inline_loop"] = True
        except RuntimeError:
            seen["inline_loop"] = False
        return "i"

    with Worker([Route("GET", "/p", pooled), Route("GET", "/i", inline, inline=True)]) as w:
        assert get(w.port, "/p").json() == "p"
        assert get(w.port, "/i").json() == "i"
        worker_thread = w.thread.name
    assert seen["pool"].startswith("squall-sync")
    assert seen["inline"] == worker_thread
    assert seen["inline_loop"] is True


def test_pool_handlers_run_in_parallel_and_receive_kwargs():
    barrier = threading.Barrier(4, timeout=5)

    def meet(n):
        barrier.wait()  # only returns once 4 handlers run at the same time
        return n

    s = spec(param("n", "path", {"type": "integer"}))
    with Worker([Route("GET", "/m/{n:int}", meet, spec=s, kwnames=("n",))], threads=8) as w:
        out = []

        def client(i):
            out.append(get(w.port, f"/m/{i}").json())

        threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(out) == [0, 1, 2, 3]


def test_pool_bounded_by_threads_setting():
    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def work():
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.03)
        with lock:
            active["now"] -= 1
        return "done"

    with Worker([Route("GET", "/w", work)], threads=2) as w:
        threads = [threading.Thread(target=lambda: get(w.port, "/w")) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert active["max"] == 2
