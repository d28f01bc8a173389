"""Running fixtures: build the app, serve it on a loopback port with the real
server, send the request over a socket, judge the reply and what the
handler received."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
import traceback
from typing import Any

from . import app_factory, http_client, http_request, judge, params
from .fixtures import Fixture
from .lists import DISPUTED, SKIPS

PASS, FAIL, SKIP, DISPUTED_STATUS = "passed", "failed", "skipped", "disputed"


@dataclasses.dataclass
class Result:
    fixture: Fixture
    outcome: str  # PASS / FAIL / SKIP / DISPUTED_STATUS
    problems: list[str] = dataclasses.field(default_factory=list)
    reason: str = ""  # skip or dispute reason
    disputed_would_pass: bool | None = None
    seconds: float = 0.0
    app: str = ""  # what the runner declared (shown with -v)


def check_received(fx: Fixture, rec: app_factory.Recorder, target: str) -> list[str]:
    """Every declared parameter arrived with the request's value, converted to its type."""
    problems = []
    for kw, (where, want) in params.expectations(fx.handler, fx.request, target).items():
        if kw not in rec.kwargs:
            if want is not None:
                problems.append(f"handler did not receive {where} (expected {want!r})")
            continue
        got = rec.kwargs[kw]
        if want is None and got is None:
            continue
        if not params.same_value(want, got):
            problems.append(
                f"{where} arrived as {got!r} ({type(got).__name__}), "
                f"expected {want!r} ({type(want).__name__})"
            )
    problems += _check_body(fx, rec)
    return problems


def _check_body(fx: Fixture, rec: app_factory.Recorder) -> list[str]:
    req = fx.request
    if fx.handler.get("body_schema") is None and "files" not in (fx.handler.get("parameters") or {}):
        return []
    sent: Any
    if "body" in req and not isinstance(req["body"], str):
        sent = http_request.expand(req["body"])
    elif isinstance(form := req.get("form_data") or req.get("data"), dict):
        sent = dict.fromkeys(form)  # presence only
    else:
        sent = None
    files = _files_by_field(req.get("files") or [])
    if isinstance(sent, dict) or files:
        sent = dict(sent or {})
        for name in files:
            sent[name] = None
        if not isinstance(rec.body, dict):
            return (
                [f"handler received body {judge.short(repr(rec.body), raw=True)}, expected the object sent"]
                if sent
                else []
            )
        problems = []
        for k, v in sent.items():
            if k not in rec.body:
                problems.append(f"body field {k!r} did not reach the handler")
            elif v is not None and isinstance(rec.body[k], (dict, list, str, int, float, bool)):
                d = judge.json_diff(v, rec.body[k], f"body.{k}")
                if d:
                    problems.append(f"handler received {d}")
        for name, specs in files.items():
            if name in rec.body:
                problems += _check_uploads(name, specs, rec.body[name])
        return problems
    if sent is not None and rec.body is None:
        return ["the body did not reach the handler"]
    return []


def _files_by_field(files: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        out.setdefault(f["field_name"], []).append(f)
    return out


def _check_uploads(name: str, specs: list[dict[str, Any]], got: Any) -> list[str]:
    """Each file sent arrived as an upload with its filename and size."""
    uploads = list(got) if isinstance(got, (list, tuple)) else [got]
    if len(uploads) != len(specs):
        return [
            f"file field {name!r}: {len(specs)} file(s) sent, handler got {judge.short(repr(got), raw=True)}"
        ]
    problems = []
    for spec, up in zip(specs, uploads, strict=False):
        # An UploadFile (typed handlers), or the mapping Squall gives an untyped body.
        if isinstance(up, dict) and "filename" in up and "content" in up:
            filename, size = up["filename"], len(up["content"])
        elif hasattr(up, "filename") and hasattr(up, "size"):
            filename, size = up.filename, up.size
        else:
            problems.append(f"file field {name!r} arrived as {judge.short(repr(up), raw=True)}, not a file")
            continue
        if spec.get("filename") is not None and filename != spec["filename"]:
            problems.append(f"file field {name!r}: filename {filename!r}, sent {spec['filename']!r}")
        sent = len(http_request.file_content(spec))
        if size != sent:
            problems.append(f"file field {name!r}: {size} bytes arrived, {sent} sent")
    return problems


def run_fixture(fx: Fixture, timeout: float = 10.0) -> Result:
    from squall.testing import TestClient

    start = time.monotonic()
    why = SKIPS.get(fx.key) or app_factory.unexpressible(fx)
    if why:
        return Result(fx, SKIP, reason=why)
    rec = app_factory.Recorder()
    problems: list[str] = []
    try:
        built = http_request.build(fx.request, fx.handler)
        app = app_factory.build_app(fx, rec)
        with (
            _quiet_expected_500(fx),
            TestClient(app, limits=app_factory.limits_of(fx), timeout=timeout) as client,
        ):
            # A request cut short (declared length > body) only waits for the server's verdict on EOF.
            reply = http_client.send(
                client.port, built, timeout=min(timeout, 3.0) if built.half_close else timeout
            )
        problems += judge.judge(fx.expected, reply)
        if fx.data.get("streaming") and reply.header("transfer-encoding") != "chunked":
            problems.append("a streamed reply must arrive chunked")
        framework = app_factory.framework_error(fx)
        if framework and rec.ran:
            problems.append(f"the handler ran, but the reply ({framework}) must come from Squall")
        if not framework and not rec.ran and reply.status < 500 and fx.expected["status_code"] < 500:
            problems.append("the handler did not run")
        if rec.ran and not framework:
            problems += check_received(fx, rec, built.target)
    except Exception as exc:
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        cause = exc.__cause__
        if cause is not None:
            tb += f" <- {type(cause).__name__}: {cause}"
        problems.append(f"error: {tb}")
    outcome = PASS if not problems else FAIL
    result = Result(
        fx,
        outcome,
        problems,
        seconds=time.monotonic() - start,
        app=json.dumps(app_factory.describe_options(fx)),
    )
    if fx.key in DISPUTED:
        result.disputed_would_pass = outcome == PASS
        result.outcome = DISPUTED_STATUS
        result.reason = DISPUTED[fx.key]
    return result


@contextlib.contextmanager
def _quiet_expected_500(fx: Fixture):  # type: ignore[no-untyped-def]
    """A fixture expecting a 500 makes its handler raise on purpose: Squall's
    traceback log line for it is expected, so it is not printed."""
    log = logging.getLogger("squall.error")
    if fx.expected["status_code"] != 500 or log.disabled:
        yield
        return
    log.disabled = True
    try:
        yield
    finally:
        log.disabled = False


def run_all(fixtures: list[Fixture], timeout: float = 10.0) -> list[Result]:
    return [run_fixture(fx, timeout) for fx in fixtures]


def to_json(results: list[Result]) -> str:
    return json.dumps(
        [
            {"fixture": r.fixture.key, "outcome": r.outcome, "problems": r.problems, "reason": r.reason}
            for r in results
        ],
        indent=1,
    )
