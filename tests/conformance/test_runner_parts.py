"""The runner's own parts, without the framework: reading fixtures, building
requests, parsing replies, judging, and checking what a handler received."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.conformance import (
        app_factory,
        fixtures,
        http_client,
        http_request,
        judge,
        params,
        runner,
    )
else:
    from . import (
        app_factory,
        fixtures,
        http_client,
        http_request,
        judge,
        params,
        runner,
    )


def _fx(data: dict[str, Any], category: str = "query_params", name: str = "01_x") -> fixtures.Fixture:
    return fixtures.Fixture(category, name, Path(f"/nowhere/{category}/{name}.json"), data)


def _reply(raw: bytes, method: str = "GET") -> http_client.Reply:
    return http_client.parse(raw, method)


# -- fixtures ---------------------------------------------------------------------------


def test_non_fixtures_are_skipped() -> None:
    ok = fixtures.is_fixture_file
    assert ok(Path("query_params/01_a.json"))
    assert not ok(Path("00-FIXTURE-SCHEMA.json"))
    assert not ok(Path("query_params/schema.json"))
    assert not ok(Path("di/README.md"))
    assert not ok(Path("path_params/22_x.json.disabled"))
    assert not ok(Path("multipart/files/test.txt"))
    assert not ok(Path("multipart/files/x.json"))


def test_load_fixtures_reads_only_request_fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = {"request": {"method": "GET", "path": "/"}, "expected_response": {"status_code": 200}}
    (tmp_path / "fixtures" / "cat").mkdir(parents=True)
    (tmp_path / "fixtures" / "cat" / "01_a.json").write_text(json.dumps(one))
    (tmp_path / "fixtures" / "cat" / "schema.json").write_text("{}")
    (tmp_path / "fixtures" / "cat" / "02_doc.json").write_text(json.dumps({"channel": "x"}))
    (tmp_path / "fixtures" / "cat" / "03_b.json.disabled").write_text(json.dumps(one))
    monkeypatch.setenv(fixtures.ENV_VAR, str(tmp_path))  # the conformance dir works ...
    got = fixtures.load_fixtures()
    assert [f.key for f in got] == ["cat/01_a"]
    monkeypatch.setenv(fixtures.ENV_VAR, str(tmp_path / "fixtures"))  # ... and so does fixtures/
    assert [f.key for f in fixtures.load_fixtures()] == ["cat/01_a"]
    assert fixtures.select(got, name="01_a.json") == got
    assert fixtures.select(got, category="other") == []


# -- requests ---------------------------------------------------------------------------


def test_repeat_expansion_and_query_building() -> None:
    assert http_request.expand({"a": ["{{ repeat 'x' 3 times }}!"]}) == {"a": ["xxx!"]}
    req = {
        "method": "GET",
        "path": "/items?a=1",
        "query_params": {"ids": [1, 2], "flag": True, "q": "a b"},
        "query_string": "raw=%26",
    }
    built = http_request.build(req)
    assert built.target == "/items?a=1&ids=1&ids=2&flag=true&q=a+b&raw=%26"
    assert built.body == b"" and not any(k == "Content-Length" for k, _ in built.headers)


def test_json_body_defaults_to_application_json_and_string_body_is_raw() -> None:
    built = http_request.build({"method": "POST", "path": "/", "body": {"k": "é"}})
    assert json.loads(built.body) == {"k": "é"}
    assert ("Content-Type", "application/json") in built.headers
    assert ("Content-Length", str(len(built.body))) in built.headers
    raw = http_request.build(
        {"method": "POST", "path": "/", "headers": {"Content-Type": "text/plain"}, "body": "{bad"}
    )
    assert raw.body == b"{bad"
    assert [v for k, v in raw.headers if k == "Content-Type"] == ["text/plain"]


def test_form_and_multipart_bodies() -> None:
    form = http_request.build({"method": "POST", "path": "/", "form_data": {"a": "1", "tags": ["x", "y"]}})
    assert form.body == b"a=1&tags=x&tags=y"
    assert ("Content-Type", "application/x-www-form-urlencoded") in form.headers
    mp = http_request.build(
        {
            "method": "POST",
            "path": "/",
            "data": {"f": "v"},
            "files": [
                {
                    "field_name": "img",
                    "filename": "a.png",
                    "content_type": "image/png",
                    "magic_bytes": "89504e47",
                },
                {
                    "field_name": "doc",
                    "filename": None,
                    "content_type": None,
                    "content": "hi",
                    "headers": {"x-custom": "1"},
                },
            ],
        }
    )
    ctype = dict(mp.headers)["Content-Type"]
    boundary = ctype.split("boundary=")[1]
    assert mp.body.startswith(f"--{boundary}\r\n".encode()) and mp.body.endswith(
        f"--{boundary}--\r\n".encode()
    )
    assert b'name="f"\r\n\r\nv\r\n' in mp.body
    assert b'filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n' in mp.body
    assert b'Content-Disposition: form-data; name="doc"\r\nx-custom: 1\r\n\r\nhi\r\n' in mp.body


def test_declared_content_length_and_host_are_kept() -> None:
    built = http_request.build(
        {
            "method": "POST",
            "path": "/",
            "body": {"v": 1},
            "headers": {"Content-Length": "100", "Host": "example.com:8080"},
        }
    )
    assert built.half_close
    wire = built.to_bytes("127.0.0.1:1")
    assert b"Host: example.com:8080\r\n" in wire and b"127.0.0.1:1" not in wire
    assert wire.count(b"Content-Length") == 1
    cookies = http_request.build({"method": "GET", "path": "/", "cookies": {"a": "1", "b": "2"}})
    assert ("Cookie", "a=1; b=2") in cookies.headers


# -- replies ----------------------------------------------------------------------------


def test_reply_parsing() -> None:
    r = _reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhiXX")
    assert (r.status, r.body, r.header_list("set-cookie")) == (200, b"hi", ["a=1", "b=2"])
    chunked = _reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n")
    assert chunked.body == b"abc"
    head = _reply(b"HTTP/1.1 200 OK\r\nContent-Length: 85\r\n\r\n", "HEAD")
    assert head.body == b"" and head.header("content-length") == "85"
    with pytest.raises(http_client.ProtocolError):
        http_client.parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "GET")
    with pytest.raises(http_client.ProtocolError):
        http_client.parse(b"HTTP/1.1 200 OK\r\n\r\nab", "GET", final=False)


# -- judging ----------------------------------------------------------------------------


def _json_reply(status: int, body: object, extra: str = "") -> http_client.Reply:
    data = json.dumps(body).encode()
    return _reply(f"HTTP/1.1 {status} X\r\nContent-Length: {len(data)}\r\n{extra}\r\n".encode() + data)


def test_judge_status_and_json_bodies() -> None:
    exp = {"status_code": 200, "body": {"a": 1, "b": [1, 2]}}
    assert judge.judge(exp, _json_reply(200, {"b": [1, 2], "a": 1})) == []  # key order is free
    assert judge.judge(exp, _json_reply(201, {"a": 1, "b": [1, 2]}))[0].startswith("status 201")
    assert judge.judge(exp, _json_reply(200, {"a": 1, "b": [2, 1]}))  # list order is not
    assert judge.judge(exp, _json_reply(200, {"a": True, "b": [1, 2]}))  # a bool is no number
    assert judge.judge(exp, _json_reply(200, {"a": "1", "b": [1, 2]}))
    assert judge.judge(exp, _json_reply(200, {"a": 1, "b": [1, 2], "c": 0}))  # no extra keys
    assert judge.judge({"status_code": 200, "body": {"x": 1.0}}, _json_reply(200, {"x": 1})) == []
    assert judge.judge({"status_code": 204}, _reply(b"HTTP/1.1 204 No Content\r\n\r\n")) == []


def test_judge_problem_type_by_path_and_text_bodies() -> None:
    exp = {"status_code": 422, "body": {"type": "https://spikard.dev/errors/validation-error", "status": 422}}
    assert (
        judge.judge(
            exp, _json_reply(422, {"type": "https://squall.dev/errors/validation-error", "status": 422})
        )
        == []
    )
    assert judge.judge(exp, _json_reply(422, {"type": "https://squall.dev/errors/other", "status": 422}))
    link = {"status_code": 200, "body": {"url": "https://a.example/x"}}
    assert judge.judge(link, _json_reply(200, {"url": "https://b.example/x"}))  # only `type` is relaxed
    text = {"status_code": 200, "body": "foo bar 42"}
    assert judge.judge(text, _reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfoo bar 42")) == []
    assert judge.judge(text, _json_reply(200, "foo bar 42")) == []
    assert judge.judge(text, _json_reply(200, "foo bar 43"))


def test_judge_headers_and_cookies() -> None:
    reply = _json_reply(
        200,
        {},
        "X-Request-Id: 0e9d6a3e-8a3c-4a3c-9c1b-6c7a3b2f1e00\r\nLocation: /new\r\n"
        "Set-Cookie: s=abc; Max-Age=3600; Path=/; Domain=example.com; Secure; HttpOnly; SameSite=Strict\r\n",
    )
    ok = {
        "status_code": 200,
        "headers": {
            "x-request-id": "<<uuid>>",
            "location": "/new",
            "etag": "<<absent>>",
            "LOCATION": "<<present>>",
        },
        "cookies": {
            "s": {
                "value": "abc",
                "max_age": 3600,
                "path": "/",
                "domain": ".example.com",
                "secure": True,
                "httponly": True,
                "samesite": "strict",
            }
        },
    }
    assert judge.judge(ok, reply) == []
    assert judge.judge({"status_code": 200, "headers": {"location": "/old"}}, reply)
    assert judge.judge({"status_code": 200, "headers": {"location": "<<absent>>"}}, reply)
    assert judge.judge({"status_code": 200, "headers": {"location": "<<uuid>>"}}, reply)
    assert judge.judge({"status_code": 200, "cookies": {"s": {"value": "abc", "max_age": 60}}}, reply)
    assert judge.judge({"status_code": 200, "cookies": {"t": {"value": "abc"}}}, reply)


# -- parameters -------------------------------------------------------------------------

HANDLER = {
    "route": "/items/{item_id}",
    "parameters": {
        "path": {"item_id": {"type": "integer"}},
        "query": {
            "tags": {"type": "array", "items": {"type": "string"}, "separator": "|"},
            "limit": {"type": "integer", "optional": True, "default": 10},
            "flag": {"type": "boolean", "required": False},
            "q": {"type": "string"},
        },
        "headers": {"X-Token": {"type": "string", "annotation": "str"}},
    },
}


def test_parameters_schema_translation() -> None:
    schema = params.parameters_schema(HANDLER)
    assert schema is not None
    assert schema["path"]["required"] == ["item_id"]
    assert schema["query"]["required"] == ["tags", "q"]
    assert schema["query"]["properties"]["tags"]["separator"] == "|"  # hints stay for Squall
    assert schema["headers"] == {
        "type": "object",
        "properties": {"X-Token": {"type": "string", "annotation": "str"}},
        "required": ["X-Token"],
    }
    sec = params.parameters_schema({"security": {"type": "apiKey", "in": "cookie", "name": "key"}})
    assert sec == {
        "cookies": {
            "type": "object",
            "properties": {"key": {"type": "string", "required": True}},
            "required": ["key"],
        }
    }


def test_expectations_convert_the_sent_values() -> None:
    req = {"headers": {"x-token": "t"}}
    got = params.expectations(HANDLER, req, "/items/42?tags=a|b&tags=c&q=x")
    assert got == {
        "item_id": ("path.item_id", 42),
        "tags": ("query.tags", ["a", "b", "c"]),
        "limit": ("query.limit", 10),
        "flag": ("query.flag", None),
        "q": ("query.q", "x"),
        "x_token": ("headers.X-Token", "t"),
    }
    assert params.match_path("/f/{p:path}", "/f/a/b%20c") == {"p": "a/b c"}
    assert params.match_path("/f/{p}", "/g/1") is None
    assert params.same_value(42, 42) and not params.same_value(42, "42") and not params.same_value(1, True)
    assert params.same_value([1.5], [1.5]) and not params.same_value(["1"], [1])


def test_check_received_catches_unconverted_and_missing_values() -> None:
    fx = _fx(
        {
            "handler": HANDLER,
            "request": {"method": "GET", "path": "/items/42", "headers": {"X-Token": "t"}},
            "expected_response": {"status_code": 200},
        }
    )
    target = "/items/42?tags=a&q=x"
    good = app_factory.Recorder(1, {"item_id": 42, "tags": ["a"], "limit": 10, "q": "x", "x_token": "t"})
    assert runner.check_received(fx, good, target) == []
    bad = app_factory.Recorder(1, {"item_id": "42", "tags": ["a"], "limit": 10, "q": "x"})
    problems = runner.check_received(fx, bad, target)
    assert any("path.item_id arrived as '42'" in p for p in problems)
    assert any("did not receive headers.X-Token" in p for p in problems)


def test_check_received_checks_the_body() -> None:
    fx = _fx(
        {
            "handler": {"route": "/", "body_schema": {"type": "object"}},
            "request": {"method": "POST", "path": "/", "body": {"a": 1}},
            "expected_response": {"status_code": 200},
        }
    )
    assert runner.check_received(fx, app_factory.Recorder(1, {}, {"a": 1}), "/") == []
    assert runner.check_received(fx, app_factory.Recorder(1, {}, {"a": "1"}), "/")
    assert runner.check_received(fx, app_factory.Recorder(1, {}, None), "/")


def test_framework_errors_and_unexpressible_apps() -> None:
    def fx(status: int, path: str = "/a", **handler: object) -> fixtures.Fixture:
        return _fx(
            {
                "handler": {"route": "/a", "method": "GET", **handler},
                "request": {"method": "GET", "path": path},
                "expected_response": {"status_code": status},
            }
        )

    assert app_factory.framework_error(fx(422)) and app_factory.framework_error(fx(413))
    assert app_factory.framework_error(fx(404)) is None  # the handler's own "not found"
    assert app_factory.framework_error(fx(404, "/b"))  # no such route
    assert app_factory.framework_error(fx(200)) is None
    assert app_factory.unexpressible(fx(200, middleware={"x": 1}))
    assert app_factory.unexpressible(fx(200)) is None
    assert app_factory.limits_of(fx(200, max_body_size=10)) == {"max_body": 10}


def test_uploads_are_checked_by_filename_and_size() -> None:
    sent = [{"field_name": "f", "filename": "a.txt", "content": "abc"}]
    assert runner._check_uploads("f", sent, {"filename": "a.txt", "content": b"abc"}) == []
    assert runner._check_uploads("f", sent, [{"filename": "a.txt", "content": b"abc"}]) == []
    assert runner._check_uploads("f", sent, {"filename": "b.txt", "content": b"abc"})
    assert runner._check_uploads("f", sent, {"filename": "a.txt", "content": b"ab"})
    assert runner._check_uploads("f", sent, "abc")
    assert runner._check_uploads("f", sent + sent, {"filename": "a.txt", "content": b"abc"})
