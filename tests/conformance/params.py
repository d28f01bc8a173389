"""A fixture's declared parameters: translating them into Squall's
``parameters_schema=`` and computing, from the fixture's own request, the
value each parameter must reach the handler with (converted to its type)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

# Fixture source name -> Squall's parameters_schema key (both spellings appear).
SOURCES = {
    "path": "path",
    "query": "query",
    "headers": "headers",
    "header": "headers",
    "cookies": "cookies",
    "cookie": "cookies",
}

_SEGMENT = re.compile(r"{([^}:]+)(?::([^}]+))?}")
_TRUE = {"true", "1", "yes", "on", "y", "t"}
_FALSE = {"false", "0", "no", "off", "n", "f"}


def is_required(spec: Mapping[str, Any]) -> bool:
    """README: required when ``required`` is true, or with neither a default nor ``optional: true``."""
    if isinstance(spec.get("required"), bool):
        return bool(spec["required"])
    return "default" not in spec and not spec.get("optional", False)


def py_name(key: str) -> str:
    """The keyword a wire name reaches a handler as (``X-API-Key`` -> ``x_api_key``)."""
    name = re.sub(r"\W", "_", key).lower()
    return name if name.isidentifier() else f"_{name}"


def declared(handler: Mapping[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{source: {name: spec}} for path/query/headers/cookies, including the
    path segments of the route that the fixture does not list (typed segments
    such as {id:int} declare themselves) and an apiKey ``security`` scheme,
    which is a required parameter of its ``in`` source."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for src, group in (handler.get("parameters") or {}).items():
        source = SOURCES.get(src)
        if source is None:
            continue  # "files" is the body's business
        out.setdefault(source, {}).update({name: dict(spec) for name, spec in group.items()})
    sec = handler.get("security")
    if isinstance(sec, Mapping) and sec.get("type") == "apiKey" and sec.get("name"):
        source = SOURCES.get(str(sec.get("in", "header")), "headers")
        out.setdefault(source, {}).setdefault(sec["name"], {"type": "string", "required": True})
    return out


def parameters_schema(handler: Mapping[str, Any]) -> dict[str, Any] | None:
    """Squall's explicit form: {source: {"type": "object", "properties", "required"}}.
    The fixture's hints (annotation, default, separator, optional, ...) stay in
    each property: Squall documents that it reads them (RouteOptions,
    _PARAM_HINTS) and strips them before compiling the JSON Schema."""
    groups = declared(handler)
    if not groups:
        return None
    out: dict[str, Any] = {}
    for source, props in groups.items():
        required = [name for name, spec in props.items() if source == "path" or is_required(spec)]
        obj: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            obj["required"] = required
        out[source] = obj
    return out


def match_path(template: str, path: str) -> dict[str, str] | None:
    """Raw (percent-decoded) segment values, or None when ``path`` does not match."""
    pattern = ""
    pos = 0
    for m in _SEGMENT.finditer(template):
        pattern += re.escape(template[pos : m.start()])
        kind = m.group(2)
        pattern += f"(?P<{_group(m.group(1))}>.+)" if kind == "path" else f"(?P<{_group(m.group(1))}>[^/]+)"
        pos = m.end()
    pattern += re.escape(template[pos:])
    found = re.fullmatch(pattern, path)
    if found is None:
        return None
    names = [m.group(1) for m in _SEGMENT.finditer(template)]
    return {n: urllib.parse.unquote(found.group(_group(n))) for n in names}


def _group(name: str) -> str:
    return "g_" + re.sub(r"\W", "_", name)


def segment_types(template: str) -> dict[str, str | None]:
    return {m.group(1): m.group(2) for m in _SEGMENT.finditer(template)}


class NoExpectation(Exception):
    """The value cannot be predicted (no declared type, or not convertible)."""


def convert(raw: Any, schema: Mapping[str, Any]) -> Any:
    """What a string (or list of strings) sent on the wire becomes for ``schema``."""
    typ = schema.get("type")
    if isinstance(typ, list):
        kinds = [t for t in typ if t != "null"]
        typ = kinds[0] if len(kinds) == 1 else None
    if typ == "array":
        items = schema.get("items") or {}
        values = raw if isinstance(raw, list) else [raw]
        sep = schema.get("separator")
        if sep:
            values = [part for v in values for part in v.split(sep)]
        return [convert(v, items) for v in values]
    if isinstance(raw, list):
        if not raw:
            raise NoExpectation("no value")
        raw = raw[-1]  # a scalar sent twice: the last one wins (as in FastAPI)
    if typ == "integer":
        try:
            return int(raw)
        except ValueError:
            raise NoExpectation(f"{raw!r} is no integer") from None
    if typ == "number":
        try:
            return float(raw)
        except ValueError:
            raise NoExpectation(f"{raw!r} is no number") from None
    if typ == "boolean":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise NoExpectation(f"{raw!r} is no boolean")
    if typ == "string":
        return raw
    raise NoExpectation(f"no declared type in {dict(schema)!r}")


def wire_values(request: Mapping[str, Any], target: str, template: str | None) -> dict[str, dict[str, Any]]:
    """{source: {wire name: str | list[str]}} as the request carries them."""
    path, _, query = target.partition("?")
    out: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "headers": {}, "cookies": {}}
    if template:
        out["path"] = dict(match_path(template, path) or {})
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        out["query"].setdefault(k, []).append(v)
    for k, v in (request.get("headers") or {}).items():
        out["headers"][k.lower()] = str(v)
    for k, v in (request.get("cookies") or {}).items():
        out["cookies"][k] = str(v)
    return out


def expectations(
    handler: Mapping[str, Any], request: Mapping[str, Any], target: str
) -> dict[str, tuple[str, Any]]:
    """{keyword: (description, expected value)} for every declared parameter
    whose arrival can be predicted. ``None`` as value means absent-or-None."""
    wire = wire_values(request, target, handler.get("route"))
    out: dict[str, tuple[str, Any]] = {}
    for source, props in declared(handler).items():
        for name, spec in props.items():
            lookup = name.lower() if source == "headers" else name
            raw = wire[source].get(lookup)
            where = f"{source}.{name}"
            if raw is None:
                if "default" in spec:
                    out[py_name(name)] = (where, spec["default"])
                elif not is_required(spec):
                    out[py_name(name)] = (where, None)
                continue
            typed = dict(spec)
            if source == "path" and "type" not in typed:
                seg = segment_types(handler.get("route", "")).get(name)
                typed["type"] = {"int": "integer", "float": "number", "bool": "boolean"}.get(
                    seg or "", "string"
                )
            try:
                out[py_name(name)] = (where, convert(raw, typed))
            except NoExpectation:
                continue
    return out


def same_value(expected: Any, got: Any) -> bool:
    """``got`` carries ``expected``'s value with its type (an int is an int, not "42")."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, int):
        return isinstance(got, int) and got == expected
    if isinstance(expected, float):
        return isinstance(got, (int, float)) and float(got) == expected
    if isinstance(expected, list):
        return (
            isinstance(got, (list, tuple))
            and len(got) == len(expected)
            and all(same_value(e, g) for e, g in zip(expected, got, strict=False))
        )
    if isinstance(expected, str):
        # A formatted string (uuid, date) may arrive as the matching Python object.
        return got == expected or (
            not isinstance(got, (str, int, float, list, dict))
            and got is not None
            and _canon(str(got)) == _canon(expected)
        )
    return bool(got == expected)


def _canon(s: str) -> str:
    # ISO dates: "2024-01-02T03:04:05" and str(datetime) "2024-01-02 03:04:05".
    return s.lower().replace("t", " ")
