#!/usr/bin/env python3
"""Squall's side-by-side benchmark (issue 5).

    python bench/run.py                       full run (about 40 minutes), results in docs/benchmarks/
    python bench/run.py --quick               under a minute, Squall only, writes nothing under docs/;
                                              exits non-zero when a scenario answers wrongly or with errors
    python bench/run.py --only contenders=cserver,nginx,scenarios=plaintext,pipeline
    python bench/run.py --contenders squall,fastapi-uvicorn --scenarios json,order

Every server runs one worker pinned to CPU 0 (taskset), wrk runs pinned to CPU 1.
All servers start once and stay up (idle when not measured). For each scenario, each
contender's answer is checked with a real request first; then, per connection count,
each contender is warmed up and --runs measured wrk runs are taken in rounds across
the contenders (the order rotating), so the runs a ratio compares were taken close
together in time on a shared machine; the median run is reported.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import contextlib

from benchkit import contenders as C
from benchkit import machine, probe, procstat, report, setup_env, wrk
from benchkit import scenarios as S
from benchkit.setup_env import log

QUICK_CONTENDERS = ["cserver", "squall"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    names = ", ".join(c.name for c in C.ALL)
    ids = ", ".join(f"{s.id} ({s.letter})" for s in S.all_scenarios())
    p = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"contenders: {names}\nscenarios: {ids}",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="Squall contenders only (cserver, squall), 64 connections, 1 short run; "
        "writes nothing under docs/; non-zero exit on a wrong answer or wrk errors",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="contenders=A,B,scenarios=X,Y",
        help="pick contenders and/or scenarios (same as --contenders/--scenarios)",
    )
    p.add_argument("--contenders", default="", help="comma-separated contender names")
    p.add_argument("--scenarios", default="", help="comma-separated scenario ids or letters")
    p.add_argument("--connections", default="", help="comma-separated (default 64,256; quick: 64)")
    p.add_argument("--duration", type=float, help="seconds per measured run (default 2; quick: 1)")
    p.add_argument("--runs", type=int, help="measured runs per cell, median reported (default 3; quick: 1)")
    p.add_argument("--warmup", type=float, help="warm-up seconds per cell (default 1; quick: 0)")
    p.add_argument(
        "--out",
        help="results directory (default docs/benchmarks for an unfiltered full run, "
        "bench/.results otherwise; --quick writes nothing unless --out is given)",
    )
    p.add_argument("--no-install", action="store_true", help="skip apt-get, pip and make steps")
    p.add_argument(
        "--check-only",
        action="store_true",
        help="start each contender and check every scenario's answer, without load",
    )
    p.add_argument("--no-charts", action="store_true", help="skip the matplotlib PNGs")
    a = p.parse_args(argv)

    picked_c, picked_s = [], []
    for only in a.only:
        key = None
        for part in only.split(","):
            if "=" in part:
                key, part = part.split("=", 1)
                key = key.strip()
                if key not in ("contenders", "scenarios"):
                    p.error(f"--only: unknown key {key!r} (contenders= or scenarios=)")
            if key is None:
                p.error("--only needs contenders= or scenarios=")
            if part:
                (picked_c if key == "contenders" else picked_s).append(part.strip())
    picked_c += [x for x in a.contenders.split(",") if x]
    picked_s += [x for x in a.scenarios.split(",") if x]

    known_c = C.by_name()
    for n in picked_c:
        if n not in known_c:
            p.error(f"unknown contender {n!r}; known: {names}")
    letters = {s.letter: s.id for s in S.all_scenarios()}
    known_s = S.by_id()
    resolved = []
    for x in picked_s:
        x = letters.get(x, x)
        if x == "h":
            resolved += ["sync_pool", "sync_inline"]
        elif x not in known_s:
            p.error(f"unknown scenario {x!r}; known: {ids}")
        else:
            resolved.append(x)
    a.filtered = bool(picked_c or picked_s or a.connections)
    a.contender_list = picked_c or (QUICK_CONTENDERS if a.quick else [c.name for c in C.ALL])
    a.scenario_list = resolved or [s.id for s in S.all_scenarios()]
    a.connection_list = [int(x) for x in a.connections.split(",") if x] or ([64] if a.quick else [64, 256])
    if a.duration is None:
        a.duration = 1 if a.quick else 2
    if a.runs is None:
        a.runs = 1 if a.quick else 3
    if a.warmup is None:
        a.warmup = 0 if a.quick else 1  # quick checks answers and errors, not speed
    return a


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Server:
    """One contender's process (group), pinned to CPU 0."""

    def __init__(self, launch: C.Launch, tmpdir: str):
        env = {
            **os.environ,
            **launch.env,
            "PYTHONPATH": os.path.join(C.APPS, "_shared"),
            "BENCH_PAYLOADS": S.PAYLOADS,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.pop("VIRTUAL_ENV", None)
        self.log_path = os.path.join(tmpdir, "server.log")
        self.log = open(self.log_path, "wb")
        self.argv = ["taskset", "-c", "0", *launch.argv]
        self.proc = subprocess.Popen(
            self.argv,
            cwd=launch.cwd,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n: int = 600) -> str:
        """The log's telling lines (fatal errors, exceptions) first, then its end."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        key = [
            ln.strip()
            for ln in text.splitlines()
            if any(w in ln for w in ("Fatal", "Error", "error:", "Segmentation", "Killed", "panicked"))
        ]
        return (" | ".join(key[:3]) + " || " if key else "") + text[-n:].strip()

    def stop(self) -> None:
        # Only the process group this object started.
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=8)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self.log.close()


def summarize(sc: S.Scenario, runs: list[dict]) -> dict:
    """One cell's figures from its measured runs: medians, CPU per request, error counts."""
    med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
    total_req = sum(r["requests"] for r in runs)
    non2xx = sum(r["non2xx"] for r in runs)
    cpu = sum(r["cpu_s"] for r in runs)
    seconds = sum(r["duration_us"] for r in runs) / 1e6
    pipelined = sc.pipeline > 1
    return {
        # wrk's coordinated-omission correction assumes one request per round trip, so its
        # latency percentiles are meaningless under pipelining: none reported there.
        "rps": med("rps"),
        "p50_us": None if pipelined else med("p50_us"),
        "p99_us": None if pipelined else med("p99_us"),
        "cpu_us_per_req": cpu / total_req * 1e6 if total_req else None,
        # share of its core the server used: well under 100% means something else (wrk's
        # single core, or the other tenants of a shared machine) limited the rate
        "server_core_util": cpu / seconds if seconds else None,
        # share of its core wrk used: near 100% means wrk's one core was the limit, so the
        # cell compares how cheaply each server lets wrk run, not the servers themselves
        "wrk_core_util": sum(r.get("wrk_cpu_s", 0.0) for r in runs) / seconds if seconds else None,
        "requests": total_req,
        "socket_errors": sum(r["socket_errors"] for r in runs),
        # for the 422 scenario every reply must be the error, so a 2xx is the unexpected one
        "unexpected_status": non2xx if sc.expect_status < 300 else total_req - non2xx,
        "runs": runs,
    }


def wait_idle(pid: int, limit: float = 30.0) -> None:
    """Until the server uses under 20% of a core (or `limit` seconds pass): a slow server may
    still be draining the backlog of the previous run."""
    deadline = time.monotonic() + limit
    last = procstat.cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.15)
        now = procstat.cpu_seconds(pid)
        if now - last < 0.03:
            return
        last = now


