"""End to end: the core's non-422 refusals (400, 415, 413) keep their status
and body when the app has a RequestValidationError handler."""

from __future__ import annotations

from typing import Any

from squall import JSONResponse, Request, RequestValidationError, Squall, UploadFile


def make_app() -> Squall:
    app = Squall()

    @app.exception_handler(RequestValidationError)
    def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"custom": exc.errors()}, status_code=422)

    @app.post("/json")
    def take_json(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @app.post("/upload")
    async def upload(doc: UploadFile) -> dict[str, Any]:
        return {"name": doc.filename}

    return app


def test_malformed_json_stays_400(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/json", content=b"{bad", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json() == {"detail": "Invalid request format"}
    assert r.headers["content-type"] == "application/json"


def test_unsupported_media_type_stays_415(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/json", content=b"x=1", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["status"], body["title"]) == (415, "Unsupported Media Type")
    assert body["type"].endswith("/unsupported-media-type")
    r = client.post("/json", content=b"{}", headers={"Content-Type": "application/json; charset=latin-1"})
    assert r.status_code == 415
    assert r.json()["detail"] == "Unsupported charset 'latin-1' for JSON. Only UTF-8 is supported."


def test_bad_multipart_stays_400(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/upload", content=b"--x\r\n", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "multipart/form-data requires 'boundary' parameter"}


def test_real_validation_errors_still_reach_the_handler(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.post("/json", json=[1])
    assert r.status_code == 422
    assert r.json()["custom"][0]["type"] == "dict_type"
