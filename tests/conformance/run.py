"""``python tests/conformance/run.py [--category X] [--fixture NAME] [-v]``."""

from __future__ import annotations

import os
import sys

if __package__ in (None, ""):
    # Run as a script: make the repository root importable and use the package.
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    from tests.conformance.cli import main
else:
    from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
