"""The core's non-422 refusals, re-rendered for routes whose validation
errors go to Python.

A route registered with wants_errors hands every failed validation to
Squall.handle_validation_errors, including the requests the validator
refuses outright (415 media type, 400 malformed body, 413 multipart limit).
Those carry exactly one error at ["body"] whose type names the refusal and
whose msg is the core's detail text (include/squall/validator.h). They are
not validation errors in FastAPI's sense, so they must keep the status and
body the core renders (sq_problem_render_validation), not become a 422 from
the user's RequestValidationError handler.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ._exceptions import problem_response
from ._responses import JSONResponse, Response

__all__ = ["refusal_response"]

# error type -> (status, problem+json title or None for the small JSON body, key of that body)
_REFUSALS: Final[dict[str, tuple[int, str | None, str]]] = {
    "unsupported_media_type": (415, "Unsupported Media Type", "detail"),
    "unsupported_charset": (415, "Unsupported Charset", "detail"),
    "too_large": (413, "Payload Too Large", "detail"),
    "json_invalid": (400, None, "detail"),
    "json_too_deep": (400, None, "error"),
    "form_invalid": (400, None, "error"),
}


def refusal_response(errors: Sequence[dict[str, Any]], type_base: str) -> Response | None:
    """The core's reply for a refusal, or None for ordinary validation errors."""
    if len(errors) != 1:
        return None
    error = errors[0]
    refusal = _REFUSALS.get(error.get("type", ""))
    if refusal is None or tuple(error.get("loc", ())) != ("body",):
        return None
    status, title, key = refusal
    detail = error.get("msg", "")
    if title is not None:
        return problem_response(status, detail, title=title, type_base=type_base)
    return JSONResponse({key: detail}, status_code=status)
