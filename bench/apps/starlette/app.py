"""Starlette's contender on uvicorn: plain Starlette routes, with the same pydantic
models as the FastAPI app validating bodies by hand (Starlette has no validation
of its own); sync work through Starlette's thread pool helper."""

import asyncio

from bench_shared import HELLO, JSON_HELLO, big_payload
from models_pydantic import Item, Order
from pydantic import BaseModel, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

BIG = big_payload()


class ItemQuery(BaseModel):
    item_id: int
    q: str | None = None
    limit: int = Field(default=10, ge=1, le=100)


def invalid(e: ValidationError) -> Response:
    return JSONResponse({"detail": e.errors(include_url=False, include_context=False)}, status_code=422)


async def plaintext(request: Request):
    return PlainTextResponse(HELLO)


async def json_hello(request: Request):
    return JSONResponse(JSON_HELLO)


async def read_item(request: Request):
    try:
        p = ItemQuery(item_id=request.path_params["item_id"], **request.query_params)
    except ValidationError as e:
        return invalid(e)
    return JSONResponse({"item_id": p.item_id, "q": p.q, "limit": p.limit})


async def create_item(request: Request):
    try:
        item = Item.model_validate_json(await request.body())
    except ValidationError as e:
        return invalid(e)
    return JSONResponse({"name": item.name, "quantity": item.quantity})


async def create_order(request: Request):
    try:
        order = Order.model_validate_json(await request.body())
    except ValidationError as e:
        return invalid(e)
    return JSONResponse({"order_id": order.order_id, "items": len(order.items)})


async def async_sleep(request: Request):
    await asyncio.sleep(0)
    return JSONResponse(JSON_HELLO)


def _hello():
    return JSON_HELLO


async def sync_pool(request: Request):
    return JSONResponse(await run_in_threadpool(_hello))


def sync_inline(request: Request):
    # Starlette runs a sync endpoint function on its thread pool itself.
    return JSONResponse(JSON_HELLO)


async def big(request: Request):
    return JSONResponse(BIG)


app = Starlette(
    routes=[
        Route("/plaintext", plaintext),
        Route("/json", json_hello),
        Route("/items/{item_id}", read_item),
        Route("/items", create_item, methods=["POST"]),
        Route("/orders", create_order, methods=["POST"]),
        Route("/async-sleep", async_sleep),
        Route("/sync-pool", sync_pool),
        Route("/sync-inline", sync_inline),
        Route("/big", big),
    ]
)
