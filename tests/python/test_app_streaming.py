"""StreamingResponse end to end: chunked bodies from async and sync
iterators, back-pressure against a client that does not read, cancellation
when the client leaves, and a failure in the middle of a body."""

from __future__ import annotations

import asyncio
import contextvars
import http.client
import logging
import socket
import threading
import time

import pytest
from conftest import HAVE_EXTENSION

pytestmark = pytest.mark.skipif(not HAVE_EXTENSION, reason="squall._squall is not built")


request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


def make_app():
    from squall import Squall, StreamingResponse

    app = Squall()
    state = {"produced": 0, "closed": threading.Event(), "sync_started": threading.Event()}

    @app.get("/async")
    async def async_stream():
        async def gen():
            for i in range(5):
                await asyncio.sleep(0)
                yield f"chunk {i};"
            yield b"end"

        return StreamingResponse(gen(), media_type="text/plain")

    @app.get("/sync")
    async def sync_stream():
        def gen():  # a blocking generator: must run off the loop
            state["sync_started"].set()
            for i in range(3):
                time.sleep(0.15)
                yield b"slow %d;" % i

        return StreamingResponse(gen(), media_type="application/octet-stream")

    @app.get("/from-def")
    def from_def():  # a sync endpoint answers from a pool thread
        return StreamingResponse(iter([b"a", b"b", b"c"]), headers={"x-kind": "def"})

    async def ready_now():  # an async generator whose first item is ready at once
        yield b"hello "
        yield b"from a def endpoint"

    @app.get("/def-async-gen")
    def def_async_gen():  # the pool thread must not write before the loop sent the head
        return StreamingResponse(ready_now())

    async def tell_request_id():
        yield request_id.get().encode()

    @app.get("/ctx/now")
    async def ctx_now():
        request_id.set("set-by-endpoint")
        return StreamingResponse(tell_request_id())

    @app.get("/ctx/later")
    async def ctx_later():
        request_id.set("set-by-endpoint")
        await asyncio.sleep(0)
        return StreamingResponse(tell_request_id())

    @app.get("/ctx/def")
    def ctx_def():
        request_id.set("set-by-endpoint")
        return StreamingResponse(tell_request_id())

    @app.get("/fast", inline=True)
    def fast():
        return {"fast": True}

    @app.get("/endless")
    async def endless():
        async def gen():
            block = b"x" * 65536
            try:
                while True:
                    state["produced"] += len(block)
                    yield block
            finally:
                state["closed"].set()

        return StreamingResponse(gen())

    @app.get("/big-stream")
    async def big_stream():
        async def gen():
            for i in range(128):
                yield bytes([65 + i % 26]) * 65536

        return StreamingResponse(gen())

    @app.get("/fails")
    async def fails():
        async def gen():
            yield b"first part;"
            await asyncio.sleep(0)
            raise ValueError("the producer broke")

        return StreamingResponse(gen())

    @app.get("/sized")
    async def sized():
        async def gen():
            yield b"01234"
            await asyncio.sleep(0)
            yield "56789"

        return StreamingResponse(gen(), headers={"Content-Length": "10"})

    @app.get("/sized-sync")
    def sized_sync():
        return StreamingResponse(iter([b"abc", b"def"]), headers={"content-length": "6"})

    @app.get("/sized-short")
    async def sized_short():
        async def gen():
            yield b"only this"

        return StreamingResponse(gen(), headers={"Content-Length": "100"})

    @app.get("/sized-long")
    async def sized_long():
        async def gen():
            yield b"0123"
            yield b"456789"
            state["long_after_refusal"] = True

        return StreamingResponse(gen(), headers={"Content-Length": "5"})

    @app.get("/sized-bad")
    async def sized_bad():
        return StreamingResponse(iter([b"x"]), headers={"Content-Length": "ten"})

    @app.get("/te")
    async def te():
        return StreamingResponse(iter([b"x"]), headers={"Transfer-Encoding": "chunked"})

    return app, state


@pytest.fixture(scope="module")
def served():
    from squall.testing import TestClient

    app, state = make_app()
    with TestClient(app) as client:
        yield client, state


