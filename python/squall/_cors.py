"""The CORS policy: what ``Squall(cors=CORS(...))`` declares.

The engine answers CORS itself, in C (src/core/cors.c), so neither a
preflight nor the Access-Control-* lines cost a trip into Python. The
parameters and their defaults are Starlette's CORSMiddleware's, which is what
a FastAPI app passes to ``app.add_middleware(CORSMiddleware, ...)`` today.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["CORS"]


def _has_control(text: str) -> bool:
    """Control characters cannot go into a header value (the engine refuses them too)."""
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)


def _items(name: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        raise TypeError(f"CORS {name} must be a list of strings, not one string")
    out = tuple(values)
    for v in out:
        if not isinstance(v, str) or not v.strip():
            raise ValueError(f"CORS {name}: {v!r} is not a non-empty string")
        if "," in v or _has_control(v):
            raise ValueError(f"CORS {name}: {v!r} holds a comma or a control character")
    return out


@dataclasses.dataclass(frozen=True)
class CORS:
    """Cross-origin resource sharing, answered by the engine.

    ``allow_origins``: exact origins (``"https://app.example.com"``) or ``["*"]``.
    ``allow_origin_regex``: a pattern an origin may match as a whole instead
    (``r"https://.*\\.example\\.org"``); the engine runs it with PCRE2, whose
    syntax agrees with Python's ``re`` for such patterns.
    ``allow_methods`` / ``allow_headers``: what a preflight may ask for (``["*"]``
    for any; header names ignore case; Accept, Accept-Language, Content-Language
    and Content-Type are always allowed). ``allow_credentials`` echoes the
    request's origin instead of ``*`` and sends Access-Control-Allow-Credentials.
    ``expose_headers``: response headers the page may read. ``max_age``: seconds
    a browser may cache a preflight (None: no Access-Control-Max-Age).
    ``allow_private_network``: answer Private Network Access preflights.

    A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
    answered 200 when allowed and 403 when not (Starlette: 400); no route runs
    for it. ``allow_methods=["*"]`` answers with the requested method. Every
    other answer to a request from an allowed origin carries the Access-Control
    lines (and ``Vary: Origin`` when the origin is echoed); a request from any
    other origin is served without them, so the browser keeps the reply from
    the page.
    """

    allow_origins: Sequence[str] = ()
    allow_origin_regex: str | None = None
    allow_methods: Sequence[str] = ("GET",)
    allow_headers: Sequence[str] = ()
    allow_credentials: bool = False
    expose_headers: Sequence[str] = ()
    max_age: int | None = 600
    allow_private_network: bool = False

    def __post_init__(self) -> None:
        for name in ("allow_origins", "allow_methods", "allow_headers", "expose_headers"):
            object.__setattr__(self, name, _items(name, getattr(self, name)))
        pattern = self.allow_origin_regex
        if pattern is not None:
            if not isinstance(pattern, str) or not pattern:
                raise TypeError(f"CORS allow_origin_regex must be a non-empty str or None, not {pattern!r}")
            if _has_control(pattern):
                raise ValueError("CORS allow_origin_regex holds a control character")
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(f"CORS allow_origin_regex {pattern!r}: {e}") from None
        age = self.max_age
        if age is not None and (isinstance(age, bool) or not isinstance(age, int) or not 0 <= age < 2**31):
            raise ValueError(f"CORS max_age must be None or seconds from 0 to 2**31-1, not {age!r}")

    def as_core_config(self) -> dict[str, Any]:
        """The dict ``_squall.Server(cors=...)`` takes (lists comma-joined)."""
        return {
            "allow_origins": ", ".join(self.allow_origins),
            "allow_methods": ", ".join(self.allow_methods),
            "allow_headers": ", ".join(self.allow_headers),
            "expose_headers": ", ".join(self.expose_headers),
            "allow_origin_regex": self.allow_origin_regex,
            "allow_credentials": self.allow_credentials,
            "allow_private_network": self.allow_private_network,
            "max_age": self.max_age,
        }
