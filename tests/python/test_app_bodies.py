"""End to end: JSON, form and multipart bodies; explicit schemas."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, TypedDict

import pytest

from squall import Body, File, Form, Request, Squall, UploadFile


@dataclasses.dataclass
class Line:
    sku: str
    qty: int


@dataclasses.dataclass
class Order:
    id: int
    lines: list[Line]
    placed: dt.date | None = None


class Note(TypedDict):
    text: str


def make_app() -> Squall:
    app = Squall()

    @app.post("/orders")
    async def create(order: Order) -> dict[str, Any]:
        assert isinstance(order, Order) and all(isinstance(x, Line) for x in order.lines)
        return {
            "id": order.id,
            "skus": [x.sku for x in order.lines],
            "placed_type": type(order.placed).__name__,
        }

    @app.post("/embedded")
    def embedded(note: Note, importance: int = Body(ge=1)) -> dict[str, Any]:
        return {"text": note["text"], "importance": importance}

    @app.post("/login")
    def login(username: str = Form(), password: str = Form(min_length=3)) -> dict[str, str]:
        return {"username": username}

    @app.post("/upload")
    async def upload(title: str = Form(), doc: UploadFile = File()) -> dict[str, Any]:
        data = await doc.read()
        return {
            "title": title,
            "filename": doc.filename,
            "size": doc.size,
            "content": data.decode(),
            "ctype": doc.content_type,
        }

    @app.post("/files")
    async def files(files: list[UploadFile] = File()) -> dict[str, Any]:
        return {"names": [f.filename for f in files], "total": sum(f.size or 0 for f in files)}

    @app.post(
        "/explicit/{item_id}",
        body_schema={
            "type": "object",
            "properties": {"n": {"type": "integer", "minimum": 0}},
            "required": ["n"],
        },
        parameters_schema={
            "path": {
                "type": "object",
                "properties": {"item_id": {"type": "integer"}},
                "required": ["item_id"],
            },
            "headers": {
                "type": "object",
                "properties": {"X-API-Key": {"type": "string"}},
                "required": ["X-API-Key"],
            },
        },
    )
    async def explicit(
        item_id: int, x_api_key: str, body: dict[str, Any], request: Request
    ) -> dict[str, Any]:
        return {
            "item_id": item_id,
            "key": x_api_key,
            "n": body["n"],
            "path_params": request.path_params,
            "header": request.headers["x-api-key"],
        }

    @app.post("/seed")
    def seed(body, method, path):  # type: ignore[no-untyped-def]
        return {"body": body, "method": method, "path": path}

    return app


def test_dataclass_body(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/orders", json={"id": 1, "lines": [{"sku": "a", "qty": 2}], "placed": "2024-01-02"})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": 1, "skus": ["a"], "placed_type": "date"}
    r = client.post("/orders", json={"id": "x", "lines": [{"sku": 1}]})
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["errors"]]
    assert ["body", "id"] in locs
    # Array indexes are strings in loc, as the conformance fixtures expect.
    assert ["body", "lines", "0", "qty"] in locs


def test_embedded_body(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/embedded", json={"note": {"text": "hi"}, "importance": 2})
    assert r.json() == {"text": "hi", "importance": 2}
    assert client.post("/embedded", json={"note": {"text": "hi"}, "importance": 0}).status_code == 422


def test_form(make_client: Any) -> None:
    client = make_client(make_app())
    assert client.post("/login", data={"username": "ann", "password": "secret"}).json() == {"username": "ann"}
    assert client.post("/login", data={"username": "ann", "password": "x"}).status_code == 422
    assert client.post("/login", json={"username": "ann", "password": "secret"}).status_code == 415


def test_multipart_upload(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/upload", data={"title": "t"}, files={"doc": ("a.txt", b"hello", "text/plain")})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "title": "t",
        "filename": "a.txt",
        "size": 5,
        "content": "hello",
        "ctype": "text/plain",
    }
    r = client.post(
        "/files",
        files=[("files", ("1.txt", b"abc", "text/plain")), ("files", ("2.txt", b"de", "text/plain"))],
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"names": ["1.txt", "2.txt"], "total": 5}
    assert client.post("/upload", data={"title": "t"}, files={}).status_code == 422


def test_explicit_schemas(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/explicit/5", json={"n": 3}, headers={"X-API-Key": "k"})
    assert r.status_code == 200, r.text
    assert r.json() == {"item_id": 5, "key": "k", "n": 3, "path_params": {"item_id": 5}, "header": "k"}
    assert client.post("/explicit/5", json={"n": -1}, headers={"X-API-Key": "k"}).status_code == 422
    assert client.post("/explicit/5", json={"n": 1}).status_code == 422


def test_seed_keyword_style(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/seed", json={"a": [1, 2]})
    assert r.json() == {"body": {"a": [1, 2]}, "method": "POST", "path": "/seed"}


def test_pydantic_and_msgspec_bodies(make_client: Any) -> None:
    pydantic = pytest.importorskip("pydantic")
    msgspec = pytest.importorskip("msgspec")

    class PItem(pydantic.BaseModel):
        name: str
        price: float

    class MItem(msgspec.Struct):
        name: str
        qty: int = 1

    app = Squall()

    async def p(item: PItem) -> dict[str, Any]:
        return {"cls": type(item).__name__, "price": item.price}

    async def m(item: MItem) -> dict[str, Any]:
        return {"cls": type(item).__name__, "qty": item.qty}

    p.__annotations__["item"] = PItem
    m.__annotations__["item"] = MItem
    app.post("/p")(p)
    app.post("/m")(m)
    client = make_client(app)
    assert client.post("/p", json={"name": "a", "price": 2}).json() == {"cls": "PItem", "price": 2.0}
    assert client.post("/m", json={"name": "a"}).json() == {"cls": "MItem", "qty": 1}
    assert client.post("/p", json={"name": "a"}).status_code == 422


@dataclasses.dataclass
class Signup:
    email: str
    age: int
    newsletter: bool = False


def test_form_model(make_client: Any) -> None:
    app = Squall()

    @app.post("/signup")
    def signup(data: Annotated[Signup, Form()]) -> dict[str, Any]:
        assert isinstance(data, Signup)
        return dataclasses.asdict(data)

    client = make_client(app)
    r = client.post("/signup", data={"email": "a@b.c", "age": "30", "newsletter": "on"})
    assert r.status_code == 200, r.text
    assert r.json() == {"email": "a@b.c", "age": 30, "newsletter": True}
    assert client.post("/signup", data={"email": "a@b.c", "age": "old"}).status_code == 422


def test_optional_body(make_client: Any) -> None:
    app = Squall()

    @app.post("/maybe")
    def maybe(line: Line | None = None) -> dict[str, Any]:
        return {"sku": line.sku if line is not None else None}

    client = make_client(app)
    assert client.post("/maybe").json() == {"sku": None}
    assert client.post("/maybe", json={"sku": "a", "qty": 1}).json() == {"sku": "a"}
    assert client.post("/maybe", json={"sku": "a"}).status_code == 422


def test_large_upload_is_spooled_to_disk(make_client: Any) -> None:
    app = Squall()
    seen: dict[str, Any] = {}

    @app.post("/big")
    async def big(doc: UploadFile = File()) -> dict[str, Any]:
        seen["on_disk"] = bool(getattr(doc.file, "_rolled", False))
        data = await doc.read()
        return {"size": doc.size, "read": len(data), "ok": data == b"z" * (2 << 20)}

    client = make_client(app, limits={"max_body": 8 << 20})
    r = client.post("/big", files={"doc": ("big.bin", b"z" * (2 << 20), "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json() == {"size": 2 << 20, "read": 2 << 20, "ok": True}
    assert seen["on_disk"] is True


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"n": value}
    return value


def test_max_body_depth_app_wide_and_per_route(make_client: Any) -> None:
    # edge_cases/23_deeply_nested_json_limit: a nesting limit refuses the body with a 400.
    app = Squall(max_body_depth=4)

    @app.post("/app-limit")
    def app_limit(body: dict[str, Any]) -> dict[str, bool]:
        return {"ok": True}

    @app.post("/route-limit", max_body_depth=8)
    def route_limit(body: dict[str, Any]) -> dict[str, bool]:
        return {"ok": True}

    client = make_client(app)
    assert client.post("/app-limit", json=_nested(4)).status_code == 200
    r = client.post("/app-limit", json=_nested(5))
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "Request body exceeds maximum nesting depth of 4"}
    assert client.post("/route-limit", json=_nested(8)).status_code == 200
    r = client.post("/route-limit", json=_nested(9))
    assert r.status_code == 400
    assert r.json() == {"error": "Request body exceeds maximum nesting depth of 8"}


@pytest.mark.parametrize("bad", [0, 10001, "32", True])
def test_max_body_depth_rejects_bad_values(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_body_depth"):
        Squall(max_body_depth=bad)
    app = Squall()

    @app.post("/x", max_body_depth=bad)
    def x(body: dict[str, Any]) -> None:
        return None

    with pytest.raises(ValueError, match="max_body_depth"):
        app.compile()
