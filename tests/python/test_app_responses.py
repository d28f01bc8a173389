"""Responses, HTTPException, unhandled errors and exception handlers."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from squall import (
    HTMLResponse,
    HTTPException,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Request,
    RequestValidationError,
    Response,
    Squall,
)

# -- pure unit tests of the response objects -----------------------------------


def test_response_basics() -> None:
    r = Response(b"raw", status_code=202, headers={"X-A": "1"}, media_type="application/octet-stream")
    assert r.status_code == 202 and r.body == b"raw"
    assert ("x-a", "1") in r.raw_headers
    assert ("content-type", "application/octet-stream") in r.raw_headers
    text = PlainTextResponse("héllo")
    assert text.body == "héllo".encode()
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert HTMLResponse("<b>x</b>").headers["content-type"] == "text/html; charset=utf-8"
    redirect = RedirectResponse("/next?a=1")
    assert redirect.status_code == 307 and redirect.headers["location"] == "/next?a=1"
    assert RedirectResponse("/x", status_code=301).status_code == 301


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b"])
def test_header_injection_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        Response(b"", headers={"X-A": value})
    with pytest.raises(ValueError):
        RedirectResponse(value.replace("a", "/a"))
    r = Response(b"")
    with pytest.raises(ValueError):
        r.set_header("x-b", value)


def test_bad_header_name_is_refused() -> None:
    with pytest.raises(ValueError):
        Response(b"", headers={"Bad Name": "v"})


def test_set_and_delete_cookie() -> None:
    r = Response(b"")
    r.set_cookie(
        "sid",
        "abc",
        max_age=60,
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    cookies = [v for k, v in r.raw_headers if k == "set-cookie"]
    assert len(cookies) == 1
    parts = [p.strip() for p in cookies[0].split(";")]
    assert parts[0] == "sid=abc"
    assert "Max-Age=60" in parts
    assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in parts
    assert "Path=/app" in parts and "Domain=example.com" in parts
    assert "Secure" in parts and "HttpOnly" in parts and "SameSite=Strict" in parts
    r.delete_cookie("sid")
    deleted = [v for k, v in r.raw_headers if k == "set-cookie"][1]
    assert deleted.startswith("sid=") and "Max-Age=0" in deleted
    with pytest.raises(ValueError):
        r.set_cookie("a", "b", samesite="bogus")  # type: ignore[arg-type]


def test_http_exception_attributes() -> None:
    exc = HTTPException(404)
    assert exc.status_code == 404 and exc.detail == "Not Found"
    assert HTTPException(400, "bad", headers={"X-E": "1"}).headers == {"X-E": "1"}


# -- end to end ------------------------------------------------------------------


@dataclasses.dataclass
class Pet:
    name: str


class TeapotError(Exception):
    pass


def make_app() -> Squall:
    app = Squall()

    @app.get("/dict")
    def as_dict() -> dict[str, Any]:
        return {"message": "Hello, World!", "n": [1, 2.5, None, True]}

    @app.get("/dataclass")
    async def as_dataclass() -> Pet:
        return Pet("rex")

    @app.get("/json")
    def json_response() -> JSONResponse:
        return JSONResponse({"a": 1}, status_code=203, headers={"X-Extra": "y"})

    @app.get("/text")
    def text() -> PlainTextResponse:
        return PlainTextResponse("plain", status_code=200)

    @app.get("/html")
    def html() -> HTMLResponse:
        return HTMLResponse("<h1>hi</h1>")

    @app.get("/redirect")
    def redirect() -> RedirectResponse:
        return RedirectResponse("/dict")

    @app.get("/cookie")
    def cookie() -> Response:
        r = Response("ok", media_type="text/plain")
        r.set_cookie("sid", "v1", httponly=True)
        r.set_cookie("theme", "dark")
        return r

    @app.get("/missing/{n}")
    def missing(n: int) -> None:
        raise HTTPException(404, f"item {n} not found", headers={"X-Reason": "gone"})

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("database password is hunter2")

    @app.get("/crash-sync")
    def crash_sync() -> None:
        raise KeyError("secret-key")

    @app.get("/teapot")
    def teapot() -> None:
        raise TeapotError("short and stout")

    @app.exception_handler(TeapotError)
    def on_teapot(request: Request, exc: TeapotError) -> JSONResponse:
        return JSONResponse({"error": str(exc), "path": request.path}, status_code=418)

    @app.get("/bad-return", validate_response=True)
    def bad_return() -> Pet:
        return {"nom": 1}  # type: ignore[return-value]

    return app


def test_return_values(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.get("/dict")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json() == {"message": "Hello, World!", "n": [1, 2.5, None, True]}
    assert client.get("/dataclass").json() == {"name": "rex"}
    r = client.get("/json")
    assert r.status_code == 203 and r.json() == {"a": 1} and r.headers["x-extra"] == "y"
    r = client.get("/text")
    assert r.text == "plain" and r.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/html").headers["content-type"].startswith("text/html")
    r = client.get("/redirect")
    assert r.status_code == 307 and r.headers["location"] == "/dict"
    r = client.get("/cookie")
    set_cookies = r.headers.getlist("set-cookie")
    assert len(set_cookies) == 2
    assert any(c.startswith("sid=v1") and "HttpOnly" in c for c in set_cookies)
    assert r.cookies == {"sid": "v1", "theme": "dark"}


def test_http_exception_is_problem_json(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.get("/missing/3")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["x-reason"] == "gone"
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["detail"] == "item 3 not found"
    assert body["type"].endswith("/errors/not-found")


@pytest.mark.parametrize(("path", "secret"), [("/crash", "hunter2"), ("/crash-sync", "secret-key")])
def test_unhandled_exception_reveals_nothing(make_client: Any, caplog: Any, path: str, secret: str) -> None:
    client = make_client(make_app())
    with caplog.at_level(logging.ERROR, logger="squall.error"):
        r = client.get(path)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert secret not in r.text and "Traceback" not in r.text
    # The body of the conformance fixture status_codes/14 (only the type's base differs).
    assert r.json() == {
        "type": "https://squall.dev/errors/internal-server-error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Internal server error",
    }
    assert any(
        secret in (rec.exc_text or "") or (rec.exc_info and secret in str(rec.exc_info[1]))
        for rec in caplog.records
    )


def test_custom_exception_handler(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.get("/teapot")
    assert r.status_code == 418 and r.json() == {"error": "short and stout", "path": "/teapot"}


def test_response_validation(make_client: Any) -> None:
    client = make_client(make_app())
    r = client.get("/bad-return")
    assert r.status_code == 500


def test_validation_error_handler_replaces_the_422(make_client: Any) -> None:
    app = Squall()

    @app.get("/n")
    def n(x: int) -> dict[str, int]:
        return {"x": x}

    @app.exception_handler(RequestValidationError)
    def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"count": len(exc.errors()), "first": exc.errors()[0]["loc"]}, status_code=400)

    client = make_client(app)
    assert client.get("/n", params={"x": "1"}).json() == {"x": 1}
    r = client.get("/n", params={"x": "a"})
    assert r.status_code == 400
    assert r.json() == {"count": 1, "first": ["query", "x"]}


def test_http_exception_custom_title_and_fastapi_style(make_client: Any) -> None:
    problem = Squall()
    fastapi_style = Squall(problem_details=False)
    for app in (problem, fastapi_style):

        @app.get("/key")
        def key() -> None:
            raise HTTPException(401, "Expected 'X-API-Key' header", title="Missing API key")

    r = make_client(problem).get("/key")
    assert r.status_code == 401
    assert r.json() == {
        "type": "https://squall.dev/errors/unauthorized",
        "title": "Missing API key",
        "status": 401,
        "detail": "Expected 'X-API-Key' header",
    }
    r = make_client(fastapi_style).get("/key")
    assert r.status_code == 401 and r.headers["content-type"] == "application/json"
    assert r.json() == {"detail": "Expected 'X-API-Key' header"}


def test_validation_error_raised_by_a_handler_is_a_422(make_client: Any) -> None:
    app = Squall()

    @app.post("/check")
    def check(body: dict[str, Any]) -> dict[str, bool]:
        if body.get("a") != 1:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ["body", "a"],
                        "msg": "Value error, a must be 1",
                        "input": body.get("a"),
                    }
                ]
            )
        return {"ok": True}

    client = make_client(app)
    assert client.post("/check", json={"a": 1}).json() == {"ok": True}
    r = client.post("/check", json={"a": 2})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {
        "type": "https://squall.dev/errors/validation-error",
        "title": "Request Validation Failed",
        "status": 422,
        "detail": "1 validation error in request",
        "errors": [
            {"type": "value_error", "loc": ["body", "a"], "msg": "Value error, a must be 1", "input": 2}
        ],
    }


def test_app_wide_response_validation(make_client: Any) -> None:
    app = Squall(validate_responses=True)

    @app.get("/good")
    def good() -> list[int]:
        return [1, 2]

    @app.get("/bad")
    def bad() -> list[int]:
        return ["x"]  # type: ignore[list-item]

    @app.get("/unchecked", validate_response=False)
    def unchecked() -> list[int]:
        return ["x"]  # type: ignore[list-item]

    client = make_client(app)
    assert client.get("/good").json() == [1, 2]
    assert client.get("/bad").status_code == 500
    assert client.get("/unchecked").json() == ["x"]
