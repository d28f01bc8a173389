"""The printed report: a pass table per category, the skip list, the
disputed list and the failures with a short diff."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .fixtures import CORE_CATEGORIES
from .runner import DISPUTED_STATUS, FAIL, PASS, SKIP, Result


@dataclasses.dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    disputed: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.disputed

    @property
    def rate(self) -> float:
        """Percent passed, skipped counting as failed, disputed left out."""
        counted = self.total - self.disputed
        return 100.0 * self.passed / counted if counted else 100.0


def tally(results: Iterable[Result]) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for r in results:
        t = out.setdefault(r.fixture.category, Tally())
        if r.outcome == PASS:
            t.passed += 1
        elif r.outcome == FAIL:
            t.failed += 1
        elif r.outcome == SKIP:
            t.skipped += 1
        elif r.outcome == DISPUTED_STATUS:
            t.disputed += 1
    return out


def _order(categories: Iterable[str]) -> list[str]:
    core = [c for c in CORE_CATEGORIES if c in categories]
    return core + sorted(c for c in categories if c not in CORE_CATEGORIES)


def table(results: list[Result]) -> str:
    tallies = tally(results)
    head = (
        f"{'category':<20} {'passed':>6} {'failed':>6} {'skipped':>7} {'disputed':>8} "
        f"{'total':>5} {'rate':>7}"
    )
    lines = [head, "-" * len(head)]
    core_sum, all_sum = Tally(), Tally()
    for cat in _order(tallies):
        t = tallies[cat]
        mark = "" if cat in CORE_CATEGORIES else "  (not core)"
        lines.append(
            f"{cat:<20} {t.passed:>6} {t.failed:>6} {t.skipped:>7} {t.disputed:>8} {t.total:>5} "
            f"{t.rate:>6.1f}%{mark}"
        )
        for s in [core_sum, all_sum] if cat in CORE_CATEGORIES else [all_sum]:
            s.passed += t.passed
            s.failed += t.failed
            s.skipped += t.skipped
            s.disputed += t.disputed
    lines.append("-" * len(head))
    for label, t in (("core (12)", core_sum), ("all", all_sum)):
        if t.total:
            lines.append(
                f"{label:<20} {t.passed:>6} {t.failed:>6} {t.skipped:>7} {t.disputed:>8} {t.total:>5} "
                f"{t.rate:>6.1f}%"
            )
    return "\n".join(lines)


def full_report(results: list[Result], verbose: bool = False) -> str:
    out = ["Squall conformance", "", table(results)]
    skipped = [r for r in results if r.outcome == SKIP]
    out += ["", f"Skipped ({len(skipped)}, counted as failures):"]
    out += [f"  {r.fixture.key}: {r.reason}" for r in skipped] or ["  (none)"]
    disputed = [r for r in results if r.outcome == DISPUTED_STATUS]
    out += ["", f"Disputed ({len(disputed)}, left out of the rate; reviewed by the lead):"]
    out += [
        f"  {r.fixture.key}: {r.reason}" + (" [passes anyway]" if r.disputed_would_pass else "")
        for r in disputed
    ] or ["  (none)"]
    if verbose:
        for r in disputed:
            out += [f"    {r.fixture.key}: {p}" for p in r.problems]
    failed = [r for r in results if r.outcome == FAIL]
    out += ["", f"Failures ({len(failed)}):"]
    for r in failed:
        out.append(f"  {r.fixture.key} ({r.fixture.data.get('name', '')})")
        shown = r.problems if verbose else r.problems[:3]
        out += [f"      {p}" for p in shown]
        if verbose and r.app:
            out.append(f"      app: {r.app}")
        if len(r.problems) > len(shown):
            out.append(f"      ... {len(r.problems) - len(shown)} more")
    if verbose:
        passed = [r for r in results if r.outcome == PASS]
        out += ["", f"Passed ({len(passed)}):"] + [
            f"  {r.fixture.key} ({r.seconds * 1000:.0f} ms)" for r in passed
        ]
    return "\n".join(out)
