"""End to end: UploadFile built from the validated file parts (filename,
content type, part headers, size and bytes), with an explicit body schema."""

from __future__ import annotations

from typing import Annotated, Any

from squall import File, Form, Squall, UploadFile


async def _describe(f: UploadFile) -> dict[str, Any]:
    data = await f.read()
    return {
        "filename": f.filename,
        "content_type": f.content_type,
        "x_note": f.headers.get("x-note"),
        "size": f.size,
        "content": data.decode("latin-1"),
    }


def make_app() -> Squall:
    app = Squall()

    # multipart/01_simple_file_upload's shape: body_schema names the file field.
    @app.post(
        "/explicit",
        body_schema={
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}, "note": {"type": "string"}},
            "required": ["file"],
        },
    )
    async def explicit(file: UploadFile, note: str = "none") -> dict[str, Any]:
        return {**await _describe(file), "note": note}

    @app.post("/many")
    async def many(
        title: Annotated[str, Form()], docs: Annotated[list[UploadFile], File()]
    ) -> dict[str, Any]:
        return {"title": title, "docs": [await _describe(d) for d in docs]}

    return app


def test_explicit_schema_upload(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post(
        "/explicit",
        data={"note": "hi"},
        files={"file": ("report.csv", b"a,b\n1,2\n", "text/csv", {"X-Note": "first"})},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "filename": "report.csv",
        "content_type": "text/csv",
        "x_note": "first",
        "size": 8,
        "content": "a,b\n1,2\n",
        "note": "hi",
    }
    r = client.post("/explicit", files={"other": ("x", b"x", "text/plain")})
    assert r.status_code == 422
    assert [(e["type"], e["loc"]) for e in r.json()["errors"]] == [("missing", ["body", "file"])]


def test_list_of_uploads_keeps_order_and_headers(make_client: Any) -> None:
    client = make_client(make_app())
    binary = bytes(range(256))
    r = client.post(
        "/many",
        data={"title": "t"},
        files=[
            ("docs", ("one.bin", binary, "application/octet-stream", {"X-Note": "1"})),
            ("docs", ("two.txt", b"", "text/plain")),
        ],
    )
    assert r.status_code == 200, r.text
    docs = r.json()["docs"]
    assert [d["filename"] for d in docs] == ["one.bin", "two.txt"]
    assert docs[0] == {
        "filename": "one.bin",
        "content_type": "application/octet-stream",
        "x_note": "1",
        "size": 256,
        "content": binary.decode("latin-1"),
    }
    assert (docs[1]["size"], docs[1]["content"], docs[1]["x_note"]) == (0, "", None)
