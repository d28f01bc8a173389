"""``python -m tests.conformance`` (from the repository root)."""

from .cli import main

raise SystemExit(main())
