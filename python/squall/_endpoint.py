"""Endpoint analysis: from a handler's signature (or explicit schemas) to
the route spec of include/squall/validator.h and the call plan the binding
needs (kwnames, converters, body keyword, request keyword).

Done once per route at start-up; nothing here runs per request except the
small wrappers built for handlers that need them (split form/embedded
bodies, the reserved keyword style, explicit schemas naming parameters the
handler does not declare).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import functools
import inspect
import json
import re
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from ._convert import Converter, converter_for
from ._params import MISSING, Body, File, Form, Param
from ._request import Request, spec_name
from ._responses import Response
from ._schema import SchemaBuilder, apply_constraints
from ._typeinfo import NONE_TYPE, is_structured, is_union, marker_of, unwrap_annotated
from ._upload import UploadFile

__all__ = ["RESERVED_NAMES", "EndpointPlan", "jsonable", "path_param_names", "plan_endpoint"]

RESERVED_NAMES: Final = frozenset(
    {"path_params", "query_params", "body", "headers", "cookies", "method", "path"}
)

# Internal keywords used by wrappers; never valid user parameter names in practice.
_BODY_KW: Final = "_squall_body"
_REQUEST_KW: Final = "_squall_request"

_PATH_PARAM: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_]+))?\}")
_SEGMENT_TYPES: Final[dict[str | None, Any]] = {
    "int": int,
    "float": float,
    "uuid": uuid.UUID,
    "path": str,
    "str": str,
}
# Fixture/FastAPI hints found next to a parameter's JSON Schema that are not
# JSON Schema (the core rejects unknown keywords), so never reach the schema:
# - translated into the spec entry: required, optional, default, separator,
#   source, alias; "annotation" (its absence next to "required": true picks
#   the jsonschema error wording, see _error_style);
# - dropped on purpose: uuidVersion (format "uuid" already validates the
#   value; no fixture expects a version error), samesite and httponly
#   (attributes of the Set-Cookie that sent a cookie, invisible in a
#   request's Cookie header), and the file hints, which belong to the
#   "files" group (_explicit_files) where they are translated.
_PARAM_HINTS: Final = frozenset(
    {"annotation", "required", "optional", "default", "separator", "source", "alias"}
) | {"uuidVersion", "samesite", "httponly", "validate_magic_numbers", "content_type", "multiple"}
# Typed segments whose shape the route itself checks ({id:uuid}): like a router's
# segment check, a bad value is reported without a parser's reason ("Input should
# be a valid UUID"); the handler still gets the typed value (its converter parses it).
_CHECKED_SEGMENTS: Final = frozenset({"uuid"})
_SOURCE_ALIASES: Final = {
    "path": "path",
    "query": "query",
    "headers": "header",
    "header": "header",
    "cookies": "cookie",
    "cookie": "cookie",
}


def path_param_names(template: str) -> dict[str, str | None]:
    """{name: segment type or None} for the template's parameters."""
    return {m.group(1): m.group(2) for m in _PATH_PARAM.finditer(template)}


@dataclasses.dataclass
class EndpointPlan:
    """Everything Server.add_route needs besides methods, path and options."""

    endpoint: Callable[..., Any]
    spec: dict[str, Any] | None
    kwnames: list[str]
    converters: list[Converter | None]
    body_kwarg: str | None
    body_converter: Converter | None
    request_kwarg: str | None
    is_async: bool
    # Parameters typed Response: each call gets a fresh "temporal response" (see _temporal_response).
    response_kwargs: tuple[str, ...] = ()

    @property
    def spec_json(self) -> str | None:
        if self.spec is None:
            return None
        return json.dumps(self.spec, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclasses.dataclass
class _BodyField:
    kwarg: str
    key: str
    tp: Any
    marker: Param | None
    default: Any
    converter: Converter | None = None


def jsonable(value: Any) -> Any:
    """A Python default as the JSON value the spec carries."""
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"default {value!r} has no JSON form")


