"""Async endpoints driven from C (issue 3 point 4): eager first step, a real
current Task, timeouts, cancellation on disconnect, per-request contextvars,
gather, anyio and an async HTTP client inside handlers."""

from __future__ import annotations

import asyncio
import contextvars
import socket
import threading
import time
import traceback

import pytest
from test_binding_support import Route, TeapotError, Worker, get, needs_ext, param, spec

pytestmark = needs_ext


def test_first_step_runs_inside_dispatch_as_the_current_task():
    seen = {}

    async def no_await():
        task = asyncio.current_task()
        seen["task"] = task
        seen["loop_thread"] = threading.get_ident()
        seen["running"] = asyncio.get_running_loop()
        return {"name": type(task).__name__ if task else None}

    with Worker([Route("GET", "/", no_await, is_async=True)]) as w:
        r = get(w.port, "/")
        assert r.status == 200
        assert r.json() == {"name": "EndpointTask"}
    assert seen["task"].get_name() == "squall-endpoint"
    # A coroutine that never suspends finished within its first step.
    assert seen["task"].done()


def test_no_suspend_handler_answers_without_a_loop_turn():
    """Between on_request and the answer no other callback may run: a
    call_soon scheduled by the handler has not run when the reply is built."""
    order = []

    async def handler():
        loop = asyncio.get_running_loop()
        loop.call_soon(order.append, "later")
        order.append("handler")
        return "ok"

    async def check():
        return list(order)

    with Worker(
        [Route("GET", "/", handler, is_async=True), Route("GET", "/order", check, is_async=True)]
    ) as w:
        assert get(w.port, "/").json() == "ok"
        assert get(w.port, "/order").json() == ["handler", "later"]


def test_suspending_handlers_and_results():
    async def slow(n):
        await asyncio.sleep(0.02)
        return {"n": n, "task": asyncio.current_task() is not None}

    s = spec(param("n", "path", {"type": "integer"}))
    with Worker([Route("GET", "/slow/{n:int}", slow, spec=s, kwnames=("n",), is_async=True)]) as w:
        assert get(w.port, "/slow/3").json() == {"n": 3, "task": True}


def test_timeout_inside_handler():
    async def timed():
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(5)
        except TimeoutError:
            return "timed out"
        return "not reached"

    async def timed_out_unhandled():
        async with asyncio.timeout(0.01):
            await asyncio.sleep(5)

    async def wait_for():
        try:
            await asyncio.wait_for(asyncio.sleep(5), 0.02)
        except TimeoutError:
            return "wait_for timed out"

    routes = [
        Route("GET", "/t", timed, is_async=True),
        Route("GET", "/u", timed_out_unhandled, is_async=True),
        Route("GET", "/w", wait_for, is_async=True),
    ]
    with Worker(routes) as w:
        t0 = time.monotonic()
        assert get(w.port, "/t").json() == "timed out"
        assert time.monotonic() - t0 < 2
        assert get(w.port, "/u").status == 500
        assert get(w.port, "/w").json() == "wait_for timed out"


def test_contextvars_isolated_per_request_under_concurrency():
    var: contextvars.ContextVar[int] = contextvars.ContextVar("req_id", default=-1)

    async def handler(i):
        assert var.get() == -1  # nothing leaks in from other requests
        var.set(i)
        await asyncio.sleep(0.01 * (i % 5))
        await asyncio.sleep(0)
        return {"i": i, "seen": var.get()}

    s = spec(param("i", "path", {"type": "integer"}))
    with Worker([Route("GET", "/v/{i:int}", handler, spec=s, kwnames=("i",), is_async=True)]) as w:
        out = {}

        def client(i):
            out[i] = get(w.port, f"/v/{i}").json()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(out) == 30
    for i, body in out.items():
        assert body == {"i": i, "seen": i}


def test_gather_and_child_tasks():
    async def child(x):
        await asyncio.sleep(0.01)
        return x * 2

    async def handler():
        parent = asyncio.current_task()
        results = await asyncio.gather(child(1), child(2), child(3))
        task = asyncio.create_task(child(10))
        done = await task
        return {"results": results, "done": done, "same": asyncio.current_task() is parent}

    with Worker([Route("GET", "/", handler, is_async=True)]) as w:
        assert get(w.port, "/").json() == {"results": [2, 4, 6], "done": 20, "same": True}


def test_exceptions_in_async_handlers():
    async def early():
        raise TeapotError("before await")

    async def late():
        await asyncio.sleep(0.01)
        raise TeapotError("after await")

    async def crash():
        await asyncio.sleep(0)
        raise KeyError("secret-xyz")

    def not_a_coroutine():
        return "declared async but is not"

    routes = [
        Route("GET", "/early", early, is_async=True),
        Route("GET", "/late", late, is_async=True),
        Route("GET", "/crash", crash, is_async=True),
        Route("GET", "/nc", not_a_coroutine, is_async=True),
    ]
    with Worker(routes) as w:
        assert get(w.port, "/early").json()["detail"] == "before await"
        assert get(w.port, "/late").json()["detail"] == "after await"
        r = get(w.port, "/crash")
        assert r.status == 500 and b"secret-xyz" not in r.body
        assert get(w.port, "/nc").status == 500


