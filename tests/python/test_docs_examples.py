"""Every example of docs/guide.md, run end to end through squall.testing.TestClient.

Each test carries the example's code as the guide prints it (section named in
the docstring), then checks what the guide says it does. When you change an
example in the guide, change it here too, and the other way round.

No ``from __future__ import annotations`` here on purpose: the guide's
examples define their models inside the example, as a reader would at module
level, and the hints must resolve without the module's globals.
"""

import asyncio
import dataclasses
import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

import pytest
from conftest import HAVE_EXTENSION, subprocess_env

pytestmark = pytest.mark.skipif(not HAVE_EXTENSION, reason="squall._squall is not built")

if HAVE_EXTENSION:
    from squall.testing import TestClient


# -- Quick start --------------------------------------------------------------


def test_quick_start() -> None:
    """guide.md, "Quick start"."""
    from squall import Squall

    app = Squall()

    @app.get("/items/{item_id:int}")
    async def read_item(item_id: int, q: str | None = None):
        return {"item_id": item_id, "q": q}

    with TestClient(app) as client:
        r = client.get("/items/42", params={"q": "hi"})
        assert r.status_code == 200
        assert r.json() == {"item_id": 42, "q": "hi"}
        assert r.headers["content-type"] == "application/json"
        # A segment that is not an int: a 422 naming the parameter.
        r = client.get("/items/abc")
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["path", "item_id"]


# -- Routes ---------------------------------------------------------------------


def test_routes_decorators_and_routers() -> None:
    """guide.md, "Routes"."""
    from squall import Router, Squall

    app = Squall()

    @app.get("/")
    async def index():
        return {"hello": "world"}

    @app.route("/things", methods=["GET", "POST"])
    async def things():
        return "many"

    @app.post("/things/new", status_code=201)
    async def create():
        return {"created": True}

    async def ping():
        return "pong"

    app.add_route("/ping", ping, methods=["GET"])

    users = Router(prefix="/users")

    @users.get("/{user_id:int}")
    async def get_user(user_id: int):
        return {"id": user_id}

    app.include_router(users, prefix="/v1")

    with TestClient(app) as client:
        assert client.get("/").json() == {"hello": "world"}
        assert client.post("/things").json() == "many"
        r = client.post("/things/new")
        assert r.status_code == 201 and r.json() == {"created": True}
        assert client.get("/ping").json() == "pong"
        assert client.get("/v1/users/7").json() == {"id": 7}
        # What the core answers by itself.
        r = client.delete("/ping")
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
        assert r.headers["content-type"] == "application/problem+json"
        r = client.options("/ping")
        assert r.status_code == 204 and r.headers["allow"] == "GET, HEAD"
        r = client.head("/ping")
        assert r.status_code == 200 and r.content == b""
        r = client.get("/nowhere")
        assert r.status_code == 404
        assert r.json()["type"] == "https://squall.dev/errors/not-found"


def test_routes_typed_segments() -> None:
    """guide.md, "Path templates"."""
    import uuid

    from squall import Squall

    app = Squall()

    @app.get("/files/{rest:path}")
    async def file(rest: str):
        return rest

    @app.get("/orders/{order_id:uuid}")
    async def order(order_id: uuid.UUID):
        return {"version": order_id.version}

    @app.get("/scale/{factor:float}")
    async def scale(factor):  # no annotation: the segment type decides (float)
        return factor * 2

    with TestClient(app) as client:
        assert client.get("/files/a/b/c.txt").json() == "a/b/c.txt"
        assert client.get("/orders/6f1c1c4e-8d3b-4c1e-9f55-2f0b8b9e0f11").json() == {"version": 4}
        r = client.get("/orders/not-a-uuid")
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["path", "order_id"]
        assert client.get("/scale/1.5").json() == 3.0


def test_routes_duplicate_is_an_error() -> None:
    """guide.md, "Routes": a method and path declared twice fails at start-up."""
    from squall import Squall

    app = Squall()

    @app.get("/x")
    async def one():
        return 1

    @app.get("/x")
    async def two():
        return 2

    with pytest.raises(ValueError, match="declared twice"):
        app.compile()


# -- Parameters -------------------------------------------------------------------


