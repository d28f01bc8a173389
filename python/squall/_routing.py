"""Routes and routers: a route only remembers what the user declared; the
app compiles every route once at start-up (see _endpoint)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypedDict, TypeVar, Unpack

__all__ = ["HTTP_METHODS", "Route", "RouteKwargs", "RouteOptions", "Router"]

HTTP_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

_F = TypeVar("_F", bound=Callable[..., Any])


class RouteKwargs(TypedDict, total=False):
    """The options every route decorator takes (by keyword), defined once."""

    status_code: int
    inline: bool
    body_schema: Mapping[str, Any] | None
    parameters_schema: Mapping[str, Any] | None
    body_media: str | None
    response_model: Any
    validate_response: bool | None
    max_body_depth: int | None
    name: str | None


@dataclasses.dataclass(frozen=True)
class RouteOptions:
    status_code: int = 200
    inline: bool = False
    """Run a ``def`` handler on the event loop (only for handlers that never block)."""
    body_schema: Mapping[str, Any] | None = None
    """An explicit JSON Schema for the body; the handler's hints are not used for it."""
    parameters_schema: Mapping[str, Any] | None = None
    """{"path"|"query"|"headers"|"cookies": object schema}: explicit parameter schemas."""
    body_media: str | None = None
    """With body_schema: "json", "form" or "multipart" (default: json, multipart when a
    property has format binary)."""
    response_model: Any = None
    """The type the return value must match when validate_response is on
    (default: the return annotation)."""
    validate_response: bool | None = None
    """Check the return value against response_model (default: the app's setting)."""
    max_body_depth: int | None = None
    """The deepest JSON body nesting this route accepts (objects and arrays); deeper is
    a 400 before any validation (default: the app's ``max_body_depth``)."""
    name: str | None = None


@dataclasses.dataclass(frozen=True)
class Route:
    path: str
    methods: tuple[str, ...]
    endpoint: Callable[..., Any]
    options: RouteOptions


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix.rstrip("/") + ("/" + path.lstrip("/") if path not in ("", "/") else path if path else "")


class Router:
    """A group of routes under a common ``prefix``; include it into an app or another router."""

    def __init__(self, prefix: str = "") -> None:
        if prefix and not prefix.startswith("/"):
            raise ValueError("a router prefix starts with '/'")
        self.prefix = prefix.rstrip("/")
        self.routes: list[Route] = []

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] = ("GET",),
        **options: Unpack[RouteKwargs],
    ) -> None:
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        norm = tuple(dict.fromkeys(m.upper() for m in methods))
        for m in norm:
            if not m.isalpha():
                raise ValueError(f"invalid method {m!r}")
        if not callable(endpoint):
            raise TypeError("endpoint must be callable")
        self.routes.append(Route(_join(self.prefix, path), norm, endpoint, RouteOptions(**options)))

    def route(
        self, path: str, methods: Iterable[str] = ("GET",), **options: Unpack[RouteKwargs]
    ) -> Callable[[_F], _F]:
        def decorator(endpoint: _F) -> _F:
            self.add_route(path, endpoint, methods, **options)
            return endpoint

        return decorator

    def get(self, path: str, **options: Unpack[RouteKwargs]) -> Callable[[_F], _F]:
        return self.route(path, ("GET",), **options)

    def post(self, path: str, **options: Unpack[RouteKwargs]) -> Callable[[_F], _F]:
        return self.route(path, ("POST",), **options)

    def put(self, path: str, **options: Unpack[RouteKwargs]) -> Callable[[_F], _F]:
        return self.route(path, ("PUT",), **options)

    def patch(self, path: str, **options: Unpack[RouteKwargs]) -> Callable[[_F], _F]:
        return self.route(path, ("PATCH",), **options)

    def delete(self, path: str, **options: Unpack[RouteKwargs]) -> Callable[[_F], _F]:
        return self.route(path, ("DELETE",), **options)

    def head(self, path: str, **options: Unpack[RouteKwargs]) -> Callable[[_F], _F]:
        return self.route(path, ("HEAD",), **options)

    def options(self, path: str, **options: Unpack[RouteKwargs]) -> Callable[[_F], _F]:
        return self.route(path, ("OPTIONS",), **options)

    def include_router(self, router: Router, *, prefix: str = "") -> None:
        for r in router.routes:
            self.routes.append(dataclasses.replace(r, path=_join(self.prefix + prefix.rstrip("/"), r.path)))
