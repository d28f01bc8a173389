"""Run wrk pinned to CPU 1 and read the figures its Lua done() prints."""

from __future__ import annotations

import json
import os
import resource
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
    # taskset execs wrk, and wrk is the only child reaped while it runs, so the growth of
    # RUSAGE_CHILDREN is wrk's own CPU time: with its one thread on one core, a wrk near 100%
    # means the load generator, not the server, set the rate.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out, err = p.stdout, p.stderr
    for line in out.splitlines():
        if line.startswith("BENCHJSON "):
            r = json.loads(line[len("BENCHJSON ") :])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6) if r["duration_us"] else 0.0
            r["socket_errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
            r["wrk_cpu_s"] = wrk_cpu_s
            return r
    raise RuntimeError(f"wrk gave no result (exit {p.returncode}): {err.strip()[:300]} {out[-300:]}")
