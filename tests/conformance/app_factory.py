"""Building one fixture's app with Squall's public API.

The handler answers with the fixture's expected status, body, headers and
cookies, and records what it received, so the runner can check that every
declared parameter arrived converted to its declared type. For a fixture
whose expected reply is the framework's own (422, 413, ...), the handler
must not run at all; the recorder tells."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from . import params
from .fixtures import Fixture

# Replies only the framework may produce.
FRAMEWORK_STATUSES = {
    400: "malformed request",
    405: "method not allowed",
    413: "body too large",
    415: "unsupported media type",
    422: "validation error",
    431: "headers too large",
}

# Handler settings that have no expression through Squall's public API (yet).
UNEXPRESSIBLE = {
    "middleware": "app middleware",
    "dependencies": "dependency injection",
    "handler_dependencies": "dependency injection",
    "route_overrides": "per-route overrides",
    "injection_strategy": "dependency injection",
}
UNEXPRESSIBLE_TOP = {"background": "background tasks"}

# Request-cookie "attributes" some fixtures attach to a cookie parameter: they
# mean nothing on a request, and are no JSON Schema.
_COOKIE_ATTRS = {"samesite", "httponly", "secure"}

# Reply headers the handler leaves to the server.
_SERVER_HEADERS = {"transfer-encoding", "connection"}


@dataclasses.dataclass
class Recorder:
    ran: int = 0
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    body: Any = None
    error: str | None = None


def route_of(fx: Fixture) -> tuple[str, str]:
    """(template, method): the handler's, else the request's (fixtures without a handler)."""
    h = fx.handler
    template = h.get("route") or fx.request.get("path", "/").split("?")[0]
    method = (h.get("method") or fx.request.get("method") or "GET").upper()
    return template, method


def unexpressible(fx: Fixture) -> str | None:
    """Why the runner cannot build this fixture's app with the public API, or None."""
    for key, what in UNEXPRESSIBLE.items():
        if fx.handler.get(key):
            return f"needs {what} ({key}), which Squall's public API does not offer"
    for key, what in UNEXPRESSIBLE_TOP.items():
        if fx.data.get(key):
            return f"needs {what}, which Squall's public API does not offer"
    health = fx.handler.get("health_check")
    if health and health.get("status") != "unavailable":
        return f"needs a health check in state {health.get('status')!r}"
    if fx.handler.get("security") and fx.handler["security"].get("type") != "apiKey":
        return "needs a security scheme other than an API key parameter"
    return None


def is_cors_fixture(fx: Fixture) -> bool:
    return fx.category == "cors" or bool(fx.handler.get("cors")) or any(
        h.lower().startswith("access-control-") for h in fx.expected.get("headers") or {}
    )


def _request_header(fx: Fixture, name: str) -> str | None:
    for k, v in (fx.request.get("headers") or {}).items():
        if k.lower() == name:
            return str(v)
    return None


def is_preflight(fx: Fixture) -> bool:
    return (
        (fx.request.get("method") or "").upper() == "OPTIONS"
        and _request_header(fx, "origin") is not None
        and _request_header(fx, "access-control-request-method") is not None
    )


def _split(value: Any) -> list[str]:
    return [v.strip() for v in str(value).split(",") if v.strip()] if value else []