def _strip_none(tp: Any) -> tuple[Any, bool]:
    """Optional[T] -> (T, True)."""
    inner, extras = unwrap_annotated(tp)
    if is_union(inner):
        members = [m for m in typing.get_args(inner) if m is not NONE_TYPE]
        if len(members) < len(typing.get_args(inner)):
            rest: Any = members[0] if len(members) == 1 else typing.Union[tuple(members)]  # noqa: UP007
            if extras:
                rest = typing.Annotated[(rest, *extras)]
            return rest, True
    return tp, False


def _inline_schema(builder: SchemaBuilder, schema: dict[str, Any]) -> dict[str, Any]:
    """Parameter schemas are small and self-contained: inline a lone $ref."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = dict(builder.defs[ref.rsplit("/", 1)[1]])
        target.pop("title", None)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return {**target, **rest}
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return {**schema, "items": _inline_schema(builder, schema["items"])}
    if builder.defs and _mentions_ref(schema):
        return builder.with_defs(schema)
    return schema


def _mentions_ref(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "$ref" in schema or any(_mentions_ref(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_mentions_ref(v) for v in schema)
    return False


def _wire_key(name: str, marker: Param | None, source: str) -> str:
    if marker is not None and marker.alias:
        return marker.alias.lower() if source == "header" else marker.alias
    if source == "header":
        convert = getattr(marker, "convert_underscores", True)
        return (name.replace("_", "-") if convert else name).lower()
    return name


def _py_name(key: str) -> str:
    """A wire name as a keyword: ``X-API-Key`` -> ``x_api_key``."""
    name = re.sub(r"\W", "_", key).lower()
    return name if name.isidentifier() else f"_{name}"


def _is_upload(tp: Any) -> bool:
    inner, _ = unwrap_annotated(tp)
    inner, _ = _strip_none(inner)
    inner, _ = unwrap_annotated(inner)
    if inner is UploadFile:
        return True
    args = typing.get_args(inner)
    return typing.get_origin(inner) in (list, tuple, typing.Sequence) and bool(args) and args[0] is UploadFile


def _is_request_type(tp: Any) -> bool:
    inner, _ = unwrap_annotated(tp)
    return isinstance(inner, type) and issubclass(inner, Request)


def _is_response_type(tp: Any) -> bool:
    inner, _ = unwrap_annotated(tp)
    return isinstance(inner, type) and issubclass(inner, Response)


class _Planner:
    def __init__(
        self,
        endpoint: Callable[..., Any],
        template: str,
        body_schema: Mapping[str, Any] | None,
        parameters_schema: Mapping[str, Any] | None,
        body_media: str | None,
    ) -> None:
        self.endpoint = endpoint
        self.template = template
        self.body_schema = body_schema
        self.parameters_schema = parameters_schema
        self.body_media = body_media
        self.builder = SchemaBuilder()
        self.signature = inspect.signature(endpoint)
        self.hints = _parameter_hints(endpoint)
        self.path_names = path_param_names(template)
        self.params: list[dict[str, Any]] = []
        self.kwnames: list[str] = []
        self.converters: list[Converter | None] = []
        self.body: dict[str, Any] | None = None
        self.body_kwarg: str | None = None
        self.body_converter: Converter | None = None
        self.body_split: list[_BodyField] | None = None
        self.request_kwarg: str | None = None
        self.response_kwargs: list[str] = []
        self.reserved: list[str] = []
        self.undeclared: set[str] = set()
        self.body_files: dict[str, dict[str, Any]] | None = None  # the body spec's "files"
        self.body_required: bool | None = None  # None: an explicit body is required
        self.file_fields: set[str] = set()
        self.accepts_any_kw = any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in self.signature.parameters.values()
        )

    # -- entry --------------------------------------------------------------

    def plan(self) -> EndpointPlan:
        body_fields: list[_BodyField] = []
        declared = {
            n: p
            for n, p in self.signature.parameters.items()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        }
        for name, param in declared.items():
            if param.kind is inspect.Parameter.POSITIONAL_ONLY:
                raise TypeError(
                    f"{_describe(self.endpoint)}: {name!r} is positional-only; handlers get keywords"
                )
        if self.parameters_schema is not None:
            self._explicit_parameters(declared)
        form_fields = self._explicit_form_fields()
        for name, param in declared.items():
            hint = self.hints.get(
                name, param.annotation if param.annotation is not inspect.Parameter.empty else Any
            )
            if _is_request_type(hint) or (
                name == "request" and hint is Any and param.default is inspect.Parameter.empty
            ):
                self.request_kwarg = name
                continue
            if _is_response_type(hint):
                self.response_kwargs.append(name)
                continue
            if self.parameters_schema is not None and name in self.kwnames:
                continue
            marker, default = self._marker_and_default(param, hint)
            if marker is None and name in form_fields and name not in self.path_names:
                # A field of an explicit form/multipart body, named by the handler.
                if name in self.file_fields and unwrap_annotated(hint)[0] is Any:
                    hint = UploadFile
                body_fields.append(_BodyField(name, name, hint, None, default))
                continue
            if name in RESERVED_NAMES and marker is None and name not in self.path_names:
                if name == "body" and (self.body_schema is not None or is_structured(hint)):
                    body_fields.append(_BodyField(name, name, hint, None, default))
                else:
                    self.reserved.append(name)
                continue
            source = self._source(name, hint, marker)
            if source in ("body", "form", "file"):
                key = marker.alias if marker is not None and marker.alias else name
                body_fields.append(_BodyField(name, key, hint, marker, default))
                continue
            if self.parameters_schema is not None:
                # Explicit schemas bypass hints: a parameter they do not list is left to its default.
                if default is MISSING:
                    raise TypeError(
                        f"{_describe(self.endpoint)}: parameter {name!r} is not in parameters_schema"
                    )
                continue
            self._add_param(name, hint, marker, default, source)
        if self.body_schema is not None:
            self._explicit_body(body_fields)
        elif body_fields:
            self._body_from_hints(body_fields)
        self._typed_segments()
        spec: dict[str, Any] | None = None
        if self.params or self.body is not None:
            spec = {"parameters": self.params}
            if self.body is not None:
                spec["body"] = self.body
        return self._finish(spec)

    # -- parameters -----------------------------------------------------------

    def _marker_and_default(self, param: inspect.Parameter, hint: Any) -> tuple[Param | None, Any]:
        _, extras = unwrap_annotated(hint)
        marker = marker_of(extras)
        default: Any = MISSING if param.default is inspect.Parameter.empty else param.default
        if isinstance(default, Param):
            marker = default
            default = default.default
        elif marker is not None and marker.default is not MISSING and default is MISSING:
            default = marker.default
        return marker, default

    def _source(self, name: str, hint: Any, marker: Param | None) -> str:
        if marker is not None:
            if isinstance(marker, File):
                return "file"
            if isinstance(marker, Form):
                return "file" if _is_upload(hint) else "form"
            if isinstance(marker, Body):
                return "body"
            return marker.source
        if name in self.path_names:
            return "path"
        if _is_upload(hint):
            return "file"
        if is_structured(hint):
            return "body"
        return "query"

    def _add_param(self, name: str, hint: Any, marker: Param | None, default: Any, source: str) -> None:
        if (
            source == "path"
            and name not in self.path_names
            and not (marker and marker.alias in self.path_names)
        ):
            raise TypeError(
                f"{_describe(self.endpoint)}: path parameter {name!r} is not in {self.template!r}"
            )
        key = _wire_key(name, marker, source)
        inner, _ = _strip_none(hint)
        segment_type = self.path_names.get(key) if source == "path" else None
        if unwrap_annotated(inner)[0] is Any and segment_type in _SEGMENT_TYPES:
            # No annotation: the template's typed segment ({id:int}) says what it is.
            inner = _SEGMENT_TYPES[segment_type]
        schema = self.builder.schema(inner)
        if marker is not None:
            schema = apply_constraints(schema, marker)
        schema = _inline_schema(self.builder, schema)
        entry: dict[str, Any] = {"name": spec_name(source, key), "source": source, "key": key}
        # As in FastAPI and pydantic: without a default a parameter is required,
        # even when its type admits None.
        required = default is MISSING
        if source == "path":
            required = True
        entry["required"] = required
        if not required:
            try:
                entry["default"] = jsonable(None if default is MISSING else default)
            except TypeError:
                entry["default"] = None
        if marker is not None and marker.separator:
            entry["separator"] = marker.separator
        entry["schema"] = schema
        if segment_type in _CHECKED_SEGMENTS:
            entry["coerce_format"] = False
        self.params.append(entry)
        self.kwnames.append(name)
        self.converters.append(converter_for(inner))

    def _explicit_parameters(self, declared: Mapping[str, inspect.Parameter]) -> None:
        assert self.parameters_schema is not None
        for src_name, group in self.parameters_schema.items():
            if src_name == "files":
                self._explicit_files(group)
                continue
            source = _SOURCE_ALIASES.get(src_name)
            if source is None:
                raise ValueError(
                    f"parameters_schema: unknown source {src_name!r} (path, query, headers, cookies, files)"
                )
            if "properties" in group or group.get("type") == "object":
                props = group.get("properties", {})
                required_list = set(group.get("required", ()))
            else:  # the fixtures' form: {name: schema + hints}
                props, required_list = group, set()
            for prop, raw in props.items():
                raw = dict(raw)
                key = raw.get("alias") or prop
                if source == "header":
                    key = key.lower()
                schema = {k: v for k, v in raw.items() if k not in _PARAM_HINTS}
                has_default = "default" in raw
                hinted_required = raw.get("required")
                if isinstance(hinted_required, bool):
                    required = hinted_required
                elif "properties" in group or group.get("type") == "object":
                    required = prop in required_list
                else:
                    required = not has_default and not raw.get("optional", False)
                if source == "path":
                    required = True
                entry: dict[str, Any] = {
                    "name": spec_name(source, key),
                    "source": source,
                    "key": key,
                    "required": required,
                }
                if not required:
                    entry["default"] = raw.get("default")
                if "separator" in raw:
                    entry["separator"] = raw["separator"]
                entry["schema"] = schema
                if raw.get("annotation") == "str" and "format" in schema:
                    # A plain string with a format constraint: the text is checked, not parsed
                    # (the handler gets it as sent; the error has no parser's reason).
                    entry["coerce_format"] = False
                if hinted_required is True and "annotation" not in raw:
                    # The fixtures' JSON-Schema-declared parameters (no Python
                    # annotation) expect the validator's jsonschema wording.
                    entry["error_style"] = "jsonschema"
                kw = _py_name(prop)
                self.params.append(entry)
                self.kwnames.append(kw)
                conv: Converter | None = None
                if kw in declared and kw in self.hints:
                    conv = converter_for(_strip_none(self.hints[kw])[0])
                elif kw not in declared and not self.accepts_any_kw:
                    self.undeclared.add(kw)
                self.converters.append(conv)

    def _explicit_files(self, group: Mapping[str, Any]) -> None:
        """``{"files": {name: {"required": bool, "content_type": [...], "validate_magic_numbers": bool,
        "multiple": bool}}}``: the body spec's "files" checks (content_type -> content_types), on a
        multipart body of those file fields (unless body_schema says more)."""
        files: dict[str, dict[str, Any]] = {}
        props: dict[str, Any] = {}
        for name, raw in group.items():
            required = raw.get("required", "default" not in raw and not raw.get("optional", False))
            entry: dict[str, Any] = {"required": bool(required)}
            types = raw.get("content_type", raw.get("content_types"))
            if types is not None:
                entry["content_types"] = [types] if isinstance(types, str) else list(types)
            if raw.get("validate_magic_numbers"):
                entry["validate_magic_numbers"] = True
            files[name] = entry
            binary = {"type": "string", "format": "binary"}
            multiple = raw.get("multiple") or raw.get("type") == "array"
            props[name] = {"type": "array", "items": binary} if multiple else binary
        self.body_files = files
        self.file_fields = set(files)
        self.body_media = self.body_media or "multipart"
        if self.body_schema is None:
            # "required" is checked by the files spec (errors at ["files", name]); listing the
            # fields as required in the schema too would report a missing file twice.
            self.body_schema = {"type": "object", "properties": props}
            self.body_required = any(e["required"] for e in files.values())

    def _explicit_form_fields(self) -> set[str]:
        """The fields of an explicit form/multipart body: handler parameters of these names
        receive the field (an UploadFile for a file) rather than being query parameters."""
        if self.body_schema is None:
            return set()
        media = self.body_media or ("multipart" if _mentions_binary(self.body_schema) else "json")
        if media not in ("form", "multipart"):
            return set()
        props = self.body_schema.get("properties")
        return set(props) | self.file_fields if isinstance(props, Mapping) else set(self.file_fields)

    def _typed_segments(self) -> None:
        """A typed segment ({id:uuid}) the handler does not declare is still validated (a bad
        value is the validator's 422, not a 404): its spec comes from the segment type."""
        declared = {e["key"] for e in self.params if e["source"] == "path"}
        for name, segment_type in self.path_names.items():
            tp = _SEGMENT_TYPES.get(segment_type) if segment_type is not None else None
            if tp is None or name in declared:
                continue
            schema = self.builder.schema(tp)
            entry = {
                "name": spec_name("path", name),
                "source": "path",
                "key": name,
                "required": True,
                "schema": schema,
            }
            if segment_type in _CHECKED_SEGMENTS:
                entry["coerce_format"] = False
            self.params.append(entry)
            self.kwnames.append(name)
            self.converters.append(converter_for(tp))
            if not self.accepts_any_kw:
                self.undeclared.add(name)

    # -- body -------------------------------------------------------------------

    def _explicit_body(self, fields: list[_BodyField]) -> None:
        assert self.body_schema is not None
        schema = dict(self.body_schema)
        media = self.body_media or ("multipart" if _mentions_binary(schema) else "json")
        required = True if self.body_required is None else self.body_required
        self.body = {"media": media, "required": required, "schema": schema}
        if media in ("form", "multipart"):
            self.body["embed_fields"] = True
        if self.body_files:
            self.body["files"] = self.body_files
        form_fields = self._explicit_form_fields()
        if fields and all(f.key in form_fields for f in fields):
            # The handler names the form's fields: each receives its own value.
            for f in fields:
                f.converter = converter_for(f.tp)
            self.body_kwarg = _BODY_KW
            self.body_split = fields
            return
        target = fields[0] if len(fields) == 1 else next((f for f in fields if f.kwarg == "body"), None)
        if target is None and "body" in self.reserved:
            self.reserved.remove("body")
            target = _BodyField("body", "body", Any, None, None)
        if target is not None:
            self.body_kwarg = target.kwarg
            inner, _ = _strip_none(target.tp)
            self.body_converter = converter_for(inner)

    def _body_from_hints(self, fields: list[_BodyField]) -> None:
        forms = [f for f in fields if isinstance(f.marker, Form) or _is_upload(f.tp)]
        if forms and len(forms) != len(fields):
            raise TypeError(f"{_describe(self.endpoint)}: cannot mix Form()/File() with a JSON body")
        if forms:
            multipart = any(isinstance(f.marker, File) or _is_upload(f.tp) for f in forms)
            media = "multipart" if multipart else "form"
            only = forms[0]
            if len(forms) == 1 and not multipart and is_structured(only.tp):
                # A form model (FastAPI's `data: Annotated[Model, Form()]`): its fields are the form's.
                inner, _ = _strip_none(only.tp)
                schema = self.builder.schema(inner)
                ref = schema.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    # The core coerces form text by the top-level "properties": inline them.
                    schema = dict(self.builder.defs[ref.rsplit("/", 1)[1]])
                schema = self.builder.with_defs(schema)
                self.body = {
                    "media": media,
                    "required": only.default is MISSING,
                    "schema": schema,
                    "embed_fields": True,
                }
                self.body_kwarg = only.kwarg
                self.body_converter = converter_for(inner)
                return
            self._embedded_body(media, fields)
            return
        single = fields[0]
        embed = len(fields) > 1 or (isinstance(single.marker, Body) and single.marker.embed)
        if embed:
            self._embedded_body("json", fields)
            return
        # The body's schema keeps None when the type admits it (a JSON `null` body).
        schema = self.builder.schema(single.tp)
        if single.marker is not None:
            schema = apply_constraints(schema, single.marker)
        required = single.default is MISSING
        self.body = {"media": "json", "required": required, "schema": self.builder.with_defs(schema)}
        self.body_kwarg = single.kwarg
        self.body_converter = converter_for(single.tp)

    def _embedded_body(self, media: str, fields: list[_BodyField]) -> None:
        props: dict[str, Any] = {}
        required: list[str] = []
        for f in fields:
            # A form field is absent or text, never null: its schema is the non-None type.
            field_tp = f.tp if media == "json" else _strip_none(f.tp)[0]
            schema = self.builder.schema(field_tp)
            if f.marker is not None:
                schema = apply_constraints(schema, f.marker)
            props[f.key] = schema
            if f.default is MISSING:
                required.append(f.key)
            f.converter = converter_for(f.tp)
        obj: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            obj["required"] = required
        self.body = {"media": media, "required": bool(required), "schema": self.builder.with_defs(obj)}
        if media != "json":
            self.body["embed_fields"] = True
        self.body_kwarg = _BODY_KW
        self.body_split = fields

    # -- result -------------------------------------------------------------------

    def _finish(self, spec: dict[str, Any] | None) -> EndpointPlan:
        endpoint = self.endpoint
        is_async = _is_async(endpoint)
        request_kwarg = self.request_kwarg
        needs_wrapper = bool(self.body_split is not None or self.reserved or self.undeclared)
        if needs_wrapper:
            if self.reserved and request_kwarg is None:
                request_kwarg = _REQUEST_KW
            endpoint = _make_wrapper(
                self.endpoint,
                is_async,
                split=self.body_split,
                reserved=tuple(self.reserved),
                request_kw=request_kwarg if self.reserved else None,
                drop_request=request_kwarg == _REQUEST_KW,
                drop=frozenset(self.undeclared),
            )
        return EndpointPlan(
            endpoint=endpoint,
            spec=spec,
            kwnames=self.kwnames,
            converters=self.converters,
            body_kwarg=self.body_kwarg,
            body_converter=self.body_converter,
            request_kwarg=request_kwarg,
            is_async=is_async,
            response_kwargs=tuple(self.response_kwargs),
        )


def _parameter_hints(endpoint: Callable[..., Any]) -> dict[str, Any]:
    """The parameters' resolved hints. The return annotation is not needed
    here, so one that does not resolve (an import under TYPE_CHECKING, a
    local class) is not an error."""
    with contextlib.suppress(Exception):  # retried below without the return annotation
        return typing.get_type_hints(endpoint, include_extras=True)
    target = inspect.unwrap(endpoint)
    annotations = dict(getattr(target, "__annotations__", {}))
    annotations.pop("return", None)

    def only_params() -> None:
        pass

    only_params.__annotations__ = annotations
    only_params.__module__ = getattr(target, "__module__", __name__)
    globalns = getattr(target, "__globals__", None)
    try:
        return typing.get_type_hints(only_params, globalns=globalns, include_extras=True)
    except Exception as exc:  # a parameter's forward reference that does not resolve
        raise TypeError(f"{_describe(endpoint)}: cannot resolve type hints: {exc}") from exc


def _is_async(endpoint: Callable[..., Any]) -> bool:
    """A coroutine function, or a partial of one, or an object with an async __call__."""
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    if inspect.iscoroutinefunction(endpoint):
        return True
    if inspect.isroutine(endpoint) or isinstance(endpoint, type):
        return False
    return inspect.iscoroutinefunction(type(endpoint).__call__)


def _mentions_binary(schema: Any) -> bool:
    if isinstance(schema, dict):
        return schema.get("format") == "binary" or any(_mentions_binary(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_mentions_binary(v) for v in schema)
    return False


def _reserved_value(request: Request, name: str) -> Any:
    if name == "path_params":
        return dict(request.path_params)
    if name == "query_params":
        return dict(request.query_params.items())
    if name == "headers":
        return dict(request.headers.items())
    if name == "cookies":
        return dict(request.cookies)
    if name == "method":
        return request.method
    if name == "path":
        return request.path
    if name == "body":
        try:
            return request.json_sync()
        except ValueError:
            return None
    raise KeyError(name)


def _make_wrapper(
    endpoint: Callable[..., Any],
    is_async: bool,
    *,
    split: list[_BodyField] | None,
    reserved: tuple[str, ...],
    request_kw: str | None,
    drop_request: bool,
    drop: frozenset[str],
) -> Callable[..., Any]:
    """Adapt the binding's keywords to what the handler declares."""

    def prepare(kwargs: dict[str, Any]) -> dict[str, Any]:
        if split is not None:
            body = kwargs.pop(_BODY_KW, None) or {}
            for f in split:
                if f.key in body:
                    value = body[f.key]
                    kwargs[f.kwarg] = value if f.converter is None or value is None else f.converter(value)
                elif f.default is not MISSING:
                    kwargs[f.kwarg] = f.default
                else:
                    kwargs[f.kwarg] = None
        if reserved:
            assert request_kw is not None
            request = kwargs.pop(request_kw) if drop_request else kwargs[request_kw]
            for name in reserved:
                kwargs[name] = _reserved_value(request, name)
        for name in drop:
            kwargs.pop(name, None)
        return kwargs

    has_files = split is not None and any(_is_upload(f.tp) for f in split)

    def close_uploads(kwargs: dict[str, Any]) -> None:
        # Uploaded files live until the handler returns (as in Starlette).
        for value in kwargs.values():
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, UploadFile):
                    item.file.close()

    if is_async:

        async def async_wrapper(**kwargs: Any) -> Any:
            call_kwargs = prepare(kwargs)
            try:
                return await endpoint(**call_kwargs)
            finally:
                if has_files:
                    close_uploads(call_kwargs)

        wrapper: Callable[..., Any] = async_wrapper
    else:

        def sync_wrapper(**kwargs: Any) -> Any:
            call_kwargs = prepare(kwargs)
            try:
                return endpoint(**call_kwargs)
            finally:
                if has_files:
                    close_uploads(call_kwargs)

        wrapper = sync_wrapper
    wrapper.__name__ = getattr(endpoint, "__name__", "endpoint")
    wrapper.__qualname__ = getattr(endpoint, "__qualname__", wrapper.__name__)
    wrapper.__wrapped__ = endpoint  # type: ignore[attr-defined]
    return wrapper


def _describe(endpoint: Callable[..., Any]) -> str:
    return getattr(endpoint, "__qualname__", repr(endpoint))


def plan_endpoint(
    endpoint: Callable[..., Any],
    template: str,
    *,
    body_schema: Mapping[str, Any] | None = None,
    parameters_schema: Mapping[str, Any] | None = None,
    body_media: str | None = None,
) -> EndpointPlan:
    """Analyse one handler for one route template."""
    return _Planner(endpoint, template, body_schema, parameters_schema, body_media).plan()
