"""Turn the measured cells into ratios, target checks, results.json, results.md and charts."""

from __future__ import annotations

import json
import os
import subprocess

CHARTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "charts.py")


def _cell(doc: dict, contender: str, scenario: str, conns) -> dict | None:
    c = doc["contenders"].get(contender)
    if not c:
        return None
    s = c["scenarios"].get(scenario)
    if not s or s.get("status") not in ("ok", "errors"):
        return None
    return s.get("by_conn", {}).get(str(conns))


def _cpu(doc, contender, scenario, conns) -> float | None:
    cell = _cell(doc, contender, scenario, conns)
    return cell["cpu_us_per_req"] if cell and cell.get("cpu_us_per_req") else None


def _rps(doc, contender, scenario, conns) -> float | None:
    cell = _cell(doc, contender, scenario, conns)
    return cell["rps"] if cell and cell["rps"] else None


def ratios(doc: dict) -> dict:
    """{scenario: {conns: {"squall/<peer>": x, "cserver/<peer>": y}}} wherever both sides were measured."""
    out: dict = {}
    for sid in doc["scenarios"]:
        for conns in doc["settings"]["connections"]:
            row = {}
            for mine in ("squall", "cserver"):
                a = _rps(doc, mine, sid, conns)
                if a is None:
                    continue
                for peer in doc["contenders"]:
                    if peer == mine:
                        continue
                    b = _rps(doc, peer, sid, conns)
                    if b:
                        row[f"{mine}/{peer}"] = round(a / b, 3)
                    # CPU per request holds better than req/s on a busy shared machine:
                    # peer's CPU per request over ours (2.0 = we use half the CPU).
                    ca, cb = _cpu(doc, mine, sid, conns), _cpu(doc, peer, sid, conns)
                    if ca and cb:
                        row[f"cpu:{peer}/{mine}"] = round(cb / ca, 3)
            # Squall against the C floor on the floor's own routes
            if sid in ("plaintext", "json", "pipeline"):
                a, b = _rps(doc, "squall", sid, conns), _rps(doc, "cserver", sid, conns)
                if a and b:
                    row["squall/cserver"] = round(a / b, 3)
            if row:
                out.setdefault(sid, {})[str(conns)] = row
    # Squall's JSON hello against the floor's /json for the other hello-shaped scenarios too
    for sid in ("async_sleep", "sync_pool", "sync_inline"):
        for conns in doc["settings"]["connections"]:
            a, b = _rps(doc, "squall", sid, conns), _rps(doc, "cserver", "json", conns)
            if a and b:
                out.setdefault(sid, {}).setdefault(str(conns), {})["squall/cserver(json)"] = round(a / b, 3)
    return out


