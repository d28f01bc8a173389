"""Squall's contender: every scenario on Squall's documented fast path.

    cd bench/apps/squall && PYTHONPATH=../_shared squall run app:app --port 8000

- Parameters are typed and constrained in the signature; the C core coerces and
  validates them before Python runs.
- Bodies are validated by a JSON Schema compiled into the C validator at start-up
  (`body_schema=`, the fastest path: no model instance is built in Python); the
  handler receives the parsed JSON as `body`. Invalid bodies get 422 from C.
- `inline=True` runs a sync handler on the loop; a plain `def` goes to the pool.
"""

import asyncio
from typing import Annotated

from bench_shared import HELLO, ITEM_SCHEMA, JSON_HELLO, ORDER_SCHEMA, big_payload

from squall import PlainTextResponse, Query, Squall

app = Squall()
BIG = big_payload()


@app.get("/plaintext", inline=True)
def plaintext():
    return PlainTextResponse(HELLO)


@app.get("/json")
async def json_hello():
    return {"message": HELLO}


@app.get("/items/{item_id:int}")
async def read_item(item_id: int, q: str | None = None, limit: Annotated[int, Query(ge=1, le=100)] = 10):
    return {"item_id": item_id, "q": q, "limit": limit}


@app.post("/items", body_schema=ITEM_SCHEMA)
async def create_item(body):
    return {"name": body["name"], "quantity": body["quantity"]}


@app.post("/orders", body_schema=ORDER_SCHEMA)
async def create_order(body):
    return {"order_id": body["order_id"], "items": len(body["items"])}


@app.get("/async-sleep")
async def async_sleep():
    await asyncio.sleep(0)
    return {"message": HELLO}


@app.get("/sync-pool")
def sync_pool():
    return JSON_HELLO


@app.get("/sync-inline", inline=True)
def sync_inline():
    return JSON_HELLO


@app.get("/big")
async def big():
    return BIG
