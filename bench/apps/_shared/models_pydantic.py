"""The payload models of ../shared/bench/README.md as pydantic v2 models, for the
contenders that validate with pydantic (Starlette, BlackSheep). FastAPI's app
spells the same models out itself, as a FastAPI user would."""

from typing import Literal

from bench_shared import EMAIL_PATTERN, SKU_PATTERN
from pydantic import BaseModel, Field


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(gt=0)
    quantity: int = Field(ge=1, le=1000)
    tags: list[str] = Field(max_length=10)
    active: bool


class Address(BaseModel):
    street: str = Field(min_length=1)
    city: str
    postal_code: str = Field(max_length=16)
    country: str = Field(min_length=2, max_length=2)


class Customer(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=EMAIL_PATTERN)
    address: Address


class OrderItem(BaseModel):
    sku: str = Field(pattern=SKU_PATTERN)
    name: str
    quantity: int = Field(ge=1, le=1000)
    price: float = Field(gt=0)
    tags: list[str] = Field(max_length=10)


class Order(BaseModel):
    order_id: int
    customer: Customer
    items: list[OrderItem] = Field(min_length=1, max_length=100)
    notes: str = Field(max_length=500)
    priority: Literal["low", "normal", "high"]
    gift: bool
