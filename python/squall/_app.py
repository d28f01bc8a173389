"""The application: routes, exception handlers, lifespan hooks, and the
compilation of everything into what the C server needs."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import logging
import typing
import weakref
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ._cors import CORS
from ._endpoint import EndpointPlan, plan_endpoint
from ._exceptions import (
    HTTPException,
    RequestValidationError,
    problem_response,
    validation_problem,
)
from ._refusals import refusal_response
from ._request import Request
from ._response_check import wrap_response_validation
from ._responses import JSONResponse, Response
from ._routing import Route, Router
from ._temporal_response import wrap_temporal_response

__all__ = ["CompiledRoute", "Squall"]

logger = logging.getLogger("squall.error")

_F = TypeVar("_F", bound=Callable[..., Any])
_E = TypeVar("_E", bound=Callable[..., Any])
ExceptionHandler = Callable[[Request, Any], Any]


@dataclasses.dataclass(frozen=True)
class CompiledRoute:
    """One route ready for Server.add_route (built once, before workers fork)."""

    route: Route
    plan: EndpointPlan
    wants_errors: bool

    def add_to(self, server: Any) -> None:
        p = self.plan
        server.add_route(
            ",".join(self.route.methods),
            self.route.path,
            p.endpoint,
            spec=p.spec_json,
            kwnames=p.kwnames,
            converters=p.converters,
            body_kwarg=p.body_kwarg,
            body_converter=p.body_converter,
            request_kwarg=p.request_kwarg,
            is_async=p.is_async,
            inline=self.route.options.inline,
            status_code=self.route.options.status_code,
            wants_errors=self.wants_errors,
        )


def _describe(endpoint: Callable[..., Any]) -> str:
    return getattr(endpoint, "__qualname__", repr(endpoint))


def _resolve_sync(result: Any) -> Any:
    """Run an exception handler's coroutine to completion if it never suspends."""
    if not inspect.iscoroutine(result):
        return result
    try:
        result.send(None)
    except StopIteration as stop:
        return stop.value
    result.close()
    raise RuntimeError("an async exception handler must not await anything that suspends")


def _as_response(result: object, status_code: int = 200) -> Response:
    if isinstance(result, Response):
        return result
    return JSONResponse(result, status_code=status_code)


def _check_depth(depth: int | None, what: str) -> None:
    # The core accepts 1..10000 (include/squall/validator.h, "max_depth").
    if depth is not None and (
        isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 10000
    ):
        raise ValueError(f"{what} must be an integer from 1 to 10000, not {depth!r}")


