"""Type hints to JSON Schema (Draft 2020-12).

Named types (dataclasses, TypedDicts, NamedTuples, Enums, msgspec Structs,
pydantic models) go into ``$defs`` and are referenced with ``$ref``, which
makes recursive models work. One SchemaBuilder per route collects the defs
of everything the route declares.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import datetime as dt
import decimal
import enum
import typing
import uuid
from typing import Any, Final, get_args, get_origin

from ._params import Param
from ._typeinfo import (
    NONE_TYPE,
    is_dataclass_type,
    is_literal,
    is_msgspec_struct,
    is_namedtuple,
    is_pydantic_model,
    is_typeddict,
    is_union,
    marker_of,
    msgspec_module,
    type_hints,
    unwrap_annotated,
)
from ._upload import UploadFile

__all__ = ["SchemaBuilder", "SchemaError", "schema_of"]

_SIMPLE: Final[dict[Any, dict[str, Any]]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    NONE_TYPE: {"type": "null"},
    None: {"type": "null"},
    bytes: {"type": "string", "format": "binary"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
    dt.time: {"type": "string", "format": "time"},
    dt.timedelta: {"type": "string", "format": "duration"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    # pydantic accepts a Decimal as a JSON number or a numeric string. The C
    # validator recognises this exact schema (decimal_pattern in
    # src/core/schema_validate.c) to report decimal_parsing / decimal_type.
    decimal.Decimal: {
        "anyOf": [
            {"type": "number"},
            {"type": "string", "pattern": r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"},
        ]
    },
    typing.Any: {},
    object: {},
    UploadFile: {"type": "string", "format": "binary"},
}


class SchemaError(TypeError):
    """A type hint that has no JSON Schema translation."""


class SchemaBuilder:
    """Translate hints, collecting named types into ``defs``."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self._names: dict[Any, str] = {}

    def schema(self, tp: Any) -> dict[str, Any]:
        tp, extras = unwrap_annotated(tp)
        base = self._schema(tp)
        marker = marker_of(extras)
        if marker is not None:
            base = apply_constraints(base, marker)
        foreign = foreign_constraints(extras)
        if foreign:
            base = _constrain(base, foreign)
        return base

    def with_defs(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A self-contained document: the schema plus the defs it may reference."""
        if not self.defs:
            return schema
        if "$ref" in schema and len(schema) == 1:
            # Draft 2020-12 allows siblings of $ref; keep the ref and add $defs.
            return {"$ref": schema["$ref"], "$defs": dict(self.defs)}
        return {**schema, "$defs": dict(self.defs)}

    # -- dispatch ---------------------------------------------------------

    def _schema(self, tp: Any) -> dict[str, Any]:
        if isinstance(tp, typing.TypeVar):
            return {}
        if isinstance(tp, typing.NewType):
            return self.schema(tp.__supertype__)
        if tp is NONE_TYPE or tp is None:
            return {"type": "null"}
        if is_union(tp):
            return self._union(tp)
        if is_literal(tp):
            return _literal(get_args(tp))
        origin = get_origin(tp)
        if origin is not None:
            return self._generic(tp, origin, get_args(tp))
        if isinstance(tp, type):
            if issubclass(tp, enum.Enum):
                return self._named(tp, lambda: _enum(tp))
            if is_pydantic_model(tp):
                return self._pydantic(tp)
            if is_msgspec_struct(tp):
                return self._msgspec(tp)
            if is_dataclass_type(tp):
                return self._named(tp, lambda: self._dataclass(tp))
            if is_typeddict(tp):
                return self._named(tp, lambda: self._typeddict(tp))
            if is_namedtuple(tp):
                return self._named(tp, lambda: self._namedtuple(tp))
            # bool before int: bool is an int subclass; exact lookups first.
            if tp in _SIMPLE:
                return dict(_SIMPLE[tp])
            for simple, schema in _SIMPLE.items():
                if isinstance(simple, type) and simple not in (object, NONE_TYPE) and issubclass(tp, simple):
                    return dict(schema)
            if tp in (list, tuple, set, frozenset):
                return self._generic(tp, tp, ())
            if tp is dict:
                return {"type": "object"}
        if tp is typing.Any:
            return {}
        raise SchemaError(f"no JSON Schema for type {tp!r}")

    def _union(self, tp: Any) -> dict[str, Any]:
        members = typing.get_args(tp)
        schemas = [self.schema(m) for m in members]
        # {"type": X} | {"type": "null"} stays a compact type list when possible.
        if all(set(s) == {"type"} and isinstance(s["type"], str) for s in schemas):
            types_ = []
            for s in schemas:
                if s["type"] not in types_:
                    types_.append(s["type"])
            return {"type": types_}
        return {"anyOf": schemas}

    def _generic(self, tp: Any, origin: Any, args: tuple[Any, ...]) -> dict[str, Any]:
        if origin is typing.Annotated:
            return self.schema(tp)
        if origin in (list, cabc.Sequence, cabc.MutableSequence, cabc.Iterable, cabc.Collection):
            out: dict[str, Any] = {"type": "array"}
            if args:
                out["items"] = self.schema(args[0])
            return out
        if origin in (set, frozenset, cabc.Set, cabc.MutableSet):
            out = {"type": "array", "uniqueItems": True}
            if args:
                out["items"] = self.schema(args[0])
            return out
        if origin is tuple:
            if not args:
                return {"type": "array"}
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.schema(args[0])}
            if args == ((),):
                return {"type": "array", "maxItems": 0}
            items = [self.schema(a) for a in args]
            return {
                "type": "array",
                "prefixItems": items,
                "items": False,
                "minItems": len(items),
                "maxItems": len(items),
            }
        if origin in (dict, cabc.Mapping, cabc.MutableMapping):
            out = {"type": "object"}
            if len(args) == 2:
                key_t, _ = unwrap_annotated(args[0])
                value = self.schema(args[1])
                if value:
                    out["additionalProperties"] = value
                if key_t is not str and key_t is not typing.Any:
                    key_schema = self.schema(args[0])
                    if key_schema.get("type") == "string" and len(key_schema) > 1:
                        out["propertyNames"] = key_schema
            return out
        if origin is type:
            raise SchemaError(f"no JSON Schema for type {tp!r}")
        # A parametrised user generic (e.g. a generic dataclass): use its origin.
        return self._schema(origin)

    # -- named types ------------------------------------------------------

    def _def_name(self, tp: Any) -> str:
        name = getattr(tp, "__name__", "Model")
        candidate, n = name, 2
        while candidate in self.defs and self._names.get(tp) != candidate:
            candidate = f"{name}{n}"
            n += 1
        return candidate

    def _named(self, tp: Any, build: typing.Callable[[], dict[str, Any]]) -> dict[str, Any]:
        name = self._names.get(tp)
        if name is None:
            name = self._def_name(tp)
            self._names[tp] = name
            self.defs[name] = {}  # placeholder: a recursive reference finds the name
            self.defs[name] = build()
        return {"$ref": f"#/$defs/{name}"}

    def _fields_object(self, title: str, fields: list[tuple[str, Any, bool]]) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required: list[str] = []
        for name, hint, is_required in fields:
            props[name] = self.schema(hint)
            if is_required:
                required.append(name)
        out: dict[str, Any] = {"type": "object", "title": title, "properties": props}
        if required:
            out["required"] = required
        return out

    def _dataclass(self, tp: type) -> dict[str, Any]:
        hints = type_hints(tp)
        fields = []
        for f in dataclasses.fields(tp):
            if not f.init:
                continue
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            fields.append((f.name, hints.get(f.name, typing.Any), not has_default))
        return self._fields_object(tp.__name__, fields)

    def _typeddict(self, tp: type) -> dict[str, Any]:
        hints = type_hints(tp)
        required_keys = getattr(tp, "__required_keys__", frozenset(hints))
        total = getattr(tp, "__total__", True)
        fields = []
        for name, hint in hints.items():
            inner, _ = unwrap_annotated(hint)
            # __required_keys__ misses Required/NotRequired written as strings
            # (from __future__ import annotations) before 3.12: read the hint.
            required = name in required_keys
            marked = False
            while get_origin(inner) in (typing.Required, typing.NotRequired):
                if not marked:
                    required = get_origin(inner) is typing.Required
                    marked = True
                inner = get_args(inner)[0]
            if not marked and _string_annotations(tp):
                required = total
            fields.append((name, inner, required))
        return self._fields_object(tp.__name__, fields)

    def _namedtuple(self, tp: type) -> dict[str, Any]:
        hints = type_hints(tp)
        names: tuple[str, ...] = tp._fields  # type: ignore[attr-defined]
        defaults: dict[str, Any] = getattr(tp, "_field_defaults", {})
        items = [self.schema(hints.get(n, typing.Any)) for n in names]
        required = len([n for n in names if n not in defaults])
        out: dict[str, Any] = {
            "type": "array",
            "title": tp.__name__,
            "prefixItems": items,
            "items": False,
            "maxItems": len(items),
        }
        if required:
            out["minItems"] = required
        return out

    def _pydantic(self, tp: Any) -> dict[str, Any]:
        name = self._names.get(tp)
        if name is not None:
            return {"$ref": f"#/$defs/{name}"}
        doc = tp.model_json_schema(ref_template="#/$defs/{model}", mode="validation")
        return self._merge_external(tp, doc)

    def _msgspec(self, tp: Any) -> dict[str, Any]:
        name = self._names.get(tp)
        if name is not None:
            return {"$ref": f"#/$defs/{name}"}
        msgspec = msgspec_module()
        doc = msgspec.json.schema(tp, ref_template="#/$defs/{name}")
        return self._merge_external(tp, doc)

    def _merge_external(self, tp: Any, doc: dict[str, Any]) -> dict[str, Any]:
        """Fold a library-made schema (its own $defs) into ours."""
        doc = dict(doc)
        defs = doc.pop("$defs", {})
        for key, value in defs.items():
            self.defs.setdefault(key, value)
        if "$ref" in doc and len(doc) == 1:
            ref = doc["$ref"]
            self._names[tp] = ref.rsplit("/", 1)[1]
            return {"$ref": ref}
        name = self._def_name(tp)
        self._names[tp] = name
        self.defs[name] = doc
        return {"$ref": f"#/$defs/{name}"}


def _string_annotations(tp: type) -> bool:
    """Were the class's annotations written as strings (postponed evaluation)?"""
    return any(isinstance(v, str) for v in getattr(tp, "__annotations__", {}).values())


def _literal(values: tuple[Any, ...]) -> dict[str, Any]:
    flat: list[Any] = []
    for v in values:
        if is_literal(v):  # nested Literal
            flat.extend(get_args(v))
        elif isinstance(v, enum.Enum):
            flat.append(v.value)
        else:
            flat.append(v)
    if len(flat) == 1:
        return {"const": flat[0]}
    return {"enum": flat}


def _enum(tp: type[enum.Enum]) -> dict[str, Any]:
    values = [m.value for m in tp]
    out: dict[str, Any] = {"title": tp.__name__, "enum": values}
    if all(isinstance(v, str) for v in values):
        out["type"] = "string"
    elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        out["type"] = "integer"
    return out


def apply_constraints(schema: dict[str, Any], marker: Param) -> dict[str, Any]:
    """Add a marker's constraints; through $ref and nullable unions they apply to the value."""
    extra = marker.constraints()
    if not extra:
        return schema
    if "anyOf" in schema:
        members = [m if m.get("type") == "null" else _constrain(m, extra) for m in schema["anyOf"]]
        return {**schema, "anyOf": members}
    return _constrain(schema, extra)


# annotated-types (used by pydantic and msgspec users) attribute -> JSON Schema keyword.
_FOREIGN_KEYWORDS: Final = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
    "multiple_of": "multipleOf",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
}


