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


def test_json_loads_key_cache_keeps_every_key_right():
    """The per-document key cache (json_to_python.c) must never hand back the
    wrong key: many distinct keys (more than its slots), repeats, keys that
    differ only late, long keys, non-ASCII keys and duplicates."""
    import json
    import sys

    from squall import _squall

    doc = {
        "items": [{"sku": f"SKU-{i}", "name": "n", "quantity": i, "price": 1.5} for i in range(20)],
        "distinct": {f"key{i:03d}": i for i in range(150)},
        "near": {"abcdefgh1": 1, "abcdefgh2": 2, "abcdefgh": 3, "abcdefgi": 4},
        "long": {"k" * 40: 1, "k" * 41: 2, "k" * 40 + "x": 3},
        "unicode": {"caf\u00e9": 1, "cafe": 2, "\U0001f600": 3},
    }
    text = json.dumps(doc)
    assert _squall.json_loads(text) == doc
    # Duplicate keys: the last one wins, as in json.loads.
    dup = '[{"a": 1, "a": 2}, {"a": 3}]'
    assert _squall.json_loads(dup) == json.loads(dup)
    # Keys are interned (shared with the handler's constants).
    out = _squall.json_loads('[{"quantity": 1}, {"quantity": 2}]')
    k1, k2 = next(iter(out[0])), next(iter(out[1]))
    assert k1 is k2 is sys.intern("quantity")
