"""One real request per scenario before any load: is the answer right?"""

from __future__ import annotations

import http.client
import json
import socket
import time


def request(port: int, method: str, path: str, body: bytes | None, timeout: float = 30.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type") or "", r.read()
    finally:
        conn.close()


def wait_ready(port: int, alive, timeout: float = 30.0) -> str | None:
    """Wait until the port accepts and answers GET /plaintext or /json; None when ready, else why not."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive():
            return "the server exited during start-up"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            for path in ("/plaintext", "/json"):
                status, _, _ = request(port, "GET", path, None, timeout=2)
                if status == 200:
                    return None
                last = f"GET {path} -> {status}"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    return f"not ready after {timeout:.0f} s ({last})"


def check(port: int, scenario, body: bytes | None, bodies, notes: list | None = None) -> str | None:
    """None when the reply is right, else a description of what is wrong.

    A JSON body sent without any Content-Type (Spikard 0.17 does this) is accepted
    and described in `notes`; a wrong Content-Type is an error."""
    try:
        status, ctype, data = request(port, scenario.method, scenario.path, body)
    except (OSError, http.client.HTTPException) as e:
        return f"request failed: {e}"
    if status != scenario.expect_status:
        return (
            f"{scenario.method} {scenario.path}: status {status}, "
            f"expected {scenario.expect_status}: {data[:200]!r}"
        )
    if scenario.expect_text is not None and data.decode("utf-8", "replace") != scenario.expect_text:
        return f"body {data[:200]!r}, expected {scenario.expect_text!r}"
    if scenario.expect_json is not None:
        if not ctype and notes is not None:
            notes.append("JSON replies carry no Content-Type header")
        elif "json" not in ctype:
            return f"content-type {ctype!r}, expected JSON"
        try:
            got = json.loads(data)
        except ValueError:
            return f"body is not JSON: {data[:200]!r}"
        if got != scenario.expect_json:
            return f"body {data[:200]!r} differs from the expected JSON"
    for method, path, body_name, want in scenario.extra_probes:
        try:
            st, _, d = request(port, method, path, bodies(body_name))
        except (OSError, http.client.HTTPException) as e:
            return f"probe {method} {path} failed: {e}"
        if st not in want:
            return (
                f"probe {method} {path} ({body_name or 'no body'}): status {st}, expected {want}: {d[:160]!r}"
            )
    return None
