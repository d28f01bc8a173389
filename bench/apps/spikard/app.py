"""Spikard's contender (its PyPI release): the typed App with msgspec bodies
(`Body[...]`), typed query parameters and one Tokio worker thread.

    cd bench/apps/spikard && BENCH_PORT=8000 PYTHONPATH=../_shared python app.py
"""

import asyncio
from typing import Annotated

from annotated_types import Ge, Le
from bench_shared import HELLO, JSON_HELLO, big_payload, port
from models_msgspec import Item, Order
from spikard import App, Body, Response, ServerConfig

BIG = big_payload()
app = App(ServerConfig(host="127.0.0.1", port=port(), workers=1))


@app.get("/plaintext")
async def plaintext():
    return Response(content=HELLO, status_code=200, headers={"content-type": "text/plain"})


@app.get("/json")
async def json_hello() -> dict:
    return {"message": HELLO}


@app.get("/items/{item_id:int}")
async def read_item(item_id: int, q: str | None = None, limit: Annotated[int, Ge(1), Le(100)] = 10) -> dict:
    return {"item_id": item_id, "q": q, "limit": limit}


@app.post("/items")
async def create_item(item: Body[Item]) -> dict:
    return {"name": item.name, "quantity": item.quantity}


@app.post("/orders")
async def create_order(order: Body[Order]) -> dict:
    return {"order_id": order.order_id, "items": len(order.items)}


@app.get("/async-sleep")
async def async_sleep() -> dict:
    await asyncio.sleep(0)
    return {"message": HELLO}


@app.get("/sync-pool")
def sync_pool() -> dict:
    # Spikard runs every handler on its blocking worker pool.
    return JSON_HELLO


@app.get("/sync-inline")
def sync_inline() -> dict:
    return JSON_HELLO


@app.get("/big")
async def big() -> dict:
    return BIG


if __name__ == "__main__":
    app.run()