def test_parameters_by_signature() -> None:
    """guide.md, "Parameters": where each parameter comes from."""
    from squall import Squall

    app = Squall()

    @dataclasses.dataclass
    class Item:
        name: str
        price: float
        tags: list[str] = dataclasses.field(default_factory=list)

    @app.put("/items/{item_id:int}")
    async def update(item_id: int, item: Item, notify: bool = False):
        return {"item_id": item_id, "item": item, "notify": notify}

    with TestClient(app) as client:
        r = client.put("/items/3", params={"notify": "yes"}, json={"name": "pen", "price": 1.5})
        assert r.json() == {"item_id": 3, "item": {"name": "pen", "price": 1.5, "tags": []}, "notify": True}
        r = client.put("/items/3", json={"name": "pen"})
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json() == {
            "type": "https://squall.dev/errors/validation-error",
            "title": "Request Validation Failed",
            "status": 422,
            "detail": "1 validation error in request",
            "errors": [
                {
                    "type": "missing",
                    "loc": ["body", "price"],
                    "msg": "Field required",
                    "input": {"name": "pen"},
                }
            ],
        }


def test_parameters_markers() -> None:
    """guide.md, "Markers"."""
    from squall import Cookie, Header, Query, Squall

    app = Squall()

    @app.get("/search")
    async def search(
        q: Annotated[str, Query(min_length=2, max_length=50)],
        limit: int = Query(10, ge=1, le=100),
        ids: list[int] = Query([], separator=","),
        sort: str = Query("asc", alias="sort-order", pattern="^(asc|desc)$"),
        x_token: str = Header(),
        session: str | None = Cookie(None),
    ):
        return {"q": q, "limit": limit, "ids": ids, "sort": sort, "token": x_token, "session": session}

    with TestClient(app) as client:
        r = client.get(
            "/search?q=pen&ids=1,2,3&sort-order=desc",
            headers={"X-Token": "secret"},
            cookies={"session": "abc"},
        )
        assert r.json() == {
            "q": "pen",
            "limit": 10,
            "ids": [1, 2, 3],
            "sort": "desc",
            "token": "secret",
            "session": "abc",
        }
        r = client.get("/search", params={"q": "p", "limit": 0})
        assert r.status_code == 422
        assert [(e["type"], e["loc"]) for e in r.json()["errors"]] == [
            ("string_too_short", ["query", "q"]),
            ("greater_than_equal", ["query", "limit"]),
            ("missing", ["headers", "x-token"]),
        ]


def test_parameters_repeated_query_values() -> None:
    """guide.md, "Markers": a list takes every repeat; a scalar the last one."""
    from squall import Query, Squall

    app = Squall()

    @app.get("/tags")
    async def tags(tag: list[str] | None = Query(None), page: int = 1):
        return {"tag": tag, "page": page}

    with TestClient(app) as client:
        assert client.get("/tags?tag=a&tag=b&page=1&page=2").json() == {"tag": ["a", "b"], "page": 2}
        assert client.get("/tags").json() == {"tag": None, "page": 1}


