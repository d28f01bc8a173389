"""Findings of the binding's correctness review (issue 3): each test failed
before its fix.

- Sync endpoints (inline on the loop, or on the thread pool) ran in a
  context shared by every request (the loop's reader callback context, or
  the pool thread's own), so a ContextVar set by one request leaked into
  the next ones, async endpoints included (their Task copies the context
  current at dispatch). Each sync call now runs in a fresh copy.
"""

from __future__ import annotations

import contextvars

from test_binding_support import Route, Worker, get, needs_ext

pytestmark = needs_ext

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("review_var", default="unset")


def _setter():
    before = VAR.get()
    VAR.set("leaked")
    return {"before": before}


def _sync_reader():
    return {"seen": VAR.get()}


async def _async_reader():
    return {"seen": VAR.get()}


def test_inline_sync_contextvar_does_not_leak_into_later_requests():
    routes = [
        Route("GET", "/set", _setter, inline=True),
        Route("GET", "/sync", _sync_reader, inline=True),
        Route("GET", "/async", _async_reader, is_async=True),
    ]
    with Worker(routes) as w:
        assert get(w.port, "/set").json() == {"before": "unset"}
        assert get(w.port, "/set").json() == {"before": "unset"}
        assert get(w.port, "/sync").json() == {"seen": "unset"}
        assert get(w.port, "/async").json() == {"seen": "unset"}


def test_pool_sync_contextvar_does_not_leak_between_jobs():
    # One pool thread: both requests run on the same thread.
    routes = [Route("GET", "/set", _setter), Route("GET", "/sync", _sync_reader)]
    with Worker(routes, threads=1) as w:
        assert get(w.port, "/set").json() == {"before": "unset"}
        assert get(w.port, "/set").json() == {"before": "unset"}
        assert get(w.port, "/sync").json() == {"seen": "unset"}
