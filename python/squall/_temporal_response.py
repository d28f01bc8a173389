"""A handler parameter typed ``Response``: FastAPI's "temporal response".

The handler gets a fresh Response to set cookies, headers or the status on
while it returns a plain value; that value is then sent as JSON with the
temporal response's status and headers merged in. A handler that returns a
Response itself sends exactly that (the temporal one is ignored), as in
FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._responses import JSONResponse, Response

__all__ = ["wrap_temporal_response"]


def _merge(result: Any, temporal: Response) -> Any:
    if isinstance(result, Response):
        return result
    reply = JSONResponse(result, status_code=temporal.status_code)
    for name, value in temporal.raw_headers:
        if name == "content-type":
            reply.set_header(name, value)  # the handler's media type replaces JSON's
        else:
            reply.raw_headers.append((name, value))  # checked when set on the temporal response
    return reply


def wrap_temporal_response(
    endpoint: Callable[..., Any], kwargs: Sequence[str], status_code: int, is_async: bool
) -> Callable[..., Any]:
    """Give each of ``kwargs`` a fresh Response (one per request, shared by them) and
    merge it into the reply; its status starts as the route's status_code."""
    names = tuple(kwargs)

    def fresh(call_kwargs: dict[str, Any]) -> Response:
        temporal = Response(status_code=status_code)
        for name in names:
            call_kwargs[name] = temporal
        return temporal

    if is_async:

        async def async_wrapper(**call_kwargs: Any) -> Any:
            temporal = fresh(call_kwargs)
            return _merge(await endpoint(**call_kwargs), temporal)

        wrapper: Callable[..., Any] = async_wrapper
    else:

        def sync_wrapper(**call_kwargs: Any) -> Any:
            temporal = fresh(call_kwargs)
            return _merge(endpoint(**call_kwargs), temporal)

        wrapper = sync_wrapper
    wrapper.__name__ = getattr(endpoint, "__name__", "endpoint")
    wrapper.__qualname__ = getattr(endpoint, "__qualname__", wrapper.__name__)
    wrapper.__wrapped__ = endpoint  # type: ignore[attr-defined]
    return wrapper
