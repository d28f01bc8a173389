"""The C extension ``squall._squall``: the binding between the C core and
Python. This stub is the contract between ``src/python/`` (which implements
it) and ``python/squall/`` (which uses it). Users never import it directly.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

__version__: str

class Server:
    """One worker's HTTP server: the C core's sq_server driven from asyncio.

    The core's epoll descriptor (``fileno()``) becomes readable whenever the
    core has work (sockets, its timers via timerfd, responses handed back from
    other threads via eventfd); the worker registers it with
    ``loop.add_reader(server.fileno(), server.poll)``. ``poll()`` releases the
    GIL while the core reads, parses, routes and validates, and takes it only
    to call Python.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        listen_fd: int = -1,
        limits: Mapping[str, float] | None = None,  # keys: sq_config field names
        access_log: bool = False,
        server_name: str | None = None,
        problem_type_base: str = "https://squall.dev/errors/",
        # squall._cors.CORS.as_core_config(): lists as comma-joined str
        cors: Mapping[str, Any] | None = None,
        unavailable: int = -1,  # >= 0: start answering 503 with this Retry-After
    ) -> None: ...
    def set_unavailable(self, retry_after: int | None, /) -> None: ...
    def configure(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        executor: Executor,
        # squall.Response: attributes status_code: int, body: bytes,
        # raw_headers: list[tuple[str, str]]
        response_type: type,
        error_handler: Callable[[BaseException, Any], Any],
        # Called with (exception, request_or_None) when an endpoint raises;
        # returns a Response (HTTPException -> problem+json, custom handlers),
        # or None for a generic 500. If it raises, the binding answers 500.
        validation_error_handler: Callable[[list[dict[str, Any]], Any], Any] | None,
        # Called for routes added with wants_errors=True, with the pydantic-shaped
        # error list and the Request; returns a Response.
        request_factory: Callable[..., Any],
        # request_factory(method, path, query_string, headers, body, path_params,
        #                 client, validated) -> squall.Request
        # headers: list[tuple[str, str]] in arrival order; body: bytes;
        # path_params: dict[str, Any]; client: (host, port);
        # validated: dict[str, Any] | None (the coerced parameter values by name).
    ) -> None: ...
    def add_route(
        self,
        methods: str,  # "GET,POST"
        path: str,  # template with typed segments
        endpoint: Callable[..., Any],
        *,
        spec: str | None,  # route spec JSON (include/squall/validator.h) or None
        kwnames: Sequence[str],  # the endpoint's keyword for each spec parameter, in spec order
        converters: Sequence[Callable[[Any], Any] | None],  # per parameter, applied after validation
        body_kwarg: str | None,  # keyword that receives the validated body
        # File parts of a multipart body (sq_validation.files): in the body
        # object the core leaves each file field's value as its filename; the
        # binding replaces that string (or each string of a list, in body
        # order, matched by field name) with a dict
        #   {"filename": str, "content_type": str | None,
        #    "headers": list[tuple[str, str]], "content": bytes}
        # before body_converter runs (squall.UploadFile is built from it).
        body_converter: Callable[[Any], Any] | None,  # e.g. build a dataclass from the dict
        request_kwarg: str | None,  # keyword that receives squall.Request
        is_async: bool,
        inline: bool,  # sync endpoint: run on the loop instead of the thread pool
        status_code: int,  # status for a plain return value
        wants_errors: bool,  # call validation_error_handler instead of the core's 422
    ) -> None: ...
    def start(self) -> None:
        """Compile the router; after this no route can be added."""
    def fileno(self) -> int: ...
    def poll(self) -> None: ...
    def shutdown(self) -> None:
        """Graceful: stop accepting, close idle connections, let in-flight finish."""
    def drained(self) -> bool: ...
    def close(self) -> None: ...
    @property
    def port(self) -> int: ...
    # Additive (binding): requests handed to Python whose answer is still
    # pending (async Tasks, thread-pool jobs). drained() is True only when the
    # core is drained and this is 0; close() refuses while it is not 0.
    @property
    def inflight(self) -> int: ...

def json_dumps(obj: Any) -> bytes:
    """Encode with the C encoder (dict, list, tuple, str, int, float, bool,
    None, dataclass, msgspec Struct, pydantic model, datetime/date/time, UUID,
    Enum, Decimal). NaN/Infinity and unknown types raise TypeError/ValueError.

    Additive details: set/frozenset encode as arrays; dict keys may be str,
    int, float, bool, None, UUID or Enum (written as strings, as json.dumps
    does); Decimal is written as a JSON number with its exact digits;
    pydantic models are dumped by alias; a lone surrogate in a str raises
    UnicodeEncodeError; nesting deeper than 256 levels (or a cycle) raises
    ValueError."""

def json_loads(data: bytes | str) -> Any:
    """Parse with the C reader straight into Python objects."""

class ResponseStream:
    """A streamed response's body writer (made by the server for
    StreamingResponse._pump; not instantiable)."""

    @property
    def gone(self) -> bool: ...
    def write(self, data: bytes | bytearray | memoryview) -> Any:
        """Queue bytes: None, or a Future to await before writing more."""
    def end(self) -> None: ...
    def abort(self) -> None: ...

def start_endpoint_task(coro: Any, loop: Any) -> EndpointTask:
    """Start a task the way dispatch does: its first step runs now."""

class EndpointTask:
    """The task an async endpoint's coroutine runs in (asyncio.current_task()
    inside the handler): the asyncio.Task methods timeouts, TaskGroup and anyio
    use; awaitable like a Future; not listed by asyncio.all_tasks()."""

    _fut_waiter: Any
    _must_cancel: bool
    _asyncio_future_blocking: bool
    def cancel(self, msg: Any = None) -> bool: ...
    def uncancel(self) -> int: ...
    def cancelling(self) -> int: ...
    def done(self) -> bool: ...
    def cancelled(self) -> bool: ...
    def result(self) -> Any: ...
    def exception(self) -> BaseException | None: ...
    def add_done_callback(self, fn: Any, *, context: Any = None) -> None: ...
    def remove_done_callback(self, fn: Any) -> int: ...
    def get_loop(self) -> Any: ...
    def get_coro(self) -> Any: ...
    def get_context(self) -> Any: ...
    def get_name(self) -> str: ...
    def set_name(self, value: object) -> None: ...
    def get_stack(self, *, limit: int | None = None) -> list[Any]: ...
    def __await__(self) -> Any: ...
