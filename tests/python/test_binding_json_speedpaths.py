"""The encoder's fast paths (exact str/int, 8-byte string scan, digit-pair
int formatting) against the stdlib's output for the same values."""

from __future__ import annotations

import json

import pytest
from test_binding_support import _squall, needs_ext

pytestmark = needs_ext


def dumps(obj):
    return _squall.json_dumps(obj)


def reference(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


# Every character that needs an escape, plus a few that must not be escaped.
SPECIALS = [chr(c) for c in range(0x20)] + ['"', "\\", "/", "\x7f", "é", "€", "😀"]


@pytest.mark.parametrize("special", SPECIALS)
@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 15, 16, 17, 40])
def test_escape_at_every_position(special, length):
    # The scan reads eight bytes at a time: put the special character at
    # every offset so it lands in each lane and in the byte-wise tail.
    base = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH"[:length]
    for pos in range(length + 1):
        s = base[:pos] + special + base[pos:]
        assert dumps(s) == reference(s), (special, pos)
        assert dumps({s: s}) == reference({s: s})


@pytest.mark.parametrize(
    "s",
    [
        "",
        "plain ascii text longer than eight bytes",
        "naïve café",  # 2-byte UTF-8, not compact ASCII
        "a€b" * 9,  # 3-byte UTF-8
        "😀" * 5 + "x",  # astral
        '"\\\n' * 20,  # escapes back to back
        "\x00" * 17,
        "~" * 64,  # 0x7e just below DEL, after every bit-trick threshold
    ],
)
def test_strings(s):
    assert dumps(s) == reference(s)
    assert dumps([s, {s: [s]}]) == reference([s, {s: [s]}])


def test_lone_surrogate_still_refused():
    with pytest.raises(UnicodeEncodeError):
        dumps("ok" * 10 + "\ud800")


INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


@pytest.mark.parametrize(
    "n",
    [0, 1, -1, 9, 10, -10, 99, 100, -100, 999, 1000, 12345678901, -98765432109]
    + [10**k for k in range(1, 20)]
    + [10**k - 1 for k in range(1, 20)]
    + [-(10**k) for k in range(1, 20)]
    + [INT64_MAX, INT64_MAX - 1, INT64_MAX + 1, INT64_MIN, INT64_MIN + 1, INT64_MIN - 1]
    + [2**64, -(2**64), 10**40, -(10**40) - 7],
)
def test_ints(n):
    assert dumps(n) == str(n).encode()
    assert dumps([n, {"k": n}]) == reference([n, {"k": n}])


def test_bool_is_not_int():
    assert dumps([True, False, 1, 0]) == b"[true,false,1,0]"
    assert dumps({"a": True, "b": 1}) == b'{"a":true,"b":1}'


class MyStr(str):
    pass


class MyInt(int):
    pass


class MyDict(dict):
    pass


class MyList(list):
    pass


def test_subclasses_encode_like_their_base():
    value = MyDict({MyStr("k\n"): MyList([MyInt(-(2**63)), MyStr('x"y'), MyInt(7)])})
    assert dumps(value) == b'{"k\\n":[-9223372036854775808,"x\\"y",7]}'
    assert dumps(value) == reference(value)


def test_big_document_matches_stdlib():
    doc = {
        "items": [
            {
                "id": i,
                "sku": f"SKU-{i:04d}",
                "name": f"Item number {i} \u00e9\t",
                "neg": -i * 1_000_003,
                "active": i % 2 == 0,
                "tags": ["blue", "large", "sale"][: i % 3 + 1],
            }
            for i in range(500)
        ]
    }
    assert dumps(doc) == reference(doc)


class ClearsContainers:
    """Encoding it runs Python code that empties the containers holding it."""

    def __init__(self, victims):
        self.victims = victims

    def model_dump(self, by_alias=True):
        for v in self.victims:
            v.clear()
        return {"cleared": True}


def test_list_mutated_while_encoding_an_item():
    lst = ["a", 1]
    lst += [ClearsContainers([lst]), "later", 3]
    # No crash; what was written before the mutation is kept, the rest is
    # gone with the list's items.
    assert dumps(lst) == b'["a",1,{"cleared":true}]'


def test_dict_mutated_while_encoding_a_value():
    dct = {"x": "b", "y": 2}
    dct["z"] = ClearsContainers([dct])
    dct["w"] = "later"
    out = dumps(dct)
    assert out.startswith(b'{"x":"b","y":2,"z":{"cleared":true}')


def test_request_body_keys_are_right_across_requests():
    """The server keeps JSON object keys between requests (a table keyed by
    their bytes): keys of equal length that differ in one byte, keys past
    the table's size (churn), long and non-ASCII keys all arrive intact."""
    from squall import Squall
    from squall.testing import TestClient

    app = Squall()

    @app.post("/echo", body_schema={"type": "object"})
    async def echo(body):
        return {"keys": sorted(body), "body": body}

    near = ["abcd", "abce", "abdd", "bbcd", "abcdefgh", "abcdefgi", "xbcdefgh", "k" * 16, "k" * 15 + "j"]
    churn = [f"key-{i:05d}" for i in range(2000)]
    odd = ["é", "clé", "ключ", "k" * 40, "", "a"]
    with TestClient(app) as client:
        for round_ in range(2):  # the second round hits what the first one cached
            for keys in (near, odd, churn[:700], churn[700:1400], churn[1400:], near):
                body = {k: i + round_ for i, k in enumerate(keys)}
                r = client.post("/echo", json=body)
                assert r.status_code == 200, r.text
                got = r.json()
                assert got["keys"] == sorted(keys)
                assert got["body"] == body
