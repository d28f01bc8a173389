"""CPU time and peak RSS of a server and all its descendants, from /proc."""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    # The command name may contain spaces: split after its closing parenthesis.
    return data[data.rindex(")") + 2 :].split()


def tree(root: int) -> list[int]:
    """root and every live descendant (granian and robyn fork their workers)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = _stat_fields(int(name))
        if f is None:
            continue
        children.setdefault(int(f[1]), []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root: int) -> float:
    """utime+stime of the tree, plus cutime+cstime of reaped children."""
    total = 0
    for pid in tree(root):
        f = _stat_fields(pid)
        if f is not None:
            # fields 14..17 of stat(5) are at 11..14 once pid and comm are gone
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / _TICK


def peak_rss_kib(root: int) -> int:
    """Sum of VmHWM over the tree (for one worker, that is the worker plus its parent)."""
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def peak_rss_largest_kib(root: int) -> int:
    """VmHWM of the largest single process of the tree (the worker, for a pre-forking server)."""
    best = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        best = max(best, int(line.split()[1]))
                        break
        except OSError:
            pass
    return best
