"""Litestar's contender on uvicorn: msgspec Structs with Meta constraints (Litestar's
fastest models), typed query parameters with Parameter constraints.

Litestar answers validation failures with 400 by default; the bench needs 422 from
everyone (as FastAPI and Squall send), so one exception handler maps them.
"""

import asyncio
from typing import Annotated

from bench_shared import HELLO, JSON_HELLO, big_payload
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from models_msgspec import Item, Order

BIG = big_payload()


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    return HELLO


@get("/json")
async def json_hello() -> dict:
    return {"message": HELLO}


@get("/items/{item_id:int}")
async def read_item(
    item_id: int, q: str | None = None, limit: Annotated[int, Parameter(ge=1, le=100)] = 10
) -> dict:
    return {"item_id": item_id, "q": q, "limit": limit}


@post("/items", status_code=200)
async def create_item(data: Item) -> dict:
    return {"name": data.name, "quantity": data.quantity}


@post("/orders", status_code=200)
async def create_order(data: Order) -> dict:
    return {"order_id": data.order_id, "items": len(data.items)}


@get("/async-sleep")
async def async_sleep() -> dict:
    await asyncio.sleep(0)
    return {"message": HELLO}


@get("/sync-pool", sync_to_thread=True)
def sync_pool() -> dict:
    return JSON_HELLO


@get("/sync-inline", sync_to_thread=False)
def sync_inline() -> dict:
    return JSON_HELLO


@get("/big")
async def big() -> dict:
    return BIG


def unprocessable(request: Request, exc: ValidationException) -> Response:
    return Response({"detail": exc.detail, "errors": exc.extra}, status_code=422)


app = Litestar(
    route_handlers=[
        plaintext,
        json_hello,
        read_item,
        create_item,
        create_order,
        async_sleep,
        sync_pool,
        sync_inline,
        big,
    ],
    exception_handlers={ValidationException: unprocessable},
    openapi_config=None,
    logging_config=None,
)
