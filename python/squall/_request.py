"""Request: the incoming request as Starlette users know it.

Built by the binding through ``make_request`` (the request_factory given to
Server.configure). Everything is already read and validated by the C core,
so ``await request.body()`` and ``await request.json()`` never wait.
"""

from __future__ import annotations

import http.cookies
from typing import Any, Final
from urllib.parse import parse_qsl

from ._datastructures import URL, Address, Headers, QueryParams

__all__ = ["SOURCES", "Request", "make_request", "spec_name"]

# Spec parameter names are "<source>:<wire key>" so that the coerced values
# the core reports back can be put where they came from.
SOURCES: Final = ("path", "query", "header", "cookie")


def spec_name(source: str, key: str) -> str:
    return f"{source}:{key}"


def _parse_cookies(header_values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in header_values:
        for chunk in value.split(";"):
            if "=" not in chunk:
                continue
            key, _, val = chunk.strip().partition("=")
            val = val.strip()
            if len(val) >= 2 and val[0] == val[-1] == '"':
                val = http.cookies._unquote(val)
            if key:
                out[key] = val
    return out


class Request:
    __slots__ = (
        "_body",
        "_client",
        "_cookies",
        "_headers",
        "_json",
        "_path",
        "_path_params",
        "_query",
        "_query_string",
        "_raw_headers",
        "_validated",
        "method",
        "state",
    )

    def __init__(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: list[tuple[str, str]],
        body: bytes,
        path_params: dict[str, Any],
        client: tuple[str, int] | None,
        validated: dict[str, Any] | None,
    ) -> None:
        self.method = method
        self._path = path
        self._query_string = query_string
        self._raw_headers = headers
        self._body = body
        self._path_params = path_params
        self._client = client
        self._validated = validated
        self._headers: Headers | None = None
        self._query: QueryParams | None = None
        self._cookies: dict[str, Any] | None = None
        self._json: Any = _UNSET
        self.state: dict[str, Any] = {}

    # -- parts ------------------------------------------------------------

    @property
    def path(self) -> str:
        return self._path

    @property
    def url(self) -> URL:
        return URL(self._path, self._query_string, self.headers.get("host", ""))

    @property
    def client(self) -> Address | None:
        return Address(*self._client) if self._client else None

    def _coerced(self, source: str) -> dict[str, Any]:
        if not self._validated:
            return {}
        prefix = source + ":"
        return {
            k[len(prefix) :]: v for k, v in self._validated.items() if k.startswith(prefix) and v is not None
        }

    @property
    def path_params(self) -> dict[str, Any]:
        coerced = self._coerced("path")
        return {**self._path_params, **coerced} if coerced else self._path_params

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            pairs: list[tuple[str, Any]] = list(self._raw_headers)
            coerced = self._coerced("header")
            if coerced:
                pairs = [(k, v) for k, v in pairs if k.lower() not in coerced] + _flatten(coerced)
            self._headers = Headers(pairs)
        return self._headers

    @property
    def query_params(self) -> QueryParams:
        if self._query is None:
            pairs: list[tuple[str, Any]] = parse_qsl(self._query_string, keep_blank_values=True)
            coerced = self._coerced("query")
            if coerced:
                pairs = [(k, v) for k, v in pairs if k not in coerced] + _flatten(coerced)
            self._query = QueryParams(pairs)
        return self._query

    @property
    def cookies(self) -> dict[str, Any]:
        if self._cookies is None:
            cookies: dict[str, Any] = _parse_cookies(
                [v for k, v in self._raw_headers if k.lower() == "cookie"]
            )
            cookies.update(self._coerced("cookie"))
            self._cookies = cookies
        return self._cookies

    async def body(self) -> bytes:
        return self._body

    async def json(self) -> Any:
        return self.json_sync()

    def json_sync(self) -> Any:
        """The parsed JSON body (None when empty); parsed once, by the C reader."""
        if self._json is _UNSET:
            if not self._body:
                self._json = None
            else:
                from ._squall import json_loads

                self._json = json_loads(self._body)
        return self._json

    def __repr__(self) -> str:
        return f"Request({self.method} {self._path})"


class _Unset:
    pass


_UNSET: Final = _Unset()


def _flatten(values: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in values.items():
        if isinstance(v, list):
            out.extend((k, x) for x in v)
        else:
            out.append((k, v))
    return out


make_request: Final = Request
