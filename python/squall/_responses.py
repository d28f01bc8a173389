"""Response classes. The binding reads ``status_code``, ``body`` (bytes) and
``raw_headers`` (list of (name, value) pairs, content-type and set-cookie
included) from any instance of Response."""

from __future__ import annotations

import asyncio
import functools
import http.cookies
import logging
import re
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, ClassVar, Final, Literal
from urllib.parse import quote

from ._response_headers import ResponseHeaders

__all__ = [
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
]

_TOKEN: Final = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE: Final = re.compile(r"[\r\n\x00]")


def check_header(name: str, value: str) -> None:
    """Refuse what would let a value start a new header or response (splitting)."""
    if not _TOKEN.match(name):
        raise ValueError(f"invalid header name {name!r}")
    if _BAD_VALUE.search(value):
        raise ValueError(f"header {name!r}: value contains CR, LF or NUL")


# media type -> (charset, ("content-type", value)): the ready header pair for
# responses without user headers, shared (tuples are immutable); a plain dict
# lookup costs less than building lru_cache's key per response.
_TYPE_HEADER: dict[str, tuple[str, tuple[str, str]]] = {}


def _content_type_header(media_type: str, charset: str) -> tuple[str, str]:
    pair = ("content-type", _content_type(media_type, charset))
    if len(_TYPE_HEADER) < 64:
        _TYPE_HEADER[media_type] = (charset, pair)
    return pair


@functools.lru_cache(maxsize=64)
def _content_type(media_type: str, charset: str) -> str:
    """The Content-Type value, checked once per distinct media type (a per-response cost otherwise)."""
    if media_type.startswith("text/") and "charset=" not in media_type:
        media_type = f"{media_type}; charset={charset}"
    check_header("content-type", media_type)
    return media_type


class Response:
    media_type: ClassVar[str | None] = None
    charset: ClassVar[str] = "utf-8"

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        if type(status_code) is not int or not 100 <= status_code <= 999:
            raise ValueError(f"invalid status code {status_code!r}")
        if status_code < 200:
            # Refused as the binding does: 1xx are interim replies, never a final response.
            raise ValueError(f"status code {status_code} is informational (1xx), not a final response")
        self.status_code = status_code
        self.body: bytes = self.render(content)
        if headers is None:
            # The common case, kept short: no user headers to check, only the
            # media type's header (checked once per distinct type, cached).
            mtype = media_type if media_type is not None else self.media_type
            if mtype is None:
                self.raw_headers: list[tuple[str, str]] = []
                return
            hit = _TYPE_HEADER.get(mtype)
            charset = self.charset
            if hit is not None and hit[0] == charset:
                self.raw_headers = [hit[1]]
            else:
                self.raw_headers = [_content_type_header(mtype, charset)]
            return
        raw: list[tuple[str, str]] = []
        has_type = False
        if headers:
            for name, value in headers.items():
                value = str(value)
                check_header(name, value)
                low = name.lower()
                if low == "content-type":
                    has_type = True
                raw.append((low, value))
        mtype = media_type if media_type is not None else self.media_type
        if mtype is not None and not has_type:
            raw.append(("content-type", _content_type(mtype, self.charset)))
        self.raw_headers = raw

    def render(self, content: Any) -> bytes:
        if type(content) is str:  # the usual content first: one type check
            return content.encode(self.charset)
        if content is None:
            return b""
        if isinstance(content, bytes):
            return content
        if isinstance(content, (bytearray, memoryview)):
            return bytes(content)
        if isinstance(content, str):
            return content.encode(self.charset)
        raise TypeError(f"{type(self).__name__} content must be bytes or str, not {type(content).__name__}")

    @property
    def headers(self) -> ResponseHeaders:
        """A live case-insensitive mapping over raw_headers (writes reach the reply)."""
        return ResponseHeaders(self)

    def set_header(self, name: str, value: str) -> None:
        """Replace every header of this name."""
        check_header(name, value)
        low = name.lower()
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != low]
        self.raw_headers.append((low, value))

    def append_header(self, name: str, value: str) -> None:
        """Add a header, keeping the others of this name."""
        check_header(name, value)
        self.raw_headers.append((name.lower(), value))

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie[key] = value  # raises CookieError for an illegal key
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = int(max_age)
        if expires is not None:
            if isinstance(expires, datetime):
                if expires.tzinfo is None:
                    expires = expires.replace(tzinfo=UTC)
                morsel["expires"] = format_datetime(expires.astimezone(UTC), usegmt=True)
            else:
                morsel["expires"] = expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite.lower() not in ("lax", "strict", "none"):
                raise ValueError("samesite must be 'lax', 'strict' or 'none'")
            morsel["samesite"] = samesite.capitalize()
        line = morsel.OutputString()
        check_header("set-cookie", line)
        self.raw_headers.append(("set-cookie", line))

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code})"


