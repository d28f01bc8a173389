"""PNG charts of results.json (run with the bench venv's python, where matplotlib is installed).

    bench/.venv/bin/python bench/charts.py docs/benchmarks/results.json docs/benchmarks
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

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
            bars = ax.barh(ys, values[n], height=h, color=[COLORS.get(g, "#1f77b4") for g in groups],
                           alpha=1.0 - 0.35 * k, label=f"{n} connections")
            for b, v in zip(bars, values[n]):
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