def raw(port: int, path: str, timeout: float = 5.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return s


def read_all(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    return data


def test_async_generator_is_sent_chunked(served):
    client, _ = served
    r = client.get("/async")
    assert r.status_code == 200
    assert r.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in r.headers
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.content == b"chunk 0;chunk 1;chunk 2;chunk 3;chunk 4;end"


def test_blocking_sync_generator_does_not_stall_the_loop(served):
    client, state = served
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", client.get("/sync")))
    t.start()
    assert state["sync_started"].wait(5)
    started = time.monotonic()
    fast = client.get("/fast")  # answered while the generator sleeps in a pool thread
    assert fast.json() == {"fast": True}
    assert time.monotonic() - started < 0.3
    t.join(10)
    assert result["r"].content == b"slow 0;slow 1;slow 2;"


def test_stream_from_a_sync_endpoint(served):
    client, _ = served
    r = client.get("/from-def")
    assert r.status_code == 200 and r.headers["x-kind"] == "def"
    assert r.content == b"abc"


def test_a_def_endpoint_streaming_an_async_generator(served):
    client, _ = served
    for _ in range(20):
        r = client.get("/def-async-gen")
        assert r.status_code == 200, r.text
        assert r.content == b"hello from a def endpoint"


@pytest.mark.parametrize("path", ["/ctx/now", "/ctx/later", "/ctx/def"])
def test_the_body_sees_the_endpoints_context_variables(served, path):
    client, _ = served
    assert client.get(path).content == b"set-by-endpoint"


def test_back_pressure_pauses_the_producer_and_leaving_closes_it(served):
    client, state = served
    state["produced"] = 0
    state["closed"].clear()
    s = raw(client.port, "/endless")
    assert s.recv(64).startswith(b"HTTP/1.1 200")
    time.sleep(0.5)  # the client reads nothing more
    produced = state["produced"]
    time.sleep(0.3)
    # Paused: it stopped growing, at a bound set by the socket buffers and
    # the server's high-water mark, not by the (endless) body.
    assert state["produced"] == produced
    assert produced < 32 * 1024 * 1024
    s.close()
    # The client left: the generator was closed, its finally ran.
    assert state["closed"].wait(5)
    assert client.get("/fast").json() == {"fast": True}


def test_a_paused_stream_resumes_when_the_client_reads(served):
    """8 MiB through a client that first reads nothing: the producer must be
    woken (on_writable) once the output drains, or this read never ends."""
    client, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=10)
    conn.request("GET", "/big-stream")
    resp = conn.getresponse()
    time.sleep(0.3)  # let the server fill the socket and pause
    body = resp.read()
    conn.close()
    assert len(body) == 128 * 65536
    assert body[:65536] == b"A" * 65536 and body[-65536:] == bytes([65 + 127 % 26]) * 65536


def test_a_failure_mid_body_truncates_the_reply(served, caplog):
    client, _ = served
    with caplog.at_level(logging.ERROR, logger="squall.error"):
        s = raw(client.port, "/fails")
        data = read_all(s)  # the server closes the connection
        s.close()
    assert "the streamed response failed" in caplog.text
    assert "the producer broke" in caplog.text
    assert data.startswith(b"HTTP/1.1 200")
    assert b"first part;" in data
    assert not data.endswith(b"0\r\n\r\n"), "a failed body must not end cleanly"
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=5)
    conn.request("GET", "/fails")
    with pytest.raises(http.client.IncompleteRead):
        conn.getresponse().read()
    conn.close()


@pytest.mark.parametrize(("path", "body"), [("/sized", b"0123456789"), ("/sized-sync", b"abcdef")])
def test_a_streamed_response_may_declare_its_length(served, path, body):
    client, _ = served
    s = raw(client.port, path)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    data = read_all(s)
    s.close()
    first, _, second = data.partition(b"HTTP/1.1 200")[2].partition(b"HTTP/1.1 200")
    # Two answers on one connection: the length framed the first exactly.
    for answer in (first, second):
        head, _, rest = answer.partition(b"\r\n\r\n")
        assert f"content-length: {len(body)}".encode() in head.lower()
        assert b"transfer-encoding" not in head.lower()
        assert rest == body
    r = client.head(path)
    assert r.headers["content-length"] == str(len(body))
    assert r.content == b""


def test_a_streamed_body_held_to_its_length(served, caplog):
    client, state = served
    for path, sent in (("/sized-short", b"only this"), ("/sized-long", b"0123")):
        s = raw(client.port, path)
        data = read_all(s)  # the server closes: the body cannot be framed right
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert body == sent
    assert "long_after_refusal" not in state
    messages = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert any("shorter than the Content-Length" in m for m in messages)
    assert any("longer than the Content-Length" in m for m in messages)


@pytest.mark.parametrize("path", ["/sized-bad", "/te"])
def test_a_streamed_response_cannot_set_bad_framing(served, path):
    client, _ = served
    assert client.get(path).status_code == 500
