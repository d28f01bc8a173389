"""The core's request deadlines seen through an app: a request head or body
that does not arrive in time is answered 408 before the connection closes."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from squall import Squall


def read_to_eof(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize(
    ("limits", "sent"),
    [
        ({"header_timeout": 0.3}, b"GET / HTTP/1.1\r\nHost: x\r\nX-Partial: 1"),
        ({"body_timeout": 0.3}, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"),
    ],
)
def test_a_late_request_gets_408(make_client: Any, limits: dict[str, float], sent: bytes) -> None:
    app = Squall()

    @app.route("/", methods=["GET", "POST"])
    async def root() -> dict[str, int]:
        return {"ok": 1}

    client = make_client(app, limits=limits)
    s = socket.create_connection(("127.0.0.1", client.port), timeout=5)
    s.sendall(sent)
    data = read_to_eof(s)
    s.close()
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b"connection: close" in data.lower()
