"""``squall run module:app [--host] [--port] [--workers] [--access-log] [--limit NAME=VALUE]``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["import_app", "main"]


def import_app(target: str) -> Any:
    """``package.module:attribute`` -> the object (the current directory is importable, as in uvicorn)."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise SystemExit(f"squall: expected module:app, got {target!r}")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name or module_name.startswith(f"{exc.name}."):
            raise SystemExit(f"squall: cannot import module {module_name!r}") from exc
        raise
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SystemExit(f"squall: module {module_name!r} has no attribute {attr!r}") from None
    return obj


def _limit(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: {value!r} is not a number") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="squall", description="Squall: a Python web framework with a C HTTP engine"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve an application")
    run.add_argument("app", help="module:attribute of the Squall app, e.g. main:app")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)
    run.add_argument("--access-log", action="store_true", help="log one line per request")
    run.add_argument(
        "--limit",
        action="append",
        type=_limit,
        default=[],
        metavar="NAME=VALUE",
        help="a server limit by its sq_config field name, e.g. max_body=1048576 (repeatable)",
    )
    run.add_argument("--factory", action="store_true", help="APP is a callable returning the app")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from ._app import Squall
    from ._supervisor import serve

    app = import_app(args.app)
    if args.factory:
        app = app()
    if not isinstance(app, Squall):
        raise SystemExit(f"squall: {args.app} is not a Squall application")
    if args.workers < 1:
        raise SystemExit("squall: --workers must be at least 1")
    return serve(
        app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        limits=dict(args.limit) or None,
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
