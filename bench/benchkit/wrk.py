"""Run wrk pinned to CPU 1 and read the figures its Lua done() prints."""

from __future__ import annotations

import json
import os
import subprocess

LUA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lua", "bench.lua")


def command(
    url: str, connections: int, seconds: float, body_path: str | None, pipeline: int, wrk_cpu: str
) -> list[str]:
    args = [
        "taskset",
        "-c",
        wrk_cpu,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        LUA,
        url,
        "--",
    ]
    if body_path:
        args.append(f"body={body_path}")
    if pipeline > 1:
        args.append(f"pipeline={pipeline}")
    return args


def run(
    url: str, connections: int, seconds: float, body_path: str | None, pipeline: int, wrk_cpu: str = "1"
) -> dict:
    argv = command(url, connections, seconds, body_path, pipeline, wrk_cpu)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    for line in p.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            r = json.loads(line[len("BENCHJSON ") :])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
            r["socket_errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
            return r
    raise RuntimeError(
        f"wrk gave no result (exit {p.returncode}): {p.stderr.strip()[:300]} {p.stdout[-300:]}"
    )
