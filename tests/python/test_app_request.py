"""The Request object, sync/async handlers and lifespan hooks, end to end."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Any

from squall import Request, Squall
from squall._datastructures import Headers, QueryParams
from squall._request import Request as RawRequest

# -- pure unit tests -----------------------------------------------------------


def test_multimaps() -> None:
    q = QueryParams([("a", "1"), ("b", "2"), ("a", "3")])
    assert q["a"] == "3" and q.getlist("a") == ["1", "3"] and list(q) == ["a", "b"]
    assert q.get("zz") is None and "b" in q and len(q) == 2
    h = Headers([("Content-Type", "text/plain"), ("X-A", "1"), ("x-a", "2")])
    assert h["content-type"] == "text/plain" and h["CONTENT-TYPE"] == "text/plain"
    assert h.getlist("X-A") == ["1", "2"]


def test_request_object_without_a_server() -> None:
    req = RawRequest(
        "GET",
        "/p/7",
        "a=1&a=2&b=x",
        [("Host", "example.org"), ("Cookie", 'k=v; q="quoted"')],
        b'{"z": 1}',
        {"id": "7"},
        ("10.0.0.1", 4242),
        {"path:id": 7, "query:b": "x", "query:a": [1, 2]},
    )
    assert req.method == "GET" and req.path == "/p/7"
    assert req.url.path == "/p/7" and req.url.query == "a=1&a=2&b=x"
    assert str(req.url) == "http://example.org/p/7?a=1&a=2&b=x"
    assert req.client is not None and req.client.host == "10.0.0.1" and req.client.port == 4242
    assert req.path_params == {"id": 7}
    assert req.query_params.getlist("a") == [1, 2]
    assert req.cookies == {"k": "v", "q": "quoted"}
    assert req.headers["host"] == "example.org"
    assert asyncio.run(req.body()) == b'{"z": 1}'


# -- end to end ------------------------------------------------------------------

request_id: contextvars.ContextVar[int] = contextvars.ContextVar("request_id", default=-1)


def make_app(events: list[str]) -> Squall:
    app = Squall()

    @app.on_startup
    async def start_async() -> None:
        events.append("startup-async")

    @app.on_startup
    def start_sync() -> None:
        events.append("startup-sync")

    @app.on_shutdown
    def stop() -> None:
        events.append("shutdown")

    @app.post("/echo/{name}")
    async def echo(name: str, request: Request) -> dict[str, Any]:
        return {
            "method": request.method,
            "path": request.path,
            "url_path": request.url.path,
            "query": request.url.query,
            "tags": request.query_params.getlist("tag"),
            "header": request.headers["X-Custom"],
            "cookie": request.cookies.get("c"),
            "client_host": request.client.host if request.client else None,
            "path_params": request.path_params,
            "body": (await request.body()).decode(),
            "json": await request.json(),
        }

    @app.get("/ctx/{n}")
    async def ctx(n: int) -> dict[str, Any]:
        request_id.set(n)
        await asyncio.sleep(0.01)
        task = asyncio.current_task()
        return {"n": request_id.get(), "task": task is not None}

    @app.get("/timeout")
    async def timeout() -> dict[str, bool]:
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(1)
        except TimeoutError:
            return {"timed_out": True}
        return {"timed_out": False}

    @app.get("/gather")
    async def gather() -> list[int]:
        async def one(i: int) -> int:
            await asyncio.sleep(0.001)
            return i

        return list(await asyncio.gather(*(one(i) for i in range(5))))

    @app.get("/sleep")
    def blocking() -> dict[str, str]:
        time.sleep(0.2)
        return {"thread": threading.current_thread().name}

    @app.get("/fast", inline=True)
    def fast() -> dict[str, bool]:
        return {"main": threading.current_thread().name != "squall-sync"}

    return app


def test_request_attributes(make_client: Any) -> None:
    client = make_client(make_app([]))
    r = client.post(
        "/echo/bob?tag=a&tag=b", json={"k": [1, 2]}, headers={"x-custom": "hdr"}, cookies={"c": "cv"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "POST" and body["path"] == "/echo/bob" and body["url_path"] == "/echo/bob"
    assert body["query"] == "tag=a&tag=b" and body["tags"] == ["a", "b"]
    assert body["header"] == "hdr" and body["cookie"] == "cv"
    assert body["client_host"] == "127.0.0.1"
    assert body["path_params"] == {"name": "bob"}
    assert body["json"] == {"k": [1, 2]}
    assert '"k"' in body["body"]


def test_asyncio_inside_handlers(make_client: Any) -> None:
    client = make_client(make_app([]))
    results: list[Any] = []

    def call(i: int) -> None:
        results.append((i, client.get(f"/ctx/{i}").json()))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(i for i, _ in results) == list(range(20))
    assert all(body == {"n": i, "task": True} for i, body in results)
    assert client.get("/timeout").json() == {"timed_out": True}
    assert client.get("/gather").json() == [0, 1, 2, 3, 4]


def test_sync_handler_does_not_block_the_loop(make_client: Any) -> None:
    client = make_client(make_app([]))
    slow = threading.Thread(target=client.get, args=("/sleep",))
    slow.start()
    time.sleep(0.02)
    start = time.monotonic()
    for _ in range(20):
        assert client.get("/fast").status_code == 200
    elapsed = time.monotonic() - start
    slow.join()
    assert elapsed < 0.2


def test_lifespan_hooks_run_once_per_worker() -> None:
    import pytest
    from conftest import HAVE_EXTENSION

    if not HAVE_EXTENSION:
        pytest.skip("squall._squall is not built")
    from squall.testing import TestClient

    events: list[str] = []
    with TestClient(make_app(events)) as client:
        assert events == ["startup-async", "startup-sync"]
        assert client.get("/gather").status_code == 200
    assert events == ["startup-async", "startup-sync", "shutdown"]


def test_url_parts() -> None:
    from squall import URL

    url = URL("/a", "x=1", "example.org:8080")
    assert (url.scheme, url.netloc, url.hostname, url.port) == (
        "http",
        "example.org:8080",
        "example.org",
        8080,
    )
    v6 = URL("/", "", "[::1]:9000")
    assert (v6.hostname, v6.port) == ("::1", 9000)
    assert URL("/p").port is None and str(URL("/p", "q=1")) == "/p?q=1"


def test_keyword_style_headers_cookies_query(make_client: Any) -> None:
    app = Squall()

    @app.get("/kw/{ref:uuid}")
    async def kw(path_params, query_params, headers, cookies):  # type: ignore[no-untyped-def]
        return {
            "path_params": {k: str(v) for k, v in path_params.items()},
            "query_params": query_params,
            "x_h": headers.get("x-h"),
            "lower": all(k == k.lower() for k in headers),
            "cookies": cookies,
        }

    client = make_client(app)
    ref = "12345678-1234-5678-1234-567812345678"
    r = client.get(f"/kw/{ref}", params={"a": "1"}, headers={"X-H": "v"}, cookies={"c": "d"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "path_params": {"ref": ref},
        "query_params": {"a": "1"},
        "x_h": "v",
        "lower": True,
        "cookies": {"c": "d"},
    }


def test_head_and_options_decorators(make_client: Any) -> None:
    from squall import Response

    app = Squall()

    @app.head("/h")
    def head() -> Response:
        return Response(b"", headers={"X-Head": "1"})

    @app.options("/o")
    def options() -> Response:
        return Response(b"", status_code=204, headers={"Allow": "GET, OPTIONS"})

    client = make_client(app)
    r = client.head("/h")
    assert r.status_code == 200 and r.headers["x-head"] == "1"
    r = client.options("/o")
    assert r.status_code == 204 and r.headers["allow"] == "GET, OPTIONS"


def test_testclient_builds_requests_like_requests_does(make_client: Any) -> None:
    app = Squall()

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        return {
            "body": (await request.body()).decode(),
            "ctype": request.headers.get("content-type"),
            "q": request.url.query,
        }

    client = make_client(app)
    r = client.post(
        "http://testserver/raw?a=1",
        params={"b": "2", "c": True},
        content=b"xyz",
        headers={"Content-Type": "text/plain"},
    )
    assert r.json() == {"body": "xyz", "ctype": "text/plain", "q": "a=1&b=2&c=true"}
    r = client.post("/raw", data={"k": ["1", "2"]})
    assert r.json() == {"body": "k=1&k=2", "ctype": "application/x-www-form-urlencoded", "q": ""}
    r = client.post("/raw", json={"x": None})
    assert r.json()["body"] == '{"x": null}' and r.json()["ctype"] == "application/json"