def test_parameters_body_markers() -> None:
    """guide.md, "Bodies"."""
    from squall import Body, Squall

    app = Squall()

    class Point(TypedDict):
        x: int
        y: int

    @app.post("/rename")
    async def rename(name: str = Body(embed=True, min_length=1)):
        return {"name": name}

    @app.post("/move")
    async def move(src: Point, dst: Point):
        return {"dx": dst["x"] - src["x"]}

    with TestClient(app) as client:
        assert client.post("/rename", json={"name": "new"}).json() == {"name": "new"}
        r = client.post("/rename", content=b"{", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json() == {"detail": "Invalid request format"}
        r = client.post("/rename", content=b"name=x", headers={"Content-Type": "text/plain"})
        assert r.status_code == 415
        assert client.post("/rename", json={"name": ""}).status_code == 422
        r = client.post("/move", json={"src": {"x": 1, "y": 0}, "dst": {"x": 4, "y": 0}})
        assert r.json() == {"dx": 3}


def test_reserved_names() -> None:
    """guide.md, "Reserved keyword names"."""
    from squall import Squall

    app = Squall()

    @app.post("/debug/{kind}")
    def debug(kind: str, method, path, path_params, query_params, headers, cookies, body):
        return {
            "method": method,
            "path": path,
            "path_params": path_params,
            "query_params": query_params,
            "x_trace": headers.get("x-trace"),
            "cookies": cookies,
            "body": body,
        }

    with TestClient(app) as client:
        r = client.post("/debug/a?x=1", json={"k": "v"}, headers={"x-trace": "t1"}, cookies={"c": "2"})
        assert r.json() == {
            "method": "POST",
            "path": "/debug/a",
            "path_params": {"kind": "a"},
            "query_params": {"x": "1"},
            "x_trace": "t1",
            "cookies": {"c": "2"},
            "body": {"k": "v"},
        }
        # Not JSON: ``body`` is None rather than an error.
        r = client.post("/debug/a", content=b"plain text")
        assert r.status_code == 200 and r.json()["body"] is None


# -- Type hints and JSON Schema --------------------------------------------------


def test_type_hints_become_schema() -> None:
    """guide.md, "Type hints and JSON Schema"."""
    from squall import Query, Squall, schema_of

    @dataclasses.dataclass
    class Product:
        name: str
        price: Annotated[float, Query(gt=0)]
        kind: Literal["book", "pen"] = "pen"

    assert schema_of(Product) == {
        "$ref": "#/$defs/Product",
        "$defs": {
            "Product": {
                "type": "object",
                "title": "Product",
                "properties": {
                    "name": {"type": "string"},
                    "price": {"type": "number", "exclusiveMinimum": 0},
                    "kind": {"enum": ["book", "pen"]},
                },
                "required": ["name", "price"],
            }
        },
    }
    assert schema_of(list[int] | None) == {
        "anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]
    }

    app = Squall()

    @app.post("/products")
    async def create(product: Product):
        return product

    with TestClient(app) as client:
        r = client.post("/products", json={"name": "x", "price": 2})
        assert r.json() == {"name": "x", "price": 2.0, "kind": "pen"}
        r = client.post("/products", json={"name": "x", "price": 0, "kind": "cup"})
        assert sorted(e["loc"][1] for e in r.json()["errors"]) == ["kind", "price"]


def test_type_hints_pydantic_and_enum() -> None:
    """guide.md, "Type hints and JSON Schema": pydantic models and Enums."""
    pydantic = pytest.importorskip("pydantic")
    import enum

    from squall import Squall

    class Color(enum.Enum):
        red = "red"
        blue = "blue"

    class User(pydantic.BaseModel):
        name: str
        age: int = pydantic.Field(ge=0)
        color: Color = Color.red

    app = Squall()

    @app.post("/users/{color}")
    async def create_user(color: Color, user: User):
        return {"path_color": color, "user": user}

    with TestClient(app) as client:
        r = client.post("/users/blue", json={"name": "ann", "age": 3})
        assert r.json() == {"path_color": "blue", "user": {"name": "ann", "age": 3, "color": "red"}}
        r = client.post("/users/green", json={"name": "ann", "age": -1})
        assert [e["type"] for e in r.json()["errors"]] == ["enum", "greater_than_equal"]


# -- Explicit schemas -------------------------------------------------------------


def test_explicit_schemas() -> None:
    """guide.md, "Explicit schemas"."""
    from squall import Squall

    app = Squall()

    @app.post(
        "/orders",
        body_schema={
            "type": "object",
            "properties": {"qty": {"type": "integer", "minimum": 1}},
            "required": ["qty"],
        },
        parameters_schema={
            "query": {
                "type": "object",
                "properties": {"page": {"type": "integer", "minimum": 1, "default": 1}},
            }
        },
    )
    async def order(body, page: int = 1):
        return {"qty": body["qty"], "page": page}

    with TestClient(app) as client:
        assert client.post("/orders", json={"qty": 2}).json() == {"qty": 2, "page": 1}
        assert client.post("/orders?page=3", json={"qty": 2}).json() == {"qty": 2, "page": 3}
        r = client.post("/orders?page=0", json={"qty": 0})
        assert [e["loc"] for e in r.json()["errors"]] == [["query", "page"], ["body", "qty"]]


# -- Request ------------------------------------------------------------------------


def test_request_object() -> None:
    """guide.md, "The Request object"."""
    from squall import Request, Squall

    app = Squall()

    @app.post("/inspect/{name}")
    async def inspect_request(request: Request):
        data = await request.json()
        return {
            "method": request.method,
            "path": request.path,
            "name": request.path_params["name"],
            "query": request.query_params.getlist("q"),
            "agent": request.headers["user-agent"],
            "cookie": request.cookies.get("c"),
            "raw": len(await request.body()),
            "json": data,
            "client": request.client.host,
            "url": str(request.url).endswith("/inspect/x?q=1&q=2"),
        }

    with TestClient(app) as client:
        r = client.post("/inspect/x?q=1&q=2", json=[1, 2], headers={"User-Agent": "doc"}, cookies={"c": "v"})
        assert r.json() == {
            "method": "POST",
            "path": "/inspect/x",
            "name": "x",
            "query": ["1", "2"],
            "agent": "doc",
            "cookie": "v",
            "raw": 6,
            "json": [1, 2],
            "client": "127.0.0.1",
            "url": True,
        }


# -- Responses ----------------------------------------------------------------------


def test_responses() -> None:
    """guide.md, "Responses"."""
    import datetime as dt
    import decimal
    import uuid

    from squall import (
        HTMLResponse,
        JSONResponse,
        PlainTextResponse,
        RedirectResponse,
        Response,
        Squall,
    )

    app = Squall()

    @app.get("/values")
    async def values():
        return {
            "when": dt.date(2026, 1, 2),
            "id": uuid.UUID(int=1),
            "price": decimal.Decimal("1.10"),
            "tags": {"a"},
        }

    @app.get("/text")
    async def text():
        return PlainTextResponse("hello", headers={"Cache-Control": "no-store"})

    @app.get("/page")
    async def page():
        return HTMLResponse("<h1>hi</h1>", status_code=202)

    @app.get("/old")
    async def old():
        return RedirectResponse("/new")

    @app.get("/csv")
    async def csv():
        return Response(b"a,b\n1,2\n", media_type="text/csv")

    @app.post("/login")
    async def login():
        resp = JSONResponse({"ok": True}, status_code=200)
        resp.set_cookie("session", "abc", max_age=3600, httponly=True)
        return resp

    with TestClient(app) as client:
        assert client.get("/values").json() == {
            "when": "2026-01-02",
            "id": "00000000-0000-0000-0000-000000000001",
            "price": 1.10,
            "tags": ["a"],
        }
        r = client.get("/text")
        assert r.text == "hello" and r.headers["content-type"] == "text/plain; charset=utf-8"
        assert r.headers["cache-control"] == "no-store"
        r = client.get("/page")
        assert r.status_code == 202 and r.headers["content-type"] == "text/html; charset=utf-8"
        r = client.get("/old")
        assert r.status_code == 307 and r.headers["location"] == "/new"
        r = client.get("/csv")
        assert r.content == b"a,b\n1,2\n" and r.headers["content-type"] == "text/csv; charset=utf-8"
        r = client.post("/login")
        assert r.cookies == {"session": "abc"}
        assert "HttpOnly" in r.headers["set-cookie"] and "Max-Age=3600" in r.headers["set-cookie"]


def test_response_validation() -> None:
    """guide.md, "Responses": validate_response."""
    from squall import Squall

    app = Squall()

    @app.get("/count", validate_response=True)
    async def count() -> int:
        return "many"  # type: ignore[return-value]

    with TestClient(app) as client:
        r = client.get("/count")
        assert r.status_code == 500
        assert r.json()["title"] == "Internal Server Error"


# -- Errors ---------------------------------------------------------------------------


def test_http_exception() -> None:
    """guide.md, "Errors: HTTPException and problem+json"."""
    from squall import HTTPException, Squall

    app = Squall()

    @app.get("/items/{item_id:int}")
    async def read_item(item_id: int):
        if item_id != 1:
            raise HTTPException(404, f"item {item_id} does not exist", headers={"X-Reason": "unknown"})
        return {"id": 1}

    @app.get("/teapot")
    async def teapot():
        raise HTTPException(418, title="Short and Stout")

    @app.get("/crash")
    async def crash():
        raise RuntimeError("bug")

    with TestClient(app) as client:
        r = client.get("/items/2")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["x-reason"] == "unknown"
        assert r.json() == {
            "type": "https://squall.dev/errors/not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "item 2 does not exist",
        }
        assert client.get("/teapot").json() == {
            "type": "https://squall.dev/errors/i-m-a-teapot",
            "title": "Short and Stout",
            "status": 418,
            "detail": "I'm a Teapot",
        }
        assert client.get("/crash").json() == {
            "type": "https://squall.dev/errors/internal-server-error",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "Internal server error",
        }


def test_problem_details_off() -> None:
    """guide.md, "Errors": FastAPI's {"detail": ...} shape."""
    from squall import HTTPException, Squall

    app = Squall(problem_details=False)

    @app.get("/gone")
    async def gone():
        raise HTTPException(410, "moved away")

    with TestClient(app) as client:
        r = client.get("/gone")
        assert r.status_code == 410 and r.json() == {"detail": "moved away"}
        assert r.headers["content-type"] == "application/json"


def test_problem_type_base() -> None:
    """guide.md, "Errors": problem_type_base covers every problem, Python's and the core's."""
    from squall import HTTPException, Squall

    app = Squall(problem_type_base="https://example.com/probs/")

    @app.get("/gone")
    async def gone():
        raise HTTPException(410, "moved away")

    @app.get("/n")
    async def n(k: int):
        return k

    with TestClient(app) as client:
        assert client.get("/gone").json()["type"] == "https://example.com/probs/gone"
        # The replies the core renders by itself use the same base.
        assert client.get("/n?k=x").json()["type"] == "https://example.com/probs/validation-error"
        assert client.get("/nowhere").json()["type"] == "https://example.com/probs/not-found"
        r = client.request("DELETE", "/n")
        assert r.status_code == 405
        assert r.json()["type"] == "https://example.com/probs/method-not-allowed"


def test_exception_handlers() -> None:
    """guide.md, "Exception handlers"."""
    from squall import JSONResponse, Request, RequestValidationError, Squall

    app = Squall()

    class OutOfStock(Exception):
        def __init__(self, sku: str) -> None:
            self.sku = sku

    @app.exception_handler(OutOfStock)
    async def out_of_stock(request: Request, exc: OutOfStock):
        return JSONResponse({"sku": exc.sku, "path": request.path}, status_code=409)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError):
        return JSONResponse({"bad": [list(e["loc"]) for e in exc.errors()]}, status_code=400)

    @app.get("/buy/{sku}")
    def buy(sku: str, qty: int = 1):
        raise OutOfStock(sku)

    with TestClient(app) as client:
        r = client.get("/buy/x1")
        assert r.status_code == 409 and r.json() == {"sku": "x1", "path": "/buy/x1"}
        r = client.get("/buy/x1?qty=lots")
        assert r.status_code == 400 and r.json() == {"bad": [["query", "qty"]]}


