"""squall-cserver's command line: every numeric flag refuses garbage,
meaningless negatives and out-of-range values with a usage error (exit 2,
a message naming the flag on stderr) instead of silently using 0 or an
ephemeral port; --problem-type-base sets the `type` prefix of the core's
problem+json replies."""

import json
import subprocess

import pytest
from conftest import server_binary

# (flag, value) pairs that must be refused.
BAD = [
    ("--port", "abc"),
    ("--port", ""),
    ("--port", "-1"),
    ("--port", "65536"),
    ("--port", "80x"),
    ("--port", " 80"),
    ("--port", "+80"),
    ("--port", "0x50"),
    ("--port", "99999999999999999999999"),
    ("--workers", "0"),
    ("--workers", "two"),
    ("--workers", "-3"),
    ("--workers", "1000000"),
    ("--max-request-line", "0"),
    ("--max-request-line", "8k"),
    ("--max-header-bytes", "-1"),
    ("--max-header-bytes", " -1"),
    ("--max-headers", "0"),
    ("--max-headers", "18446744073709551615"),
    ("--max-body", "1.5"),
    ("--max-body", "-5"),
    ("--max-body", "18446744073709551616"),
    ("--max-chunk-ext", "lots"),
    ("--max-trailer-bytes", "1e3"),
    ("--max-connections", "0"),
    ("--max-connections", "many"),
    ("--header-timeout", "abc"),
    ("--header-timeout", "-1"),
    ("--body-timeout", "nan"),
    ("--keepalive-timeout", "inf"),
    ("--write-timeout", "1e400"),
    ("--write-timeout", "5s"),
    ("--write-timeout", "0"),
    ("--header-timeout", "0.0"),
    ("--keepalive-timeout", "0"),
    ("--body-timeout", "0e5"),
    ("--grace", "0x10"),
    ("--grace", "1e999"),
    ("--grace", "1e-999"),
    ("--grace", ""),
    ("--send-batch-threshold", "-1"),
    ("--send-batch-threshold", "5us"),
    ("--send-batch-max-wait", "nan"),
    ("--problem-type-base", ""),
    ("--problem-type-base", "https://x/\r\nX: y/"),
    ("--problem-type-base", "a" * 300),
]


def run_flags(*args):
    """Runs the binary expecting it to exit at once; a server that starts
    listening instead (the old behaviour) is killed and reported."""
    binary = server_binary()
    proc = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{args!r} was accepted: the server started ({out.decode()!r})")
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("flag,value", BAD, ids=[f"{f}={v[:20]!r}" for f, v in BAD])
def test_bad_value_is_a_usage_error(flag, value):
    rc, out, err = run_flags("--port", "0", flag, value)
    assert rc == 2, (rc, out, err)
    assert "listening on" not in out
    first = err.splitlines()[0] if err else ""
    assert flag in first and "invalid value" in first, err  # a message naming the flag
    assert "usage:" in err
    assert "AddressSanitizer" not in err and "runtime error" not in err


@pytest.mark.parametrize("form", [["--port=abc"], ["--port", "abc"]])
def test_both_option_forms_are_checked(form):
    rc, _out, err = run_flags(*form)
    assert rc == 2 and "--port" in err and "abc" in err, (rc, err)


def test_missing_value_and_unknown_flag():
    rc, _, err = run_flags("--port")
    assert rc == 2 and "usage:" in err
    rc, _, err = run_flags("--port", "0", "--no-such-flag")
    assert rc == 2 and "usage:" in err
    rc, _, err = run_flags("--port", "0", "stray")
    assert rc == 2 and "stray" in err


def test_help_exits_zero():
    rc, out, _ = run_flags("--help")
    assert rc == 0 and "--problem-type-base" in out


@pytest.mark.parametrize(
    "flags",
    [
        ["--max-body", "0", "--max-chunk-ext", "0", "--max-trailer-bytes", "0"],
        ["--header-timeout", "0.5", "--body-timeout", "1e1", "--keepalive-timeout", ".5"],
        ["--write-timeout", "1", "--grace", "0", "--max-headers", "1", "--max-connections", "1"],
        ["--max-request-line", "1", "--max-header-bytes", "1099511627776"],
        ["--grace", "1e300", "--header-timeout", "0.000001"],
        ["--send-batch-threshold", "0", "--send-batch-max-wait", "0"],
        ["--send-batch-threshold", "1e-5", "--send-batch-max-wait", "0.001"],
    ],
)
def test_valid_edge_values_start(start_server, flags):
    s = start_server(*flags)
    assert s.port > 0


def http_get(server, path):
    with server.connect() as c:
        c.sendall(f"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode(), body


def test_problem_type_base_flag(start_server):
    s = start_server("--problem-type-base", "https://api.example.com/problems/")
    head, body = http_get(s, "/no-such-route")
    assert head.startswith("HTTP/1.1 404 ")
    assert "application/problem+json" in head
    problem = json.loads(body)
    assert problem["type"] == "https://api.example.com/problems/not-found"
    assert problem["status"] == 404


def test_problem_type_base_default(start_server):
    s = start_server()
    _head, body = http_get(s, "/no-such-route")
    assert json.loads(body)["type"] == "https://squall.dev/errors/not-found"
