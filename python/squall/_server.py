"""Builds one worker's C server from a compiled app (the build_server
callable that squall._worker.run_worker calls in each worker)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from ._request import Request
from ._responses import Response

if TYPE_CHECKING:
    import asyncio

    from ._app import Squall

__all__ = ["make_build_server"]


def make_build_server(
    app: Squall,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    listen_fd: int = -1,
    access_log: bool = False,
    limits: Mapping[str, float] | None = None,
) -> Callable[[asyncio.AbstractEventLoop, Executor], Any]:
    """Compile the app now (errors surface before any worker starts) and
    return ``build_server(loop, executor)`` for the workers."""
    routes = app.compile()
    wants_errors = any(r.wants_errors for r in routes)

    def build_server(loop: asyncio.AbstractEventLoop, executor: Executor) -> Any:
        from ._squall import Server

        server = Server(
            host=host,
            port=port,
            listen_fd=listen_fd,
            limits=dict(limits) if limits else None,
            access_log=access_log,
            problem_type_base=app.problem_type_base,
            cors=app.cors.as_core_config() if app.cors is not None else None,
            unavailable=app.unavailable if app.unavailable is not None else -1,
        )
        app._servers.add(server)
        server.configure(
            loop=loop,
            executor=executor,
            response_type=Response,
            error_handler=app.handle_error,
            validation_error_handler=app.handle_validation_errors if wants_errors else None,
            request_factory=Request,
        )
        for route in routes:
            route.add_to(server)
        return server

    return build_server
