"""The C JSON codec: _squall.json_dumps / json_loads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import uuid
from decimal import Decimal
from typing import ClassVar

import pytest
from test_binding_support import _squall, needs_ext

pytestmark = needs_ext


def dumps(obj):
    return _squall.json_dumps(obj)


def reference(obj):
    """What the stdlib produces for the same value (compact, UTF-8)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**63, -(2**64) - 5, 10**40,
        1.5, -0.0, 1e300, 5e-324, 0.1, 1e16, 123456789.125,
        "", "plain", "quote\" backslash\\ slash/", "\n\r\t\b\f\x00\x1f\x7f",
        "héllo wörld", "日本語", "emoji 🐍", "\u2028\u2029",
        [], {}, [1, [2, [3, {"a": [None]}]]], {"k": {"nested": [1, 2.5, "x"]}},
        {"unicode ключ": "значение"},
    ],
)
def test_dumps_matches_stdlib(value):
    assert dumps(value) == reference(value)
    assert json.loads(dumps(value)) == value


def test_tuple_and_set_become_arrays():
    assert dumps((1, "a", None)) == b'[1,"a",null]'
    assert sorted(json.loads(dumps({3, 1, 2}))) == [1, 2, 3]
    assert json.loads(dumps(frozenset({"x"}))) == ["x"]


def test_scalar_dict_keys_become_strings():
    assert json.loads(dumps({1: "a", False: "b", None: "c", 2.5: "d"})) == {
        "1": "a", "false": "b", "null": "c", "2.5": "d"}
    with pytest.raises(TypeError):
        dumps({(1, 2): "tuple key"})


def test_lone_surrogate_is_refused_not_written():
    with pytest.raises(UnicodeEncodeError):
        dumps("bad \ud800 surrogate")
    with pytest.raises(UnicodeEncodeError):
        dumps({"k": ["\udfff"]})
    # A valid pair written from its code point is fine.
    assert json.loads(dumps("\U0001f600")) == "\U0001f600"


def test_big_ints_any_size():
    huge = 7**20000  # ~17000 digits: past the interpreter's int->str limit
    text = dumps(huge)
    assert text.isdigit()
    assert len(text) == math.floor(20000 * math.log10(7)) + 1
    # Compare without str(): rebuild the int from the digits by chunks.
    assert int(text[:1000]) == huge // 10 ** (len(text) - 1000)
    assert int(text[-18:]) == huge % 10**18
    neg = dumps(-huge)
    assert neg.startswith(b"-") and neg[1:] == text
    assert dumps(-(10**30)) == b"-1" + b"0" * 30
    assert dumps(10**18) == b"1" + b"0" * 18
    assert dumps(10**36 + 7) == b"1" + b"0" * 32 + b"0007"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"x": math.inf}])
def test_nan_and_infinity_refused(bad):
    with pytest.raises(ValueError):
        dumps(bad)


def test_depth_limit_and_cycles():
    ok = []
    for _ in range(200):
        ok = [ok]
    assert dumps(ok).startswith(b"[[[[")
    deep = []
    for _ in range(2000):
        deep = [deep]
    with pytest.raises(ValueError, match="nesting"):
        dumps(deep)
    cyclic: dict = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError):
        dumps(cyclic)


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


class Level(enum.IntEnum):
    HIGH = 3


class Mode(str, enum.Enum):
    FAST = "fast"


@dataclasses.dataclass
class Point:
    x: int
    y: float
    tags: list[str] = dataclasses.field(default_factory=list)
    registry: ClassVar[int] = 99


@dataclasses.dataclass
class Line:
    start: Point
    end: Point
    color: Color = Color.RED


def test_enum_values():
    assert dumps(Color.RED) == b'"red"'
    assert dumps(Color.BLUE) == b"2"
    assert dumps(Level.HIGH) == b"3"
    assert dumps(Mode.FAST) == b'"fast"'
    assert dumps({Mode.FAST: 1}) == b'{"fast":1}'


def test_dataclasses_nested_and_classvar_skipped():
    line = Line(Point(1, 2.5, ["a"]), Point(3, 4.0))
    assert json.loads(dumps(line)) == {
        "start": {"x": 1, "y": 2.5, "tags": ["a"]},
        "end": {"x": 3, "y": 4.0, "tags": []},
        "color": "red",
    }
    with pytest.raises(TypeError):
        dumps(Point)  # the class itself is not data


def test_datetime_family_iso8601():
    tz = dt.timezone(dt.timedelta(hours=2))
    assert dumps(dt.datetime(2024, 1, 2, 3, 4, 5)) == b'"2024-01-02T03:04:05"'
    assert dumps(dt.datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=tz)) == (
        b'"2024-01-02T03:04:05.123000+02:00"')
    assert dumps(dt.datetime(2024, 1, 2, tzinfo=dt.UTC)) == b'"2024-01-02T00:00:00+00:00"'
    assert dumps(dt.date(1999, 12, 31)) == b'"1999-12-31"'
    assert dumps(dt.time(23, 59, 1)) == b'"23:59:01"'


