"""Install what the bench needs: Debian packages (wrk, nginx, h2o) and a venv with the peers.

Every failure is recorded with its reason, package by package, so that a
contender that cannot be installed is reported instead of silently dropped.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

from .contenders import BENCH, REPO

VENV = os.path.join(BENCH, ".venv")
VENV_BIN = os.path.join(VENV, "bin")
REQUIREMENTS = os.path.join(BENCH, "requirements.txt")
APT_TOOLS = {"wrk": "wrk", "nginx-light": "nginx", "h2o": "h2o", "valgrind": "valgrind"}


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def ensure_apt(packages: list[str]) -> dict[str, str]:
    """Install missing Debian packages; returns {package: reason} for those still missing."""
    missing = [p for p in packages if shutil.which(APT_TOOLS.get(p, p)) is None]
    if not missing:
        return {}
    log(f"apt-get install {' '.join(missing)}")
    failed = {}
    try:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=300)
        for p in missing:
            r = subprocess.run(
                ["apt-get", "install", "-y", "-qq", p],
                capture_output=True,
                text=True,
                timeout=600,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
            if r.returncode != 0 or shutil.which(APT_TOOLS.get(p, p)) is None:
                failed[p] = f"apt-get install {p} failed: {(r.stderr or r.stdout).strip()[-200:]}"
    except (OSError, subprocess.SubprocessError) as e:
        failed = {p: f"apt-get unavailable: {e}" for p in missing}
    return failed


def requirements() -> list[str]:
    with open(REQUIREMENTS) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def _dist_name(req: str) -> str:
    return req.split("[")[0].split("=")[0].split("<")[0].split(">")[0].strip()


def ensure_venv(wanted: list[str], python: str = sys.executable) -> dict[str, str]:
    """Create bench/.venv if needed and pip-install each wanted requirement separately.

    Returns {distribution: reason} for the ones that failed.
    """
    if not os.path.exists(os.path.join(VENV_BIN, "python")):
        log(f"creating {VENV}")
        subprocess.run([python, "-m", "venv", VENV], check=True)
    installed = installed_versions()
    failed = {}
    for req in wanted:
        if _dist_name(req).lower() in installed:
            continue
        log(f"pip install {req}")
        r = subprocess.run(
            [os.path.join(VENV_BIN, "python"), "-m", "pip", "install", "-q", req],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if r.returncode != 0:
            lines = [ln for ln in (r.stderr or r.stdout).splitlines() if "WARNING" not in ln]
            failed[_dist_name(req).lower()] = "pip install failed: " + " | ".join(lines[-3:])[-300:]
    return failed


def installed_versions() -> dict[str, str]:
    py = os.path.join(VENV_BIN, "python")
    if not os.path.exists(py):
        return {}
    r = subprocess.run(
        [py, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
    )
    out = {}
    for line in r.stdout.splitlines():
        if "==" in line:
            name, ver = line.split("==", 1)
            out[name.lower().replace("_", "-")] = ver
    return out


def _squall_source_hash() -> str | None:
    """A hash of everything `pip install <repo>` builds from; None without a pyproject.toml."""
    if not os.path.exists(os.path.join(REPO, "pyproject.toml")):
        return None
    h = hashlib.sha256()
    for top in (
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "meson.build",
        "CMakeLists.txt",
        "src",
        "include",
        "python",
    ):
        path = os.path.join(REPO, top)
        if os.path.isfile(path):
            paths = [path]
        else:
            paths = sorted(
                os.path.join(d, f)
                for d, _, fs in os.walk(path)
                for f in fs
                if "__pycache__" not in d and not f.endswith((".pyc", ".so", ".o"))
            )
        for p in paths:
            h.update(p.encode())
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


STALE_NOTE: list[str] = []  # set when the bench fell back to an earlier squall install


def ensure_squall() -> str | None:
    """pip install <repo root> into the bench venv when its sources changed; None or why it failed."""
    digest = _squall_source_hash()
    if digest is None:
        return "no pyproject.toml at the repository root yet: the squall package cannot be installed"
    stamp = os.path.join(VENV, "squall-source.sha256")
    if os.path.exists(stamp) and open(stamp).read() == digest:
        return None
    log("pip install <repo root> (squall) into the bench venv")
    r = subprocess.run(
        [
            os.path.join(VENV_BIN, "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--force-reinstall",
            "--no-deps",
            REPO,
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if r.returncode != 0:
        text = (r.stderr or "") + (r.stdout or "")
        errors = [ln.strip() for ln in text.splitlines() if "error" in ln.lower() and "WARNING" not in ln]
        why = "pip install <repo> failed: " + " | ".join(errors[:4])[-500:]
        if os.path.exists(stamp):
            # An earlier build is still installed: use it rather than lose the contender, and say so.
            log(f"{why}\n[bench] using the squall installed earlier in the bench venv")
            STALE_NOTE.append(why)
            return None
        return why
    imp = subprocess.run(
        [os.path.join(VENV_BIN, "python"), "-c", "import squall._squall"],
        capture_output=True,
        text=True,
        cwd=BENCH,
    )
    if imp.returncode != 0:
        if os.path.exists(stamp):
            os.unlink(stamp)  # rebuild next time
        return "the installed squall does not import: " + imp.stderr.strip().splitlines()[-1][-300:]
    with open(stamp, "w") as f:
        f.write(digest)
    return None


def ensure_cserver() -> str | None:
    """make build/squall-cserver (incremental); None or why it is missing."""
    r = subprocess.run(
        ["make", "-j2", "build/squall-cserver"], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    if r.returncode != 0 or not os.path.exists(os.path.join(REPO, "build", "squall-cserver")):
        return "make build/squall-cserver failed: " + (r.stderr or r.stdout).strip()[-300:]
    return None
