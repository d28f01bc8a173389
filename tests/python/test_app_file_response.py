"""FileResponse end to end: the file's bytes framed by its size (no
chunking), Starlette's headers (Content-Length, Last-Modified, ETag,
Content-Disposition), HEAD, user headers that win, a missing file, and a
file that changes after the response was made."""

from __future__ import annotations

import email.utils
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from squall import FileResponse, Squall

DATA = bytes(range(256)) * 1024 + b"tail"  # 256 KiB + 4: several 64 KiB blocks


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "report.pdf").write_bytes(DATA)
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "shrinks.bin").write_bytes(b"x" * 200_000)
    return tmp_path


def make_app(root: Path) -> Squall:
    app = Squall()

    @app.get("/report")
    def report() -> FileResponse:
        return FileResponse(root / "report.pdf")

    @app.get("/notes")
    async def notes() -> FileResponse:
        return FileResponse(str(root / "notes.txt"), filename="résumé \"final\".txt")

    @app.get("/inline")
    async def inline() -> FileResponse:
        return FileResponse(
            root / "report.pdf",
            filename="report.pdf",
            content_disposition_type="inline",
            headers={"ETag": '"mine"', "Cache-Control": "max-age=60"},
            media_type="application/octet-stream",
        )

    @app.get("/missing")
    async def missing() -> FileResponse:
        return FileResponse(root / "nope.bin")

    @app.get("/directory")
    async def directory() -> FileResponse:
        return FileResponse(root)

    @app.get("/shrinks")
    async def shrinks() -> FileResponse:
        r = FileResponse(root / "shrinks.bin")
        (root / "shrinks.bin").write_bytes(b"y" * 10)  # after the size was taken
        return r

    return app


def test_file_is_sent_with_its_length(make_client: Any, files: Path) -> None:
    client = make_client(make_app(files))
    r = client.get("/report")
    assert r.status_code == 200
    assert r.content == DATA
    assert r.headers["content-length"] == str(len(DATA))
    assert "transfer-encoding" not in r.headers
    assert r.headers["content-type"] == "application/pdf"
    st = os.stat(files / "report.pdf")
    assert r.headers["last-modified"] == email.utils.formatdate(st.st_mtime, usegmt=True)
    assert r.headers["etag"].startswith('"') and len(r.headers["etag"]) == 34
    assert "content-disposition" not in r.headers
    h = client.head("/report")
    assert h.headers["content-length"] == str(len(DATA))
    assert h.content == b""
    # The connection stays usable after a sized stream.
    assert client.get("/report").content == DATA


def test_filename_and_user_headers(make_client: Any, files: Path) -> None:
    client = make_client(make_app(files))
    r = client.get("/notes")
    assert r.content == b"hello\n"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    # Not plain ASCII (and a quote): percent-encoded, never raw.
    encoded = "r%C3%A9sum%C3%A9%20%22final%22.txt"
    assert r.headers["content-disposition"] == f"attachment; filename*=utf-8''{encoded}"
    r = client.get("/inline")
    assert r.headers["content-disposition"] == 'inline; filename="report.pdf"'
    assert r.headers["etag"] == '"mine"'  # the user's header wins
    assert r.headers["cache-control"] == "max-age=60"
    assert r.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize("path", ["/missing", "/directory"])
def test_not_a_file_is_a_500(make_client: Any, files: Path, path: str) -> None:
    client = make_client(make_app(files))
    assert client.get(path).status_code == 500


def test_a_file_that_shrinks_ends_the_connection(make_client: Any, files: Path) -> None:
    client = make_client(make_app(files))
    s = socket.create_connection(("127.0.0.1", client.port), timeout=5)
    s.sendall(b"GET /shrinks HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while chunk := s.recv(65536):  # the server closes: the body fell short
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"content-length: 200000" in head.lower()
    assert body == b"y" * 10
