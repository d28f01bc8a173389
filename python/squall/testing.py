"""TestClient: runs the real server on a loopback ephemeral port and talks
HTTP to it over sockets (standard library only).

    with TestClient(app) as client:
        r = client.get("/items/1", params={"q": "x"})
        assert r.status_code == 200 and r.json() == {...}

The server runs in a forked worker process (the same code path as
``squall run``): the listening socket is bound before the fork, so requests
sent right away simply wait in the backlog.
"""

from __future__ import annotations

import contextlib
import http.client
import json as _json
import os
import select
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Final, Self
from urllib.parse import urlencode, urlsplit

from ._datastructures import Headers

__all__ = ["TestClient", "TestResponse"]

_STOP_TIMEOUT: Final = 10.0

FileSpec = Any  # bytes | IO | (filename, content[, content_type[, headers]])


class TestResponse:
    """A requests-like reply."""

    __test__ = False  # not a pytest test class

    def __init__(self, status_code: int, reason: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = status_code
        self.reason = reason
        self.raw_headers = headers
        self.headers = Headers(headers)
        self.content = content

    @property
    def text(self) -> str:
        ctype = self.headers.get("content-type", "")
        charset = "utf-8"
        if "charset=" in ctype:
            charset = ctype.split("charset=", 1)[1].split(";")[0].strip() or "utf-8"
        return self.content.decode(charset, "replace")

    def json(self) -> Any:
        return _json.loads(self.content)

    @property
    def cookies(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for value in self.headers.getlist("set-cookie"):
            pair = value.split(";", 1)[0]
            name, _, val = pair.partition("=")
            out[name.strip()] = val.strip()
        return out

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def __repr__(self) -> str:
        return f"<TestResponse [{self.status_code}]>"


def _encode_multipart(
    fields: Iterable[tuple[str, Any]], files: Iterable[tuple[str, FileSpec]]
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields:
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            out += v if isinstance(v, bytes) else str(v).encode()
            out += b"\r\n"
    for name, spec in files:
        filename: str | None = name
        ctype: str | None = "application/octet-stream"
        extra: Mapping[str, str] = {}
        if isinstance(spec, tuple):
            filename = spec[0]
            content = spec[1]
            if len(spec) > 2:
                ctype = spec[2]
            if len(spec) > 3:
                extra = spec[3]
        else:
            content = spec
        if hasattr(content, "read"):
            content = content.read()
        if isinstance(content, str):
            content = content.encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if ctype is not None:
            out += f"Content-Type: {ctype}\r\n".encode()
        for k, v in extra.items():
            out += f"{k}: {v}\r\n".encode()
        out += b"\r\n" + bytes(content) + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _pairs(data: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return list(data.items()) if isinstance(data, Mapping) else list(data)


class TestClient:
    """Serve ``app`` on 127.0.0.1:<ephemeral> for the duration of a ``with`` block."""

    __test__ = False

    def __init__(
        self,
        app: Any,
        *,
        timeout: float = 10.0,
        limits: Mapping[str, float] | None = None,
        process: bool = False,
    ) -> None:
        """``process=False`` (default) serves from a thread of this process, so
        handlers share the test's state; ``process=True`` forks a worker
        process exactly as ``squall run`` does."""
        self.app = app
        self.timeout = timeout
        self.limits = limits
        self.process = process
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._control: Any = None
        self._error: BaseException | None = None
        self._sock: socket.socket | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._pid is not None or self._thread is not None

    def start(self) -> None:
        if self.running:
            return
        from ._server import make_build_server
        from ._supervisor import bind_socket, run_worker_process

        sock = bind_socket("127.0.0.1", 0)
        try:
            self.port = sock.getsockname()[1]
            build_server = make_build_server(
                self.app, host="127.0.0.1", port=self.port, listen_fd=sock.fileno(), limits=self.limits
            )
        except BaseException:
            sock.close()  # the app did not compile: nothing adopted the socket yet
            raise
        self._sock = sock  # owned here: the server adopts the descriptor but never closes it
        if self.process:
            # fork() copies only the calling thread: a lock another thread held
            # at that moment (the allocator's under a sanitizer, say) stays taken
            # in the child forever. So the child reports when it serves; one that
            # neither serves nor exits within the timeout is killed and forked
            # once more, instead of leaving the test's first request to time out.
            # A child that exits first failed to start: that is reported at once.
            for attempt in (1, 2):
                try:
                    self._fork_worker(build_server, run_worker_process)
                    return
                except TimeoutError:
                    if attempt == 2:
                        self.close()
                        raise RuntimeError(
                            f"the test server process did not start within {self.timeout} s"
                        ) from None
                except BaseException:
                    self.close()
                    raise
            return
        from ._worker import WorkerControl, run_worker  # type: ignore[import-not-found, unused-ignore]

        control = WorkerControl()
        self._control = control

        def serve() -> None:
            try:
                run_worker(
                    build_server,
                    on_startup=list(self.app.startup_hooks),
                    on_shutdown=list(self.app.shutdown_hooks),
                    install_signals=False,
                    control=control,
                )
            except BaseException as exc:
                self._error = exc
                control.started.set()

        self._thread = threading.Thread(target=serve, name="squall-testclient", daemon=True)
        self._thread.start()
        if not control.started.wait(self.timeout):
            self.close()
            raise RuntimeError("the test server did not start")
        if self._error is not None:
            error, self._error = self._error, None
            self.close()
            raise RuntimeError("the test server failed to start") from error

    def _fork_worker(self, build_server: Any, run_worker_process: Any) -> None:
        """Fork the worker and wait until it serves (TimeoutError: it was killed)."""
        rfd, wfd = os.pipe()
        try:
            pid = os.fork()
        except BaseException:
            os.close(rfd)
            os.close(wfd)
            self.close()
            raise
        if pid == 0:  # pragma: no cover - runs in the child
            status = 1
            try:
                os.close(rfd)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)

                def ready(port: int) -> None:
                    os.write(wfd, b"r")
                    os.close(wfd)

                status = run_worker_process(self.app, build_server, ready)
            finally:
                os._exit(status)
        os.close(wfd)
        try:
            readable, _, _ = select.select([rfd], [], [], self.timeout)
            reply = os.read(rfd, 1) if readable else None
        except BaseException:
            _kill_and_reap(pid)
            raise
        finally:
            os.close(rfd)
        if reply == b"r":
            self._pid = pid
            return
        if reply == b"":  # the child exited before serving
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            raise RuntimeError(f"the test server process did not start: it exited with status {code}")
        _kill_and_reap(pid)
        raise TimeoutError

    def close(self) -> None:
        """Stop the server (graceful drain) and wait for it."""
        if self._thread is not None:
            thread, self._thread = self._thread, None
            self._control.stop()
            thread.join(_STOP_TIMEOUT)
        if self._pid is not None:
            pid, self._pid = self._pid, None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + _STOP_TIMEOUT
            while time.monotonic() < deadline:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                time.sleep(0.02)
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self.running:
            self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- requests -------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | Iterable[tuple[str, Any]] | str | bytes | None = None,
        files: Mapping[str, FileSpec] | Iterable[tuple[str, FileSpec]] | None = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> TestResponse:
        self.start()
        if url.startswith("/"):
            target = url
        else:  # an absolute URL (http://testserver/...): only its path and query are sent
            parts = urlsplit(url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if params:
            expanded: list[tuple[str, Any]] = []
            for k, v in _pairs(params):
                if isinstance(v, (list, tuple)):
                    expanded.extend((k, _qv(x)) for x in v)
                else:
                    expanded.append((k, _qv(v)))
            target += ("&" if "?" in target else "?") + urlencode(expanded)
        send_headers: dict[str, str] = {}
        body: bytes | None = None
        if json is not None:
            body = _json.dumps(json).encode()
            send_headers["Content-Type"] = "application/json"
        elif files is not None:
            fields = _pairs(data) if isinstance(data, (Mapping, list, tuple)) else []
            body, ctype = _encode_multipart(fields, _pairs(files))
            send_headers["Content-Type"] = ctype
        elif isinstance(data, (str, bytes)):
            body = data.encode() if isinstance(data, str) else data
        elif data is not None:
            body = urlencode(_pairs(data), doseq=True).encode()
            send_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
        if cookies:
            send_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if headers:
            # Header names are case-insensitive: the user's value replaces ours, whatever its case.
            overridden = {name.lower() for name in headers}
            send_headers = {k: v for k, v in send_headers.items() if k.lower() not in overridden}
            send_headers.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method.upper(), target, body=body, headers=send_headers)
            resp = conn.getresponse()
            payload = resp.read()
            return TestResponse(resp.status, resp.reason, list(resp.getheaders()), payload)
        finally:
            conn.close()

    def get(self, url: str, **kw: Any) -> TestResponse:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> TestResponse:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> TestResponse:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: Any) -> TestResponse:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: Any) -> TestResponse:
        return self.request("DELETE", url, **kw)

    def head(self, url: str, **kw: Any) -> TestResponse:
        return self.request("HEAD", url, **kw)

    def options(self, url: str, **kw: Any) -> TestResponse:
        return self.request("OPTIONS", url, **kw)


def _qv(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _kill_and_reap(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