class Slot:
    """One contender for the whole run: its server process, restarted if it dies."""

    def __init__(self, c: C.Contender, out: dict, tmpdir: str):
        self.c, self.out, self.tmpdir = c, out, tmpdir
        self.server: Server | None = None
        self.port = 0

    def start(self) -> str | None:
        self.port = self.c.fixed_port or free_port()
        if self.c.fixed_port and not port_is_free(self.port):
            return f"needs port {self.port} ({self.c.notes}), which is in use"
        self.server = Server(C.launch(self.c, setup_env.VENV_BIN, self.port, self.tmpdir), self.tmpdir)
        self.out["command"] = " ".join(shlex.quote(x) for x in self.server.argv)
        why = probe.wait_ready(self.port, self.server.alive)
        return f"{why}; log: {self.server.log_tail()}" if why else None

    @property
    def pid(self) -> int:
        return self.server.proc.pid

    def alive(self) -> bool:
        return self.server is not None and self.server.alive()

    def restart(self) -> str | None:
        self.stop()
        self.out["restarts"] += 1
        return self.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def new_result(c: C.Contender, scen: list[S.Scenario]) -> dict:
    # every scenario gets a slot now, so the report keeps the scenarios' order
    return {
        "label": c.label,
        "group": c.group,
        "notes": c.notes,
        "status": "ok",
        "reason": None,
        "scenarios": {
            sc.id: (
                {"status": "pending", "reason": None}
                if c.supports(sc.id)
                else {"status": "n/a", "reason": "not served natively by this contender"}
            )
            for sc in scen
        },
        "peak_rss_kib": None,
        "peak_rss_largest_process_kib": None,
        "processes": None,
        "command": None,
        "restarts": 0,
    }