def foreign_constraints(extras: list[Any]) -> dict[str, Any]:
    """Constraints from annotated-types objects (Gt, Le, MaxLen, Interval, ...) and
    pydantic's Field() in Annotated[...], read by duck typing so neither is imported."""
    out: dict[str, Any] = {}
    for extra in extras:
        items = [extra]
        metadata = getattr(extra, "metadata", None)
        if isinstance(metadata, list):  # pydantic FieldInfo
            items.extend(metadata)
        for item in items:
            module = type(item).__module__
            if not module.startswith(("annotated_types", "pydantic")):
                continue
            for attr, keyword in _FOREIGN_KEYWORDS.items():
                value = getattr(item, attr, None)
                if value is not None and isinstance(value, (int, float, str)) and not isinstance(value, bool):
                    out[keyword] = value
    return out


_ARRAY_KEYWORDS: Final = {"minLength": "minItems", "maxLength": "maxItems"}


def _constrain(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """min_length/max_length of a list mean its number of items (as in pydantic)."""
    if schema.get("type") == "array":
        extra = {_ARRAY_KEYWORDS.get(k, k): v for k, v in extra.items()}
    return {**schema, **extra}


def schema_of(tp: Any) -> dict[str, Any]:
    """A self-contained JSON Schema for one type hint (handy for tests and users)."""
    builder = SchemaBuilder()
    return builder.with_defs(builder.schema(tp))
