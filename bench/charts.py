"""PNG charts of results.json (run with the bench venv's python, where matplotlib is installed).

bench/.venv/bin/python bench/charts.py docs/benchmarks/results.json docs/benchmarks
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {"floor": "#444444", "squall": "#d62728", "native": "#7f7f7f", "python": "#1f77b4"}


def main(path: str, out: str) -> None:
    with open(path) as f:
        doc = json.load(f)
    conns = [str(n) for n in doc["settings"]["connections"]]
    for sid, sc in doc["scenarios"].items():
        names, groups, values = [], [], {n: [] for n in conns}
        for name, c in doc["contenders"].items():
            cell = c["scenarios"].get(sid)
            if not cell or cell.get("status") not in ("ok", "errors"):
                continue
            names.append(name)
            groups.append(c["group"])
            for n in conns:
                values[n].append(cell["by_conn"].get(n, {}).get("rps", 0) or 0)
        if not names:
            continue
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) * len(conns) + 1.5))
        h = 0.8 / len(conns)
        for k, n in enumerate(conns):
            ys = [i + k * h for i in range(len(names))]
            bars = ax.barh(
                ys,
                values[n],
                height=h,
                color=[COLORS.get(g, "#1f77b4") for g in groups],
                alpha=1.0 - 0.35 * k,
                label=f"{n} connections",
            )
            for b, v in zip(bars, values[n], strict=False):
                ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {v:,.0f}", va="center", fontsize=7)
        ax.set_yticks([i + h * (len(conns) - 1) / 2 for i in range(len(names))])
        ax.set_yticklabels(names)
        ax.invert_yaxis()
        ax.set_xlabel("requests per second (one core)")
        ax.set_title(f"({sc['letter']}) {sid}: {sc['method']} {sc['path']}")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"rps_{sid}.png"), dpi=110)
        plt.close(fig)
    ratio_heatmap(doc, out)


def ratio_heatmap(doc: dict, out: str) -> None:
    """Squall's req/s over each peer's, scenario by scenario, at the first connection count."""
    n = str(doc["settings"]["connections"][0])
    sids = [s for s in doc["scenarios"] if s in doc["ratios"]]
    peers = [
        p
        for p in doc["contenders"]
        if p != "squall" and any(f"squall/{p}" in doc["ratios"][s].get(n, {}) for s in sids)
    ]
    if not sids or not peers:
        return
    grid = [[doc["ratios"][s].get(n, {}).get(f"squall/{p}", float("nan")) for s in sids] for p in peers]
    fig, ax = plt.subplots(figsize=(1.0 * len(sids) + 3, 0.5 * len(peers) + 1.8))
    im = ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=4, aspect="auto")
    ax.set_xticks(range(len(sids)))
    ax.set_xticklabels(sids, rotation=40, ha="right")
    ax.set_yticks(range(len(peers)))
    ax.set_yticklabels(peers)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v == v:  # not NaN
                ax.text(j, i, f"{v:.1f}x", ha="center", va="center", fontsize=8)
    ax.set_title(f"Squall req/s ÷ peer req/s at {n} connections")
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "ratios.png"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