# -- Forms and uploads ----------------------------------------------------------------


def test_forms_and_uploads() -> None:
    """guide.md, "Forms and uploads"."""
    from squall import File, Form, Squall, UploadFile

    app = Squall()

    @app.post("/login")
    async def login(username: str = Form(), remember: bool = Form(False)):
        return {"user": username, "remember": remember}

    @app.post("/avatar")
    async def avatar(image: UploadFile = File(), caption: str = Form("")):
        data = await image.read()
        return {"name": image.filename, "type": image.content_type, "size": len(data), "caption": caption}

    @app.post("/raw-upload")
    async def raw_upload(blob: bytes = File()):
        return {"size": len(blob)}

    with TestClient(app) as client:
        r = client.post("/login", data={"username": "ann", "remember": "on"})
        assert r.json() == {"user": "ann", "remember": True}
        r = client.post(
            "/avatar",
            files={"image": ("me.png", b"\x89PNG\r\n\x1a\n....", "image/png")},
            data={"caption": "me"},
        )
        assert r.json() == {"name": "me.png", "type": "image/png", "size": 12, "caption": "me"}
        r = client.post("/avatar", data={"caption": "no file"})
        assert r.status_code == 422
        assert [(e["type"], e["loc"]) for e in r.json()["errors"]] == [("missing", ["body", "image"])]
        r = client.post("/raw-upload", files={"blob": ("b.bin", b"\x00\x01\x02")})
        assert r.json() == {"size": 3}


