"""_squall.Server end to end over sockets: kwargs from validated values,
responses, errors (issue 3 points 1, 6, 7 as far as the binding goes)."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import logging
import socket
import threading
import time

import pytest
from test_binding_support import (
    FakeRequest,
    Resp,
    Route,
    TeapotError,
    Worker,
    _squall,
    get,
    needs_ext,
    param,
    request,
    spec,
)

pytestmark = needs_ext


def test_plain_return_is_json_with_route_status():
    def hello():
        return {"message": "Hello, World!", "n": [1, 2.5, None]}

    def created():
        return "made"

    with Worker(
        [Route("GET", "/", hello, inline=True), Route("POST", "/c", created, inline=True, status_code=201)]
    ) as w:
        r = get(w.port, "/")
        assert r.status == 200
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"message": "Hello, World!", "n": [1, 2.5, None]}
        r = request(w.port, "POST", "/c")
        assert (r.status, r.json()) == (201, "made")


def test_kwargs_from_validated_values_with_defaults_and_converters():
    seen = []

    def item(item_id, q="default-q", limit=10, x_token=None):
        seen.append((item_id, q, limit, x_token))
        return {"item_id": item_id, "q": q, "limit": limit, "x_token": x_token}

    s = spec(
        param("item_id", "path", {"type": "integer"}),
        param("q", "query", {"type": "string"}, required=False),
        param("limit", "query", {"type": "integer"}, required=False),
        param("x_token", "header", {"type": "string"}, required=False, key="x-token"),
    )
    route = Route(
        "GET",
        "/items/{item_id:int}",
        item,
        spec=s,
        kwnames=("item_id", "q", "limit", "x_token"),
        converters=(None, str.upper, lambda v: v * 2, None),
        inline=True,
    )
    with Worker([route]) as w:
        r = get(w.port, "/items/42?q=hello&limit=7", headers={"X-Token": "tok"})
        assert r.status == 200, r.body
        assert r.json() == {"item_id": 42, "q": "HELLO", "limit": 14, "x_token": "tok"}
        # Absent optional parameters are omitted: the Python defaults apply.
        r = get(w.port, "/items/5")
        assert r.json() == {"item_id": 5, "q": "default-q", "limit": 10, "x_token": None}
        # Invalid input never reaches the endpoint: the core answers 422.
        before = len(seen)
        r = get(w.port, "/items/5?limit=notanint")
        assert r.status == 422
        assert len(seen) == before
    assert seen[0] == (42, "HELLO", 14, "tok")
    assert isinstance(seen[0][0], int)


@dataclasses.dataclass
class Order:
    sku: str
    qty: int


def test_body_kwarg_with_converter_and_request_kwarg():
    captured = {}

    def create(order, request):
        captured["order"] = order
        captured["request"] = request
        return {"sku": order.sku, "qty": order.qty}

    s = spec(
        body={
            "media": "json",
            "required": True,
            "schema": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                "required": ["sku", "qty"],
            },
        }
    )
    route = Route(
        "POST",
        "/orders/{shop}",
        create,
        spec=s,
        body_kwarg="order",
        body_converter=lambda d: Order(**d),
        request_kwarg="request",
        inline=True,
        status_code=201,
    )
    with Worker([route]) as w:
        body = json.dumps({"sku": "ü-1", "qty": 3}).encode()
        r = request(
            w.port,
            "POST",
            "/orders/main?x=1&x=2",
            body=body,
            headers={"Content-Type": "application/json", "X-Dup": "a"},
        )
        assert r.status == 201, r.body
        assert r.json() == {"sku": "ü-1", "qty": 3}
        r = request(
            w.port, "POST", "/orders/main", body=b'{"sku": 1}', headers={"Content-Type": "application/json"}
        )
        assert r.status == 422
    order, req = captured["order"], captured["request"]
    assert order == Order("ü-1", 3)
    assert isinstance(req, FakeRequest)
    assert req.method == "POST"
    assert req.path == "/orders/main"
    assert req.query_string == "x=1&x=2"
    assert ("X-Dup", "a") in req.headers
    assert req.body == body
    assert req.path_params == {"shop": "main"}
    assert req.client[0] == "127.0.0.1" and isinstance(req.client[1], int)


def test_route_without_spec_gets_raw_json_body():
    got = []

    def echo(payload=None):
        got.append(payload)
        return payload

    with Worker([Route("POST", "/echo", echo, body_kwarg="payload", inline=True)]) as w:
        r = request(w.port, "POST", "/echo", body=b'{"a": [1, "\\u00e9"]}')
        assert r.json() == {"a": [1, "é"]}
        r = request(w.port, "POST", "/echo", body=b"")
        assert r.json() is None
        r = request(w.port, "POST", "/echo", body=b"{not json")
        assert r.status == 500  # no validator declared: the binding cannot do better
    assert got == [{"a": [1, "é"]}, None]


def test_response_objects_sent_as_is():
    def custom():
        return Resp(
            202,
            b"raw \x00 bytes",
            [("content-type", "text/plain"), ("x-a", "1"), ("set-cookie", "a=1"), ("set-cookie", "b=2")],
        )

    def split():
        return Resp(200, b"x", [("x-evil", "a\r\nInjected: yes")])

    with Worker([Route("GET", "/c", custom, inline=True), Route("GET", "/split", split, inline=True)]) as w:
        with socket.create_connection(("127.0.0.1", w.port)) as sock:
            sock.sendall(b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 202")
        assert head.count(b"set-cookie:") == 2
        assert b"x-a: 1" in head
        assert body == b"raw \x00 bytes"
        r = get(w.port, "/split")
        assert r.status == 500
        assert "injected" not in r.headers


def test_exceptions_go_to_the_error_handler_and_are_logged(caplog):
    def teapot():
        raise TeapotError("short and stout")

    def boom():
        raise RuntimeError("secret internal detail")

    def unencodable():
        return {"x": object()}

    routes = [
        Route("GET", "/teapot", teapot, inline=True),
        Route("GET", "/boom", boom, inline=True),
        Route("GET", "/enc", unencodable, inline=True),
        Route("GET", "/pool-boom", boom),
    ]
    with caplog.at_level(logging.ERROR, logger="squall.error"), Worker(routes) as w:
        r = get(w.port, "/teapot")
        assert r.status == 418
        assert r.json() == {"detail": "short and stout", "path": "/teapot"}
        for path in ("/boom", "/enc", "/pool-boom"):
            r = get(w.port, path)
            assert r.status == 500
            assert r.headers["content-type"] == "application/problem+json"
            problem = r.json()
            assert problem["status"] == 500
            assert b"secret" not in r.body and b"Traceback" not in r.body
    records = [rec for rec in caplog.records if rec.name == "squall.error"]
    assert len(records) == 3
    assert any(rec.exc_info and "secret internal detail" in str(rec.exc_info[1]) for rec in records)
    assert any(rec.exc_info and isinstance(rec.exc_info[1], TypeError) for rec in records)


def test_failing_or_odd_error_handler_gives_plain_500(caplog):
    def boom():
        raise TeapotError("x")

    def bad_handler(exc, req):
        raise ValueError("handler broke")

    def odd_handler(exc, req):
        return {"not": "a Response"}

    for handler in (bad_handler, odd_handler):
        caplog.clear()
        with (
            caplog.at_level(logging.ERROR, logger="squall.error"),
            Worker([Route("GET", "/", boom, inline=True)], error_handler=handler) as w,
        ):
            r = get(w.port, "/")
            assert r.status == 500
            assert r.json()["status"] == 500
        assert any(rec.name == "squall.error" for rec in caplog.records)


def test_validation_error_handler_for_wants_errors_routes():
    calls = []

    def veh(errors, req):
        calls.append((errors, req))
        return Resp(400, json.dumps({"n": len(errors)}).encode(), [("content-type", "application/json")])

    def limited(limit):
        return limit

    s = spec(param("limit", "query", {"type": "integer", "maximum": 10}))
    routes = [Route("GET", "/l", limited, spec=s, kwnames=("limit",), inline=True, wants_errors=True)]
    with Worker(routes, validation_error_handler=veh) as w:
        assert get(w.port, "/l?limit=3").json() == 3
        r = get(w.port, "/l?limit=99")
        assert r.status == 400
        assert r.json() == {"n": 1}
        r = get(w.port, "/l")
        assert r.status == 400
    errors, req = calls[0]
    assert errors[0]["loc"] == ("query", "limit")
    assert isinstance(errors[0]["msg"], str) and errors[0]["type"]
    assert errors[0]["input"] in (99, "99")  # the raw query text, as pydantic reports it
    assert isinstance(req, FakeRequest) and req.path == "/l"
    assert calls[1][0][0]["type"] == "missing"


def test_keep_alive_many_requests_one_connection():
    counter = {"n": 0}

    def count():
        counter["n"] += 1
        return counter["n"]

    with (
        Worker([Route("GET", "/n", count, inline=True)]) as w,
        socket.create_connection(("127.0.0.1", w.port), timeout=5) as sock,
    ):
        sock.sendall(b"GET /n HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
        data = b""
        while data.count(b"HTTP/1.1 200") < 20 or not data.endswith(b"20"):
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    assert counter["n"] == 20


def test_add_route_errors_are_python_exceptions():
    server = _squall.Server(port=0)
    try:
        with pytest.raises(ValueError):
            server.add_route(
                "GET",
                "/x/{bad",
                lambda: 1,
                spec=None,
                kwnames=[],
                converters=[],
                body_kwarg=None,
                body_converter=None,
                request_kwarg=None,
                is_async=False,
                inline=True,
                status_code=200,
                wants_errors=False,
            )
        with pytest.raises(ValueError):
            server.add_route(
                "GET",
                "/y",
                lambda: 1,
                spec="{not json",
                kwnames=[],
                converters=[],
                body_kwarg=None,
                body_converter=None,
                request_kwarg=None,
                is_async=False,
                inline=True,
                status_code=200,
                wants_errors=False,
            )
        with pytest.raises(TypeError):
            server.add_route(
                "GET",
                "/z",
                42,
                spec=None,
                kwnames=[],
                converters=[],
                body_kwarg=None,
                body_converter=None,
                request_kwarg=None,
                is_async=False,
                inline=True,
                status_code=200,
                wants_errors=False,
            )
        with pytest.raises(RuntimeError):
            server.start()  # not configured
        assert server.port > 0
        assert isinstance(server.fileno(), int)
    finally:
        server.close()
    with pytest.raises(RuntimeError):
        server.fileno()
    assert server.drained() is True


def test_server_refuses_bad_limits_and_busy_port():
    with pytest.raises(ValueError):
        _squall.Server(port=0, limits={"no_such_limit": 1})
    with pytest.raises(ValueError):
        _squall.Server(port=0, limits={"max_body": -1})
    a = _squall.Server(port=0, limits={"max_body": 10, "reuse_port": 0})
    try:
        with pytest.raises(OSError):
            _squall.Server(port=a.port, limits={"reuse_port": 0})
    finally:
        a.close()


def test_server_checks_its_cors_policy():
    with pytest.raises(TypeError):
        _squall.Server(port=0, cors=["*"])
    with pytest.raises(TypeError, match="allow_origins"):
        _squall.Server(port=0, cors={"allow_origins": ["*"]})
    with pytest.raises(ValueError, match=r"cors\[allow_headers\] holds a control character"):
        _squall.Server(port=0, cors={"allow_origins": "*", "allow_headers": "X-A\r\nX-B: 1"})
    with pytest.raises(ValueError, match="max_age"):
        _squall.Server(port=0, cors={"max_age": -5})

    class Boom:
        def __bool__(self):
            raise ZeroDivisionError("from __bool__")

    with pytest.raises(ZeroDivisionError):  # the error itself, not a SystemError
        _squall.Server(port=0, cors={"allow_origins": "*", "allow_credentials": Boom()})

    policy = {"allow_origins": "https://a.example"}

    class Mutating:
        def __bool__(self):
            # Drops the last reference to the origins' str while the binding converts flags.
            policy["allow_origins"] = "https://b" + ".example"
            return True

    policy["allow_credentials"] = Mutating()
    server = _squall.Server(port=0, cors=policy)  # the policy as it stands afterwards
    server.close()


def test_limits_reach_the_core():
    def echo(body=None):
        return body

    with Worker([Route("POST", "/", echo, body_kwarg="body", inline=True)], limits={"max_body": 16}) as w:
        assert request(w.port, "POST", "/", body=b'"short"').json() == "short"
        assert request(w.port, "POST", "/", body=b'"' + b"x" * 100 + b'"').status == 413


@pytest.mark.parametrize("threshold", [0, 0.000005])
def test_heavy_answers_all_arrive_with_send_batching_on_or_off(threshold):
    """Handlers that work a millisecond each, on several connections at
    once: with batching (held to the end of the loop turn) or without, every
    client gets its own answer."""

    def heavy(n: int = 0):
        until = time.perf_counter() + 0.001
        while time.perf_counter() < until:
            pass
        return {"n": n}

    with pytest.raises(ValueError):
        _squall.Server(port=0, limits={"send_batch_max_wait": -1})
    limits = {"send_batch_threshold": threshold, "send_batch_max_wait": 0.0005}
    s = spec(param("n", "query", {"type": "integer"}))
    routes = [Route("GET", "/", heavy, spec=s, kwnames=("n",), inline=True)]
    with Worker(routes, limits=limits) as w, concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda n: request(w.port, "GET", f"/?n={n}").json(), range(40)))
    assert replies == [{"n": n} for n in range(40)]


def test_threads_do_not_share_a_connection_state():
    """Many clients at once against inline and pool endpoints."""

    def inline():
        return "i"

    def pool():
        return "p"

    with Worker([Route("GET", "/i", inline, inline=True), Route("GET", "/p", pool)]) as w:
        results = []

        def client(path):
            results.append(get(w.port, path).json())

        threads = [threading.Thread(target=client, args=("/i" if n % 2 else "/p",)) for n in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == ["i"] * 20 + ["p"] * 20


def test_reentrant_poll_and_close_from_a_handler_are_refused():
    holder = {}

    def reenter():
        holder["server"].poll()

    def close():
        holder["server"].close()

    routes = [Route("GET", "/poll", reenter, inline=True), Route("GET", "/close", close, inline=True)]
    import gc

    with Worker(routes) as w:
        # Find this worker's server: the one bound to our port.
        holder["server"] = next(
            o for o in gc.get_objects() if isinstance(o, _squall.Server) and _port_or_none(o) == w.port
        )
        assert get(w.port, "/poll").status == 500
        assert get(w.port, "/close").status == 500
        assert get(w.port, "/poll").status == 500  # still serving
    holder.clear()


def _port_or_none(server):
    try:
        return server.port
    except RuntimeError:
        return None


def test_multipart_file_parts_replace_their_filenames_in_the_body():
    got = []

    def upload(form):
        got.append(form)
        return {"ok": True}

    s = spec(
        body={
            "media": "multipart",
            "required": True,
            "schema": {
                "type": "object",
                "properties": {
                    "one": {"type": "string", "format": "binary"},
                    "many": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "note": {"type": "string"},
                },
            },
        }
    )
    boundary = "XyZ"
    parts = [
        ('name="note"', None, b"hello"),
        ('name="one"; filename="a.txt"', "text/plain", b"AAA\r\nbinary\x00"),
        ('name="many"; filename="b.bin"', None, b"BB"),
        ('name="many"; filename="c.bin"', "application/octet-stream", b"C"),
    ]
    body = b""
    for disp, ctype, data in parts:
        body += f"--{boundary}\r\nContent-Disposition: form-data; {disp}\r\n".encode()
        if ctype:
            body += f"Content-Type: {ctype}\r\n".encode()
        body += b"\r\n" + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    with Worker([Route("POST", "/up", upload, spec=s, body_kwarg="form", inline=True)]) as w:
        r = request(
            w.port,
            "POST",
            "/up",
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.status == 200, r.body
    form = got[0]
    assert form["note"] == "hello"
    one = form["one"]
    assert one["filename"] == "a.txt"
    assert one["content_type"] == "text/plain"
    assert one["content"] == b"AAA\r\nbinary\x00"
    assert any(k.lower() == "content-type" and v == "text/plain" for k, v in one["headers"])
    assert [p["filename"] for p in form["many"]] == ["b.bin", "c.bin"]
    assert form["many"][0]["content_type"] is None
    assert [p["content"] for p in form["many"]] == [b"BB", b"C"]


def test_core_timers_fire_through_the_asyncio_reader():
    """The core's timers (here the keep-alive timeout) run via its epoll fd
    registered in asyncio: an idle connection is closed on time."""
    with Worker([Route("GET", "/", lambda: 1, inline=True)], limits={"keepalive_timeout": 0.2}) as w:
        with socket.create_connection(("127.0.0.1", w.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = sock.recv(65536)
            assert data.startswith(b"HTTP/1.1 200")
            t0 = time.monotonic()
            rest = sock.recv(65536)  # blocks until the server closes
            elapsed = time.monotonic() - t0
        assert rest == b""
        assert 0.1 < elapsed < 3


def test_problem_type_base_is_checked_before_the_core_gets_it():
    # It now goes to sq_config (the core's own replies use it, see
    # test_docs_examples.py::test_problem_type_base); a base the core refuses
    # is a clear ValueError, not "cannot create server".
    from test_binding_support import _squall

    server = _squall.Server(host="127.0.0.1", port=0, problem_type_base="https://e.x/p/")
    server.close()
    with pytest.raises(ValueError, match="control character"):
        _squall.Server(host="127.0.0.1", port=0, problem_type_base="https://e.x/\r\n")
    with pytest.raises(ValueError, match="longer than"):
        _squall.Server(host="127.0.0.1", port=0, problem_type_base="x" * 300)
