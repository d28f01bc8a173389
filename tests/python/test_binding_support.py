"""Shared pieces of the binding tests (test_binding_*.py): a worker running
a bare ``_squall.Server`` in a thread, and a tiny raw-socket HTTP client.

These tests talk to the extension directly (no squall.Squall app), so they
pin down the contract in _squall.pyi: kwargs building, async/sync dispatch,
responses, errors, JSON.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

try:
    from squall import _squall
    from squall._worker import WorkerControl, run_worker
except ImportError:  # pragma: no cover - reported by the skip below
    _squall = None  # type: ignore[assignment]

needs_ext = pytest.mark.skipif(_squall is None, reason="squall._squall is not built")


@dataclass
class Resp:
    """Stand-in for squall.Response (the attributes the binding reads)."""

    status_code: int = 200
    body: bytes = b""
    raw_headers: list[tuple[str, str]] = field(default_factory=list)


class FakeRequest:
    """What request_factory receives, kept as is for assertions."""

    def __init__(self, method, path, query_string, headers, body, path_params, client, validated):
        self.method = method
        self.path = path
        self.query_string = query_string
        self.headers = headers
        self.body = body
        self.path_params = path_params
        self.client = client
        self.validated = validated


class TeapotError(Exception):
    """Turned into a 418 Resp by the test error handler."""


def error_handler(exc: BaseException, request: Any) -> Resp | None:
    if isinstance(exc, TeapotError):
        body = json.dumps({"detail": str(exc), "path": getattr(request, "path", None)})
        return Resp(418, body.encode(), [("content-type", "application/json")])
    return None


def spec(*params: dict[str, Any], body: dict[str, Any] | None = None) -> str:
    doc: dict[str, Any] = {"parameters": list(params)}
    if body is not None:
        doc["body"] = body
    return json.dumps(doc)


def param(
    name: str,
    source: str,
    schema: dict[str, Any],
    *,
    required: bool = True,
    key: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "source": source,
        "key": key or name,
        "required": required,
        "schema": schema,
        **extra,
    }


@dataclass
class Route:
    methods: str
    path: str
    endpoint: Callable[..., Any]
    spec: str | None = None
    kwnames: tuple[str, ...] = ()
    converters: tuple[Any, ...] | None = None
    body_kwarg: str | None = None
    body_converter: Callable[[Any], Any] | None = None
    request_kwarg: str | None = None
    is_async: bool = False
    inline: bool = False
    status_code: int = 200
    wants_errors: bool = False


class Worker:
    """run_worker in a thread, serving the given routes on an ephemeral port."""

    def __init__(
        self,
        routes: list[Route],
        *,
        validation_error_handler=None,
        threads=None,
        on_startup=(),
        on_shutdown=(),
        limits=None,
        error_handler=None,
    ):
        self.routes = routes
        self.control = WorkerControl()
        self.veh = validation_error_handler
        self.limits = limits
        self.result: list[Any] = []
        self.error_handler = error_handler or globals()["error_handler"]

        def build_server(loop, executor):
            server = _squall.Server(host="127.0.0.1", port=0, limits=self.limits)
            server.configure(
                loop=loop,
                executor=executor,
                response_type=Resp,
                error_handler=self.error_handler,
                validation_error_handler=self.veh,
                request_factory=FakeRequest,
            )
            for r in routes:
                server.add_route(
                    r.methods,
                    r.path,
                    r.endpoint,
                    spec=r.spec,
                    kwnames=list(r.kwnames),
                    converters=list(r.converters) if r.converters is not None else [None] * len(r.kwnames),
                    body_kwarg=r.body_kwarg,
                    body_converter=r.body_converter,
                    request_kwarg=r.request_kwarg,
                    is_async=r.is_async,
                    inline=r.inline,
                    status_code=r.status_code,
                    wants_errors=r.wants_errors,
                )
            return server

        def main():
            try:
                self.result.append(
                    run_worker(
                        build_server,
                        install_signals=False,
                        control=self.control,
                        threads=threads,
                        on_startup=on_startup,
                        on_shutdown=on_shutdown,
                    )
                )
            except BaseException as exc:
                self.result.append(exc)
                self.control.started.set()

        self.thread = threading.Thread(target=main, daemon=True)

    def __enter__(self) -> Worker:
        self.thread.start()
        assert self.control.started.wait(10), "worker did not start"
        if self.result and isinstance(self.result[0], BaseException):
            raise self.result[0]
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> Any:
        self.control.stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "worker did not stop"
        return self.result[0] if self.result else None

    @property
    def port(self) -> int:
        assert self.control.port is not None
        return self.control.port


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _read_reply(sock: socket.socket) -> Reply:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the head: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Reply(status, headers, rest[:length])


def request(
    port: int,
    method: str,
    target: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    """One request on a fresh connection."""
    hdrs = {"Host": "127.0.0.1", "Connection": "close", **(headers or {})}
    if body or method in ("POST", "PUT", "PATCH"):
        hdrs["Content-Length"] = str(len(body))
    text = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(text.encode("latin-1") + b"\r\n" + body)
        return _read_reply(sock)


def get(port: int, target: str, **kw: Any) -> Reply:
    return request(port, "GET", target, **kw)


def test_support_client_parses_a_reply() -> None:
    """The helper client itself: a canned reply served by a plain socket."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok")
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    reply = get(port, "/")
    t.join()
    srv.close()
    assert reply.status == 201
    assert reply.headers["x-a"] == "b"
    assert reply.body == b"ok"