# -- Lifespan ---------------------------------------------------------------------------


def test_lifespan_hooks() -> None:
    """guide.md, "Lifespan hooks"."""
    from squall import Squall

    app = Squall()
    state: dict[str, Any] = {}

    @app.on_startup
    async def open_pool():
        state["pool"] = "connected"

    @app.on_shutdown
    def close_pool():
        state["pool"] = "closed"

    @app.get("/pool")
    async def pool():
        return state["pool"]

    with TestClient(app) as client:
        assert client.get("/pool").json() == "connected"
    assert state["pool"] == "closed"


# -- Sync and async handlers -----------------------------------------------------------


def test_sync_async_inline() -> None:
    """guide.md, "def or async def"."""
    from squall import Squall

    app = Squall()

    @app.get("/blocking")
    def blocking():
        return threading.current_thread().name

    @app.get("/quick", inline=True)
    def quick():
        return threading.current_thread().name

    @app.get("/async")
    async def in_task():
        await asyncio.sleep(0)
        return asyncio.current_task() is not None

    with TestClient(app) as client:
        assert client.get("/blocking").json().startswith("squall-sync")
        assert client.get("/quick").json() == "squall-testclient"
        assert client.get("/async").json() is True


def test_streaming_response() -> None:
    """guide.md, "Streaming responses"."""
    from squall import Squall, StreamingResponse

    app = Squall()

    @app.get("/events")
    async def events():
        async def gen():
            for i in range(3):
                yield f"data: {i}\n\n"
                await asyncio.sleep(0.01)

        return StreamingResponse(gen(), media_type="text/event-stream")

    @app.get("/export")
    def export():
        def rows():
            yield "id,name\n"
            for i in range(1000):
                yield f"{i},row {i}\n"

        return StreamingResponse(rows(), media_type="text/csv")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.pdf")
        with open(path, "wb") as f:
            f.write(bytes(range(256)) * 1000)

        @app.get("/download")
        def download():
            def blocks():
                with open(path, "rb") as f:
                    while block := f.read(65536):
                        yield block

            size = os.path.getsize(path)
            return StreamingResponse(
                blocks(), media_type="application/pdf", headers={"Content-Length": str(size)}
            )

        with TestClient(app) as client:
            r = client.get("/download")
            assert r.headers["content-length"] == "256000"
            assert "transfer-encoding" not in r.headers
            assert r.content == bytes(range(256)) * 1000

    with TestClient(app) as client:
        r = client.get("/events")
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["transfer-encoding"] == "chunked"
        assert r.text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
        lines = client.get("/export").text.splitlines()
        assert lines[0] == "id,name" and lines[-1] == "999,row 999" and len(lines) == 1001


