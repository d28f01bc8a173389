"""Who is benchmarked and how each one is started.

Every server gets one worker process (or one thread for the native ones) and is
started under `taskset -c 0` by run.py; wrk runs under `taskset -c 1`.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)
APPS = os.path.join(BENCH, "apps")
NATIVE_SCENARIOS = frozenset({"plaintext", "json", "pipeline"})


@dataclass
class Launch:
    argv: list[str]
    cwd: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Contender:
    name: str
    label: str
    group: str  # "floor", "squall", "native", "python"
    scenarios: frozenset | None  # None: every scenario
    pip: tuple = ()  # PyPI packages it needs in the bench venv
    apt: tuple = ()  # Debian packages it needs
    notes: str = ""
    fixed_port: int | None = None  # for a server that cannot be told its port

    def supports(self, scenario_id: str) -> bool:
        return self.scenarios is None or scenario_id in self.scenarios

    @property
    def is_squall(self) -> bool:
        return self.group in ("floor", "squall")


def _uvicorn(venv_bin: str, app_dir: str, port: int) -> Launch:
    return Launch(
        [
            os.path.join(venv_bin, "python"),
            "-m",
            "uvicorn",
            "app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            "--backlog",
            "4096",
        ],
        app_dir,
    )


def _granian(venv_bin: str, app_dir: str, port: int, interface: str) -> Launch:
    return Launch(
        [
            os.path.join(venv_bin, "granian"),
            "--interface",
            interface,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--http",
            "1",
            "--loop",
            "uvloop",
            "--log-level",
            "warning",
            "--backlog",
            "4096",
            "app:app",
        ],
        app_dir,
    )


def _script(venv_bin: str, app_dir: str, port: int, *extra: str) -> Launch:
    return Launch([os.path.join(venv_bin, "python"), "app.py", *extra], app_dir, {"BENCH_PORT": str(port)})


def launch(c: Contender, venv_bin: str, port: int, tmpdir: str) -> Launch:
    """The command that starts contender `c` on `port` (tmpdir: scratch space for configs)."""
    app = lambda sub: os.path.join(APPS, sub)  # noqa: E731
    if c.name == "cserver":
        return Launch(
            [
                os.path.join(REPO, "build", "squall-cserver"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            REPO,
        )
    if c.name in ("nginx", "h2o"):
        src = os.path.join(BENCH, "conf", f"{c.name}.conf.in")
        with open(src) as f:
            text = f.read().replace("@PORT@", str(port)).replace("@DIR@", tmpdir)
        conf = os.path.join(tmpdir, f"{c.name}.conf")
        with open(conf, "w") as f:
            f.write(text)
        if c.name == "nginx":
            return Launch([shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p", tmpdir], tmpdir)
        return Launch([shutil.which("h2o") or "/usr/bin/h2o", "-c", conf], tmpdir)
    if c.name == "squall":
        return Launch(
            [
                os.path.join(venv_bin, "python"),
                "-m",
                "squall",
                "run",
                "app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            app("squall"),
        )
    if c.name == "squall-server":
        return Launch(
            [
                os.path.join(venv_bin, "squall-server"),
                "app.py",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            app("squall"),
        )
    if c.name == "fastapi-uvicorn":
        return _uvicorn(venv_bin, app("fastapi"), port)
    if c.name == "fastapi-granian":
        return _granian(venv_bin, app("fastapi"), port, "asgi")
    if c.name in ("starlette", "litestar", "blacksheep"):
        return _uvicorn(venv_bin, app(c.name), port)
    if c.name == "granian-rsgi":
        return _granian(venv_bin, app("granian_rsgi"), port, "rsgi")
    if c.name == "robyn":
        return _script(
            venv_bin, app("robyn"), port, "--processes", "1", "--workers", "1", "--log-level", "WARN"
        )
    if c.name in ("socketify", "spikard"):
        return _script(venv_bin, app(c.name), port)
    raise KeyError(c.name)


UVICORN = ("uvicorn[standard]", "uvloop", "httptools")

ALL = [
    Contender(
        "cserver",
        "squall-cserver (C floor)",
        "floor",
        NATIVE_SCENARIOS,
        notes="build/squall-cserver, built with `make build/squall-cserver`",
    ),
    Contender(
        "squall",
        "Squall (Python handlers)",
        "squall",
        None,
        notes="`squall run app:app`, installed into the bench venv with `pip install <repo>`",
    ),
    Contender(
        "squall-server",
        "Squall (embedded squall-server)",
        "squall",
        None,
        notes="the same app served by the squall-server binary that embeds Python",
    ),
    Contender("nginx", "nginx (return 200)", "native", NATIVE_SCENARIOS, apt=("nginx-light",)),
    Contender("h2o", "h2o (mruby handler)", "native", NATIVE_SCENARIOS, apt=("h2o",)),
    Contender(
        "fastapi-uvicorn",
        "FastAPI on uvicorn (uvloop, httptools)",
        "python",
        None,
        pip=("fastapi", "pydantic", *UVICORN),
    ),
    Contender(
        "fastapi-granian", "FastAPI on Granian (ASGI)", "python", None, pip=("fastapi", "pydantic", "granian")
    ),
    Contender(
        "starlette",
        "Starlette on uvicorn (pydantic by hand)",
        "python",
        None,
        pip=("starlette", "pydantic", *UVICORN),
    ),
    Contender(
        "litestar", "Litestar + msgspec on uvicorn", "python", None, pip=("litestar", "msgspec", *UVICORN)
    ),
    Contender(
        "blacksheep", "BlackSheep on uvicorn", "python", None, pip=("blacksheep", "pydantic", *UVICORN)
    ),
    Contender(
        "granian-rsgi", "Granian RSGI (raw handler, msgspec)", "python", None, pip=("granian", "msgspec")
    ),
    Contender("robyn", "Robyn", "python", None, pip=("robyn", "msgspec")),
    Contender("socketify", "socketify", "python", None, pip=("socketify", "msgspec")),
    Contender(
        "spikard",
        "Spikard (PyPI)",
        "python",
        None,
        pip=("spikard", "msgspec", "annotated-types"),
        fixed_port=8000,
        notes="Spikard 0.17.2's App.run() never hands its ServerConfig to the native server, which "
        "always binds 127.0.0.1:8000; the bench runs it there when that port is free",
    ),
]


def by_name() -> dict[str, Contender]:
    return {c.name: c for c in ALL}
