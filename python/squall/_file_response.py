"""FileResponse: a file from disk, as FastAPI users know it from Starlette.

The file is sent as a StreamingResponse whose size is declared: the engine
frames it with Content-Length (no chunking) and holds the body to that size.
Blocks are read on the worker's thread pool, so a slow disk does not stall
the loop. The headers are Starlette's: Content-Length, Last-Modified, an
ETag made from the modification time and size, and Content-Disposition
when a download filename is given. Range requests are not served (the whole
file is sent with 200).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
from collections.abc import Iterator, Mapping
from email.utils import formatdate
from typing import Literal
from urllib.parse import quote

from ._responses import StreamingResponse

__all__ = ["FileResponse"]


class FileResponse(StreamingResponse):
    """``FileResponse(path, status_code=200, headers=None, media_type=None,
    filename=None, stat_result=None, content_disposition_type="attachment")``.

    ``media_type`` defaults to a guess from ``filename`` or ``path``
    (``text/plain`` when there is none). The file is looked at when the
    response is made: a path that is missing or not a regular file raises
    RuntimeError there (a 500, logged). The body is the file's first
    ``st_size`` bytes as of that look; a file that shrinks meanwhile ends the
    body short, which closes the connection (logged), never a wrong length.
    """

    chunk_size = 64 * 1024

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        content_disposition_type: Literal["attachment", "inline"] = "attachment",
    ) -> None:
        self.path = os.fspath(path)
        self.filename = filename
        if media_type is None:
            media_type = mimetypes.guess_type(filename or self.path)[0] or "text/plain"
        if stat_result is None:
            try:
                stat_result = os.stat(self.path)
            except FileNotFoundError:
                raise RuntimeError(f"File at path {self.path} does not exist.") from None
        if not stat.S_ISREG(stat_result.st_mode):
            raise RuntimeError(f"File at path {self.path} is not a file.")
        self.stat_result = stat_result
        super().__init__(self._blocks(stat_result.st_size), status_code, headers, media_type)
        given = {name for name, _ in self.raw_headers}
        for name, value in self._file_headers(stat_result, filename, content_disposition_type):
            if name not in given:
                self.raw_headers.append((name, value))

    @staticmethod
    def _file_headers(
        st: os.stat_result, filename: str | None, disposition: str
    ) -> Iterator[tuple[str, str]]:
        yield "content-length", str(st.st_size)
        yield "last-modified", formatdate(st.st_mtime, usegmt=True)
        tag = hashlib.md5(f"{st.st_mtime}-{st.st_size}".encode(), usedforsecurity=False).hexdigest()
        yield "etag", f'"{tag}"'
        if filename is not None:
            quoted = quote(filename)
            # A name that is not plain ASCII (or holds a quote, CR or LF) is
            # sent percent-encoded, RFC 6266's filename*; never raw.
            if quoted != filename:
                yield "content-disposition", f"{disposition}; filename*=utf-8''{quoted}"
            else:
                yield "content-disposition", f'{disposition}; filename="{filename}"'

    def _blocks(self, size: int) -> Iterator[bytes]:
        # A plain generator: StreamingResponse reads it on the thread pool.
        with open(self.path, "rb") as f:
            remaining = size
            while remaining > 0:
                block = f.read(min(self.chunk_size, remaining))
                if not block:
                    return
                remaining -= len(block)
                yield block
