"""Converters from validated JSON values to declared Python types (pure unit tests)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import uuid
from typing import Annotated, Any, Literal, NamedTuple, Optional, TypedDict

import pytest

from squall import Query, UploadFile
from squall._convert import converter_for


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@pytest.mark.parametrize(
    "hint",
    [str, int, bool, list[int], list[str], dict[str, int], Optional[str], Literal["a", "b"], Any, list[Any]],
)
def test_no_converter_when_json_already_fits(hint: Any) -> None:
    assert converter_for(hint) is None


@pytest.mark.parametrize(
    ("hint", "value", "expected"),
    [
        (float, 3, 3.0),
        (
            uuid.UUID,
            "12345678-1234-5678-1234-567812345678",
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ),
        (dt.datetime, "2024-05-06T07:08:09Z", dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)),
        (dt.date, "2024-05-06", dt.date(2024, 5, 6)),
        (dt.time, "07:08:09", dt.time(7, 8, 9)),
        (dt.timedelta, "P1DT2H3M4.5S", dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
        (dt.timedelta, "-PT30S", dt.timedelta(seconds=-30)),
        (decimal.Decimal, "1.10", decimal.Decimal("1.10")),
        (decimal.Decimal, 0.1, decimal.Decimal("0.1")),
        (Color, "green", Color.GREEN),
        (tuple[int, str], [1, "a"], (1, "a")),
        (tuple[int, ...], [1, 2], (1, 2)),
        (set[int], [1, 2, 2], {1, 2}),
        (frozenset[str], ["a"], frozenset({"a"})),
        (list[dt.date], ["2024-01-01"], [dt.date(2024, 1, 1)]),
        (dict[str, uuid.UUID], {"a": "00000000-0000-0000-0000-000000000001"}, {"a": uuid.UUID(int=1)}),
        (Optional[dt.date], None, None),
        (dt.date | None, "2024-01-01", dt.date(2024, 1, 1)),
        (Annotated[dt.date, Query()], "2024-01-01", dt.date(2024, 1, 1)),
    ],
)
def test_converts_to_declared_type(hint: Any, value: Any, expected: Any) -> None:
    conv = converter_for(hint)
    assert conv is not None
    result = conv(value)
    assert result == expected
    assert type(result) is type(expected)


@dataclasses.dataclass
class Line:
    sku: str
    qty: int
    shipped: dt.date | None = None


@dataclasses.dataclass
class Order:
    id: uuid.UUID
    lines: list[Line]
    color: Color = Color.RED
    note: str = "none"


def test_nested_dataclass_instances() -> None:
    conv = converter_for(Order)
    assert conv is not None
    order = conv(
        {
            "id": "00000000-0000-0000-0000-00000000000a",
            "lines": [{"sku": "x", "qty": 2, "shipped": "2024-02-03"}, {"sku": "y", "qty": 1}],
            "color": "green",
        }
    )
    assert order == Order(
        id=uuid.UUID(int=10),
        lines=[Line("x", 2, dt.date(2024, 2, 3)), Line("y", 1)],
        color=Color.GREEN,
        note="none",
    )
    assert isinstance(order.lines[0], Line)


@dataclasses.dataclass
class Node:
    value: int
    children: list[Node] = dataclasses.field(default_factory=list)


def test_recursive_dataclass() -> None:
    conv = converter_for(Node)
    assert conv is not None
    tree = conv({"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]})
    assert tree == Node(1, [Node(2, [Node(3)])])
    assert isinstance(tree.children[0].children[0], Node)


class Pair(NamedTuple):
    when: dt.date
    count: int


class Event(TypedDict):
    name: str
    at: dt.datetime


def test_namedtuple_and_typeddict() -> None:
    pair = converter_for(Pair)
    assert pair is not None
    assert pair(["2024-01-02", 3]) == Pair(dt.date(2024, 1, 2), 3)
    event = converter_for(Event)
    assert event is not None
    assert event({"name": "x", "at": "2024-01-02T03:04:05"}) == {
        "name": "x",
        "at": dt.datetime(2024, 1, 2, 3, 4, 5),
    }


def test_union_picks_the_member_that_fits() -> None:
    conv = converter_for(int | dt.date)
    assert conv is not None
    assert conv(5) == 5
    assert conv("2024-01-01") == dt.date(2024, 1, 1)
    both = converter_for(list[dt.date] | dt.date)
    assert both is not None
    assert both(["2024-01-01"]) == [dt.date(2024, 1, 1)]
    assert both("2024-01-02") == dt.date(2024, 1, 2)


def test_pydantic_and_msgspec_models() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Item(pydantic.BaseModel):
        name: str
        when: dt.date

    conv = converter_for(Item)
    assert conv is not None
    item = conv({"name": "a", "when": "2024-01-01"})
    assert isinstance(item, Item) and item.when == dt.date(2024, 1, 1)

    msgspec = pytest.importorskip("msgspec")

    class Struct(msgspec.Struct):
        name: str
        when: dt.date

    sconv = converter_for(Struct)
    assert sconv is not None
    s = sconv({"name": "a", "when": "2024-01-01"})
    assert isinstance(s, Struct) and s.when == dt.date(2024, 1, 1)


def test_upload_file_from_part_mapping() -> None:
    conv = converter_for(UploadFile)
    assert conv is not None
    upload = conv(
        {"filename": "a.txt", "content_type": "text/plain", "content": b"hello", "headers": [("x-a", "1")]}
    )
    assert isinstance(upload, UploadFile)
    assert upload.filename == "a.txt"
    assert upload.content_type == "text/plain"
    assert upload.size == 5
    assert upload.headers["X-A"] == "1"
    assert upload.file.read() == b"hello"
    upload.file.close()


def test_upload_file_spools_to_disk_above_threshold() -> None:
    from squall._upload import upload_from_part

    small = upload_from_part({"filename": "s", "content": b"x" * 10}, spool_max_size=100)
    big = upload_from_part({"filename": "b", "content": b"x" * 1000}, spool_max_size=100)
    assert not small.file._rolled
    assert big.file._rolled
    assert big.file.read() == b"x" * 1000
    small.file.close()
    big.file.close()


def test_bytes_from_file_part() -> None:
    conv = converter_for(bytes)
    assert conv is not None
    assert conv({"filename": "a", "content": b"\x00\x01"}) == b"\x00\x01"
    assert conv("text") == b"text"


def test_upload_file_async_interface() -> None:
    import asyncio

    from squall._upload import upload_from_part

    async def scenario() -> list[bytes]:
        upload = upload_from_part({"filename": "f.bin", "content": b"0123456789"})
        first = await upload.read(4)
        rest = await upload.read()
        await upload.seek(0)
        again = await upload.read()
        await upload.close()
        assert upload.file.closed
        return [first, rest, again]

    assert asyncio.run(scenario()) == [b"0123", b"456789", b"0123456789"]
