"""The payload models of ../shared/bench/README.md as msgspec Structs with Meta
constraints, for the contenders whose fast path is msgspec (Litestar, Granian
RSGI, Robyn, socketify, Spikard)."""

from typing import Annotated, Literal

import msgspec
from bench_shared import EMAIL_PATTERN, SKU_PATTERN
from msgspec import Meta

Str1_100 = Annotated[str, Meta(min_length=1, max_length=100)]
Positive = Annotated[float, Meta(gt=0)]
Qty = Annotated[int, Meta(ge=1, le=1000)]
Tags = Annotated[list[str], Meta(max_length=10)]


class Item(msgspec.Struct):
    name: Str1_100
    price: Positive
    quantity: Qty
    tags: Tags
    active: bool


class Address(msgspec.Struct):
    street: Annotated[str, Meta(min_length=1)]
    city: str
    postal_code: Annotated[str, Meta(max_length=16)]
    country: Annotated[str, Meta(min_length=2, max_length=2)]


class Customer(msgspec.Struct):
    name: Str1_100
    email: Annotated[str, Meta(pattern=EMAIL_PATTERN)]
    address: Address


class OrderItem(msgspec.Struct):
    sku: Annotated[str, Meta(pattern=SKU_PATTERN)]
    name: str
    quantity: Qty
    price: Positive
    tags: Tags


class Order(msgspec.Struct):
    order_id: int
    customer: Customer
    items: Annotated[list[OrderItem], Meta(min_length=1, max_length=100)]
    notes: Annotated[str, Meta(max_length=500)]
    priority: Literal["low", "normal", "high"]
    gift: bool


class ItemQuery(msgspec.Struct):
    """Query parameters of scenario (c), for the apps that decode them by hand."""

    q: str | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] = 10


ITEM_DECODER = msgspec.json.Decoder(Item)
ORDER_DECODER = msgspec.json.Decoder(Order)
ENCODER = msgspec.json.Encoder()
