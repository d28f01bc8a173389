"""``Response.headers``: a live, case-insensitive view of ``raw_headers``.

Starlette code writes ``response.headers["X-Id"] = "1"``; a copy would drop
that silently, so every read and write goes to the response's raw header
list (the one the binding sends). Writes go through ``Response.set_header``,
which refuses CR, LF and NUL (header splitting).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._responses import Response

__all__ = ["ResponseHeaders"]


class ResponseHeaders(MutableMapping[str, str]):
    """Last value per name (names compare lower-case); getlist() for repeated headers."""

    __slots__ = ("_response",)

    def __init__(self, response: Response) -> None:
        self._response = response

    def __getitem__(self, name: str) -> str:
        low = name.lower()
        found: str | None = None
        for k, v in self._response.raw_headers:
            if k == low:
                found = v
        if found is None:
            raise KeyError(name)
        return found

    def __setitem__(self, name: str, value: str) -> None:
        self._response.set_header(name, str(value))

    def __delitem__(self, name: str) -> None:
        low = name.lower()
        raw = self._response.raw_headers
        kept = [(k, v) for k, v in raw if k != low]
        if len(kept) == len(raw):
            raise KeyError(name)
        self._response.raw_headers = kept

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self._response.raw_headers))

    def __len__(self) -> int:
        return len({k for k, _ in self._response.raw_headers})

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        low = name.lower()
        return any(k == low for k, _ in self._response.raw_headers)

    def getlist(self, name: str) -> list[str]:
        """Every value of a repeated header (set-cookie), in order."""
        low = name.lower()
        return [v for k, v in self._response.raw_headers if k == low]

    def append(self, name: str, value: str) -> None:
        """Add a value without replacing the others (another set-cookie)."""
        self._response.append_header(name, str(value))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._response.raw_headers!r})"
