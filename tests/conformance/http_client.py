"""One request over a real TCP socket and its reply, read by hand (the
runner must see exactly what the server wrote: repeated headers, no body on
HEAD, a reply to a request it cut short)."""

from __future__ import annotations

import dataclasses
import json
import socket
from typing import Any

from .http_request import BuiltRequest


@dataclasses.dataclass
class Reply:
    status: int
    reason: str
    headers: list[tuple[str, str]]  # names in lower case
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def header_list(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def json(self) -> Any:
        return json.loads(self.body)


class ProtocolError(Exception):
    pass


def send(port: int, request: BuiltRequest, timeout: float = 10.0) -> Reply:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request.to_bytes(f"127.0.0.1:{port}"))
            if request.half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (413, 431) and close before reading everything
        data = bytearray()
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            if _complete(bytes(data), request.method):
                break
    return parse(bytes(data), request.method)


def _split(data: bytes) -> tuple[bytes, bytes] | None:
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    return data[:end], data[end + 4 :]


def _complete(data: bytes, method: str) -> bool:
    parts = _split(data)
    if parts is None:
        return False
    try:
        parse(data, method, final=False)
    except ProtocolError:
        return False
    return True


def parse(data: bytes, method: str, final: bool = True) -> Reply:
    """``final``: the connection is closed, so a body without a length ends here."""
    parts = _split(data)
    if parts is None:
        raise ProtocolError(f"incomplete reply head: {data[:200]!r}")
    head, rest = parts
    lines = head.decode("latin-1").split("\r\n")
    version, _, status_reason = lines[0].partition(" ")
    if not version.startswith("HTTP/"):
        raise ProtocolError(f"bad status line {lines[0]!r}")
    code, _, reason = status_reason.partition(" ")
    status = int(code)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    hmap = dict(headers)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Reply(status, reason, headers, b"")
    if "chunked" in hmap.get("transfer-encoding", "").lower():
        return Reply(status, reason, headers, _dechunk(rest))
    if "content-length" in hmap:
        n = int(hmap["content-length"])
        if len(rest) < n:
            raise ProtocolError("short body")
        return Reply(status, reason, headers, rest[:n])
    if not final:
        raise ProtocolError("body delimited by close: wait for it")
    return Reply(status, reason, headers, rest)


def _dechunk(rest: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        eol = rest.find(b"\r\n", pos)
        if eol < 0:
            raise ProtocolError("short chunked body")
        size = int(rest[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            return bytes(out)
        if len(rest) < pos + size + 2:
            raise ProtocolError("short chunk")
        out += rest[pos : pos + size]
        pos += size + 2