class Squall(Router):
    """A Squall application: ``app = Squall()``, then decorate handlers."""

    def __init__(
        self,
        *,
        problem_type_base: str = "https://squall.dev/errors/",
        problem_details: bool = True,
        validate_responses: bool = False,
        max_body_depth: int | None = None,
        cors: CORS | None = None,
    ) -> None:
        """``problem_details=False`` answers an HTTPException with FastAPI's
        ``{"detail": ...}`` (application/json) instead of RFC 9457 problem+json.
        ``validate_responses=True`` checks every route's return value against its
        return annotation (a route's ``validate_response=`` overrides it).
        ``max_body_depth`` caps the nesting of JSON bodies (objects and arrays, 1 to
        10000; a route's ``max_body_depth=`` overrides it): a deeper body is refused
        with a 400 while it is parsed, before any validation (default: the core
        parser's own limit). ``cors=CORS(...)`` lets the engine answer CORS
        (preflights and the Access-Control-* lines, see ``squall.CORS``)."""
        super().__init__()
        if cors is not None and not isinstance(cors, CORS):
            raise TypeError(f"cors must be a squall.CORS, not {type(cors).__name__}")
        self.cors = cors
        self._unavailable: int | None = None
        # This process's live servers (weak: a closed server goes away by itself).
        self._servers: weakref.WeakSet[Any] = weakref.WeakSet()
        _check_depth(max_body_depth, "max_body_depth")
        self.max_body_depth = max_body_depth
        self.problem_type_base = problem_type_base
        self.problem_details = problem_details
        self.validate_responses = validate_responses
        self.exception_handlers: dict[type[BaseException], ExceptionHandler] = {}
        self.startup_hooks: list[Callable[[], Any]] = []
        self.shutdown_hooks: list[Callable[[], Any]] = []

    # -- decorators -------------------------------------------------------------

    def exception_handler(self, exc_type: type[BaseException]) -> Callable[[_E], _E]:
        """``@app.exception_handler(MyError)``: ``handler(request, exc)`` returns a response."""

        def decorator(handler: _E) -> _E:
            self.add_exception_handler(exc_type, handler)
            return handler

        return decorator

    def add_exception_handler(self, exc_type: type[BaseException], handler: ExceptionHandler) -> None:
        if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
            raise TypeError("exception_handler needs an exception class")
        self.exception_handlers[exc_type] = handler

    # -- maintenance -------------------------------------------------------------------

    def set_unavailable(self, retry_after: int = 0) -> None:
        """Answer every request with 503 Service Unavailable and ``Retry-After:
        retry_after`` (seconds), from the engine, before routing: no handler runs.
        Before ``run`` it applies to every worker from the start; while serving,
        to this process's server (each worker is its own process), from any thread."""
        if isinstance(retry_after, bool) or not isinstance(retry_after, int) or not 0 <= retry_after < 2**31:
            raise ValueError(f"retry_after must be seconds from 0 to 2**31-1, not {retry_after!r}")
        self._unavailable = retry_after
        self._tell_servers(retry_after)

    def set_available(self) -> None:
        """Serve again after ``set_unavailable``."""
        self._unavailable = None
        self._tell_servers(None)

    def _tell_servers(self, retry_after: int | None) -> None:
        for server in list(self._servers):
            # A closed server still referenced somewhere has nothing to tell.
            with contextlib.suppress(RuntimeError):
                server.set_unavailable(retry_after)

    @property
    def unavailable(self) -> int | None:
        """The Retry-After of ``set_unavailable`` while unavailable, else None."""
        return self._unavailable

    def on_startup(self, hook: _F) -> _F:
        """Run once per worker before it serves (``def`` or ``async def``)."""
        self.startup_hooks.append(hook)
        return hook

    def on_shutdown(self, hook: _F) -> _F:
        """Run once per worker after it has drained."""
        self.shutdown_hooks.append(hook)
        return hook

    # -- compilation ----------------------------------------------------------------

    def compile(self) -> list[CompiledRoute]:
        """Plan every route (schemas, converters, wrappers). Raises on a bad declaration."""
        wants_errors = any(issubclass(t, RequestValidationError) for t in self.exception_handlers)
        out: list[CompiledRoute] = []
        seen: dict[tuple[str, str], Route] = {}
        for route in self.routes:
            for method in route.methods:
                other = seen.setdefault((method, route.path), route)
                if other is not route:
                    raise ValueError(
                        f"route {method} {route.path} is declared twice "
                        f"({_describe(other.endpoint)} and {_describe(route.endpoint)})"
                    )
            opts = route.options
            try:
                plan = plan_endpoint(
                    route.endpoint,
                    route.path,
                    body_schema=opts.body_schema,
                    parameters_schema=opts.parameters_schema,
                    body_media=opts.body_media,
                )
            except Exception as exc:
                raise TypeError(f"route {'/'.join(route.methods)} {route.path}: {exc}") from exc
            depth = self.max_body_depth if opts.max_body_depth is None else opts.max_body_depth
            _check_depth(depth, f"route {route.path}: max_body_depth")
            if depth is not None and plan.spec is not None and "body" in plan.spec:
                plan.spec["body"]["max_depth"] = depth
            validate = self.validate_responses if opts.validate_response is None else opts.validate_response
            if validate:
                response_type = opts.response_model
                if response_type is None:
                    try:
                        hints = typing.get_type_hints(route.endpoint, include_extras=True)
                    except Exception as exc:
                        raise TypeError(
                            f"route {route.path}: response validation needs a resolvable "
                            f"return annotation: {exc}"
                        ) from exc
                    response_type = hints.get("return", Any)
                plan = dataclasses.replace(
                    plan, endpoint=wrap_response_validation(plan.endpoint, response_type, plan.is_async)
                )
            if plan.response_kwargs:
                # Outermost, so response validation still sees the handler's plain value.
                plan = dataclasses.replace(
                    plan,
                    endpoint=wrap_temporal_response(
                        plan.endpoint, plan.response_kwargs, opts.status_code, plan.is_async
                    ),
                )
            out.append(CompiledRoute(route, plan, wants_errors))
        return out

    # -- what the binding calls -----------------------------------------------------

    def _find_handler(self, exc: BaseException) -> ExceptionHandler | None:
        for cls in type(exc).__mro__:
            handler = self.exception_handlers.get(cls)
            if handler is not None:
                return handler
        return None

    def handle_error(self, exc: BaseException, request: Request | None) -> Response:
        """Server.configure's error_handler: an exception raised by an endpoint -> reply."""
        handler = self._find_handler(exc)
        if handler is not None:
            return _as_response(_resolve_sync(handler(request, exc)))  # type: ignore[arg-type]
        if isinstance(exc, RequestValidationError):
            # Raised by a handler that validates more than its declaration can say.
            return validation_problem(exc.errors(), self.problem_type_base)
        if isinstance(exc, HTTPException):
            if not self.problem_details:
                return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
            return problem_response(
                exc.status_code,
                exc.detail,
                title=exc.title,
                headers=exc.headers,
                type_base=self.problem_type_base,
            )
        where = f" in {request.method} {request.path}" if request is not None else ""
        logger.error("unhandled exception%s", where, exc_info=exc)
        return problem_response(
            500,
            "Internal server error",
            title="Internal Server Error",
            type_base=self.problem_type_base,
        )

    def handle_validation_errors(self, errors: list[dict[str, Any]], request: Request | None) -> Response:
        """Server.configure's validation_error_handler (only routes with wants_errors use it)."""
        refusal = refusal_response(errors, self.problem_type_base)
        if refusal is not None:  # 400/415/413: not a validation error, keep the core's reply
            return refusal
        exc = RequestValidationError(errors, body=_request_body(request))
        handler = self._find_handler(exc)
        if handler is None:  # pragma: no cover - routes only ask when a handler exists
            return validation_problem(errors, self.problem_type_base)
        return _as_response(_resolve_sync(handler(request, exc)))  # type: ignore[arg-type]

    # -- running ------------------------------------------------------------------------

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = 1,
        *,
        access_log: bool = False,
        limits: Mapping[str, float] | None = None,
    ) -> None:
        """Serve until SIGTERM/SIGINT (pre-forked workers sharing the port)."""
        from ._supervisor import serve

        raise SystemExit(
            serve(self, host=host, port=port, workers=workers, access_log=access_log, limits=limits)
        )


def _request_body(request: Request | None) -> Any:
    """RequestValidationError.body: the parsed JSON body, None when absent or not JSON."""
    if request is None:
        return None
    try:
        return request.json_sync()
    except ValueError:
        return None
