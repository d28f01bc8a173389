"""Granian's RSGI interface with a raw handler: no framework, a dict dispatch on
the path, msgspec for JSON and validation. This is the floor for Python-on-Granian.

    cd bench/apps/granian_rsgi && granian --interface rsgi app:app
"""

import asyncio
from urllib.parse import parse_qsl

import msgspec
from bench_shared import HELLO, JSON_HELLO, big_payload
from models_msgspec import ENCODER, ITEM_DECODER, ORDER_DECODER, ItemQuery

TEXT = [("content-type", "text/plain; charset=utf-8")]
JSON = [("content-type", "application/json")]
HELLO_BYTES = HELLO.encode()
BIG = big_payload()
QUERY = msgspec.convert  # converts the parsed query dict, strings coerced (strict=False)


def ok(proto, obj, status=200):
    proto.response_bytes(status, JSON, ENCODER.encode(obj))


def unprocessable(proto, err):
    proto.response_bytes(422, JSON, ENCODER.encode({"detail": str(err)}))


async def read_item(scope, proto, item_id):
    try:
        iid = int(item_id)
        p = QUERY(dict(parse_qsl(scope.query_string)), ItemQuery, strict=False)
    except (ValueError, msgspec.ValidationError) as e:
        return unprocessable(proto, e)
    ok(proto, {"item_id": iid, "q": p.q, "limit": p.limit})


async def create_item(scope, proto):
    try:
        item = ITEM_DECODER.decode(await proto())
    except msgspec.ValidationError as e:
        return unprocessable(proto, e)
    ok(proto, {"name": item.name, "quantity": item.quantity})


async def create_order(scope, proto):
    try:
        order = ORDER_DECODER.decode(await proto())
    except msgspec.ValidationError as e:
        return unprocessable(proto, e)
    ok(proto, {"order_id": order.order_id, "items": len(order.items)})


def _hello():
    return JSON_HELLO


async def app(scope, proto):
    path, method = scope.path, scope.method
    if method == "GET":
        if path == "/plaintext":
            return proto.response_bytes(200, TEXT, HELLO_BYTES)
        if path == "/json":
            return proto.response_bytes(200, JSON, ENCODER.encode({"message": HELLO}))
        if path.startswith("/items/"):
            return await read_item(scope, proto, path[7:])
        if path == "/async-sleep":
            await asyncio.sleep(0)
            return ok(proto, {"message": HELLO})
        if path == "/sync-pool":
            return ok(proto, await asyncio.get_running_loop().run_in_executor(None, _hello))
        if path == "/sync-inline":
            return ok(proto, _hello())
        if path == "/big":
            return ok(proto, BIG)
    elif method == "POST":
        if path == "/items":
            return await create_item(scope, proto)
        if path == "/orders":
            return await create_order(scope, proto)
    proto.response_empty(404, [])
