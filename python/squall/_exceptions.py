"""Exceptions a handler raises on purpose, and their RFC 9457 rendering."""

from __future__ import annotations

import http
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._responses import Response

__all__ = ["HTTPException", "RequestValidationError", "problem_response", "validation_problem"]


class HTTPException(Exception):
    """Answer with ``status_code`` and an ``application/problem+json`` body."""

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        title: str | None = None,
    ) -> None:
        try:
            phrase = http.HTTPStatus(status_code).phrase
        except ValueError:
            phrase = "Error"
        self.status_code = status_code
        self.title = title or phrase
        self.detail = phrase if detail is None else detail
        self.headers = dict(headers) if headers else None
        super().__init__(status_code, self.detail)

    def __repr__(self) -> str:
        return f"HTTPException(status_code={self.status_code!r}, detail={self.detail!r})"


class RequestValidationError(Exception):
    """The request did not validate: ``errors()`` lists every error in pydantic's shape."""

    def __init__(self, errors: Sequence[dict[str, Any]], *, body: Any = None) -> None:
        self._errors = list(errors)
        # The request body as the handler would have seen it (parsed JSON or None), as in FastAPI.
        self.body = body
        super().__init__(self._errors)

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


def validation_problem(errors: Sequence[dict[str, Any]], type_base: str) -> Response:
    """The 422 reply the core renders, for errors found in Python (same envelope)."""
    n = len(errors)
    return problem_response(
        422,
        f"{n} validation error{'s' if n != 1 else ''} in request",
        title="Request Validation Failed",
        type_base=type_base,
        type_slug="validation-error",
        extra={"errors": list(errors)},
    )


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem_response(
    status_code: int,
    detail: Any = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    type_base: str = "https://squall.dev/errors/",
    type_slug: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """An RFC 9457 reply: {"type", "title", "status", "detail"} (+ extra members)."""
    from ._responses import JSONResponse

    if title is None:
        try:
            title = http.HTTPStatus(status_code).phrase
        except ValueError:
            title = "Error"
    if type_slug is not None:
        slug = type_slug
    else:
        try:
            slug = _slug(http.HTTPStatus(status_code).phrase)
        except ValueError:
            slug = _slug(title)
    body: dict[str, Any] = {
        "type": type_base + slug,
        "title": title,
        "status": status_code,
        "detail": title if detail is None else detail,
    }
    if extra:
        body.update(extra)
    resp = JSONResponse(body, status_code=status_code, headers=headers)
    resp.set_header("content-type", "application/problem+json")
    return resp
