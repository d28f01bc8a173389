"""End to end: a typed template segment validates its value even when the
handler does not declare the parameter (422 from the validator, not 404)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from squall import Body, Request, Squall


def make_app() -> Squall:
    app = Squall()

    @app.get("/items/{id:uuid}")
    def item(request: Request) -> dict[str, Any]:
        return {"id": str(request.path_params["id"])}

    @app.get("/count/{n:int}")
    def count() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/ratio/{x:float}")
    def ratio(**kwargs: Any) -> dict[str, Any]:
        return {"kwargs": kwargs}

    @app.get("/files/{rest:path}")
    def files() -> dict[str, bool]:
        return {"ok": True}

    return app


def test_uuid_segment(make_client: Any) -> None:
    client = make_client(make_app())
    uid = "123e4567-e89b-12d3-a456-426614174000"
    r = client.get(f"/items/{uid}")
    assert r.status_code == 200, r.text
    assert r.json() == {"id": uid}
    r = client.get("/items/not-a-uuid")
    assert r.status_code == 422, r.text
    (err,) = r.json()["errors"]
    assert (err["type"], err["loc"]) == ("uuid_parsing", ["path", "id"])
    # The segment's own check: no parser's reason in the message.
    assert err["msg"] == "Input should be a valid UUID"


def test_uuid_segment_with_annotation(make_client: Any) -> None:
    app = Squall()

    @app.get("/things/{id:uuid}")
    def thing(id: uuid.UUID) -> dict[str, Any]:
        return {"type": type(id).__name__, "id": str(id)}

    client = make_client(app)
    uid = "123e4567-e89b-12d3-a456-426614174000"
    # The segment's shape is the router's (8-4-4-4-12 hex digits, any case); the handler gets a UUID.
    assert client.get(f"/things/{uid.upper()}").json() == {"type": "UUID", "id": uid}
    assert client.get(f"/things/{{{uid}}}").status_code == 422
    r = client.get("/things/not-a-uuid")
    assert r.status_code == 422
    assert r.json()["errors"][0]["msg"] == "Input should be a valid UUID"


def test_int_and_float_segments(make_client: Any) -> None:
    client = make_client(make_app())
    assert client.get("/count/3").json() == {"ok": True}
    r = client.get("/count/abc")
    assert r.status_code == 422, r.text
    assert [(e["type"], e["loc"]) for e in r.json()["errors"]] == [("int_parsing", ["path", "n"])]
    # A handler taking **kwargs receives the typed value.
    assert client.get("/ratio/1.5").json() == {"kwargs": {"x": 1.5}}
    r = client.get("/ratio/abc")
    assert r.status_code == 422
    assert r.json()["errors"][0]["type"] == "float_parsing"


def test_path_segment(make_client: Any) -> None:
    client = make_client(make_app())
    assert client.get("/files/a/b.txt").json() == {"ok": True}


def test_undeclared_segment_with_a_body(make_client: Any) -> None:
    app = Squall()

    @app.post("/orders/{order:int}/notes")
    def note(text: Annotated[str, Body(embed=True)], request: Request) -> dict[str, Any]:
        return {"text": text, "order": request.path_params["order"]}

    client = make_client(app)
    r = client.post("/orders/7/notes", json={"text": "hi"})
    assert r.status_code == 200, r.text
    assert r.json() == {"text": "hi", "order": 7}
    r = client.post("/orders/x/notes", json={"text": 1})
    assert r.status_code == 422
    assert sorted(e["loc"][0] for e in r.json()["errors"]) == ["body", "path"]