def cors_policy(fx: Fixture) -> dict[str, Any] | None:
    """squall.CORS keyword arguments for a CORS fixture, or None.

    The handler's ``cors`` section when it has one. A fixture without a
    handler describes its app through its category and notes (conformance
    README, "Which fixtures count"): the origins its notes name or its request
    sends, and the methods, headers, credentials and max-age its reply shows
    the policy to hold. The engine still has to produce every line."""
    if not is_cors_fixture(fx):
        return None
    cfg = fx.handler.get("cors")
    if cfg:
        out: dict[str, Any] = {
            "allow_origins": cfg.get("allowed_origins") or cfg.get("allow_origins") or [],
            "allow_methods": cfg.get("allowed_methods") or cfg.get("allow_methods") or ["GET"],
            "allow_headers": cfg.get("allowed_headers") or cfg.get("allow_headers") or [],
            "expose_headers": cfg.get("expose_headers") or [],
            "allow_credentials": bool(cfg.get("allow_credentials", False)),
        }
        if "max_age" in cfg:
            out["max_age"] = cfg["max_age"]
        return out
    exp = {k.lower(): v for k, v in (fx.expected.get("headers") or {}).items()}
    origin = _request_header(fx, "origin")
    named = re.findall(r"https?://[^\s,)]+", fx.data.get("notes") or "")
    if exp.get("access-control-allow-origin") == "*":
        origins = ["*"]
    elif named:  # the notes list the app's origins: the request's must match one of them
        origins = sorted(set(named))
    else:  # nothing describes them but the exchange itself
        origins = [origin] if origin else []
    return {
        "allow_origins": origins,
        "allow_methods": _split(exp.get("access-control-allow-methods")) or ["GET"],
        "allow_headers": _split(exp.get("access-control-allow-headers")),
        "expose_headers": _split(exp.get("access-control-expose-headers")),
        "allow_credentials": exp.get("access-control-allow-credentials") == "true",
        "allow_private_network": exp.get("access-control-allow-private-network") == "true",
        "max_age": int(exp["access-control-max-age"]) if "access-control-max-age" in exp else None,
    }


def framework_error(fx: Fixture) -> str | None:
    """Why the expected reply must come from Squall itself (handler must not run), or None."""
    status = fx.expected["status_code"]
    if status in FRAMEWORK_STATUSES:
        return FRAMEWORK_STATUSES[status]
    if is_cors_fixture(fx) and (is_preflight(fx) or status == 403):
        return "CORS preflight or refusal"
    if status == 503 and (fx.handler.get("health_check") or {}).get("status") == "unavailable":
        return "service unavailable"
    template, _ = route_of(fx)
    path = fx.request.get("path", "/").split("?")[0]
    if status == 404 and params.match_path(template, path) is None:
        return "no such route"
    return None


def body_media(fx: Fixture) -> str | None:
    """How the handler declares its body (FastAPI's Form()/File()); None leaves it to Squall."""
    h = fx.handler
    declared = (h.get("content_type") or "").lower()
    if declared.startswith("multipart/") or "files" in (h.get("parameters") or {}):
        return "multipart"
    if declared.startswith("application/x-www-form-urlencoded"):
        return "form"
    if not h.get("body_schema"):
        return None
    # A handler without a declared type: the one its fixture's request shows (forms only).
    sent = (fx.request.get("content_type") or "").lower()
    for k, v in (fx.request.get("headers") or {}).items():
        if k.lower() == "content-type":
            sent = str(v).lower()
    if fx.request.get("files") is not None or sent.startswith("multipart/"):
        return "multipart"
    if sent.startswith("application/x-www-form-urlencoded"):
        return "form"
    return None


def limits_of(fx: Fixture) -> dict[str, float] | None:
    out: dict[str, float] = {}
    if fx.handler.get("max_body_size") is not None:
        out["max_body"] = fx.handler["max_body_size"]
    if fx.handler.get("max_header_size") is not None:
        out["max_header_bytes"] = fx.handler["max_header_size"]
    return out or None


