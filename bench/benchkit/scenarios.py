"""The scenarios of issue 5 point 4: one request each, what a correct reply is,
and how wrk sends it.

Every contender serves the same routes; a contender that lacks a scenario natively
declares so in contenders.py and the scenario is reported as n/a.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

PAYLOADS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "bench"))
HELLO = "Hello, World!"


@dataclass(frozen=True)
class Scenario:
    id: str
    letter: str
    title: str
    method: str
    path: str
    body_file: str | None = None  # name under PAYLOADS, or "order-invalid" (made at run time)
    expect_status: int = 200
    expect_text: str | None = None  # exact body
    expect_json: object = None  # parsed body, compared as data
    pipeline: int = 1  # requests per write (wrk Lua script)
    native_only: bool = False  # served by nginx and h2o too
    notes: str = ""
    extra_probes: tuple = field(default=())  # (method, path, body_file, allowed statuses): must hold too


def big_payload() -> dict:
    # Same generator as apps/_shared/bench_shared.py (kept in sync by a check there).
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "apps", "_shared"))
    from bench_shared import big_payload as gen

    return gen()


def order_invalid_body() -> bytes:
    """order-1500.json with items[0].quantity set to 0 (built from the shared file, never stored)."""
    with open(os.path.join(PAYLOADS, "order-1500.json"), "rb") as f:
        order = json.load(f)
    order["items"][0]["quantity"] = 0
    return json.dumps(order, separators=(",", ":")).encode()


def item_invalid_body() -> bytes:
    with open(os.path.join(PAYLOADS, "item-small.json"), "rb") as f:
        item = json.load(f)
    item["quantity"] = 0
    return json.dumps(item, separators=(",", ":")).encode()


def body_bytes(name: str | None) -> bytes | None:
    if name is None:
        return None
    if name == "order-invalid":
        return order_invalid_body()
    if name == "item-invalid":
        return item_invalid_body()
    with open(os.path.join(PAYLOADS, name), "rb") as f:
        return f.read()


def _order_reply() -> dict:
    with open(os.path.join(PAYLOADS, "order-1500.json"), "rb") as f:
        order = json.load(f)
    return {"order_id": order["order_id"], "items": len(order["items"])}


def all_scenarios() -> list[Scenario]:
    hello = {"message": HELLO}
    return [
        Scenario(
            "plaintext", "a", "GET /plaintext", "GET", "/plaintext", expect_text=HELLO, native_only=True
        ),
        Scenario("json", "b", "GET /json", "GET", "/json", expect_json=hello, native_only=True),
        Scenario(
            "params",
            "c",
            "GET /items/{id:int}?q=&limit=",
            "GET",
            "/items/42?q=hello&limit=10",
            expect_json={"item_id": 42, "q": "hello", "limit": 10},
            # a typed path segment that does not parse: 422 (Squall, FastAPI) or 404
            # (frameworks whose router types the segment, e.g. Litestar, BlackSheep)
            extra_probes=(
                ("GET", "/items/abc?q=hello&limit=10", None, (422, 404)),
                ("GET", "/items/42?q=hello&limit=0", None, (422,)),
            ),
        ),
        Scenario(
            "item",
            "d",
            "POST /items (item-small.json, 89 B)",
            "POST",
            "/items",
            body_file="item-small.json",
            expect_json={"name": "Widget", "quantity": 3},
            extra_probes=(("POST", "/items", "item-invalid", (422,)),),
        ),
        Scenario(
            "order",
            "e",
            "POST /orders (order-1500.json, validated)",
            "POST",
            "/orders",
            body_file="order-1500.json",
            expect_json=_order_reply(),
        ),
        Scenario(
            "order_invalid",
            "f",
            "POST /orders, quantity 0 -> 422",
            "POST",
            "/orders",
            body_file="order-invalid",
            expect_status=422,
        ),
        Scenario(
            "async_sleep",
            "g",
            "async handler awaiting asyncio.sleep(0)",
            "GET",
            "/async-sleep",
            expect_json=hello,
        ),
        Scenario(
            "sync_pool", "h1", "sync handler on the thread pool", "GET", "/sync-pool", expect_json=hello
        ),
        Scenario(
            "sync_inline",
            "h2",
            "sync handler inline (peers: their sync handler)",
            "GET",
            "/sync-inline",
            expect_json=hello,
        ),
        Scenario("big_json", "i", "GET /big (100 KB JSON)", "GET", "/big", expect_json=big_payload()),
        Scenario(
            "pipeline",
            "j",
            "GET /plaintext, 16-deep pipelining",
            "GET",
            "/plaintext",
            expect_text=HELLO,
            pipeline=16,
            native_only=True,
        ),
    ]


def by_id() -> dict[str, Scenario]:
    return {s.id: s for s in all_scenarios()}
