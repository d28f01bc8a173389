"""Review: more framing edge cases than test_bad_input.py (RFC 9112 6, 7.1).
Refused ones must close the connection without serving what is pipelined
behind them; accepted ones must be framed exactly, so the pipelined request
behind them is served as the next, separate response."""

import pytest
from conftest import Reader

H = b"Host: a\r\n"
NEXT = b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"
POST = b"POST /echo HTTP/1.1\r\n" + H
TE = POST + b"Transfer-Encoding: chunked\r\n\r\n"

REFUSED = [
    (
        "te_two_lines",
        POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    ("te_chunked_twice", POST + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    ("te_empty", POST + b"Transfer-Encoding: \r\n\r\n", 400),
    ("te_identity", POST + b"Transfer-Encoding: identity\r\n\r\n", 501),
    ("te_xchunked", POST + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 501),
    ("te_before_cl", POST + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400),
    ("cl_list_same", POST + b"Content-Length: 5, 5\r\n\r\nhello", 400),
    ("cl_2_pow_63", POST + b"Content-Length: 9223372036854775808\r\n\r\n", 400),
    ("cl_space_inside", POST + b"Content-Length: 5 5\r\n\r\nhello", 400),
    ("cl_tab_before_colon", POST + b"Content-Length\t: 5\r\n\r\nhello", 400),
    ("cl_nbsp", POST + b"Content-Length: \xa05\r\n\r\nhello", 400),
    ("target_space", b"GET /a b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("target_nul", b"GET /a\x00b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("target_del", b"GET /a\x7fb HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("double_space", b"GET  /plaintext HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("tab_separator", b"GET\t/plaintext HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("lowercase_version", b"GET /plaintext http/1.1\r\n" + H + b"\r\n", 400),
    ("space_after_version", b"GET /plaintext HTTP/1.1 \r\n" + H + b"\r\n", 400),
    ("http_0_9_line", b"GET /plaintext\r\n" + H + b"\r\n", 400),
    ("version_1_10", b"GET /plaintext HTTP/1.10\r\n" + H + b"\r\n", 400),
    ("version_3", b"GET /plaintext HTTP/3.0\r\n" + H + b"\r\n", 505),
    ("leading_bare_lf", b"\nGET /plaintext HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("head_ends_bare_lf", b"GET /plaintext HTTP/1.1\r\n" + H + b"\n", 400),
    ("head_ends_cr_cr_lf", b"GET /plaintext HTTP/1.1\r\n" + H + b"\r\r\n", 400),
    ("header_no_colon", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A b\r\n\r\n", 400),
    ("header_empty_name", b"GET /plaintext HTTP/1.1\r\n" + H + b": b\r\n\r\n", 400),
    ("header_del_in_value", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\n\r\n", 400),
    ("obs_fold_tab", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A: b\r\n\tc\r\n\r\n", 400),
    ("first_header_folded", b"GET /plaintext HTTP/1.1\r\n X-A: b\r\n" + H + b"\r\n", 400),
    ("host_with_space", b"GET /plaintext HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("host_twice_other_case", b"GET /plaintext HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n", 400),
    ("chunk_ext_bare_cr", TE + b'5;a="b\rc"\r\nhello\r\n0\r\n\r\n', 400),
    ("chunk_ext_bare_lf", TE + b"5;a\nhello\r\n0\r\n\r\n", 400),
    ("chunk_ext_over_limit", TE + b"5;a=" + b"x" * 5000 + b"\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk_ext_total_over_limit", TE + (b"1;" + b"e" * 100 + b"\r\nx\r\n") * 50 + b"0\r\n\r\n", 400),
    ("chunk_size_trailing_space", TE + b"5 \r\nhello\r\n0\r\n\r\n", 400),
    ("chunk_size_empty", TE + b"\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk_size_underscore", TE + b"5_0\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk_size_16_f", TE + b"ffffffffffffffff\r\nhello\r\n0\r\n\r\n", 413),
    ("last_chunk_bare_lf", TE + b"5\r\nhello\r\n0\r\n\n", 400),
    ("last_chunk_bare_cr", TE + b"5\r\nhello\r\n0\r\n\r", 400),
    ("chunk_data_then_cr_only", TE + b"5\r\nhello\r0\r\n\r\n", 400),
    ("chunk_data_longer_than_size", TE + b"3\r\nhello\r\n0\r\n\r\n", 400),
    ("trailer_obs_fold", TE + b"5\r\nhello\r\n0\r\nX-T: 1\r\n 2\r\n\r\n", 400),
    ("trailer_bare_lf", TE + b"5\r\nhello\r\n0\r\nX-T: 1\n\r\n", 400),
    ("trailer_no_colon", TE + b"5\r\nhello\r\n0\r\nXT\r\n\r\n", 400),
    ("trailer_over_limit", TE + b"2\r\nhi\r\n0\r\nX-T: " + b"a" * 17000 + b"\r\n\r\n", 431),
    ("chunks_1001_of_one_byte", TE + b"1\r\nx\r\n" * 1001 + b"0\r\n\r\n", 400),
]


@pytest.mark.parametrize("name,raw,status", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_closes_and_serves_nothing_behind(server, name, raw, status):
    s = server.connect()
    s.sendall(raw + NEXT)
    r = Reader(s)
    got, headers, body = r.response()
    assert got == status, (name, got, body)
    assert headers.get("connection") == "close"
    rest = r.read_to_eof()
    assert b"HTTP/1.1" not in rest and b"Hello, World!" not in rest
    s.close()


ACCEPTED = [
    ("te_case_insensitive", POST + b"Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", b"hello"),
    ("te_tab_before_value", POST + b"Transfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", b"hello"),
    ("chunk_ext_quoted", TE + b'5;a=b;c="d;e"\r\nhello\r\n0\r\n\r\n', b"hello"),
    ("chunk_size_16_digits", TE + b"0000000000000005\r\nhello\r\n0\r\n\r\n", b"hello"),
    ("last_chunk_000", TE + b"2\r\nhi\r\n000\r\n\r\n", b"hi"),
    ("trailer_dropped", TE + b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", b"hello"),
    ("trailer_content_length_ignored", TE + b"5\r\nhello\r\n0\r\nContent-Length: 99\r\n\r\n", b"hello"),
    ("chunks_1000_of_one_byte", TE + b"1\r\nx\r\n" * 1000 + b"0\r\n\r\n", b"x" * 1000),
    ("chunks_2000_of_16_bytes", TE + (b"10\r\n" + b"y" * 16 + b"\r\n") * 2000 + b"0\r\n\r\n", b"y" * 32000),
    ("cl_leading_zeros", POST + b"Content-Length: 005\r\n\r\nhello", b"hello"),
    (
        "get_with_body_consumed",
        b"GET /plaintext HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n\r\nabc",
        b"Hello, World!",
    ),
    ("header_obs_text_value", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A: a\xe9b\r\n\r\n", b"Hello, World!"),
    ("one_empty_line_first", b"\r\nGET /plaintext HTTP/1.1\r\n" + H + b"\r\n", b"Hello, World!"),
]


@pytest.mark.parametrize("name,raw,body", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_is_framed_exactly(server, name, raw, body):
    s = server.connect()
    s.sendall(raw + NEXT)
    r = Reader(s)
    got, _headers, first = r.response()
    assert (got, first) == (200, body), (name, got, first[:80])
    got, _headers, second = r.response()
    assert (got, second) == (200, b"Hello, World!"), name
    s.close()


@pytest.mark.parametrize("length,status", [(8192, 200), (8193, 414)])
def test_request_line_limit_boundary(server, length, status):
    prefix, suffix = b"GET /plaintext?q=", b" HTTP/1.1"
    line = prefix + b"a" * (length - len(prefix) - len(suffix)) + suffix
    s = server.connect()
    s.sendall(line + b"\r\n" + H + b"\r\n")
    assert Reader(s).response()[0] == status


@pytest.mark.parametrize("size,status", [(16384, 200), (16385, 431)])
def test_header_block_limit_boundary(server, size, status):
    base = b"GET /plaintext HTTP/1.1\r\n" + H
    pad = size - len(base) - 2 - len(b"X-P: \r\n")
    s = server.connect()
    s.sendall(base + b"X-P: " + b"a" * pad + b"\r\n\r\n")
    assert Reader(s).response()[0] == status


@pytest.mark.parametrize("n,status", [(99, 200), (100, 431)])
def test_header_count_limit_boundary(server, n, status):
    # n extra headers + Host: 100 in all is the limit.
    s = server.connect()
    s.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(n)) + b"\r\n")
    assert Reader(s).response()[0] == status


@pytest.mark.parametrize("n,status", [(1048576, 200), (1048577, 413)])
def test_body_limit_boundary(server, n, status):
    s = server.connect()
    s.sendall(POST + b"Content-Length: %d\r\n\r\n" % n + b"x" * n)
    st, _, body = Reader(s).response()
    assert st == status
    if status == 200:
        assert len(body) == n
