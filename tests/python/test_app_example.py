"""The README's example app and the TestClient's two modes."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import HAVE_EXTENSION

pytestmark = pytest.mark.skipif(not HAVE_EXTENSION, reason="squall._squall is not built")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hello.py"


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("hello_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("process", [False, True])
def test_example_app(process: bool) -> None:
    from squall.testing import TestClient

    example = load_example()
    client = TestClient(example.app, process=process)
    with client:
        assert client.get("/").json() == {"message": "Hello, World!"}
        r = client.get("/items/42", params={"q": "hi"}, headers={"x-token": "secret"})
        assert r.status_code == 200 and r.json() == {"item_id": 42, "q": "hi"}
        assert client.get("/items/42").status_code == 422
        r = client.post("/items/1", json={"name": "pen", "price": 1.5})
        assert r.status_code == 201 and r.json() == {"name": "pen", "price": 1.5, "tags": []}
        r = client.post("/items/1", json={"name": "pen", "price": 1.5})
        assert r.status_code == 409 and r.json()["detail"] == "item 1 already exists"
        assert client.post("/items/2", json={"name": "pen"}).status_code == 422
    # Stopped: nothing listens on its port any more.
    assert not client.running
    with pytest.raises(ConnectionError):
        socket.create_connection(("127.0.0.1", client.port), timeout=1).close()


def test_process_mode_waits_for_the_worker() -> None:
    """process=True returns only once the forked worker serves, and a worker
    that cannot start (a failing startup hook) is a clear error at start()."""
    import time

    from squall import Squall
    from squall.testing import TestClient

    app = Squall()

    @app.on_startup
    async def slow_start() -> None:
        import asyncio

        await asyncio.sleep(0.3)

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    t0 = time.monotonic()
    client = TestClient(app, process=True)
    client.start()
    try:
        assert time.monotonic() - t0 >= 0.3  # it waited for the startup hook
        assert client.get("/").json() == {"ok": "yes"}
    finally:
        client.close()

    broken = Squall()

    @broken.on_startup  # runs in the child: it counts its starts in a file
    def fail() -> None:
        import os

        with open(marker, "a") as f:
            f.write(f"{os.getpid()}\n")
        raise RuntimeError("no database")

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        marker = f"{tmp}/starts"
        t0 = time.monotonic()
        with pytest.raises(RuntimeError, match="did not start: it exited with status 1"):
            TestClient(broken, process=True, timeout=5).start()
        assert time.monotonic() - t0 < 5  # the child's exit is noticed, not waited out
        with open(marker) as f:
            assert len(f.read().split()) == 1  # a failed start is not retried
