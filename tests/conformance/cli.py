"""Command line: ``python -m tests.conformance`` or ``python tests/conformance/run.py``
[--category X] [--fixture NAME] [-v] [--json FILE]."""

from __future__ import annotations

import argparse
import sys
import time

from . import fixtures as fx_mod
from . import report, runner, thresholds
from .squall_path import ensure_squall_importable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__)
    parser.add_argument("--category", help="run one category only")
    parser.add_argument("--fixture", help="run one fixture (file name, stem or category/stem)")
    parser.add_argument("-v", "--verbose", action="store_true", help="every problem, and the passes")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--update-thresholds",
        action="store_true",
        help="write the measured core rates into thresholds.json (full runs only)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds")
    args = parser.parse_args(argv)
    ensure_squall_importable()
    try:
        import squall._squall  # noqa: F401  (the compiled server)
    except ImportError as exc:
        print(f"squall is not importable with its extension: {exc}", file=sys.stderr)
        return 2
    all_fixtures = fx_mod.load_fixtures()
    chosen = fx_mod.select(all_fixtures, args.category, args.fixture)
    if not chosen:
        print(f"no fixture matches (of {len(all_fixtures)} in {fx_mod.fixtures_dir()})", file=sys.stderr)
        return 2
    start = time.monotonic()
    results = runner.run_all(chosen, args.timeout)
    print(report.full_report(results, args.verbose))
    print(f"\n{len(results)} fixtures from {fx_mod.fixtures_dir()} in {time.monotonic() - start:.1f} s")
    if args.update_thresholds:
        if args.category or args.fixture:
            print("--update-thresholds needs the full suite", file=sys.stderr)
            return 2
        print(f"thresholds written: {thresholds.write(report.tally(results))}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(runner.to_json(results))
    return 0 if all(r.outcome in (runner.PASS, runner.DISPUTED_STATUS) for r in results) else 1
