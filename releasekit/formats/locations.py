"""Where a finding lives for tools that place it in a repository (code scanning, annotations).

Findings carry paths relative to the release; GitHub wants paths relative to the repository,
and the release may be a subfolder of it. A finding about the whole release (path ".") or about
a folder cannot be placed on a folder, so it is attached to a real file that stands for the
release: the card, else the config, else the license, else its first file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from releasekit.findings import Finding

# The files that stand for the release as a whole, in order of preference.
ANCHOR_FILES = ("README.md", "config.json", "LICENSE", "LICENSE.md", "LICENSE.txt", "releasekit.toml",
                "pyproject.toml")


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding `.git` (a folder, or a file for worktrees).

    Read from the file system only: running git inside a release under audit could run hooks
    or an fsmonitor from its configuration.
    """
    for folder in (start, *start.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def resolve_repo_root(release_root: Path, given: Path | None) -> Path:
    if given is not None:
        return Path(given).resolve()
    return find_repo_root(release_root) or release_root


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def anchor_file(release_root: Path) -> str:
    """The release-relative file a whole-release finding is attached to."""
    for name in ANCHOR_FILES:
        if _is_regular(release_root / name):
            return name
    return _first_file(release_root, "") or ANCHOR_FILES[0]  # an empty release: the card it should have


def _first_file(root: Path, prefix: str) -> str | None:
    """No card, config or license: the first file in path order (top level first), never in .git."""
    try:
        entries = sorted(os.scandir(root / prefix) if prefix else os.scandir(root), key=lambda e: e.name)
    except OSError:
        return None
    for entry in entries:
        if entry.is_file(follow_symlinks=False):
            return f"{prefix}{entry.name}"
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and entry.name != ".git":
            found = _first_file(root, f"{prefix}{entry.name}/")
            if found:
                return found
    return None


def is_whole_release(release_root: Path, finding: Finding) -> bool:
    """True for a finding about the release or a folder of it rather than about one file."""
    if finding.path in ("", "."):
        return True
    try:
        return stat.S_ISDIR(os.lstat(release_root / finding.path).st_mode)
    except OSError:
        return False  # a file that is gone or unreadable is still the place to point at


def repo_path(release_root: Path, release_path: str, repo_root: Path) -> str:
    """`release_path` relative to `repo_root`, POSIX style; release-relative when outside it."""
    absolute = release_root / release_path
    try:
        return PurePosixPath(absolute.relative_to(repo_root)).as_posix()
    except ValueError:
        return PurePosixPath(release_path).as_posix()


def place(release_root: Path, finding: Finding, repo_root: Path) -> tuple[str, bool]:
    """(repository-relative file to show the finding on, whether it was moved to the anchor)."""
    if is_whole_release(release_root, finding):
        return repo_path(release_root, anchor_file(release_root), repo_root), True
    return repo_path(release_root, finding.path, repo_root), False