def test_uuid_and_decimal():
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert dumps(u) == b'"12345678-1234-5678-1234-567812345678"'
    assert dumps({u: 1}) == b'{"12345678-1234-5678-1234-567812345678":1}'
    assert dumps(Decimal("1.10")) == b"1.10"
    assert dumps(Decimal("-123456789012345678901234567890.5")) == (
        b"-123456789012345678901234567890.5")
    assert json.loads(dumps([Decimal("1E+3")])) == [1000]
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("sNaN")):
        with pytest.raises(ValueError):
            dumps(bad)


def test_msgspec_struct():
    msgspec = pytest.importorskip("msgspec")

    class Item(msgspec.Struct):
        name: str
        price: float
        when: dt.date

    class Renamed(msgspec.Struct, rename="camel"):
        first_name: str

    assert json.loads(dumps(Item("x", 1.5, dt.date(2020, 1, 1)))) == {
        "name": "x", "price": 1.5, "when": "2020-01-01"}
    assert dumps(Renamed("Ann")) == b'{"firstName":"Ann"}'


def test_pydantic_model():
    pydantic = pytest.importorskip("pydantic")

    class Inner(pydantic.BaseModel):
        id: uuid.UUID

    class Model(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(populate_by_name=True)
        name: str = pydantic.Field(alias="fullName")
        inner: Inner
        amount: Decimal

    m = Model(fullName="Ann", inner=Inner(id=uuid.UUID(int=1)), amount=Decimal("2.50"))
    assert json.loads(dumps(m)) == {
        "fullName": "Ann", "inner": {"id": "00000000-0000-0000-0000-000000000001"}, "amount": 2.5}


def test_unsupported_type_is_a_type_error():
    class Opaque:
        pass

    with pytest.raises(TypeError, match="Opaque"):
        dumps({"x": Opaque()})
    with pytest.raises(TypeError):
        dumps(b"bytes are not JSON")


def test_subclasses_of_builtins():
    class MyStr(str):
        pass

    class MyDict(dict):
        pass

    class MyInt(int):
        pass

    assert dumps(MyDict(a=MyStr("b"), n=MyInt(5))) == b'{"a":"b","n":5}'


# ---------------------------------------------------------------- loads


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, 2.5, null, true, false, "x"]}', '"\\u00e9\\ud83d\\ude00\\n"', "[]", "{}", "0",
     "-0.5e-3", '"日本語"', '{"dup": 1, "dup": 2}', "123456789012345678901234567890",
     "-98765432109876543210987654321"],
)
def test_loads_matches_stdlib(text):
    assert _squall.json_loads(text) == json.loads(text)
    assert _squall.json_loads(text.encode()) == json.loads(text)


def test_loads_non_ascii_at_every_position():
    # Strings and keys are checked for ASCII a word at a time with an
    # overlapping last word, values while they are copied (up to 64 bytes)
    # or before (longer): a non-ASCII character in any lane of any length on
    # either side of that limit must still decode (and keys must not be
    # confused with one another).
    for length in range(1, 80):
        for pos in range(length):
            chars = ["k"] * length
            chars[pos] = "é"
            text = "".join(chars)
            doc = {text: text, "k" * length: length, "q" + text[1:]: pos}
            assert _squall.json_loads(json.dumps(doc, ensure_ascii=False).encode()) == doc


def test_loads_big_int_exact():
    assert _squall.json_loads(b"[18446744073709551617]") == [2**64 + 1]


@pytest.mark.parametrize(
    "bad",
    [b"", b"{", b"[1,]", b"NaN", b"Infinity", b'"\\ud800"', b"01", b"\xff", b'{"a" 1}',
     b"[1] extra", b'"\x01"'],
)
def test_loads_rejects_invalid(bad):
    with pytest.raises(ValueError):
        _squall.json_loads(bad)


def test_loads_depth_limit():
    assert _squall.json_loads(b"[" * 100 + b"]" * 100) is not None
    with pytest.raises(ValueError):
        _squall.json_loads(b"[" * 10000 + b"]" * 10000)


def test_loads_type_errors():
    with pytest.raises(TypeError):
        _squall.json_loads(12)
    with pytest.raises(UnicodeEncodeError):
        _squall.json_loads('"\ud800"')


def test_roundtrip_through_both():
    value = {"list": [1, -2, 3.25, "ü", None, True], "big": 2**80, "nested": {"a": {"b": []}}}
    assert _squall.json_loads(_squall.json_dumps(value)) == value


def test_loads_large_document():
    doc = {"items": [{"id": i, "name": f"item-{i}", "tags": ["a", "ü"]} for i in range(5000)]}
    text = json.dumps(doc).encode()
    assert len(text) > 65536
    assert _squall.json_loads(text) == doc
    assert _squall.json_loads(_squall.json_dumps(doc)) == doc