def test_file_response() -> None:
    """guide.md, "Files"."""
    from squall import FileResponse, Squall

    app = Squall()
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "q3.pdf"), "wb") as f:
            f.write(b"%PDF-1.7 report")

        @app.get("/reports/{name}")
        async def report(name: str):
            return FileResponse(os.path.join(root, f"{name}.pdf"), filename=f"{name}.pdf")

        with TestClient(app) as client:
            r = client.get("/reports/q3")
            assert r.content == b"%PDF-1.7 report"
            assert r.headers["content-type"] == "application/pdf"
            assert r.headers["content-length"] == "15"
            assert r.headers["content-disposition"] == 'attachment; filename="q3.pdf"'
            assert "etag" in r.headers and "last-modified" in r.headers
            assert client.get("/reports/q4").status_code == 500


# -- Limits -------------------------------------------------------------------------------


def test_limits() -> None:
    """guide.md, "Limits and timeouts"."""
    from squall import Squall

    app = Squall(max_body_depth=4)

    @app.post("/echo")
    async def echo(body: dict[str, Any]):
        return body

    with TestClient(app, limits={"max_body": 64, "max_headers": 20}) as client:
        assert client.post("/echo", json={"a": 1}).json() == {"a": 1}
        r = client.post("/echo", json={"a": "x" * 100})
        assert r.status_code == 413
        assert r.json() == {
            "error": "Payload Too Large",
            "message": "Request body size exceeds maximum allowed size of 64 bytes",
        }
        r = client.post("/echo", json={"a": {"b": {"c": {"d": {}}}}})
        assert r.status_code == 400
        r = client.get("/echo", headers={f"x-h{i}": "v" for i in range(30)})
        assert r.status_code == 431


def test_cors() -> None:
    """guide.md, "CORS"."""
    from squall import CORS, Squall

    app = Squall(
        cors=CORS(
            allow_origins=["https://app.example.com"],
            allow_origin_regex=r"https://.*\.example\.org",
            allow_methods=["GET", "POST"],
            allow_headers=["X-Token"],
            expose_headers=["X-Total-Count"],
            max_age=600,
        )
    )

    @app.get("/items")
    async def items():
        return []

    with TestClient(app) as client:
        r = client.request(
            "OPTIONS",
            "/items",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-token, content-type",
            },
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-methods"] == "GET, POST"
        assert r.headers["access-control-allow-headers"] == "x-token, content-type"
        assert r.headers["access-control-max-age"] == "600"
        r = client.request(
            "OPTIONS",
            "/items",
            headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"},
        )
        assert r.status_code == 403
        r = client.get("/items", headers={"Origin": "https://app.example.com"})
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        assert r.headers["vary"] == "Origin"
        assert r.headers["access-control-expose-headers"] == "X-Total-Count"
        r = client.get("/items", headers={"Origin": "https://other.example.com"})
        assert "access-control-allow-origin" not in r.headers
        r = client.get("/items", headers={"Origin": "https://shop.example.org"})
        assert r.headers["access-control-allow-origin"] == "https://shop.example.org"
        r = client.get("/items", headers={"Origin": "https://shop.example.org.evil.com"})
        assert "access-control-allow-origin" not in r.headers


