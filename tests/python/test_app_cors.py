"""End to end: Squall(cors=CORS(...)) is answered by the engine (preflights
never reach a handler; the Access-Control lines ride on every answer to an
allowed origin, errors and streams included), and app.set_unavailable makes
the engine answer 503 before routing."""

from __future__ import annotations

from typing import Any

import pytest

from squall import CORS, Squall, StreamingResponse

ORIGIN = "https://app.example.com"


def make_app(cors: CORS | None) -> tuple[Squall, list[str]]:
    app = Squall(cors=cors)
    calls: list[str] = []

    @app.get("/items/{item_id:int}")
    def read_item(item_id: int) -> dict[str, Any]:
        calls.append("read")
        return {"item_id": item_id}

    @app.post("/items")
    def add_item(body: dict[str, int]) -> dict[str, Any]:
        calls.append("add")
        return body

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts():
            yield b"a"
            yield b"b"

        return StreamingResponse(parts(), media_type="text/plain")

    return app, calls


POLICY = CORS(
    allow_origins=[ORIGIN, "https://admin.example.com"],
    allow_methods=["GET", "POST", "PUT", "DELETE"],
    allow_headers=["X-Token"],
    expose_headers=["X-Total-Count"],
    max_age=86400,
)


def preflight(client: Any, method: str, headers: str | None = None, origin: str = ORIGIN) -> Any:
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    return client.request("OPTIONS", "/items", headers=h)


def test_allowed_preflight_is_answered_by_the_engine(make_client: Any) -> None:
    app, calls = make_app(POLICY)
    client = make_client(app)
    r = preflight(client, "POST", "Content-Type, X-Token")
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE"
    assert r.headers["access-control-allow-headers"] == "Content-Type, X-Token"
    assert r.headers["access-control-max-age"] == "86400"
    assert r.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in r.headers
    assert r.content == b""
    assert calls == []


@pytest.mark.parametrize(
    ("method", "headers", "origin", "why"),
    [
        ("PATCH", None, ORIGIN, "the requested method is not allowed"),
        ("POST", "X-Secret", ORIGIN, "a requested header is not allowed"),
        ("GET", None, "https://evil.example.com", "the origin is not allowed"),
    ],
)
def test_refused_preflight_is_403(
    make_client: Any, method: str, headers: str | None, origin: str, why: str
) -> None:
    app, calls = make_app(POLICY)
    client = make_client(app)
    r = preflight(client, method, headers, origin)
    assert r.status_code == 403
    assert r.json()["detail"] == f"CORS preflight refused: {why}"
    assert "access-control-allow-origin" not in r.headers
    assert calls == []


def test_actual_requests_carry_the_lines(make_client: Any) -> None:
    app, calls = make_app(POLICY)
    client = make_client(app)
    r = client.get("/items/7", headers={"Origin": "https://admin.example.com"})
    assert r.status_code == 200
    assert r.json() == {"item_id": 7}
    assert r.headers["access-control-allow-origin"] == "https://admin.example.com"
    assert r.headers["access-control-expose-headers"] == "X-Total-Count"
    assert r.headers["vary"] == "Origin"
    # A validation error and a missing route from an allowed origin: the page can read them too.
    r = client.post("/items", json={"a": "x"}, headers={"Origin": ORIGIN})
    assert r.status_code == 422
    assert r.headers["access-control-allow-origin"] == ORIGIN
    r = client.get("/nope", headers={"Origin": ORIGIN})
    assert r.status_code == 404
    assert r.headers["access-control-allow-origin"] == ORIGIN
    r = client.get("/stream", headers={"Origin": ORIGIN})
    assert r.text == "ab"
    assert r.headers["access-control-allow-origin"] == ORIGIN
    # Another origin, or none: served, without the lines.
    for headers in ({"Origin": "https://evil.example.com"}, {}):
        r = client.get("/items/8", headers=headers)
        assert r.status_code == 200
        assert not any(k.startswith("access-control-") for k in r.headers)
    assert calls == ["read", "read", "read"]


