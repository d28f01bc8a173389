"""socketify's contender: its native App (uWebSockets) with sync handlers where no
await is needed and async ones otherwise, msgspec for JSON and validation.

    cd bench/apps/socketify && BENCH_PORT=8000 PYTHONPATH=../_shared python app.py
"""

import asyncio

import msgspec
from bench_shared import HELLO, JSON_HELLO, big_payload, port
from models_msgspec import ENCODER, ITEM_DECODER, ORDER_DECODER, ItemQuery
from socketify import App

BIG = big_payload()
JSON = b"application/json"


def reply(res, obj, status=200):
    res.send(ENCODER.encode(obj), content_type=JSON, status=status)


def plaintext(res, req):
    res.send(HELLO, content_type=b"text/plain")


def json_hello(res, req):
    reply(res, {"message": HELLO})


def read_item(res, req):
    try:
        item_id = int(req.get_parameter(0))
        raw = {k: v for k in ("q", "limit") if (v := req.get_query(k)) is not None}
        query = msgspec.convert(raw, ItemQuery, strict=False)
    except (ValueError, TypeError, msgspec.ValidationError) as e:
        return reply(res, {"detail": str(e)}, 422)
    reply(res, {"item_id": item_id, "q": query.q, "limit": query.limit})


async def create_item(res, req):
    data = await res.get_data()
    try:
        item = ITEM_DECODER.decode(data.getvalue())
    except msgspec.ValidationError as e:
        return reply(res, {"detail": str(e)}, 422)
    reply(res, {"name": item.name, "quantity": item.quantity})


async def create_order(res, req):
    data = await res.get_data()
    try:
        order = ORDER_DECODER.decode(data.getvalue())
    except msgspec.ValidationError as e:
        return reply(res, {"detail": str(e)}, 422)
    reply(res, {"order_id": order.order_id, "items": len(order.items)})


async def async_sleep(res, req):
    await asyncio.sleep(0)
    reply(res, {"message": HELLO})


def _hello():
    return JSON_HELLO


async def sync_pool(res, req):
    reply(res, await asyncio.get_running_loop().run_in_executor(None, _hello))


def sync_inline(res, req):
    reply(res, JSON_HELLO)


def big(res, req):
    reply(res, BIG)


app = App()
app.get("/plaintext", plaintext)
app.get("/json", json_hello)
app.get("/items/:item_id", read_item)
app.post("/items", create_item)
app.post("/orders", create_order)
app.get("/async-sleep", async_sleep)
app.get("/sync-pool", sync_pool)
app.get("/sync-inline", sync_inline)
app.get("/big", big)

if __name__ == "__main__":
    app.listen({"port": port(), "host": "127.0.0.1"}, lambda config: None)
    app.run()