def targets(doc: dict) -> list[dict]:
    """The targets of issue 5, each with the figures it was judged on (None when not measured)."""
    conns = doc["settings"]["connections"]
    res = []

    def add(name, ok, detail):
        res.append({"target": name, "met": ok, "detail": detail})

    def ratio_target(name, a, sa, b, sb, factor):
        parts, oks = [], []
        for n in conns:
            x, y = _rps(doc, a, sa, n), _rps(doc, b, sb, n)
            if x and y:
                parts.append(f"c={n}: {x / y:.2f}x")
                oks.append(x / y >= factor)
        add(name, all(oks) if oks else None, ", ".join(parts) or "not measured")

    for peer in ("nginx", "h2o"):
        for sid in ("plaintext", "pipeline"):
            ratio_target(f"cserver >= {peer} on {sid}", "cserver", sid, peer, sid, 1.0)
    ratio_target("Squall async JSON >= 60% of cserver /json", "squall", "json", "cserver", "json", 0.6)
    ratio_target(
        "Squall sync inline >= 70% of cserver /plaintext", "squall", "plaintext", "cserver", "plaintext", 0.7
    )
    ratio_target("Squall JSON >= 2x Granian RSGI", "squall", "json", "granian-rsgi", "json", 2.0)
    ratio_target("Squall JSON >= 8x FastAPI on uvicorn", "squall", "json", "fastapi-uvicorn", "json", 8.0)
    ratio_target(
        "Squall validated 1.5 KB POST >= 10x FastAPI", "squall", "order", "fastapi-uvicorn", "order", 10.0
    )
    ratio_target("Squall validated 1.5 KB POST >= 3x Litestar", "squall", "order", "litestar", "order", 3.0)
    for sid in ("plaintext", "json"):
        cell = _cell(doc, "squall", sid, 64)
        add(
            f"Squall p99 at 64 connections < 1 ms on {sid}",
            (cell["p99_us"] < 1000) if cell else None,
            f"p99 {cell['p99_us'] / 1000:.2f} ms" if cell else "not measured",
        )
    sq = doc["contenders"].get("squall")
    rss = sq and sq.get("peak_rss_largest_process_kib")
    add(
        "Squall RSS per worker < 30 MB after the run",
        (rss < 30 * 1024) if rss else None,
        (
            f"peak {rss / 1024:.1f} MiB in the largest process ({sq['processes']} processes, "
            f"{sq['peak_rss_kib'] / 1024:.1f} MiB together)"
        )
        if rss
        else "not measured",
    )
    losses, wins = [], 0
    for sid in doc["scenarios"]:
        for n in conns:
            a = _rps(doc, "squall", sid, n)
            if not a:
                continue
            for peer, c in doc["contenders"].items():
                if c["group"] != "python":
                    continue
                b = _rps(doc, peer, sid, n)
                if b:
                    if a > b:
                        wins += 1
                    else:
                        losses.append(f"{sid} c={n} vs {peer} ({a / b:.2f}x)")
    add(
        "Squall faster than every Python peer in every scenario",
        (not losses) if (wins or losses) else None,
        (f"{wins} wins; slower in: " + "; ".join(losses)) if losses else f"{wins} wins, no loss",
    )
    return res


def squall_failures(doc: dict) -> list[str]:
    """What makes --quick fail: a Squall contender that did not serve, a wrong answer, wrk errors."""
    out = []
    for name, c in doc["contenders"].items():
        if c["group"] not in ("floor", "squall"):
            continue
        if c["status"] != "ok":
            out.append(f"{name}: {c['status']}: {c['reason']}")
        for sid, s in c["scenarios"].items():
            if s["status"] not in ("ok", "n/a"):
                out.append(f"{name} {sid}: {s['status']}: {s['reason']}")
    return out


def _utilisation(server: float | None, wrk_share: float | None) -> str:
    """' (83%, wrk 99%)': the server's and wrk's share of their cores, where measured."""
    parts = [f"{100 * server:.0f}%"] if server else []
    if wrk_share:
        parts.append(f"wrk {100 * wrk_share:.0f}%")
    return f" ({', '.join(parts)})" if parts else ""


def ms(us) -> str:
    """Microseconds as milliseconds for the tables; "-" where not measured."""
    return f"{us / 1000:.2f}" if us is not None else "-"


def _fmt_rps(x) -> str:
    return f"{x:,.0f}" if x else "-"


def console_table(doc: dict) -> str:
    lines = [
        f"{'contender':18} {'scenario':14} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'cpu us/req':>10}  status"
    ]
    for name, c in doc["contenders"].items():
        if c["status"] != "ok":
            lines.append(
                f"{name:18} {'-':14} {'':>5} {'':>10} {'':>8} {'':>8} {'':>10}  {c['status']}: "
                f"{(c['reason'] or '')[:90]}"
            )
        for sid, s in c["scenarios"].items():
            if s["status"] in ("ok", "errors"):
                for n, m in s["by_conn"].items():
                    lines.append(
                        f"{name:18} {sid:14} {n:>5} {m['rps']:>10,.0f} {ms(m['p50_us']):>8} "
                        f"{ms(m['p99_us']):>8} {m['cpu_us_per_req'] or 0:>10.1f}  {s['status']}"
                    )
            elif s["status"] != "n/a":
                lines.append(
                    f"{name:18} {sid:14} {'':>5} {'':>10} {'':>8} {'':>8} {'':>10}  {s['status']}"
                    + (f": {s['reason'][:90]}" if s.get("reason") and s["status"] != "n/a" else "")
                )
    return "\n".join(lines)


