"""UploadFile: one file part of a multipart body.

The C core parses and validates the multipart body; each file part reaches
Python as a mapping with ``filename``, ``content_type``, ``headers`` (list
of pairs or mapping) and ``content`` (bytes), or as plain bytes/str when no
part metadata is available. Content above ``SPOOL_MAX_SIZE`` is kept in a
temporary file on disk instead of memory.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from typing import IO, Any, Final

from ._datastructures import Headers

__all__ = ["SPOOL_MAX_SIZE", "UploadFile", "upload_from_part"]

SPOOL_MAX_SIZE: Final = 1024 * 1024

# Reads and writes below this size are done on the loop: a thread hop would cost more.
_INLINE_IO_LIMIT: Final = 64 * 1024


class UploadFile:
    """A file received in a multipart body (Starlette's interface)."""

    def __init__(
        self,
        file: IO[bytes],
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.file = file
        self.size = size
        self.filename = filename
        self.headers = headers if headers is not None else Headers([])

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def _in_memory(self) -> bool:
        rolled = getattr(self.file, "_rolled", True)
        return not rolled

    async def read(self, size: int = -1) -> bytes:
        if self._in_memory() or (0 <= size <= _INLINE_IO_LIMIT):
            return self.file.read(size)
        return await asyncio.get_running_loop().run_in_executor(None, self.file.read, size)

    async def seek(self, offset: int) -> None:
        self.file.seek(offset)

    async def write(self, data: bytes) -> None:
        if self.size is not None:
            self.size += len(data)
        self.file.write(data)

    async def close(self) -> None:
        self.file.close()

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, size={self.size!r}, content_type={self.content_type!r})"
        )


def _as_bytes(content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, (bytearray, memoryview)):
        return bytes(content)
    if isinstance(content, str):
        return content.encode("utf-8", "surrogateescape")
    if content is None:
        return b""
    raise TypeError(f"unexpected file content {type(content).__name__}")


def upload_from_part(part: Any, spool_max_size: int = SPOOL_MAX_SIZE) -> UploadFile:
    """Build an UploadFile from the validated value of a file part."""
    if isinstance(part, UploadFile):
        return part
    filename: str | None = None
    pairs: list[tuple[str, str]] = []
    if isinstance(part, Mapping):
        filename = part.get("filename")
        raw_headers = part.get("headers") or ()
        if isinstance(raw_headers, Mapping):
            pairs = [(str(k), str(v)) for k, v in raw_headers.items()]
        else:
            pairs = [(str(k), str(v)) for k, v in raw_headers]
        ctype = part.get("content_type")
        if ctype is not None and not any(k.lower() == "content-type" for k, _ in pairs):
            pairs.append(("content-type", str(ctype)))
        data = _as_bytes(part.get("content", part.get("data", b"")))
    elif isinstance(part, str):
        # The core reports a file field as its filename; the part itself must
        # come from the binding (see _squall.pyi, add_route). Never guess.
        raise TypeError(f"file part {part!r} reached Python without its content")
    else:
        data = _as_bytes(part)
    # Owned by the UploadFile (closed by its close() or when collected).
    spooled = tempfile.SpooledTemporaryFile(max_size=spool_max_size)  # noqa: SIM115
    spooled.write(data)
    spooled.seek(0)
    return UploadFile(spooled, size=len(data), filename=filename, headers=Headers(pairs))


def bytes_from_part(part: Any) -> bytes:
    """For a ``bytes`` parameter declared with File(): the part's content."""
    if isinstance(part, Mapping):
        return _as_bytes(part.get("content", part.get("data", b"")))
    return _as_bytes(part)
