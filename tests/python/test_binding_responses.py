"""What the binding does with a Response the core would refuse (issue 3
review fixes): each test failed before its fix.

- sq_respond refuses Content-Length and Transfer-Encoding in the headers
  (the core frames every body): a Response declaring its own length got a
  bare 500 and no log line. A Content-Length equal to the body is now left
  to the core; a HEAD answer may declare (and gets) the GET length without a body;
  anything else is a clear exception (500 + log line).
- A 1xx status is not a final answer: refused with a clear exception.
- Whenever the core still refuses a response (SQ_EINVAL), "squall.error"
  says so.
"""

from __future__ import annotations

import logging
import time

from test_binding_support import Resp, Route, Worker, get, needs_ext, request

pytestmark = needs_ext


def _no_error_handler(exc, request):
    return None


def _routes():
    return [
        Route("GET", "/sized", lambda: Resp(200, b"hello", [("Content-Length", "5")]), inline=True),
        Route("GET", "/padded", lambda: Resp(200, b"hello", [("content-length", " 5 ")])),
        Route("GET", "/head-only",
              lambda: Resp(200, b"", [("X-Kind", "head"), ("Content-Length", "1234")]), inline=True),
        Route("GET", "/wrong", lambda: Resp(200, b"hello", [("Content-Length", "7")]), inline=True),
        Route("GET", "/garbage", lambda: Resp(200, b"hello", [("Content-Length", "5x")]), inline=True),
        Route("GET", "/chunked",
              lambda: Resp(200, b"hello", [("Transfer-Encoding", "chunked")]), inline=True),
        Route("GET", "/bad-name", lambda: Resp(200, b"hello", [("bad name", "v")]), inline=True),
        Route("GET", "/bad-name-pool", lambda: Resp(200, b"hello", [("bad name", "v")])),
        Route("GET", "/early-hints", lambda: Resp(103, b"", []), inline=True),
        Route("GET", "/continue-pool", lambda: Resp(100, b"", [])),
    ]


def _errors(caplog):
    return [rec.getMessage() + "\n" + (rec.exc_text or str(rec.exc_info or ""))
            for rec in caplog.records if rec.name == "squall.error"]


def test_content_length_equal_to_the_body_is_accepted_get_and_head():
    with Worker(_routes(), error_handler=_no_error_handler) as w:
        for path in ("/sized", "/padded"):
            r = get(w.port, path)
            assert r.status == 200, (path, r.body)
            assert r.headers["content-length"] == "5" and r.body == b"hello"
            r = request(w.port, "HEAD", path)
            assert r.status == 200, path
            assert r.headers["content-length"] == "5"
            assert r.body == b""


def test_head_may_declare_the_get_length_without_a_body():
    with Worker(_routes(), error_handler=_no_error_handler) as w:
        r = request(w.port, "HEAD", "/head-only")
        assert r.status == 200
        assert r.headers["x-kind"] == "head"
        # The declared length, never a false "Content-Length: 0" (RFC 9110 8.6).
        assert r.headers["content-length"] == "1234"
        assert r.body == b""
        # The same Response to a GET does not match its body: refused.
        assert get(w.port, "/head-only").status == 500


def test_unusable_framing_headers_and_1xx_give_500_and_a_log_line(caplog):
    cases = {
        "/wrong": "Content-Length header says 7 but the body has 5 bytes",
        "/garbage": "invalid Content-Length",
        "/chunked": "Transfer-Encoding",
        "/early-hints": "informational (1xx)",
        "/continue-pool": "informational (1xx)",
    }
    with caplog.at_level(logging.ERROR, logger="squall.error"), Worker(
            _routes(), error_handler=_no_error_handler) as w:
        for path, why in cases.items():
            caplog.clear()
            r = get(w.port, path)
            assert r.status == 500, path
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not _errors(caplog):
                time.sleep(0.01)
            assert r.headers["content-type"] == "application/problem+json"
            assert any(why in text for text in _errors(caplog)), (path, _errors(caplog))


def test_a_response_the_core_refuses_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="squall.error"), Worker(
            _routes(), error_handler=_no_error_handler) as w:
        for path in ("/bad-name", "/bad-name-pool"):
            caplog.clear()
            r = get(w.port, path)
            assert r.status == 500, path
            # From a pool thread the reply may leave before the line is logged.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not _errors(caplog):
                time.sleep(0.01)
            assert any("refused the endpoint's response" in text for text in _errors(caplog)), (
                path, _errors(caplog))


def test_wants_errors_route_without_handler_sends_the_cores_content_type():
    # dispatch.c labelled every validation reply application/problem+json,
    # but the core renders the 400s (malformed JSON) as plain JSON.
    from test_binding_support import spec

    s = spec(body={"media": "json", "required": True, "schema": {"type": "object"}})
    route = Route("POST", "/v", lambda body: body, spec=s, body_kwarg="body", inline=True,
                  wants_errors=True)
    with Worker([route]) as w:
        r = request(w.port, "POST", "/v", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
        assert r.status == 200 and r.json() == {"a": 1}
        r = request(w.port, "POST", "/v", body=b'{"a": ', headers={"Content-Type": "application/json"})
        assert r.status == 400
        assert r.headers["content-type"] == "application/json", r.headers
        assert r.json() == {"detail": "Invalid request format"}
        r = request(w.port, "POST", "/v", body=b"a=1", headers={"Content-Type": "text/plain"})
        assert r.status == 415
        assert r.headers["content-type"] == "application/problem+json"
        r = request(w.port, "POST", "/v", body=b'{"a": 1', headers={"Content-Type": "application/json"})
        assert r.headers["content-type"] == "application/json"
