"""``python -m squall run module:app``."""

from .cli import main

raise SystemExit(main())