def markdown(doc: dict) -> str:
    m = doc["machine"]
    st = doc["settings"]
    conns = st["connections"]
    names = list(doc["contenders"])
    out = [
        "# Squall benchmarks, side by side",
        "",
        f"Generated by `{doc['command']}` on {doc['started_utc']} ({doc['elapsed_s'] / 60:.1f} minutes). "
        "Every server ran one worker pinned to CPU 0 (`taskset -c 0`); wrk (1 thread) ran pinned to CPU 1. "
        f"Each cell: one correctness request, a {st['warmup_s']:g} s warm-up, then {st['runs']} runs of "
        f"{st['duration_s']:g} s; the median run is reported. CPU is the server's utime+stime (children "
        "included) over the measured runs divided by their requests; RSS is the server's peak (VmHWM, "
        "summed over its processes) at the end of its scenarios. Absolute numbers on a shared machine "
        "drift; ratios measured in the same run hold. Where a server used well under 100% of its core "
        "(shown next to its CPU per request), the load generator's single core or other tenants of the "
        "machine set the rate, and CPU per request is the fairer comparison. wrk's own share of its core "
        "is shown too: at 95% or more, wrk was the bottleneck and the cell's req/s ratio says more about "
        "how much work each server's replies cause wrk (and the kernel under it) than about the server.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB",
        f"- Kernel: {m['kernel']} ({m['os']})",
        f"- Python: {m['python']}; {m['wrk']}; {m['nginx']}; {m['h2o']}",
        f"- Squall commit: {m['git_commit']}",
        "- Packages: "
        + ", ".join(f"{k} {v}" for k, v in sorted(m["packages"].items()) if k in _SHOWN_PACKAGES),
        "",
    ]

    out += [f"## Headline: requests per second at {conns[0]} connections", ""]
    sids = list(doc["scenarios"])
    out.append("| contender | " + " | ".join(f"({doc['scenarios'][s]['letter']}) {s}" for s in sids) + " |")
    out.append("|---|" + "---:|" * len(sids))
    for name in names:
        c = doc["contenders"][name]
        row = []
        for s in sids:
            cell = c["scenarios"].get(s, {})
            if cell.get("status") in ("ok", "errors"):
                row.append(
                    _fmt_rps(cell["by_conn"].get(str(conns[0]), {}).get("rps"))
                    + (" (errors)" if cell["status"] == "errors" else "")
                )
            elif c["status"] != "ok" and cell.get("status") != "n/a":
                row.append(c["status"])
            else:
                row.append(cell.get("status", "-"))
        out.append(f"| {c['label']} | " + " | ".join(row) + " |")
    out.append("")

    out += ["## Targets (issue 5)", "", "| target | met | figures |", "|---|---|---|"]
    for t in doc["targets"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        out.append(f"| {t['target']} | {met} | {t['detail']} |")
    out.append("")

    out += ["## Scenario by scenario", ""]
    for s in sids:
        sc = doc["scenarios"][s]
        out += [
            f"### ({sc['letter']}) {sc.get('title', s)}: `{sc['method']} {sc['path']}`"
            + (f", body `{sc['body']}`" if sc["body"] else "")
            + (f", pipeline {sc['pipeline']}" if sc["pipeline"] > 1 else ""),
            "",
        ]
        head = "| contender |"
        for n in conns:
            head += (
                f" req/s c={n} | p50 ms | p99 ms | CPU µs/req (core used, wrk's) |"
                f" Squall ÷ this c={n} (CPU: this ÷ Squall) |"
            )
        out.append(head)
        out.append("|---|" + "---:|---:|---:|---:|---:|" * len(conns))
        for name in names:
            c = doc["contenders"][name]
            cell = c["scenarios"].get(s)
            if cell is None or cell["status"] == "n/a":
                continue
            if cell["status"] not in ("ok", "errors"):
                reason = cell.get("reason") or (c["reason"] if c["status"] != "ok" else "")
                label = cell["status"] if cell["status"] != "n/a" or c["status"] == "ok" else "n/a"
                out.append(
                    f"| {c['label']} | {label}: {(reason or '')[:160]} |" + " |" * (5 * len(conns) - 1)
                )
                continue
            row = f"| {c['label']}" + (" (errors)" if cell["status"] == "errors" else "") + " |"
            for n in conns:
                mm = cell["by_conn"].get(str(n))
                if not mm:
                    row += " - | - | - | - | - |"
                    continue
                rr = doc["ratios"].get(s, {}).get(str(n), {})
                r, rc = rr.get(f"squall/{name}"), rr.get(f"cpu:{name}/squall")
                ratio = (f"{r:.2f}x" if r else "-") + (f" (CPU {rc:.2f}x)" if rc else "")
                util, wutil = mm.get("server_core_util"), mm.get("wrk_core_util")
                row += (
                    f" {_fmt_rps(mm['rps'])} | {ms(mm['p50_us'])} | {ms(mm['p99_us'])} | "
                    f"{mm['cpu_us_per_req'] or 0:.1f}" + _utilisation(util, wutil) + f" | {ratio} |"
                )
            out.append(row)
        floor = []
        for n in conns:
            r = doc["ratios"].get(s, {}).get(str(n), {})
            x = r.get("squall/cserver") or r.get("squall/cserver(json)")
            if x:
                floor.append(f"c={n}: {x:.2f}x" + ("" if "squall/cserver" in r else " of the floor's /json"))
        if floor:
            out += ["", "Squall ÷ C floor: " + ", ".join(floor)]
        out.append("")

    out += [
        "## Peak RSS and status per contender",
        "",
        "| contender | status | peak RSS MiB (all processes) | largest process MiB | command | notes |",
        "|---|---|---:|---:|---|---|",
    ]
    for name in names:
        c = doc["contenders"][name]
        rss = f"{c['peak_rss_kib'] / 1024:.1f} ({c.get('processes')} proc.)" if c.get("peak_rss_kib") else "-"
        big = c.get("peak_rss_largest_process_kib")
        rss += f" | {big / 1024:.1f}" if big else " | -"
        status = c["status"] + (f": {c['reason'][:200]}" if c.get("reason") else "")
        notes = "; ".join(
            [c.get("notes") or "", *sorted({n for s in c["scenarios"].values() for n in s.get("notes", [])})]
        )
        out.append(f"| {c['label']} | {status} | {rss} | `{c.get('command') or '-'}` | {notes.strip('; ')} |")
    out += [
        "",
        "Charts: [ratios](ratios.png), " + ", ".join(f"[{s}](rps_{s}.png)" for s in sids) + ". Raw figures: "
        "[results.json](results.json). Profile: [profile.md](profile.md) (written up), "
        "[profile-auto.md](profile-auto.md) (bench/profile.py).",
        "",
    ]
    return "\n".join(out)


_SHOWN_PACKAGES = {
    "fastapi",
    "pydantic",
    "pydantic-core",
    "uvicorn",
    "uvloop",
    "httptools",
    "granian",
    "starlette",
    "litestar",
    "msgspec",
    "blacksheep",
    "robyn",
    "socketify",
    "spikard",
    "squall",
    "matplotlib",
}


def write(doc: dict, out: str, charts: bool, venv_python: str) -> None:
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(markdown(doc))
    if charts and os.path.exists(venv_python):
        r = subprocess.run(
            [venv_python, CHARTS, os.path.join(out, "results.json"), out], capture_output=True, text=True
        )
        if r.returncode != 0:
            print(f"[bench] charts failed: {r.stderr.strip()[-300:]}")