def test_wildcard_and_credentials(make_client: Any) -> None:
    app, _ = make_app(CORS(allow_origins=["*"]))
    r = make_client(app).get("/items/1", headers={"Origin": "https://any.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "vary" not in r.headers
    app, _ = make_app(CORS(allow_origins=["*"], allow_credentials=True))
    r = make_client(app).get("/items/1", headers={"Origin": "https://any.example"})
    assert r.headers["access-control-allow-origin"] == "https://any.example"
    assert r.headers["access-control-allow-credentials"] == "true"


def test_without_a_policy_nothing_changes(make_client: Any) -> None:
    app, _ = make_app(None)
    client = make_client(app)
    r = preflight(client, "POST")
    assert r.status_code == 204  # the router's OPTIONS answer
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/items/1", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in r.headers


def test_origin_regex_must_match_the_whole_origin(make_client: Any) -> None:
    pattern = r"https://[a-z0-9-]+\.example\.org"
    policy = CORS(allow_origins=[ORIGIN], allow_origin_regex=pattern, allow_methods=["POST"])
    app, calls = make_app(policy)
    client = make_client(app)
    for origin in ("https://shop.example.org", "https://a-1.example.org"):
        r = client.get("/items/1", headers={"Origin": origin})
        assert r.headers["access-control-allow-origin"] == origin
        assert r.headers["vary"] == "Origin"
        assert preflight(client, "POST", origin=origin).status_code == 200
    # The exact list still applies next to the pattern.
    assert client.get("/items/1", headers={"Origin": ORIGIN}).headers["access-control-allow-origin"] == ORIGIN
    # A match inside the origin is not a match (re.fullmatch, as Starlette).
    for origin in (
        "https://shop.example.org.evil.com",
        "evil://https://shop.example.org",
        "https://shop.example.orgx",
        "http://shop.example.org",
    ):
        r = client.get("/items/1", headers={"Origin": origin})
        assert "access-control-allow-origin" not in r.headers, origin
        assert preflight(client, "POST", origin=origin).status_code == 403, origin
    assert len(calls) == 7


def test_engine_refuses_a_pattern_it_cannot_compile() -> None:
    # CORS() checks the pattern with Python's re first; a pattern that only
    # PCRE2 refuses reaches the engine, which must say so by name.
    from squall import _squall

    with pytest.raises(ValueError, match="allow_origin_regex is not a valid PCRE2 pattern"):
        _squall.Server(port=0, cors={"allow_origins": "", "allow_origin_regex": "https://(unclosed"})


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"allow_origin_regex": "https://(unclosed"}, ValueError),
        ({"allow_origin_regex": ""}, TypeError),
        ({"allow_origin_regex": "https://a\n.example"}, ValueError),
        ({"allow_origins": "https://a.example"}, TypeError),
        ({"allow_origins": ["https://a.example, https://b.example"]}, ValueError),
        ({"allow_headers": ["X-A\r\nX-B: 1"]}, ValueError),
        ({"allow_methods": [""]}, ValueError),
        ({"max_age": -1}, ValueError),
        ({"max_age": True}, ValueError),
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        CORS(**kwargs)


def test_cors_must_be_a_policy() -> None:
    with pytest.raises(TypeError):
        Squall(cors={"allow_origins": ["*"]})  # type: ignore[arg-type]


def test_unavailable_answers_503_before_routing(make_client: Any) -> None:
    app, calls = make_app(None)
    app.set_unavailable(retry_after=30)
    assert app.unavailable == 30
    client = make_client(app)
    for path in ("/items/1", "/nope"):
        r = client.get(path)
        assert r.status_code == 503
        assert r.headers["retry-after"] == "30"
        assert r.json() == {
            "error": "Service Unavailable",
            "message": "The service is temporarily unavailable. Please try again later.",
        }
    assert calls == []
    app.set_available()  # while serving
    assert app.unavailable is None
    assert client.get("/items/1").status_code == 200
    app.set_unavailable()
    r = client.get("/items/1")
    assert (r.status_code, r.headers["retry-after"]) == (503, "0")
    assert calls == ["read"]
    with pytest.raises(ValueError):
        app.set_unavailable(-1)


def test_unavailable_with_cors_lets_the_page_read_the_503(make_client: Any) -> None:
    app, calls = make_app(POLICY)
    app.set_unavailable(retry_after=5)
    client = make_client(app)
    assert preflight(client, "POST").status_code == 200  # still answered
    r = client.get("/items/1", headers={"Origin": ORIGIN})
    assert r.status_code == 503
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert r.headers["retry-after"] == "5"
    assert calls == []
