"""The README's example app.

squall run examples.hello:app --port 8000      # or: cd examples && squall run hello:app
curl 'http://127.0.0.1:8000/items/42?q=hi' -H 'x-token: secret'
"""

from __future__ import annotations

import dataclasses

from squall import Header, HTTPException, Squall

app = Squall()


@dataclasses.dataclass
class Item:
    name: str
    price: float
    tags: list[str] = dataclasses.field(default_factory=list)


ITEMS: dict[int, Item] = {}


@app.get("/")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/items/{item_id:int}")
async def read_item(item_id: int, q: str | None = None, x_token: str = Header()) -> dict[str, object]:
    return {"item_id": item_id, "q": q}


@app.post("/items/{item_id:int}", status_code=201)
async def create_item(item_id: int, item: Item) -> Item:
    if item_id in ITEMS:
        raise HTTPException(409, f"item {item_id} already exists")
    ITEMS[item_id] = item
    return item


if __name__ == "__main__":
    app.run(port=8000)
