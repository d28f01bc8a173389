"""Robyn's contender: one process, one worker (`--processes 1 --workers 1`), handlers
run per request (no `const=True` caching, which would skip the Python handler),
msgspec Structs decoding and validating bodies.

    cd bench/apps/robyn && BENCH_PORT=8000 PYTHONPATH=../_shared python app.py --processes 1 --workers 1
"""

import asyncio

import msgspec
from bench_shared import HELLO, JSON_HELLO, big_payload, port
from models_msgspec import ENCODER, ITEM_DECODER, ORDER_DECODER, ItemQuery
from robyn import Request, Response, Robyn

app = Robyn(__file__)
BIG = big_payload()
JSON = {"Content-Type": "application/json"}


def json_reply(obj, status=200) -> Response:
    return Response(status_code=status, headers=JSON, description=ENCODER.encode(obj))


def unprocessable(err) -> Response:
    return json_reply({"detail": str(err)}, 422)


@app.get("/plaintext")
async def plaintext(request: Request):
    return Response(status_code=200, headers={"Content-Type": "text/plain"}, description=HELLO)


@app.get("/json")
async def json_hello(request: Request):
    return json_reply({"message": HELLO})


@app.get("/items/:item_id")
async def read_item(request: Request):
    try:
        item_id = int(request.path_params["item_id"])
        qp = request.query_params
        query = msgspec.convert(
            {k: qp.get(k, None) for k in ("q", "limit") if qp.get(k, None) is not None},
            ItemQuery,
            strict=False,
        )
    except (ValueError, msgspec.ValidationError) as e:
        return unprocessable(e)
    return json_reply({"item_id": item_id, "q": query.q, "limit": query.limit})


@app.post("/items")
async def create_item(request: Request):
    try:
        item = ITEM_DECODER.decode(request.body)
    except msgspec.ValidationError as e:
        return unprocessable(e)
    return json_reply({"name": item.name, "quantity": item.quantity})


@app.post("/orders")
async def create_order(request: Request):
    try:
        order = ORDER_DECODER.decode(request.body)
    except msgspec.ValidationError as e:
        return unprocessable(e)
    return json_reply({"order_id": order.order_id, "items": len(order.items)})


@app.get("/async-sleep")
async def async_sleep(request: Request):
    await asyncio.sleep(0)
    return json_reply({"message": HELLO})


def _hello():
    return JSON_HELLO


@app.get("/sync-pool")
async def sync_pool(request: Request):
    return json_reply(await asyncio.get_running_loop().run_in_executor(None, _hello))


@app.get("/sync-inline")
def sync_inline(request: Request):
    return json_reply(JSON_HELLO)


@app.get("/big")
async def big(request: Request):
    return json_reply(BIG)


if __name__ == "__main__":
    app.start(host="127.0.0.1", port=port())
