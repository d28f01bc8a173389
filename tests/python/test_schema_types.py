"""Type hints to JSON Schema: pure unit tests (no extension needed)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from typing import (
    Annotated,
    Any,
    Literal,
    NamedTuple,
    NotRequired,
    Optional,
    Required,
    TypedDict,
    Union,
)

import pytest

from squall import Query, schema_of
from squall._schema import SchemaError


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (None, {"type": "null"}),
        (type(None), {"type": "null"}),
        (Any, {}),
        (dt.datetime, {"type": "string", "format": "date-time"}),
        (dt.date, {"type": "string", "format": "date"}),
        (dt.time, {"type": "string", "format": "time"}),
        (dt.timedelta, {"type": "string", "format": "duration"}),
        (uuid.UUID, {"type": "string", "format": "uuid"}),
        (bytes, {"type": "string", "format": "binary"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (set[str], {"type": "array", "uniqueItems": True, "items": {"type": "string"}}),
        (frozenset[int], {"type": "array", "uniqueItems": True, "items": {"type": "integer"}}),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (
            tuple[int, str],
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "items": False,
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (dict, {"type": "object"}),
        (Optional[int], {"type": ["integer", "null"]}),
        (int | None, {"type": ["integer", "null"]}),
        (Union[int, str], {"type": ["integer", "string"]}),
        (Literal["a", "b"], {"enum": ["a", "b"]}),
        (Literal[3], {"const": 3}),
        (list[int] | None, {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]}),
    ],
)
def test_simple_hints(hint: Any, expected: dict[str, Any]) -> None:
    assert schema_of(hint) == expected


def test_decimal_accepts_number_or_numeric_string() -> None:
    schema = schema_of(decimal.Decimal)
    kinds = sorted(s["type"] for s in schema["anyOf"])
    assert kinds == ["number", "string"]
    assert "pattern" in next(s for s in schema["anyOf"] if s["type"] == "string")


def test_enum_goes_to_defs_with_values_and_type() -> None:
    assert schema_of(Color) == {
        "$ref": "#/$defs/Color",
        "$defs": {"Color": {"title": "Color", "enum": ["red", "green"], "type": "string"}},
    }
    assert schema_of(Level)["$defs"]["Level"]["enum"] == [1, 2]
    assert schema_of(Level)["$defs"]["Level"]["type"] == "integer"


def test_annotated_constraints_from_marker() -> None:
    hint = Annotated[int, Query(ge=1, lt=10)]
    assert schema_of(hint) == {"type": "integer", "minimum": 1, "exclusiveMaximum": 10}
    hint2 = Annotated[str, Query(min_length=2, max_length=5, pattern="^[a-z]+$")]
    assert schema_of(hint2) == {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"}


def test_constraints_on_optional_apply_to_the_value_member() -> None:
    hint = Annotated[list[int] | None, Query(max_length=3)]
    schema = schema_of(hint)
    members = {m["type"]: m for m in schema["anyOf"]}
    # On a list, max_length counts items (as in pydantic).
    assert members["array"]["maxItems"] == 3 and "maxLength" not in members["array"]
    assert members["null"] == {"type": "null"}


@dataclasses.dataclass
class Address:
    street: str
    zip: str | None = None


@dataclasses.dataclass
class Person:
    name: str
    age: int
    address: Address
    tags: list[str] = dataclasses.field(default_factory=list)


def test_dataclass_nested_defs() -> None:
    schema = schema_of(Person)
    assert schema["$ref"] == "#/$defs/Person"
    person = schema["$defs"]["Person"]
    assert person["type"] == "object"
    assert person["required"] == ["name", "age", "address"]
    assert person["properties"]["address"] == {"$ref": "#/$defs/Address"}
    assert person["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    address = schema["$defs"]["Address"]
    assert address["required"] == ["street"]
    assert address["properties"]["zip"] == {"type": ["string", "null"]}


@dataclasses.dataclass
class TreeNode:
    value: int
    children: list[TreeNode] = dataclasses.field(default_factory=list)
    parent: TreeNode | None = None


def test_recursive_dataclass_uses_ref_to_itself() -> None:
    schema = schema_of(TreeNode)
    node = schema["$defs"]["TreeNode"]
    assert node["properties"]["children"] == {"type": "array", "items": {"$ref": "#/$defs/TreeNode"}}
    assert node["properties"]["parent"] == {"anyOf": [{"$ref": "#/$defs/TreeNode"}, {"type": "null"}]}


class Movie(TypedDict):
    title: str
    year: NotRequired[int]


class PartialMovie(TypedDict, total=False):
    title: Required[str]
    rating: float


def test_typeddict_required_and_not_required() -> None:
    movie = schema_of(Movie)["$defs"]["Movie"]
    assert movie["required"] == ["title"]
    assert movie["properties"] == {"title": {"type": "string"}, "year": {"type": "integer"}}
    partial = schema_of(PartialMovie)["$defs"]["PartialMovie"]
    assert partial["required"] == ["title"]
    assert partial["properties"]["rating"] == {"type": "number"}


class Point(NamedTuple):
    x: float
    y: float
    label: str = ""


def test_namedtuple_is_a_fixed_array() -> None:
    point = schema_of(Point)["$defs"]["Point"]
    assert point["type"] == "array"
    assert point["prefixItems"] == [{"type": "number"}, {"type": "number"}, {"type": "string"}]
    assert point["minItems"] == 2
    assert point["maxItems"] == 3


def test_same_named_types_do_not_collide() -> None:
    def make() -> type:
        @dataclasses.dataclass
        class Address:  # shadows the module-level one
            city: str

        return Address

    other = make()
    both = dataclasses.make_dataclass("Both", [("a", Address), ("b", other)])

    defs = schema_of(both)["$defs"]
    assert set(defs) == {"Both", "Address", "Address2"}
    assert defs["Address2"]["properties"] == {"city": {"type": "string"}}


def test_unknown_type_is_an_error() -> None:
    class Opaque:
        pass

    with pytest.raises(SchemaError):
        schema_of(Opaque)


def test_pydantic_model_schema_is_merged_into_defs() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Tag(pydantic.BaseModel):
        name: str

    class Post(pydantic.BaseModel):
        title: str = pydantic.Field(min_length=1)
        tags: list[Tag] = pydantic.Field(default_factory=list)

    schema = schema_of(Post)
    assert schema["$ref"] == "#/$defs/Post"
    post = schema["$defs"]["Post"]
    assert post["properties"]["title"]["minLength"] == 1
    assert post["properties"]["tags"]["items"] == {"$ref": "#/$defs/Tag"}
    assert "Tag" in schema["$defs"]


def test_msgspec_struct_schema() -> None:
    msgspec = pytest.importorskip("msgspec")

    class Item(msgspec.Struct):
        name: str
        qty: int = 1

    schema = schema_of(Item)
    item = schema["$defs"]["Item"]
    assert item["required"] == ["name"]
    assert item["properties"]["qty"]["type"] == "integer"


def test_annotated_types_and_pydantic_field_constraints() -> None:
    annotated_types = pytest.importorskip("annotated_types")
    pydantic = pytest.importorskip("pydantic")
    assert schema_of(Annotated[int, annotated_types.Gt(0), annotated_types.Le(9)]) == {
        "type": "integer",
        "exclusiveMinimum": 0,
        "maximum": 9,
    }
    assert schema_of(Annotated[str, annotated_types.MaxLen(4)]) == {"type": "string", "maxLength": 4}
    assert schema_of(Annotated[list[int], annotated_types.MinLen(1)]) == {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 1,
    }
    assert schema_of(Annotated[float, pydantic.Field(gt=0, le=1)]) == {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 1,
    }
