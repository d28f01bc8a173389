"""End to end: handler parameters by signature, over real sockets."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from typing import Annotated, Any

from squall import Cookie, Header, Path, Query, Request, Router, Squall


class Kind(enum.Enum):
    A = "a"
    B = "b"


def make_app() -> Squall:
    app = Squall()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None, x_token: str = Header()) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "x_token": x_token}

    @app.get("/typed/{oid}")
    def typed(
        oid: uuid.UUID,
        day: dt.date,
        kind: Kind = Kind.A,
        flag: bool = False,
        ratio: float = 1.0,
        tags: list[str] = Query(default=[]),
    ) -> dict[str, Any]:
        return {
            "oid_type": type(oid).__name__,
            "day_type": type(day).__name__,
            "kind_is_member": isinstance(kind, Kind),
            "kind": kind.value,
            "flag": flag,
            "ratio": ratio,
            "tags": tags,
        }

    @app.get("/limits")
    def limits(
        page: Annotated[int, Query(ge=1, le=5)] = 1, name: str = Query(default="x", max_length=3)
    ) -> dict[str, Any]:
        return {"page": page, "name": name}

    @app.get("/aliases")
    def aliases(
        item_query: str = Query(alias="item-query"),
        user_agent: str = Header(alias="User-Agent"),
        session_id: str | None = Cookie(default=None),
    ) -> dict[str, Any]:
        return {"item_query": item_query, "user_agent": user_agent, "session_id": session_id}

    @app.get("/path/{name}")
    def by_path(name: str = Path(min_length=2)) -> dict[str, str]:
        return {"name": name}

    @app.post("/created", status_code=201)
    def created() -> dict[str, bool]:
        return {"ok": True}

    @app.route("/multi", methods=["GET", "PUT"])
    def multi(request: Request) -> dict[str, str]:
        return {"method": request.method}

    api = Router(prefix="/api")

    @api.get("/ping")
    def ping() -> str:
        return "pong"

    @api.delete("/things/{tid}")
    def delete_thing(tid: int) -> dict[str, int]:
        return {"deleted": tid}

    app.include_router(api)
    return app


def test_path_query_header(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.get("/items/42", params={"q": "hello"}, headers={"X-Token": "secret"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"item_id": 42, "q": "hello", "x_token": "secret"}
    r = client.get("/items/7", headers={"x-token": "t"})
    assert r.json() == {"item_id": 7, "q": None, "x_token": "t"}


def test_invalid_values_never_reach_the_handler(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.get("/items/notanint", headers={"x-token": "t"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422
    assert any(e["loc"][-1] == "item_id" for e in body["errors"])
    r = client.get("/items/1")  # missing required header
    assert r.status_code == 422
    assert [e["type"] for e in r.json()["errors"]] == ["missing"]
    # The conformance fixtures spell the header source "headers".
    assert r.json()["errors"][0]["loc"] == ["headers", "x-token"]


def test_converted_types(make_client: Any) -> None:
    client = make_client(make_app())
    oid = str(uuid.uuid4())
    r = client.get(
        f"/typed/{oid}",
        params=[
            ("day", "2024-02-29"),
            ("kind", "b"),
            ("flag", "true"),
            ("ratio", "2"),
            ("tags", "x"),
            ("tags", "y"),
        ],
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "oid_type": "UUID",
        "day_type": "date",
        "kind_is_member": True,
        "kind": "b",
        "flag": True,
        "ratio": 2.0,
        "tags": ["x", "y"],
    }
    assert client.get(f"/typed/{oid}", params={"day": "2024-02-30"}).status_code == 422
    assert client.get(f"/typed/{oid}", params={"day": "2024-02-01", "kind": "c"}).status_code == 422


def test_constraints(make_client: Any) -> None:
    client = make_client(make_app())
    assert client.get("/limits", params={"page": "5"}).json() == {"page": 5, "name": "x"}
    r = client.get("/limits", params={"page": "6", "name": "long"})
    assert r.status_code == 422
    assert sorted(e["loc"][-1] for e in r.json()["errors"]) == ["name", "page"]
    assert client.get("/path/a").status_code == 422
    assert client.get("/path/ab").json() == {"name": "ab"}


def test_aliases_headers_cookies(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.get(
        "/aliases", params={"item-query": "v"}, headers={"User-Agent": "ua/1"}, cookies={"session_id": "s1"}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"item_query": "v", "user_agent": "ua/1", "session_id": "s1"}


def test_status_code_methods_and_router(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/created")
    assert r.status_code == 201 and r.json() == {"ok": True}
    assert client.get("/multi").json() == {"method": "GET"}
    assert client.put("/multi").json() == {"method": "PUT"}
    assert client.post("/multi").status_code == 405
    assert client.get("/api/ping").json() == "pong"
    assert client.delete("/api/things/3").json() == {"deleted": 3}
    assert client.get("/nowhere").status_code == 404
    head = client.head("/api/ping")
    assert head.status_code == 200 and head.content == b""


@dataclasses.dataclass
class Filters:
    q: str


def test_app_rejects_a_bad_declaration_at_start() -> None:
    import pytest

    app = Squall()

    @app.get("/x")
    def bad(x: int = Path()) -> None:
        pass

    with pytest.raises(TypeError):
        app.compile()


def test_duplicate_route_is_an_error_at_start() -> None:
    import pytest

    app = Squall()

    @app.get("/x")
    def one() -> None:
        pass

    @app.route("/x", methods=["POST", "GET"])
    def two() -> None:
        pass

    with pytest.raises(ValueError, match="declared twice"):
        app.compile()


def test_route_options_are_defined_once() -> None:
    """The decorators' keyword type and the stored options never drift apart."""
    import dataclasses as dc

    from squall._routing import RouteKwargs, RouteOptions

    assert set(RouteKwargs.__annotations__) == {f.name for f in dc.fields(RouteOptions)}
