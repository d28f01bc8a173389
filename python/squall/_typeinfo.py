"""Small helpers to classify type hints, shared by the schema and converter builders."""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from typing import Any, Final, Literal, Union, get_args, get_origin

from ._params import Param

# msgspec and pydantic are optional and never imported here: a type that
# comes from one of them means the user's code imported it already, so a
# look in sys.modules is enough. Importing them eagerly would cost every
# worker about 13 MiB of memory and start-up time, used or not.

__all__ = [
    "NONE_TYPE",
    "is_dataclass_type",
    "is_msgspec_struct",
    "is_namedtuple",
    "is_pydantic_model",
    "is_structured",
    "is_typeddict",
    "is_union",
    "union_members",
    "unwrap_annotated",
]

NONE_TYPE: Final = type(None)


def msgspec_module() -> Any:
    """The msgspec module if the application imported it, else None."""
    return sys.modules.get("msgspec")


def unwrap_annotated(tp: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, a, b]`` -> (T, [a, b]); other hints -> (tp, [])."""
    extras: list[Any] = []
    while get_origin(tp) is typing.Annotated:
        args = get_args(tp)
        tp = args[0]
        extras.extend(args[1:])
    return tp, extras


def marker_of(extras: list[Any]) -> Param | None:
    for extra in extras:
        if isinstance(extra, Param):
            return extra
        if isinstance(extra, type) and issubclass(extra, Param):
            return extra()
    return None


def is_union(tp: Any) -> bool:
    origin = get_origin(tp)
    return origin is Union or origin is types.UnionType


def union_members(tp: Any) -> tuple[Any, ...]:
    return get_args(tp)


def is_literal(tp: Any) -> bool:
    return get_origin(tp) is Literal


def is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def is_typeddict(tp: Any) -> bool:
    return typing.is_typeddict(tp)


def is_namedtuple(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def is_msgspec_struct(tp: Any) -> bool:
    msgspec = sys.modules.get("msgspec")
    return msgspec is not None and isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def is_pydantic_model(tp: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def is_structured(tp: Any) -> bool:
    """A type whose values are JSON objects or containers: a body, never a query value."""
    tp, _ = unwrap_annotated(tp)
    if is_union(tp):
        members = [m for m in union_members(tp) if m is not NONE_TYPE]
        return any(is_structured(m) for m in members)
    origin = get_origin(tp)
    if origin in (list, set, frozenset, tuple, dict) or tp in (list, set, frozenset, tuple, dict):
        return True
    if origin is not None:
        import collections.abc as cabc

        if origin in (cabc.Sequence, cabc.MutableSequence, cabc.Mapping, cabc.MutableMapping, cabc.Set):
            return True
    return (
        is_dataclass_type(tp)
        or is_typeddict(tp)
        or is_namedtuple(tp)
        or is_msgspec_struct(tp)
        or is_pydantic_model(tp)
    )


def type_hints(obj: Any) -> dict[str, Any]:
    """Resolved hints with Annotated kept; forward references resolved in obj's module."""
    module = sys.modules.get(getattr(obj, "__module__", ""), None)
    globalns = vars(module) if module is not None else None
    localns = dict(vars(obj)) if isinstance(obj, type) else None
    if isinstance(obj, type) and localns is not None:
        localns[obj.__name__] = obj
    return typing.get_type_hints(obj, globalns=globalns, localns=localns, include_extras=True)