def _schema_without_cookie_attrs(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    if not schema or "cookies" not in schema:
        return schema
    props = schema["cookies"]["properties"]
    schema["cookies"]["properties"] = {
        n: {k: v for k, v in p.items() if k not in _COOKIE_ATTRS} for n, p in props.items()
    }
    return schema


def _streamed(spec: Mapping[str, Any]) -> Any:
    """A StreamingResponse sending the fixture's chunks one by one."""
    from squall import StreamingResponse

    async def chunks():  # type: ignore[no-untyped-def]
        for chunk in spec.get("chunks") or []:
            if chunk.get("type") == "bytes":
                yield base64.b64decode(chunk["base64"])
            else:
                yield chunk["value"]

    return StreamingResponse(chunks(), media_type=spec.get("content_type"))


def make_reply(fx: Fixture) -> Any:
    """The expected reply as a squall Response (a 500 is made by raising)."""
    from squall import JSONResponse, Response

    if fx.data.get("streaming"):
        return _streamed(fx.data["streaming"])
    exp = fx.expected
    status = exp["status_code"]
    if status == 500:
        raise RuntimeError("conformance fixture: a handler failure")
    headers: dict[str, str] = {}
    media_type = None
    has_body = exp.get("body") is not None and status not in (204, 304)
    cors = is_cors_fixture(fx)
    for name, value in (exp.get("headers") or {}).items():
        low = name.lower()
        if not isinstance(value, str) or value.startswith("<<") or low in _SERVER_HEADERS:
            continue
        if cors and (low.startswith("access-control-") or low == "vary"):
            continue  # the engine's lines, never the handler's
        if low == "content-type":
            media_type = value
        else:
            headers[name] = value
    length = headers.pop("Content-Length", None) or headers.pop("content-length", None)
    if not has_body and length is not None and fx.request.get("method", "").upper() == "HEAD":
        # A HEAD handler answers as its GET would: a body of the declared length
        # (the fixture gives only the length), which the server must not send.
        resp = Response(b"x" * int(length), status_code=status, headers=headers, media_type=media_type)
    elif not has_body:
        resp = Response(b"", status_code=status, headers=headers, media_type=media_type)
    elif isinstance(exp["body"], str):
        resp = Response(
            exp["body"], status_code=status, headers=headers, media_type=media_type or "text/plain"
        )
    else:
        resp = JSONResponse(exp["body"], status_code=status, headers=headers, media_type=media_type)
    for name, spec in (exp.get("cookies") or {}).items():
        resp.set_cookie(
            name,
            str(spec.get("value", "")),
            max_age=spec.get("max_age"),
            path=spec.get("path", "/"),
            domain=spec.get("domain"),
            secure=bool(spec.get("secure", False)),
            httponly=bool(spec.get("httponly", False)),
            samesite=(spec["samesite"].lower() if spec.get("samesite") else None),
        )
    return resp


def build_app(fx: Fixture, recorder: Recorder) -> Any:
    from squall import CORS, Squall

    policy = cors_policy(fx)
    app = Squall(cors=CORS(**policy) if policy is not None else None)
    if (fx.handler.get("health_check") or {}).get("status") == "unavailable":
        app.set_unavailable()
    template, method = route_of(fx)
    options: dict[str, Any] = {"inline": True}
    schema = _schema_without_cookie_attrs(params.parameters_schema(fx.handler))
    files = (fx.handler.get("parameters") or {}).get("files")
    if files:
        schema = dict(schema or {})
        schema["files"] = files  # Squall reads {"files": {name: {required, ...}}} as a multipart body
    if schema is not None:
        options["parameters_schema"] = schema
    if fx.handler.get("body_schema") is not None:
        options["body_schema"] = fx.handler["body_schema"]
    media = body_media(fx)
    if media is not None and ("body_schema" in options or media == "multipart"):
        options["body_media"] = media
    if fx.handler.get("max_nesting_depth") is not None:
        options["max_body_depth"] = fx.handler["max_nesting_depth"]
    status = fx.expected["status_code"]
    if 200 <= status < 300:
        options["status_code"] = status

    # No annotations: Squall gives the request to an unannotated ``request``,
    # the validated body to ``body``, and every parameter by keyword.
    def endpoint(request, body=None, **kwargs):  # type: ignore[no-untyped-def]
        recorder.ran += 1
        recorder.kwargs = kwargs
        recorder.body = body
        return make_reply(fx)

    app.route(template, methods=[method], **options)(endpoint)
    return app


def describe_options(fx: Fixture) -> Mapping[str, Any]:
    """What build_app passes (for -v output)."""
    return {
        "route": route_of(fx),
        "parameters_schema": params.parameters_schema(fx.handler),
        "body_media": body_media(fx),
        "limits": limits_of(fx),
        "cors": cors_policy(fx),
    }