def settle_pending(out: dict, reason: str) -> None:
    for cell in out["scenarios"].values():
        if cell["status"] == "pending":
            cell.update(status="not run", reason=reason)


def run_all(
    chosen: list[C.Contender], scen: list[S.Scenario], args, unavailable: dict, tmp_root: str
) -> dict:
    """Every server is started once and stays up; each (scenario, connections) cell is measured
    run by run across all contenders in turn (the order rotating from run to run), so the
    figures a ratio is made of were taken minutes apart at most, not half an hour."""
    results = {c.name: new_result(c, scen) for c in chosen}
    slots: list[Slot] = []
    os.chmod(tmp_root, 0o755)  # nginx and h2o workers drop to nobody
    try:
        for c in chosen:
            out = results[c.name]
            if unavailable.get(c.name):
                out["status"], out["reason"] = "unavailable", unavailable[c.name]
                settle_pending(out, out["reason"])
                log(f"{c.name}: unavailable: {out['reason']}")
                continue
            tmpdir = tempfile.mkdtemp(prefix=f"{c.name}-", dir=tmp_root)
            os.chmod(tmpdir, 0o777)
            slot = Slot(c, out, tmpdir)
            why = slot.start()
            if why:
                slot.stop()
                out["status"], out["reason"] = "failed", why
                settle_pending(out, "the server did not serve")
                log(f"{c.name}: did not serve: {why}")
                continue
            slots.append(slot)
        for sc in scen:
            body = S.body_bytes(sc.body_file)
            body_path = None
            if body is not None:
                body_path = os.path.join(tmp_root, f"{sc.id}.body")
                with open(body_path, "wb") as f:
                    f.write(body)
            live = [slot for slot in slots if slot.c.supports(sc.id) and check(slot, sc, body, args)]
            for conns in [] if args.check_only else args.connection_list:
                live = measure_round(live, sc, conns, body_path, args)
        for slot in slots:
            if slot.alive():
                slot.out["peak_rss_kib"] = procstat.peak_rss_kib(slot.pid)
                slot.out["peak_rss_largest_process_kib"] = procstat.peak_rss_largest_kib(slot.pid)
                slot.out["processes"] = len(procstat.tree(slot.pid))
            crashed = [sid for sid, cell in slot.out["scenarios"].items() if cell["status"] == "crashed"]
            if crashed:
                slot.out["reason"] = (
                    f"crashed in {', '.join(crashed)} (restarted {slot.out['restarts']} times)"
                )
            settle_pending(slot.out, "not run")
    finally:
        for slot in slots:
            slot.stop()
    return results


