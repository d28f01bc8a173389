"""End to end: the explicit-schema path (parameters_schema=, the conformance
fixtures' handler.parameters) against the validator's route spec."""

from __future__ import annotations

from typing import Any

from squall import Squall, UploadFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 8


def test_cookie_attribute_hints_are_not_schema(make_client: Any) -> None:
    # cookies/25_cookie_samesite_lax and 27_cookie_httponly_flag: attributes of
    # the Set-Cookie that sent the cookie, not constraints on its value.
    app = Squall()

    @app.get(
        "/data",
        parameters_schema={"cookies": {"tracking": {"type": "string", "required": True, "samesite": "Lax"}}},
    )
    def data(tracking: str) -> dict[str, str]:
        return {"tracking": tracking}

    @app.get(
        "/secure",
        parameters_schema={"cookies": {"session": {"type": "string", "required": True, "httponly": True}}},
    )
    def secure(session: str) -> dict[str, str]:
        return {"session": session}

    client = make_client(app)
    assert client.get("/data", cookies={"tracking": "track123"}).json() == {"tracking": "track123"}
    assert client.get("/secure", cookies={"session": "abc"}).json() == {"session": "abc"}
    r = client.get("/secure")
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [["cookie", "session"]]


def test_every_fixture_hint_is_translated_or_dropped(make_client: Any) -> None:
    # One route using every hint key the fixtures write next to a parameter's schema.
    app = Squall()

    @app.get(
        "/items/{id}",
        parameters_schema={
            "path": {"id": {"type": "string", "format": "uuid", "uuidVersion": "3"}},
            "query": {
                "tags": {"type": "array", "items": {"type": "string"}, "separator": ";", "optional": True},
                "limit": {"type": "integer", "annotation": "int", "default": 10, "description": "page size"},
            },
            "headers": {"X-Token": {"type": "string", "optional": True, "default": None}},
        },
    )
    def item(
        id: str, tags: list[str] | None = None, limit: int = 0, x_token: str | None = None
    ) -> dict[str, Any]:
        return {"id": id, "tags": tags, "limit": limit, "token": x_token}

    client = make_client(app)
    uid = "e8b5a51d-11c8-3310-a6ab-367563f20686"
    r = client.get(f"/items/{uid}?tags=a;b")
    assert r.status_code == 200, r.text
    assert r.json() == {"id": uid, "tags": ["a", "b"], "limit": 10, "token": None}
    assert client.get("/items/not-a-uuid").status_code == 422


def test_required_without_annotation_uses_jsonschema_wording(make_client: Any) -> None:
    # headers/34_api_key_header_invalid: "required": true and no "annotation".
    app = Squall()
    pattern = "^[a-f0-9]{32}$"

    @app.get(
        "/api/data",
        parameters_schema={
            "headers": {"X-API-Key": {"type": "string", "pattern": pattern, "required": True}}
        },
    )
    def data(x_api_key: str) -> dict[str, str]:
        return {"key": x_api_key}

    @app.get(
        "/typed",
        parameters_schema={"query": {"q": {"type": "string", "pattern": pattern, "annotation": "str"}}},
    )
    def typed(q: str) -> dict[str, str]:
        return {"q": q}

    client = make_client(app)
    err = client.get("/api/data", headers={"X-API-Key": "invalid-key"}).json()["errors"][0]
    assert err["type"] == "validation_error"
    assert err["loc"] == ["headers", "x-api-key"]
    assert err["ctx"] == {"pattern": pattern, "value": "invalid-key"}
    assert "input" not in err
    # An annotated parameter keeps pydantic's words.
    assert client.get("/typed?q=nope").json()["errors"][0]["type"] == "string_pattern_mismatch"


def _files_app() -> Squall:
    app = Squall()

    @app.post(
        "/upload",
        parameters_schema={
            "files": {
                "image": {"required": True, "content_type": ["image/png"], "validate_magic_numbers": True}
            }
        },
    )
    async def upload(image: UploadFile) -> dict[str, Any]:
        return {"filename": image.filename, "content_type": image.content_type, "size": image.size}

    @app.post(
        "/empty", parameters_schema={"files": {"file": {"required": True, "validate_magic_numbers": True}}}
    )
    async def empty(file: UploadFile) -> dict[str, Any]:
        return {"size": file.size}

    @app.post("/optional", parameters_schema={"files": {"doc": {"required": False}}})
    async def optional(doc: UploadFile | None = None) -> dict[str, Any]:
        return {"doc": None if doc is None else doc.filename}

    return app


def test_files_group_becomes_body_files_spec(make_client: Any) -> None:
    client = make_client(_files_app())
    r = client.post("/upload", files={"image": ("a.png", PNG, "image/png")})
    assert r.status_code == 200, r.text
    assert r.json() == {"filename": "a.png", "content_type": "image/png", "size": len(PNG)}

    # multipart/20_file_mime_spoofing_jpeg_as_png
    r = client.post("/upload", files={"image": ("fake.png", JPEG, "image/png")})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["loc"] == ["files", "image"]
    assert err["msg"] == "File type mismatch: MIME type is image/png but magic numbers indicate image/jpeg"

    # A content type outside "content_type".
    r = client.post("/upload", files={"image": ("a.txt", b"hello", "text/plain")})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [["files", "image"]]

    # Missing: reported once.
    r = client.post("/upload", files={"other": ("a.png", PNG, "image/png")})
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in r.json()["errors"]] == [("missing", ["files", "image"])]

    # multipart/22_file_empty_buffer
    r = client.post("/empty", files={"file": ("empty.txt", b"", "text/plain")})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert (err["loc"], err["msg"]) == (["files", "file"], "File buffer is empty")


def test_optional_file(make_client: Any) -> None:
    client = make_client(_files_app())
    assert client.post("/optional", files={"doc": ("d.txt", b"x", "text/plain")}).json() == {"doc": "d.txt"}
    assert client.post("/optional", files={"other": ("d.txt", b"x", "text/plain")}).json() == {"doc": None}


def test_str_annotation_with_format_is_checked_not_parsed(make_client: Any) -> None:
    # query_params/40 ("annotation": "str") against validation_errors/11 (no annotation: a UUID).
    app = Squall()

    @app.get(
        "/as-text",
        parameters_schema={"query": {"id": {"type": "string", "format": "uuid", "annotation": "str"}}},
    )
    def as_text(id: str) -> dict[str, str]:
        return {"id": id}

    @app.get("/as-uuid", parameters_schema={"query": {"id": {"type": "string", "format": "uuid"}}})
    def as_uuid(id: str) -> dict[str, str]:
        return {"id": id}

    client = make_client(app)
    simple = "E8B5A51D11C83310A6AB367563F20686"
    assert client.get(f"/as-text?id={simple}").json() == {"id": simple}  # the text as sent
    assert client.get(f"/as-uuid?id={simple}").json() == {"id": "e8b5a51d-11c8-3310-a6ab-367563f20686"}
    short = client.get("/as-text?id=not-a-uuid").json()["errors"][0]
    assert (short["type"], short["msg"]) == ("uuid_parsing", "Input should be a valid UUID")
    long = client.get("/as-uuid?id=not-a-uuid").json()["errors"][0]
    assert long["type"] == "uuid_parsing"
    assert long["msg"].startswith("Input should be a valid UUID, invalid character")
