"""The short path of Response.__init__ (no user headers): the content-type
header pair is cached per media type, and must behave exactly as building it
each time did."""

from __future__ import annotations

import pytest

from squall import PlainTextResponse, Response


def test_cached_pair_is_not_shared_state() -> None:
    a = PlainTextResponse("a")
    b = PlainTextResponse("b")
    assert a.raw_headers == [("content-type", "text/plain; charset=utf-8")]
    a.set_header("content-type", "text/csv")
    a.raw_headers.append(("x-a", "1"))
    assert b.raw_headers == [("content-type", "text/plain; charset=utf-8")]
    assert PlainTextResponse("c").raw_headers == [("content-type", "text/plain; charset=utf-8")]


def test_charset_of_a_subclass_is_honoured_after_the_default_was_cached() -> None:
    PlainTextResponse("warm the cache")

    class Latin(PlainTextResponse):
        charset = "latin-1"

    r = Latin("é")
    assert r.body == "é".encode("latin-1")
    assert r.headers["content-type"] == "text/plain; charset=latin-1"
    assert PlainTextResponse("x").headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("bad", ["text/plain\r\nx-evil: 1", "text/plain\n", "a\x00b"])
def test_bad_media_type_refused_every_time(bad: str) -> None:
    for _ in range(2):  # a refusal is never cached as a success
        with pytest.raises(ValueError):
            Response("x", media_type=bad)


def test_no_media_type_no_header_and_content_kinds() -> None:
    r = Response("x")
    assert r.raw_headers == [] and r.body == b"x"
    assert Response(None).body == b"" and Response(bytearray(b"ab")).body == b"ab"
    with pytest.raises(TypeError):
        Response(3)
    r = Response("x", media_type="application/xml")
    assert r.raw_headers == [("content-type", "application/xml")]