def check(slot: Slot, sc: S.Scenario, body: bytes | None, args) -> bool:
    """The scenario's real request (and probes) against one contender; True when it may be loaded."""
    out = slot.out
    if not slot.alive():
        why = slot.restart()  # it died in an earlier scenario: a fresh process for this one
        if why:
            out["scenarios"][sc.id] = {"status": "not run", "reason": f"restart failed: {why}"}
            return False
    wait_idle(slot.pid)
    notes: list = []
    wrong = probe.check(slot.port, sc, body, S.body_bytes, notes)
    if wrong:
        log(f"{slot.c.name} {sc.id}: WRONG: {wrong}")
        crashed = not slot.alive()
        out["scenarios"][sc.id] = {
            "status": "crashed" if crashed else "wrong",
            "reason": wrong + (f"; log: {slot.server.log_tail()}" if crashed else ""),
        }
        return False
    out["scenarios"][sc.id] = {"status": "ok", "reason": None, "by_conn": {}, "notes": notes}
    if args.check_only:
        log(f"{slot.c.name:16} {sc.id:13} answers correctly")
    return True


def measure_round(live: list[Slot], sc: S.Scenario, conns: int, body_path: str | None, args) -> list[Slot]:
    """Warm every contender up, then args.runs rounds of one run each; returns those still serving."""
    runs: dict[str, list] = {slot.c.name: [] for slot in live}
    failed: dict[str, str] = {}

    def url(slot: Slot) -> str:
        return f"http://127.0.0.1:{slot.port}{sc.path}"

    for slot in live:
        if args.warmup > 0 and slot.alive():
            wait_idle(slot.pid)
            try:
                wrk.run(url(slot), conns, args.warmup, body_path, sc.pipeline)
            except (RuntimeError, subprocess.SubprocessError) as e:
                failed[slot.c.name] = f"wrk at {conns} connections (warm-up): {e}"
    for r in range(args.runs):
        k = r % len(live) if live else 0
        for slot in live[k:] + live[:k]:  # rotate: nobody always runs first or last
            if slot.c.name in failed or not slot.alive():
                continue
            wait_idle(slot.pid)
            cpu0 = procstat.cpu_seconds(slot.pid)
            try:
                one = wrk.run(url(slot), conns, args.duration, body_path, sc.pipeline)
            except (RuntimeError, subprocess.SubprocessError) as e:
                failed[slot.c.name] = f"wrk at {conns} connections: {e}"
                continue
            one["cpu_s"] = procstat.cpu_seconds(slot.pid) - cpu0
            runs[slot.c.name].append(one)
    still = []
    for slot in live:
        cell = slot.out["scenarios"][sc.id]
        name = slot.c.name
        if runs[name]:
            m = summarize(sc, runs[name])
            cell["by_conn"][str(conns)] = m
            if (m["socket_errors"] or m["unexpected_status"]) and cell["status"] == "ok":
                cell["status"] = "errors"
                cell["reason"] = (
                    f"{m['socket_errors']} socket errors, {m['unexpected_status']} "
                    f"unexpected statuses at {conns} connections"
                )
            log(
                f"{name:16} {sc.id:13} c={conns:<4} {m['rps']:>10.0f} req/s  p50 {report.ms(m['p50_us'])} ms"
                f"  p99 {report.ms(m['p99_us'])} ms  cpu {m['cpu_us_per_req'] or 0:.1f} us/req"
                f"  core {100 * (m['server_core_util'] or 0):.0f}%"
                f"  wrk {100 * (m['wrk_core_util'] or 0):.0f}%"
                + (f"  ERRORS: {cell['reason']}" if cell["status"] == "errors" else "")
            )
        if not slot.alive():
            cell["status"] = "crashed"
            cell["reason"] = f"the server died under load at {conns} connections: {slot.server.log_tail()}"
            log(f"{name} {sc.id}: {cell['reason'][:300]}")
        elif name in failed:
            cell["status"], cell["reason"] = "error", failed[name]
        else:
            still.append(slot)
    return still


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.time()
    command = "python bench/run.py " + " ".join(shlex.quote(x) for x in argv)
    chosen = [C.by_name()[n] for n in args.contender_list]
    scen = [s for s in S.all_scenarios() if s.id in args.scenario_list]

    unavailable: dict[str, str] = {}
    if not args.no_install:
        apt_needed = ["wrk", *sorted({p for c in chosen for p in c.apt})]
        apt_failed = setup_env.ensure_apt(apt_needed)
        if "wrk" in apt_failed:
            log(f"cannot run without wrk: {apt_failed['wrk']}")
            return 2
        for c in chosen:
            for p in c.apt:
                if p in apt_failed:
                    unavailable[c.name] = apt_failed[p]
        wanted = [
            r
            for r in setup_env.requirements()
            if any(setup_env._dist_name(r) in (setup_env._dist_name(x) for x in c.pip) for c in chosen)
            or (r == "matplotlib" and not (args.quick or args.no_charts))
        ]
        py_chosen = [c for c in chosen if c.group in ("python", "squall")]
        if py_chosen or wanted:
            pip_failed = setup_env.ensure_venv(wanted)
            for c in chosen:
                for p in c.pip:
                    reason = pip_failed.get(setup_env._dist_name(p).lower())
                    if reason and c.name not in unavailable:
                        unavailable[c.name] = f"{p}: {reason}"
        if any(c.name in ("squall", "squall-server") for c in chosen):
            why = setup_env.ensure_squall()
            if why:
                unavailable["squall"] = unavailable["squall-server"] = why
        if any(c.name == "cserver" for c in chosen):
            why = setup_env.ensure_cserver()
            if why:
                unavailable["cserver"] = why
    else:
        if any(c.name == "cserver" for c in chosen) and not os.path.exists(
            os.path.join(C.REPO, "build", "squall-cserver")
        ):
            unavailable["cserver"] = "build/squall-cserver does not exist (run make build/squall-cserver)"
    for c in chosen:
        if c.group in ("python", "squall") and not os.path.exists(os.path.join(setup_env.VENV_BIN, "python")):
            unavailable.setdefault(c.name, "no bench venv (bench/.venv)")

    cells = sum(1 for c in chosen for s in scen if c.supports(s.id)) * len(args.connection_list)
    # per run: wrk's start-up and the idle check come on top of the duration
    est = cells * (args.warmup + 0.3 + args.runs * (args.duration + 0.3)) + 5 * len(chosen)
    log(
        f"{len(chosen)} contenders, {len(scen)} scenarios, connections {args.connection_list}: "
        f"{cells} cells, about {est / 60:.1f} minutes"
    )

    with tempfile.TemporaryDirectory(prefix="squall-bench-") as tmp_root:
        results = run_all(chosen, scen, args, unavailable, tmp_root)

    versions = setup_env.installed_versions()
    doc = {
        "command": command,
        "quick": args.quick,
        "settings": {
            "connections": args.connection_list,
            "duration_s": args.duration,
            "runs": args.runs,
            "warmup_s": args.warmup,
            "server_cpu": 0,
            "wrk_cpu": 1,
            "wrk_threads": 1,
        },
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_s": round(time.time() - started, 1),
        "machine": machine.describe(os.path.join(setup_env.VENV_BIN, "python"), versions),
        "scenarios": {
            s.id: {
                "letter": s.letter,
                "title": s.title,
                "method": s.method,
                "path": s.path,
                "body": s.body_file,
                "expect_status": s.expect_status,
                "pipeline": s.pipeline,
            }
            for s in scen
        },
        "contenders": results,
    }
    if setup_env.STALE_NOTE and "squall" in results:
        results["squall"]["notes"] += (
            " | STALE BUILD: the current sources did not install, an earlier "
            "build was measured: " + setup_env.STALE_NOTE[0]
        )
    doc["ratios"] = report.ratios(doc)
    doc["targets"] = report.targets(doc)

    print(report.console_table(doc))
    failures = report.squall_failures(doc)
    out = args.out
    if out is None and not args.quick:
        out = (
            os.path.join(C.BENCH, ".results") if args.filtered else os.path.join(C.REPO, "docs", "benchmarks")
        )
    if out:
        os.makedirs(out, exist_ok=True)
        report.write(
            doc, out, charts=not args.no_charts, venv_python=os.path.join(setup_env.VENV_BIN, "python")
        )
        log(f"results written to {out}")
    if args.quick:
        if failures:
            log("QUICK FAILED:\n  " + "\n  ".join(failures))
            return 1
        log("quick: every Squall scenario answered correctly and without errors")
    elif failures:
        log("problems with Squall contenders:\n  " + "\n  ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
