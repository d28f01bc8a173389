"""Issue 2 point 4: every malformed or ambiguous request is refused with the
right status, the connection closes, and a request pipelined behind it is
never served (no smuggling)."""

import pytest
from conftest import Reader

H = b"Host: a\r\n"
NEXT = b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n"

CASES = [
    (
        "cl_and_te",
        b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    ("two_cl", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("cl_plus", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nhello", 400),
    ("cl_minus", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", 400),
    ("cl_hex", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 0x5\r\n\r\nhello", 400),
    ("cl_empty", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: \r\n\r\n", 400),
    ("cl_list", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5,6\r\n\r\nhello", 400),
    ("cl_huge", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 99999999999999999999\r\n\r\n", 400),
    (
        "chunked_not_final",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        400,
    ),
    (
        "gzip_chunked",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    ),
    ("te_http10", b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("space_before_colon", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A : b\r\n\r\n", 400),
    ("obs_fold", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A: b\r\n c\r\n\r\n", 400),
    ("bare_lf_request_line", b"GET /plaintext HTTP/1.1\n" + H + b"\r\n", 400),
    ("bare_cr_request_line", b"GET /plaintext\r HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("bare_lf_header", b"GET /plaintext HTTP/1.1\r\n" + b"Host: a\nX-A: b\r\n\r\n", 400),
    ("bare_cr_header", b"GET /plaintext HTTP/1.1\r\n" + b"Host: a\rX-A: b\r\n\r\n", 400),
    ("nul_in_value", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A: b\x00c\r\n\r\n", 400),
    ("ctl_in_value", b"GET /plaintext HTTP/1.1\r\n" + H + b"X-A: b\x01c\r\n\r\n", 400),
    ("bad_method_token", b"G(T /plaintext HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("bad_header_name", b"GET /plaintext HTTP/1.1\r\n" + H + b"X@A: b\r\n\r\n", 400),
    (
        "chunk_size_prefix",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
        400,
    ),
    (
        "chunk_size_sign",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
        400,
    ),
    (
        "chunk_size_space",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n",
        400,
    ),
    (
        "chunk_size_17_digits",
        b"POST /echo HTTP/1.1\r\n"
        + H
        + b"Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n",
        400,
    ),
    (
        "chunk_bare_lf_size",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
        400,
    ),
    (
        "chunk_data_no_crlf",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        400,
    ),
    (
        "chunk_bare_lf_terminator",
        b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
        400,
    ),
    ("no_host_11", b"GET /plaintext HTTP/1.1\r\n\r\n", 400),
    ("two_hosts", b"GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("bad_version", b"GET /plaintext HTTP/1.x\r\n" + H + b"\r\n", 400),
    ("http2_version", b"GET /plaintext HTTP/2.0\r\n" + H + b"\r\n", 505),
    (
        "framing_outweighs_data",
        b"POST /echo HTTP/1.1\r\n"
        + H
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + b"1\r\nx\r\n" * 1100
        + b"0\r\n\r\n",
        400,
    ),
    ("unknown_expectation", b"GET /plaintext HTTP/1.1\r\n" + H + b"Expect: teapot\r\n\r\n", 417),
    ("bad_percent_path", b"GET /plain%zztext HTTP/1.1\r\n" + H + b"\r\n", 400),
]


@pytest.mark.parametrize("name,raw,status", CASES, ids=[c[0] for c in CASES])
def test_refused_and_nothing_smuggled(server, name, raw, status):
    s = server.connect()
    s.sendall(raw + NEXT)
    r = Reader(s)
    got, headers, body = r.response()
    assert got == status, (name, got, body)
    assert headers.get("content-type") == "application/problem+json"
    assert b'"status":%d' % status in body
    assert headers.get("connection") == "close"
    rest = r.read_to_eof()
    assert b"Hello, World!" not in rest
    assert b"HTTP/1.1" not in rest
    s.close()
