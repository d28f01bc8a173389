"""Turning a fixture's ``request`` section into the exact bytes sent on the
socket (built by hand so that what a fixture writes, a wrong Content-Length
included, reaches the server unchanged)."""

from __future__ import annotations

import dataclasses
import json
import re
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

_REPEAT = re.compile(r"\{\{\s*repeat\s+'(.*?)'\s+(\d+)\s+times\s*\}\}")
_PATH_SAFE = "/%?=&;|:@!$'()*+,~-._[]"


@dataclasses.dataclass
class BuiltRequest:
    method: str
    target: str  # path and query as sent
    headers: list[tuple[str, str]]
    body: bytes
    half_close: bool = False  # the declared Content-Length exceeds the body: signal EOF

    def to_bytes(self, host: str) -> bytes:
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        if not any(k.lower() == "host" for k, _ in self.headers):
            lines.append(f"Host: {host}")  # unless the fixture sends its own
        lines += [f"{k}: {v}" for k, v in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body


def expand(value: Any) -> Any:
    """``{{ repeat 'x' N times }}`` anywhere in a string, recursively."""
    if isinstance(value, str):
        return _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), value)
    if isinstance(value, list):
        return [expand(v) for v in value]
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    return value


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


def _pairs(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Lists become the same key repeated."""
    out: list[tuple[str, str]] = []
    for k, v in data.items():
        for item in v if isinstance(v, list) else [v]:
            out.append((k, _scalar(item)))
    return out


def build_target(req: Mapping[str, Any]) -> str:
    target = urllib.parse.quote(req.get("path") or "/", safe=_PATH_SAFE)
    extra = []
    if req.get("query_params"):
        extra.append(urllib.parse.urlencode(_pairs(expand(req["query_params"]))))
    if req.get("query_string"):
        extra.append(str(req["query_string"]))
    extra = [e for e in extra if e]
    if extra:
        target += ("&" if "?" in target else "?") + "&".join(extra)
    return target


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    for k, v in headers:
        if k.lower() == "content-type":
            return v
    return None


def _multipart(fields: list[tuple[str, str]], files: list[Mapping[str, Any]], boundary: str) -> bytes:
    out = bytearray()
    for name, value in fields:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode("utf-8") + b"\r\n"
    for f in files:
        disposition = f'form-data; name="{f["field_name"]}"'
        if f.get("filename") is not None:
            disposition += f'; filename="{f["filename"]}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if f.get("content_type") is not None:
            out += f"Content-Type: {f['content_type']}\r\n".encode()
        for k, v in (f.get("headers") or {}).items():
            out += f"{k}: {v}\r\n".encode()
        out += b"\r\n" + file_content(f) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def file_content(f: Mapping[str, Any]) -> bytes:
    if "magic_bytes" in f:
        return bytes.fromhex(f["magic_bytes"] or "")
    return str(expand(f.get("content") or "")).encode("utf-8")


def build(req: Mapping[str, Any], handler: Mapping[str, Any] | None = None) -> BuiltRequest:
    handler = handler or {}
    method = req.get("method", "GET").upper()
    headers = [(k, _scalar(v)) for k, v in expand(req.get("headers") or {}).items()]
    cookies = req.get("cookies") or {}
    if cookies:
        headers.append(("Cookie", "; ".join(f"{k}={_scalar(v)}" for k, v in expand(cookies).items())))
    ctype = _content_type(headers)
    declared_type = ctype or req.get("content_type")
    form = req.get("form_data") if req.get("form_data") is not None else req.get("data")
    files = req.get("files")
    body: bytes = b""
    has_body = True
    multipart = files is not None or (declared_type or "").lower().startswith("multipart/")
    if "body" in req:
        value = expand(req["body"])
        body = (
            value.encode("utf-8")
            if isinstance(value, str)
            else json.dumps(value, ensure_ascii=False).encode()
        )
        if declared_type is None:
            declared_type = "application/json"
    elif multipart and (files is not None or form is not None):
        boundary = "squallconformance" + uuid.uuid4().hex
        body = _multipart(_pairs(expand(form or {})), expand(files or []), boundary)
        if ctype is None or "boundary=" not in ctype:
            declared_type = f"multipart/form-data; boundary={boundary}"
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            ctype = None
    elif form is not None:
        body = urllib.parse.urlencode(_pairs(expand(form))).encode()
        declared_type = declared_type or "application/x-www-form-urlencoded"
    else:
        has_body = False
    if ctype is None and declared_type is not None:
        headers.append(("Content-Type", declared_type))
    half_close = False
    declared_len = [v for k, v in headers if k.lower() == "content-length"]
    if declared_len:
        half_close = declared_len[0].isdigit() and int(declared_len[0]) > len(body)
    elif has_body or method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(body))))
    headers.append(("Connection", "close"))
    return BuiltRequest(method, build_target(req), headers, body, half_close)