def test_client_disconnect_cancels_a_suspended_handler():
    started = threading.Event()
    cancelled = threading.Event()

    async def forever():
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    async def ok():
        return "ok"

    routes = [Route("GET", "/forever", forever, is_async=True), Route("GET", "/ok", ok, is_async=True)]
    with Worker(routes) as w:
        sock = socket.create_connection(("127.0.0.1", w.port))
        sock.sendall(b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
        assert started.wait(5)
        sock.close()
        assert cancelled.wait(5), "handler was not cancelled when the client left"
        # The worker keeps serving after the cancellation.
        assert get(w.port, "/ok").json() == "ok"


def test_anyio_inside_handlers():
    anyio = pytest.importorskip("anyio")

    async def handler():
        results = []

        async def work(n):
            await anyio.sleep(0.01)
            results.append(n)

        async with anyio.create_task_group() as tg:
            for n in range(3):
                tg.start_soon(work, n)
        with anyio.move_on_after(0.01) as scope:
            await anyio.sleep(1)
        return {"results": sorted(results), "cancelled": scope.cancelled_caught}

    with Worker([Route("GET", "/", handler, is_async=True)]) as w:
        assert get(w.port, "/").json() == {"results": [0, 1, 2], "cancelled": True}


def test_structured_concurrency_uses_the_endpoint_task_as_a_task():
    """TaskGroup, nested timeouts, shield and anyio's fail_after all cancel,
    uncancel and inspect the current task: the endpoint's own task type."""
    anyio = pytest.importorskip("anyio")

    async def boom():
        await asyncio.sleep(0)
        raise TeapotError("child failed")

    async def sleeper():
        await asyncio.sleep(5)

    async def task_group():
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(sleeper())
                tg.create_task(boom())
        except BaseExceptionGroup as eg:
            task = asyncio.current_task()
            return {"errors": [str(e) for e in eg.exceptions], "cancelling": task.cancelling()}
        return "no error"

    async def timeouts():
        async with asyncio.timeout(5):
            try:
                async with asyncio.timeout(0.01):
                    await asyncio.sleep(1)
            except TimeoutError:
                pass
            await asyncio.sleep(0)  # the outer timeout must not have been triggered
        shielded = await asyncio.shield(asyncio.sleep(0, result="shielded"))
        in_thread = await asyncio.to_thread(lambda: "thread")
        return {"cancelling": asyncio.current_task().cancelling(), "shielded": shielded, "thread": in_thread}

    async def fail_after():
        try:
            with anyio.fail_after(0.01):
                await anyio.sleep(1)
        except TimeoutError:
            await anyio.sleep(0)  # still runnable afterwards: the cancellation was consumed
            return {"timed_out": True, "cancelling": asyncio.current_task().cancelling()}
        return {"timed_out": False}

    routes = [
        Route("GET", "/tg", task_group, is_async=True),
        Route("GET", "/timeouts", timeouts, is_async=True),
        Route("GET", "/fail_after", fail_after, is_async=True),
    ]
    # Each handler must see exactly what it sees in a real asyncio.Task.
    expected = {r.path: asyncio.run(r.endpoint()) for r in routes}
    assert expected["/fail_after"]["timed_out"] is True
    with Worker(routes) as w:
        for r in routes:
            assert get(w.port, r.path).json() == expected[r.path], r.path


def test_async_http_client_calling_another_local_server():
    httpx = pytest.importorskip("httpx")

    async def upstream():
        await asyncio.sleep(0)
        return {"from": "upstream"}

    with Worker([Route("GET", "/up", upstream, is_async=True)]) as up:
        up_port = up.port

        async def proxy():
            async with httpx.AsyncClient() as client:
                r = await client.get(f"http://127.0.0.1:{up_port}/up")
            return {"status": r.status_code, "json": r.json()}

        with Worker([Route("GET", "/proxy", proxy, is_async=True)]) as w:
            assert get(w.port, "/proxy").json() == {"status": 200, "json": {"from": "upstream"}}


def test_endpoint_task_first_step_is_eager_and_later_steps_scheduled():
    from squall import _squall

    loop = asyncio.new_event_loop()
    try:
        order = []

        async def coro():
            order.append("step")
            asyncio.get_running_loop().call_soon(order.append, "scheduled")
            await asyncio.sleep(0)
            order.append("resumed")
            return 7

        tasks = []

        def create():  # a plain callback, like the server's reader
            tasks.append(_squall.start_endpoint_task(coro(), loop))
            order.append("after-create")

        async def main():
            loop.call_soon(create)
            while not tasks:
                await asyncio.sleep(0)
            return await tasks[0]  # awaitable like a Future

        assert loop.run_until_complete(main()) == 7
        assert order == ["step", "after-create", "scheduled", "resumed"]
        order.clear()

        async def nested():
            # Started from inside a running Task: the first step still runs
            # at once, and the outer task is current again afterwards.
            outer = asyncio.current_task()
            task = _squall.start_endpoint_task(coro(), loop)
            order.append("nested-created")
            assert asyncio.current_task() is outer
            return await task

        assert loop.run_until_complete(nested()) == 7
        assert order == ["step", "nested-created", "scheduled", "resumed"]
    finally:
        loop.close()


def test_endpoint_task_is_the_current_task_and_cancels_like_one():
    from squall import _squall

    loop = asyncio.new_event_loop()
    try:
        seen = {}

        async def slow():
            seen["current"] = asyncio.current_task()
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError as e:
                seen["msg"] = e.args
                raise

        async def main():
            task = _squall.start_endpoint_task(slow(), loop)
            assert seen["current"] is task
            assert not task.done() and task._fut_waiter is not None
            assert task.cancel("bye") is True
            assert task.cancelling() == 1
            with pytest.raises(asyncio.CancelledError):
                await task
            return task

        task = loop.run_until_complete(main())
        assert task.cancelled() and task.done()
        assert seen["msg"] == ("bye",)
        assert task.cancel() is False  # already done
        with pytest.raises(asyncio.CancelledError):
            task.result()
    finally:
        loop.close()


def test_a_suspended_endpoint_task_is_listed_by_all_tasks():
    from squall import _squall

    loop = asyncio.new_event_loop()
    try:
        seen = {}

        async def quick():
            seen["quick"] = asyncio.current_task()
            return 1

        async def slow():
            seen["slow"] = asyncio.current_task()
            await asyncio.sleep(0.01)
            return 2

        async def main():
            q = _squall.start_endpoint_task(quick(), loop)
            s = _squall.start_endpoint_task(slow(), loop)
            listed = asyncio.all_tasks()
            assert s in listed and q not in listed  # done in its first step: never registered
            assert await s == 2
            assert s not in asyncio.all_tasks()  # done tasks are not listed
            return q, s

        q, s = loop.run_until_complete(main())
        assert seen == {"quick": q, "slow": s}
    finally:
        loop.close()


def test_endpoint_task_result_exception_and_done_callbacks():
    from squall import _squall

    loop = asyncio.new_event_loop()
    try:
        called = []

        async def fails():
            await asyncio.sleep(0)
            raise ValueError("boom")

        async def returns_exception_object():
            return ValueError("a value, not raised")

        async def main():
            t = _squall.start_endpoint_task(fails(), loop)
            with pytest.raises(asyncio.InvalidStateError):
                t.result()
            t.add_done_callback(called.append)
            t.add_done_callback(lambda _: called.append("removed"))
            assert t.remove_done_callback(called.append) == 1
            t.add_done_callback(called.append)
            with pytest.raises(ValueError, match="boom"):
                await t
            await asyncio.sleep(0)  # done callbacks are scheduled, not called
            return t

        t = loop.run_until_complete(main())
        assert isinstance(t.exception(), ValueError)
        assert called == ["removed", t]
        # Raising the stored exception again does not grow its traceback.
        depths = []
        for _ in range(3):
            with pytest.raises(ValueError) as info:
                t.result()
            depths.append(len(traceback.extract_tb(info.value.__traceback__)))
        assert depths[0] == depths[1] == depths[2]
        v = _squall.start_endpoint_task(returns_exception_object(), loop)
        assert v.done() and v.exception() is None
        assert isinstance(v.result(), ValueError)
    finally:
        loop.close()


def test_endpoint_task_rejects_a_bad_yield_inside_the_coroutine():
    from squall import _squall

    class BadAwaitable:
        def __await__(self):
            yield "not a future"

    loop = asyncio.new_event_loop()
    try:

        async def coro():
            await BadAwaitable()

        async def main():
            t = _squall.start_endpoint_task(coro(), loop)
            with pytest.raises(RuntimeError, match="bad yield"):
                await t

        loop.run_until_complete(main())
    finally:
        loop.close()


def test_endpoint_task_awaits_a_future_like_object_without_get_loop():
    """asyncio accepts a Future-like object that only has `_loop` (its
    futures._get_loop falls back to it): so must the endpoint task."""
    from squall import _squall

    class LegacyFuture:
        _asyncio_future_blocking = False

        def __init__(self, loop):
            self._loop = loop
            self._fut = loop.create_future()

        def add_done_callback(self, fn, *, context=None):
            self._fut.add_done_callback(lambda _: fn(self), context=context)

        def result(self):
            return self._fut.result()

        def __await__(self):
            if not self._fut.done():
                self._asyncio_future_blocking = True
                yield self
            return self.result()

    async def waits(loop):
        fut = LegacyFuture(loop)
        loop.call_later(0.01, fut._fut.set_result, "legacy")
        return await fut

    loop = asyncio.new_event_loop()
    try:
        expected = loop.run_until_complete(asyncio.ensure_future(waits(loop), loop=loop))

        async def main():
            return await _squall.start_endpoint_task(waits(loop), loop)

        assert expected == "legacy"
        assert loop.run_until_complete(main()) == "legacy"
    finally:
        loop.close()
