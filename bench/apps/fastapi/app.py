"""FastAPI's contender (served by uvicorn with uvloop and httptools, and by Granian).

Idiomatic FastAPI: pydantic v2 models with Field constraints, typed query
parameters, `def` handlers on FastAPI's thread pool. Validation errors get
FastAPI's own 422.
"""

import asyncio
from typing import Annotated

from bench_shared import HELLO, big_payload
from fastapi import FastAPI, Query
from fastapi.responses import PlainTextResponse
from models_pydantic import Item, Order  # the payload models, shared with Starlette and BlackSheep
from pydantic import BaseModel

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
BIG = big_payload()


class ItemReply(BaseModel):
    name: str
    quantity: int


class OrderReply(BaseModel):
    order_id: int
    items: int


class Hello(BaseModel):
    message: str


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext():
    return HELLO


@app.get("/json")
async def json_hello() -> Hello:
    return Hello(message=HELLO)


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None, limit: Annotated[int, Query(ge=1, le=100)] = 10):
    return {"item_id": item_id, "q": q, "limit": limit}


@app.post("/items")
async def create_item(item: Item) -> ItemReply:
    return ItemReply(name=item.name, quantity=item.quantity)


@app.post("/orders")
async def create_order(order: Order) -> OrderReply:
    return OrderReply(order_id=order.order_id, items=len(order.items))


@app.get("/async-sleep")
async def async_sleep() -> Hello:
    await asyncio.sleep(0)
    return Hello(message=HELLO)


@app.get("/sync-pool")
def sync_pool() -> Hello:
    return Hello(message=HELLO)


@app.get("/sync-inline")
def sync_inline() -> Hello:
    # FastAPI has no inline mode for def handlers: this is its sync handler (thread pool).
    return Hello(message=HELLO)


@app.get("/big")
async def big():
    return BIG
