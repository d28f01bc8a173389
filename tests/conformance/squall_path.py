"""Make ``import squall`` work from a source tree: the in-tree package
(python/) wins when its extension is built in place, or when no installed
squall exists (the same rule as tests/python/conftest.py)."""

from __future__ import annotations

import glob
import importlib.util
import sys

from .fixtures import repo_root


def ensure_squall_importable() -> None:
    pkg_root = str(repo_root() / "python")
    in_tree = glob.glob(f"{pkg_root}/squall/_squall*.so")
    if (in_tree or importlib.util.find_spec("squall") is None) and pkg_root not in sys.path:
        sys.path.insert(0, pkg_root)
