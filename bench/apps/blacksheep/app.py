"""BlackSheep's contender on uvicorn: pydantic models bound with FromJSON, typed
route and query parameters, sync handlers as BlackSheep runs them (on the loop).

BlackSheep answers binding failures with 400; the bench needs 422 from everyone,
so one exception handler maps pydantic's ValidationError and BlackSheep's
BadRequest from binders to 422.
"""

import asyncio
import concurrent.futures

from bench_shared import HELLO, JSON_HELLO, big_payload
from blacksheep import Application, FromJSON, FromQuery, Request, get, json, post, text
from blacksheep.exceptions import BadRequest
from models_pydantic import Item, Order
from pydantic import ValidationError

app = Application(show_error_details=False)
BIG = big_payload()
POOL = concurrent.futures.ThreadPoolExecutor()


@get("/plaintext")
async def plaintext():
    return text(HELLO)


@get("/json")
async def json_hello():
    return json({"message": HELLO})


@get("/items/{int:item_id}")
async def read_item(item_id: int, q: FromQuery[str | None] = None, limit: FromQuery[int] = FromQuery(10)):
    if not 1 <= limit.value <= 100:
        return json({"detail": "limit must be between 1 and 100"}, status=422)
    return json({"item_id": item_id, "q": q.value if q else None, "limit": limit.value})


@post("/items")
async def create_item(data: FromJSON[Item]):
    item = data.value
    return json({"name": item.name, "quantity": item.quantity})


@post("/orders")
async def create_order(data: FromJSON[Order]):
    order = data.value
    return json({"order_id": order.order_id, "items": len(order.items)})


@get("/async-sleep")
async def async_sleep():
    await asyncio.sleep(0)
    return json({"message": HELLO})


def _hello():
    return JSON_HELLO


@get("/sync-pool")
async def sync_pool():
    return json(await asyncio.get_running_loop().run_in_executor(POOL, _hello))


@get("/sync-inline")
def sync_inline():
    return json(JSON_HELLO)


@get("/big")
async def big():
    return json(BIG)


async def unprocessable(app, request: Request, exc):
    return json({"detail": str(exc)[:500]}, status=422)


app.exceptions_handlers[ValidationError] = unprocessable
app.exceptions_handlers[BadRequest] = unprocessable
