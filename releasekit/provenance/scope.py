"""Which files are the release's content, and which are releasekit's own provenance files.

The convention (docs/provenance.md): everything under the release folder is content except
- `.git/` (never published; the walk does not enter it),
- `.releasekit/` at the root: releasekit's staging area, which `publish` never uploads,
- the provenance files releasekit writes at their default names at the root: `SHA256SUMS`,
  `release.spdx.json`, `release.cdx.json` and `model.sig`, and any file named on the command line
  as one of them (`--signature F`, `--sbom F`, `-o F` inside the folder).

Exact names only, never patterns: a release cannot hide an added `evil.spdx.json` from `verify`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

from releasekit.release import Release, walk

STAGING_DIR = ".releasekit"
SHA256SUMS_NAME = "SHA256SUMS"
SPDX_NAME = "release.spdx.json"
CYCLONEDX_NAME = "release.cdx.json"
SIGNATURE_NAME = "model.sig"
ARTIFACT_NAMES = (SHA256SUMS_NAME, SPDX_NAME, CYCLONEDX_NAME, SIGNATURE_NAME)


@dataclasses.dataclass(frozen=True)
class Content:
    """The content files of a release (relative POSIX path -> absolute path) and what could not be listed."""

    root: Path
    files: dict[str, Path]
    problems: tuple[tuple[str, str], ...]  # (path, why) for FIFOs, devices, unreadable folders
    artifacts: tuple[str, ...]  # provenance files present in the folder (excluded from `files`)
    release: Release


def relative_inside(root: Path, path: Path | str | None) -> str | None:
    """`path` as a POSIX path relative to `root` when it lies inside it, else None."""
    if path is None:
        return None
    absolute = Path(os.path.abspath(path))
    try:
        rel = absolute.relative_to(Path(os.path.abspath(root)))
    except ValueError:
        try:
            rel = absolute.resolve().relative_to(root.resolve())
        except (ValueError, OSError):
            return None
    text = rel.as_posix()
    return None if text in ("", ".") else text


def is_excluded(path: str, extra: Iterable[str] = ()) -> bool:
    return path == STAGING_DIR or path.startswith(STAGING_DIR + "/") or path in ARTIFACT_NAMES or path in extra


def list_content(root: str | os.PathLike[str], exclude: Iterable[str] = ()) -> Content:
    """List the release's content with one walk; `exclude` adds artifact paths (relative to root)."""
    release = walk(root)
    extra = frozenset(exclude)
    files: dict[str, Path] = {}
    artifacts: list[str] = []
    for f in release.files:
        if is_excluded(f.path, extra):
            if not f.path.startswith(STAGING_DIR):
                artifacts.append(f.path)
            continue
        files[f.path] = f.abspath
    problems = [(path, what) for path, what in release.special if not is_excluded(path, extra)]
    problems += [
        (path, "cannot be read")
        for path in release.unreadable
        if path not in files and not is_excluded(path, extra)
    ]
    return Content(release.root, files, tuple(sorted(problems)), tuple(sorted(artifacts)), release)
