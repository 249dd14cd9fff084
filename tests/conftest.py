"""Shared fixtures: build release folders from code, run the CLI in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from releasekit.cli.main import run

FileSpec = Mapping[str, Any]


def write_tree(root: Path, files: FileSpec) -> Path:
    """Create `files` (relative path -> content) under `root`; dicts and lists are written as JSON."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return root


@pytest.fixture
def make_release(tmp_path: Path) -> Callable[..., Path]:
    """`make_release({"config.json": {...}, "LICENSE": "..."})` -> a new folder under tmp_path."""
    counter = iter(range(1_000_000))

    def build(files: FileSpec, name: str | None = None) -> Path:
        return write_tree(tmp_path / (name or f"release{next(counter)}"), files)

    return build


class CliResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"CliResult(exit_code={self.exit_code}, stdout={self.stdout[:2000]!r}, stderr={self.stderr[:2000]!r})"


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run `releasekit ARGS...` in-process through the same function as the console script."""

    def invoke(*args: str | Path) -> CliResult:
        runner = CliRunner()
        with runner.isolation() as (out, err, _):
            code = run([str(a) for a in args])
        return CliResult(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))

    return invoke