class JSONResponse(Response):
    """Encoded by the C encoder (``squall._squall.json_dumps``)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _json_dumps(content)


class PlainTextResponse(Response):
    media_type = "text/plain"


class HTMLResponse(Response):
    media_type = "text/html"


class RedirectResponse(Response):
    def __init__(self, url: str, status_code: int = 307, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(b"", status_code=status_code, headers=headers)
        check_header("location", str(url))  # refuse CR/LF even though quoting would hide them
        self.set_header("location", quote(str(url), safe=":/%#?=@[]!$&'()*+,;~"))


class StreamingResponse(Response):
    """A body produced piece by piece, sent as it comes (chunked on HTTP/1.1).

    A ``content-length`` header (a file of known size, say) is sent instead of
    chunking, and the body is held to it: a chunk past the declared length is
    refused and a body that ends short closes the connection, both logged.

    ``content`` is an async iterable (an ``async def`` generator, say) or a
    plain iterable of ``bytes``/``str`` chunks. A plain iterable is read on
    the worker's thread pool, so a generator that blocks does not stall the
    loop. When the client reads slower than the body is produced, iteration
    pauses until the connection drains; when the client goes away, the
    iteration stops (an async generator is closed, so its ``finally`` runs).
    An exception while producing the body is logged and the connection is
    closed, so the client sees a truncated body, never a clean end.
    """

    def __init__(
        self,
        content: AsyncIterable[bytes | str] | Iterable[bytes | str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(None, status_code=status_code, headers=headers, media_type=media_type)
        self.body_iterator = content
        # None tells the binding to stream: it sends the head, then runs _pump.
        self.body = None  # type: ignore[assignment]

    def _chunk(self, chunk: Any) -> bytes | bytearray | memoryview:
        if isinstance(chunk, (bytes, bytearray, memoryview)):
            return chunk
        if isinstance(chunk, str):
            return chunk.encode(self.charset)
        raise TypeError(f"StreamingResponse chunks must be bytes or str, not {type(chunk).__name__}")

    async def _pump(self, stream: Any) -> None:
        """Write every chunk through the binding's ResponseStream, then end it."""
        content = self.body_iterator
        # The iterator itself is what must be closed when the stream stops
        # (an iterable may hand out a fresh generator from __iter__).
        iterator: Any = content
        try:
            if isinstance(content, AsyncIterable):
                iterator = aiter(content)
                async for chunk in iterator:
                    waiter = stream.write(self._chunk(chunk))
                    if waiter is not None:
                        await waiter
            else:
                loop = asyncio.get_running_loop()
                iterator = iter(content)
                done = object()
                while (chunk := await loop.run_in_executor(None, _next_or, iterator, done)) is not done:
                    waiter = stream.write(self._chunk(chunk))
                    if waiter is not None:
                        await waiter
        except BaseException as exc:
            interrupted = isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit))
            # Logged before the connection closes, so the record exists by the
            # time the client sees the truncated body. A client that left
            # (ConnectionResetError) is nothing to report.
            if not interrupted and not isinstance(exc, ConnectionResetError):
                logging.getLogger("squall.error").error("squall: the streamed response failed", exc_info=exc)
            stream.abort()
            await _close_iterator(iterator)
            if interrupted:
                raise
            return
        try:
            stream.end()
        except ValueError as exc:  # shorter than the Content-Length it declared
            logging.getLogger("squall.error").error("squall: the streamed response failed", exc_info=exc)


def _next_or(iterator: Iterator[Any], default: object) -> Any:
    """next(iterator, default), run on the thread pool (a plain iterator may block)."""
    return next(iterator, default)


async def _close_iterator(content: Any) -> None:
    """Let an interrupted generator run its ``finally`` (async ones need aclose())."""
    try:
        if hasattr(content, "aclose"):
            await content.aclose()
        elif hasattr(content, "close"):
            content.close()
    except Exception:  # a generator still running in a pool thread, or failing to close
        logging.getLogger("squall.error").debug("squall: closing a stream's iterator failed", exc_info=True)


_json_dumps_impl: Callable[[Any], bytes] | None = None


def _json_dumps(content: Any) -> bytes:
    # Imported on first use so that the pure-Python parts (schema
    # translation) import without the compiled extension.
    global _json_dumps_impl
    if _json_dumps_impl is None:
        from ._squall import json_dumps

        _json_dumps_impl = json_dumps
    return _json_dumps_impl(content)