def test_maintenance() -> None:
    """guide.md, "Maintenance: answering 503"."""
    from squall import Squall

    app = Squall()

    @app.get("/items")
    async def items():
        return []

    app.set_unavailable(retry_after=120)
    with TestClient(app) as client:
        r = client.get("/items")
        assert (r.status_code, r.headers["retry-after"]) == (503, "120")
        assert r.json()["error"] == "Service Unavailable"
        assert app.unavailable == 120
        app.set_available()
        assert client.get("/items").json() == []
        assert app.unavailable is None


# -- Running ---------------------------------------------------------------------------------


def test_testclient_process_mode() -> None:
    """guide.md, "Testing": process=True forks a worker as squall run does."""
    from squall import Squall

    app = Squall()

    @app.get("/pid")
    async def pid():
        return os.getpid()

    with TestClient(app, process=True) as client:
        assert client.get("/pid").json() != os.getpid()
    with TestClient(app) as client:
        assert client.get("/pid").json() == os.getpid()


RUN_APP = textwrap.dedent(
    """
    import os
    from squall import Squall

    app = Squall()

    @app.post("/pid")
    async def pid(body: dict):
        return {"pid": os.getpid()}
    """
)


def test_squall_run_command(tmp_path: Path) -> None:
    """guide.md, "Running": squall run main:app --workers 2 --limit max_body=1024 --access-log."""
    (tmp_path / "main.py").write_text(RUN_APP)
    env = subprocess_env()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "squall",
            "run",
            "main:app",
            "--port",
            "0",
            "--workers",
            "2",
            "--limit",
            "max_body=1024",
            "--access-log",
        ],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"serving on http://127\.0\.0\.1:(\d+) with 2 worker\(s\)", line)
        assert match is not None, line
        port = int(match.group(1))
        statuses = []
        for body in (b"{}", b'{"a": "' + b"x" * 2000 + b'"}'):
            for _ in range(20):  # workers may still be starting
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                try:
                    conn.request("POST", "/pid", body=body, headers={"Content-Type": "application/json"})
                    statuses.append(conn.getresponse().status)
                    break
                except ConnectionError:
                    import time

                    time.sleep(0.1)
                finally:
                    conn.close()
        assert statuses == [200, 413]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0


# -- docs/c-core.md ----------------------------------------------------------------------------


def test_c_core_example(tmp_path: Path) -> None:
    """c-core.md, "A complete example": extracted from the page, compiled, served."""
    import json
    import shutil

    root = Path(__file__).resolve().parents[2]
    lib = root / "build" / "libsquallcore.a"
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None or not lib.exists():
        pytest.skip("needs a C compiler and build/libsquallcore.a (make)")
    page = (root / "docs" / "c-core.md").read_text()
    source = re.search(r"```c\n(#include.*?)```", page, re.DOTALL)
    assert source is not None
    (tmp_path / "hello.c").write_text(source.group(1))
    build = subprocess.run(
        [
            cc,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wshadow",
            "-Wstrict-prototypes",
            f"-I{root / 'include'}",
            "hello.c",
            str(lib),
            "-lpcre2-8",
            "-lpthread",
            "-lm",
            "-o",
            "hello",
        ],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    proc = subprocess.Popen([str(tmp_path / "hello")], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().rsplit(" ", 1)[1])

        def get(target: str) -> tuple[int, Any]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", target)
                resp = conn.getresponse()
                return resp.status, json.loads(resp.read())
            finally:
                conn.close()

        assert get("/items/7?limit=3") == (200, {"id": 7, "limit": 3})
        assert get("/items/7") == (200, {"id": 7, "limit": 10})
        status, problem = get("/items/7?limit=0")
        assert status == 422 and problem["errors"][0]["loc"] == ["query", "limit"]
        assert get("/items/x")[0] == 422
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
