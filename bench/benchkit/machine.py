"""The machine's description for the results: CPU, cores, kernel, versions."""

from __future__ import annotations

import os
import platform
import subprocess

from .contenders import REPO


def _first_line(argv: list[str]) -> str:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "not installed"
    out = (r.stdout + r.stderr).strip().splitlines()
    return out[0] if out else "unknown"


def describe(venv_python: str, versions: dict[str, str]) -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kib = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1048576, 1),
        "kernel": platform.release(),
        "os": _first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "python": _first_line([venv_python, "--version"])
        if os.path.exists(venv_python)
        else platform.python_version(),
        "wrk": _first_line(["wrk", "-v"]),
        "nginx": _first_line(["nginx", "-v"]),
        "h2o": _first_line(["h2o", "--version"]),
        "git_commit": _first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]),
        "packages": versions,
    }
