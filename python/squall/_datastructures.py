"""Request-side containers: URL, client address, multi-maps for query
parameters and headers (Starlette's interfaces, read-only)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar, overload

__all__ = ["URL", "Address", "Headers", "QueryParams"]

_T = TypeVar("_T")


class Address(NamedTuple):
    host: str
    port: int


class URL:
    """The request target: ``path`` and ``query`` (raw query string)."""

    __slots__ = ("_host", "path", "query")

    def __init__(self, path: str, query: str = "", host: str = "") -> None:
        self.path = path
        self.query = query
        self._host = host

    @property
    def scheme(self) -> str:
        return "http"

    @property
    def netloc(self) -> str:
        """The Host header as sent ("" when absent)."""
        return self._host

    @property
    def hostname(self) -> str:
        host = self._host
        if host.startswith("["):  # IPv6 literal
            return host[1 : host.find("]")] if "]" in host else host
        return host.rsplit(":", 1)[0] if host else ""

    @property
    def port(self) -> int | None:
        host = self._host
        tail = host[host.find("]") + 1 :] if host.startswith("[") else host
        if ":" in tail:
            digits = tail.rsplit(":", 1)[1]
            return int(digits) if digits.isdigit() else None
        return None

    def __str__(self) -> str:
        prefix = f"http://{self._host}" if self._host else ""
        return f"{prefix}{self.path}?{self.query}" if self.query else f"{prefix}{self.path}"

    def __repr__(self) -> str:
        return f"URL({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


class _MultiMap(Mapping[str, Any]):
    """Ordered pairs; ``m[key]`` is the last value (as Starlette), ``getlist`` all of them."""

    __slots__ = ("_dict", "_list")

    def __init__(self, pairs: Iterable[tuple[str, Any]]) -> None:
        self._list: list[tuple[str, Any]] = [(self._norm(k), v) for k, v in pairs]
        self._dict: dict[str, Any] = {}
        for k, v in self._list:
            self._dict[k] = v

    @staticmethod
    def _norm(key: str) -> str:
        return key

    def __getitem__(self, key: str) -> Any:
        return self._dict[self._norm(key)]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._norm(key) in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    @overload
    def get(self, key: str) -> Any | None: ...
    @overload
    def get(self, key: str, default: _T) -> Any | _T: ...
    def get(self, key: str, default: Any = None) -> Any:
        return self._dict.get(self._norm(key), default)

    def getlist(self, key: str) -> list[Any]:
        k = self._norm(key)
        return [v for kk, v in self._list if kk == k]

    def multi_items(self) -> list[tuple[str, Any]]:
        return list(self._list)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _MultiMap):
            return sorted(map(repr, self._list)) == sorted(map(repr, other._list))
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


class QueryParams(_MultiMap):
    """Query parameters in arrival order (values are coerced when the route validated them)."""

    __slots__ = ()


class Headers(_MultiMap):
    """Request or part headers; names are case-insensitive (stored lower-case)."""

    __slots__ = ()

    @staticmethod
    def _norm(key: str) -> str:
        return key.lower()

    @property
    def raw(self) -> list[tuple[str, Any]]:
        return list(self._list)
