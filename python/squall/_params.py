"""Parameter markers: where a handler parameter comes from and its constraints.

``def read(q: int = Query(ge=1), x_token: str = Header())`` or, equally,
``q: Annotated[int, Query(ge=1)] = 5``. A marker without a default makes the
parameter required.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final, Self, cast

__all__ = ["MISSING", "Body", "Cookie", "File", "Form", "Header", "Param", "Path", "Query"]


class _Missing:
    """Sentinel type: no default was given (None is a valid default)."""

    _instance: ClassVar[Any] = None

    def __new__(cls) -> Self:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cast(Self, cls._instance)

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class Param:
    """Base of every marker. ``source`` is the spec's source name."""

    source: ClassVar[str] = ""

    def __init__(
        self,
        default: Any = MISSING,
        *,
        alias: str | None = None,
        ge: float | None = None,
        le: float | None = None,
        gt: float | None = None,
        lt: float | None = None,
        multiple_of: float | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        separator: str | None = None,
        description: str | None = None,
        title: str | None = None,
        examples: list[Any] | None = None,
        deprecated: bool | None = None,
    ) -> None:
        if default is ...:  # FastAPI spelling of "required"
            default = MISSING
        self.default = default
        self.alias = alias
        self.ge = ge
        self.le = le
        self.gt = gt
        self.lt = lt
        self.multiple_of = multiple_of
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern
        self.separator = separator
        self.description = description
        self.title = title
        self.examples = examples
        self.deprecated = deprecated

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def constraints(self) -> dict[str, Any]:
        """The JSON Schema keywords this marker adds to its type's schema."""
        out: dict[str, Any] = {}
        for attr, keyword in _CONSTRAINT_KEYWORDS:
            value = getattr(self, attr)
            if value is not None:
                out[keyword] = value
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(default={self.default!r}, alias={self.alias!r})"


_CONSTRAINT_KEYWORDS: Final = (
    ("ge", "minimum"),
    ("le", "maximum"),
    ("gt", "exclusiveMinimum"),
    ("lt", "exclusiveMaximum"),
    ("multiple_of", "multipleOf"),
    ("min_length", "minLength"),
    ("max_length", "maxLength"),
    ("pattern", "pattern"),
    ("description", "description"),
    ("title", "title"),
    ("examples", "examples"),
    ("deprecated", "deprecated"),
)


class Query(Param):
    source = "query"


class Path(Param):
    source = "path"


class Header(Param):
    """``convert_underscores``: ``x_token`` is read from the ``x-token`` header."""

    source = "header"

    def __init__(self, default: Any = MISSING, *, convert_underscores: bool = True, **kw: Any) -> None:
        super().__init__(default, **kw)
        self.convert_underscores = convert_underscores


class Cookie(Param):
    source = "cookie"


class Body(Param):
    """``embed=True`` expects ``{"<name>": value}`` even for a single body parameter."""

    source = "body"

    def __init__(
        self,
        default: Any = MISSING,
        *,
        embed: bool = False,
        media_type: str = "application/json",
        **kw: Any,
    ) -> None:
        super().__init__(default, **kw)
        self.embed = embed
        self.media_type = media_type


class Form(Body):
    """A field of an urlencoded or multipart form body."""

    source = "form"

    def __init__(self, default: Any = MISSING, **kw: Any) -> None:
        kw.setdefault("media_type", "application/x-www-form-urlencoded")
        super().__init__(default, embed=True, **kw)


class File(Form):
    """A file part of a multipart body (declare the parameter as UploadFile or bytes)."""

    source = "file"

    def __init__(self, default: Any = MISSING, **kw: Any) -> None:
        kw.setdefault("media_type", "multipart/form-data")
        super().__init__(default, **kw)
