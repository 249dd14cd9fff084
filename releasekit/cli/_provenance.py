"""Helpers shared by `sbom`, `checksums`, `sign` and `verify`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from releasekit.errors import MissingExtraError, NotAReleaseError


def require(command: str, module: str, package: str) -> None:
    """Fail with the install hint when an optional dependency of the `publish` extra is missing."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(command, package, "publish")


def release_dir(path: Path) -> Path:
    if not path.exists():
        raise NotAReleaseError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise NotAReleaseError(f"{path}: not a folder (give the release folder)")
    return path


no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Read every file again instead of reusing digests of unchanged files."
)
