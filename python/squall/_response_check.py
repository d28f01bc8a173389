"""Optional response validation: does a handler's return value match its
declared return type? Off by default (``validate_response=True`` per route);
a mismatch is a server bug, so it becomes a logged 500, never a 422.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import enum
import typing
from collections.abc import Callable
from typing import Any, get_args, get_origin

from ._typeinfo import (
    NONE_TYPE,
    is_dataclass_type,
    is_literal,
    is_msgspec_struct,
    is_pydantic_model,
    is_typeddict,
    is_union,
    type_hints,
    unwrap_annotated,
)

__all__ = ["ResponseValidationError", "check_value", "wrap_response_validation"]


class ResponseValidationError(TypeError):
    """The return value does not match the declared response type."""


def check_value(value: Any, tp: Any, loc: str = "response") -> list[str]:
    """Every mismatch as "<location>: <reason>" (empty when the value matches)."""
    errors: list[str] = []
    _check(value, tp, loc, errors)
    return errors


def _check(value: Any, tp: Any, loc: str, errors: list[str]) -> None:
    tp, _ = unwrap_annotated(tp)
    if tp is Any or tp is object or isinstance(tp, typing.TypeVar):
        return
    if tp is None or tp is NONE_TYPE:
        if value is not None:
            errors.append(f"{loc}: expected null, got {type(value).__name__}")
        return
    if is_union(tp):
        for member in get_args(tp):
            sub: list[str] = []
            _check(value, member, loc, sub)
            if not sub:
                return
        errors.append(f"{loc}: {type(value).__name__} matches no member of {tp}")
        return
    if is_literal(tp):
        if value not in get_args(tp):
            errors.append(f"{loc}: {value!r} is not one of {list(get_args(tp))!r}")
        return
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (list, set, frozenset, cabc.Sequence, tuple):
        if not isinstance(value, (list, tuple, set, frozenset)):
            errors.append(f"{loc}: expected an array, got {type(value).__name__}")
            return
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                errors.append(f"{loc}: expected {len(args)} items, got {len(value)}")
                return
            for i, (v, t) in enumerate(zip(value, args, strict=False)):
                _check(v, t, f"{loc}[{i}]", errors)
            return
        if args:
            for i, v in enumerate(value):
                _check(v, args[0], f"{loc}[{i}]", errors)
        return
    if origin in (dict, cabc.Mapping):
        if not isinstance(value, dict):
            errors.append(f"{loc}: expected an object, got {type(value).__name__}")
            return
        if len(args) == 2:
            for k, v in value.items():
                _check(k, args[0], f"{loc}.<key>", errors)
                _check(v, args[1], f"{loc}.{k}", errors)
        return
    if origin is not None:
        tp = origin
    if is_typeddict(tp):
        if not isinstance(value, dict):
            errors.append(f"{loc}: expected an object, got {type(value).__name__}")
            return
        hints = type_hints(tp)
        for key in getattr(tp, "__required_keys__", ()):
            if key not in value:
                errors.append(f"{loc}.{key}: missing")
        for key, hint in hints.items():
            if key in value:
                _check(value[key], hint, f"{loc}.{key}", errors)
        return
    if isinstance(tp, type):
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            return
        if tp is int and isinstance(value, bool):
            errors.append(f"{loc}: expected int, got bool")
            return
        if issubclass(tp, enum.Enum) and not isinstance(value, tp):
            if value not in {m.value for m in tp}:
                errors.append(f"{loc}: {value!r} is not a valid {tp.__name__}")
            return
        if (is_dataclass_type(tp) or is_pydantic_model(tp) or is_msgspec_struct(tp)) and isinstance(
            value, dict
        ):
            # A dict standing in for a model: check its fields by the model's hints.
            hints = type_hints(tp)
            for key in _required_fields(tp):
                if key not in value:
                    errors.append(f"{loc}.{key}: missing")
            for key, hint in hints.items():
                if key in value:
                    _check(value[key], hint, f"{loc}.{key}", errors)
            return
        if not isinstance(value, tp):
            errors.append(f"{loc}: expected {tp.__name__}, got {type(value).__name__}")


def _required_fields(tp: type) -> list[str]:
    if is_dataclass_type(tp):
        return [
            f.name
            for f in dataclasses.fields(tp)
            if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
    if is_pydantic_model(tp):
        fields: dict[str, Any] = getattr(tp, "model_fields", {})
        return [name for name, info in fields.items() if info.is_required()]
    if is_msgspec_struct(tp):
        names: tuple[str, ...] = getattr(tp, "__struct_fields__", ())
        defaults: tuple[Any, ...] = getattr(tp, "__struct_defaults__", ())
        return list(names[: len(names) - len(defaults)])
    return []


def wrap_response_validation(endpoint: Callable[..., Any], tp: Any, is_async: bool) -> Callable[..., Any]:
    """Wrap an endpoint so its return value is checked against ``tp``."""
    from ._responses import Response

    def verify(result: Any) -> Any:
        if isinstance(result, Response):
            return result
        errors = check_value(result, tp)
        if errors:
            raise ResponseValidationError("response does not match its declared type: " + "; ".join(errors))
        return result

    if is_async:

        async def checked_async(**kwargs: Any) -> Any:
            return verify(await endpoint(**kwargs))

        wrapper: Callable[..., Any] = checked_async
    else:

        def checked(**kwargs: Any) -> Any:
            return verify(endpoint(**kwargs))

        wrapper = checked
    wrapper.__name__ = getattr(endpoint, "__name__", "endpoint")
    wrapper.__qualname__ = getattr(endpoint, "__qualname__", wrapper.__name__)
    return wrapper
