"""Judging a reply against a fixture's ``expected_response`` by the rules of
../shared/conformance/README.md: status equal; JSON equal with free key order
(list order and value types kept); a problem-details ``type`` URI compared by
its path only; headers and cookies matched partially."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from .http_client import Reply

_MAX_SHOWN = 300


def short(value: Any, raw: bool = False) -> str:
    """JSON (so "2" and 2 differ on screen), or ``raw`` text, cut to a line."""
    try:
        text = value if raw else json.dumps(value, ensure_ascii=False, sort_keys=True)
    except TypeError:
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "..."


def _is_uri(v: Any) -> bool:
    return isinstance(v, str) and v.startswith(("https://", "http://"))


def json_diff(expected: Any, got: Any, where: str = "$") -> str | None:
    """The first difference, or None. Booleans are not numbers; 1 equals 1.0;
    a ``type`` member holding a URI is compared by its path only."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where}: expected an object, got {short(got)}"
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            return f"{where}: missing keys {missing}, unexpected keys {extra}"
        for k, v in expected.items():
            if k == "type" and _is_uri(v) and _is_uri(got[k]):
                # A problem-details type: the base is each project's own, the path must match.
                if urllib.parse.urlsplit(v).path != urllib.parse.urlsplit(got[k]).path:
                    return f"{where}.type: expected path of {short(v)}, got {short(got[k])}"
                continue
            d = json_diff(v, got[k], f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list):
        if not isinstance(got, list):
            return f"{where}: expected a list, got {short(got)}"
        if len(expected) != len(got):
            return f"{where}: expected {len(expected)} items, got {len(got)}: {short(got)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=False)):
            d = json_diff(e, g, f"{where}[{i}]")
            if d:
                return d
        return None
    if isinstance(expected, bool) or isinstance(got, bool):
        ok = type(expected) is type(got) and expected == got
    elif isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        ok = expected == got
    else:
        ok = type(expected) is type(got) and expected == got
    return None if ok else f"{where}: expected {short(expected)}, got {short(got)}"


def judge_body(expected: Any, reply: Reply) -> str | None:
    if expected is None:
        return None  # nothing said about the body
    if isinstance(expected, str):
        text = reply.body.decode("utf-8", "replace")
        if text == expected:
            return None
        try:
            if json.loads(text) == expected:
                return None  # a JSON string reply carrying the text
        except ValueError:
            pass
        return f"body: expected text {short(expected)}, got {short(text)}"
    try:
        got = json.loads(reply.body)
    except ValueError:
        return f"body: expected JSON {short(expected)}, got {short(reply.body.decode('utf-8', 'replace'))}"
    d = json_diff(expected, got)
    return f"body {d}" if d else None


def judge_headers(expected: Mapping[str, Any], reply: Reply) -> list[str]:
    problems = []
    for name, want in expected.items():
        got = reply.header(name)
        if want == "<<absent>>":
            if got is not None:
                problems.append(f"header {name}: expected absent, got {got!r}")
        elif got is None:
            problems.append(f"header {name}: missing (expected {want!r})")
        elif want == "<<present>>":
            pass
        elif want == "<<uuid>>":
            try:
                uuid.UUID(got)
            except ValueError:
                problems.append(f"header {name}: expected a UUID, got {got!r}")
        elif got.strip() != str(want).strip():
            problems.append(f"header {name}: expected {want!r}, got {got!r}")
    return problems


def parse_set_cookie(value: str) -> tuple[str, str, dict[str, str | bool]]:
    """(name, value, {lower-case attribute: value or True})."""
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs: dict[str, str | bool] = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    val = val.strip()
    if len(val) >= 2 and val[0] == val[-1] == '"':
        val = val[1:-1]  # a quoted value (no escapes in the fixtures' cookies)
    return name.strip(), val, attrs


_ATTR_NAMES = {
    "max_age": "max-age",
    "httponly": "httponly",
    "secure": "secure",
    "samesite": "samesite",
    "path": "path",
    "domain": "domain",
    "expires": "expires",
}


def judge_cookies(expected: Mapping[str, Mapping[str, Any]], reply: Reply) -> list[str]:
    problems = []
    jar = {}
    for header in reply.header_list("set-cookie"):
        name, val, attrs = parse_set_cookie(header)
        jar[name] = (val, attrs)
    for name, want in expected.items():
        if name not in jar:
            problems.append(f"cookie {name}: not set (Set-Cookie: {reply.header_list('set-cookie')})")
            continue
        val, attrs = jar[name]
        if "value" in want and val != str(want["value"]):
            problems.append(f"cookie {name}: value {val!r}, expected {want['value']!r}")
        for key, wanted in want.items():
            if key == "value":
                continue
            attr = _ATTR_NAMES.get(key.lower(), key.lower())
            got = attrs.get(attr)
            if isinstance(wanted, bool):
                if bool(got) != wanted:
                    problems.append(f"cookie {name}: {attr} {'missing' if wanted else 'set'}")
            elif attr == "domain":
                if str(got or "").lstrip(".").lower() != str(wanted).lstrip(".").lower():
                    problems.append(f"cookie {name}: domain {got!r}, expected {wanted!r}")
            elif attr == "samesite":
                if str(got or "").lower() != str(wanted).lower():
                    problems.append(f"cookie {name}: samesite {got!r}, expected {wanted!r}")
            elif str(got) != str(wanted):
                problems.append(f"cookie {name}: {attr} {got!r}, expected {wanted!r}")
    return problems


def judge(expected: Mapping[str, Any], reply: Reply) -> list[str]:
    """Every way ``reply`` differs from ``expected`` (empty: it passes)."""
    problems = []
    if reply.status != expected["status_code"]:
        body = reply.body.decode("utf-8", "replace")
        problems.append(
            f"status {reply.status}, expected {expected['status_code']} (body {short(body, raw=True)})"
        )
        return problems  # the rest would only repeat the story
    if "body" in expected:
        d = judge_body(expected["body"], reply)
        if d:
            problems.append(d)
    problems += judge_headers(expected.get("headers") or {}, reply)
    problems += judge_cookies(expected.get("cookies") or {}, reply)
    return problems
