"""Finding and reading the fixtures (never copied: read where they live).

What is not a fixture is skipped as ../shared/conformance/README.md says:
00-FIXTURE-SCHEMA.json, every schema.json, README.md files, *.disabled
files, multipart/files/ (contents some fixtures refer to), and documents
that have no request (the AsyncAPI/OpenAPI examples in sse/, websockets/,
openapi_schemas/ describe no request/response pair)."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

CORE_CATEGORIES = (
    "query_params",
    "path_params",
    "headers",
    "cookies",
    "json_bodies",
    "validation_errors",
    "url_encoded",
    "multipart",
    "content_types",
    "edge_cases",
    "status_codes",
    "http_methods",
)

ENV_VAR = "SQUALL_CONFORMANCE_DIR"
_NOT_FIXTURES = {"00-FIXTURE-SCHEMA.json", "schema.json", "README.md", "LICENSE"}


@dataclasses.dataclass(frozen=True)
class Fixture:
    category: str
    name: str  # the file name without .json
    path: Path
    data: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.category}/{self.name}"

    @property
    def handler(self) -> dict[str, Any]:
        return self.data.get("handler") or {}

    @property
    def request(self) -> dict[str, Any]:
        return dict(self.data["request"])

    @property
    def expected(self) -> dict[str, Any]:
        return dict(self.data["expected_response"])


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def fixtures_dir() -> Path:
    """$SQUALL_CONFORMANCE_DIR (the conformance dir or its fixtures/), else ../shared from the repo."""
    env = os.environ.get(ENV_VAR)
    base = Path(env) if env else repo_root().parent / "shared" / "conformance"
    return base / "fixtures" if (base / "fixtures").is_dir() else base


def is_fixture_file(rel: Path) -> bool:
    """``rel`` is relative to the fixtures dir."""
    if rel.name in _NOT_FIXTURES or rel.suffix != ".json":
        return False  # also drops *.disabled
    # category/file.json only; multipart/files/... is data
    return len(rel.parts) == 2


def load_fixtures(root: Path | None = None) -> list[Fixture]:
    root = root or fixtures_dir()
    if not root.is_dir():
        raise FileNotFoundError(f"no fixtures at {root} (set {ENV_VAR})")
    out: list[Fixture] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root)
        if not is_fixture_file(rel):
            continue
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict) or "request" not in data or "expected_response" not in data:
            continue  # an API description, not a request/response fixture
        out.append(Fixture(rel.parts[0], path.stem, path, data))
    return out


def select(fixtures: list[Fixture], category: str | None = None, name: str | None = None) -> list[Fixture]:
    out = fixtures
    if category:
        out = [f for f in out if f.category == category]
    if name:
        out = [f for f in out if name in (f.name, f.key, f.path.name)]
    return out
