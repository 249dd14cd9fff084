"""Which files of a release are published where, with their hashes (one streaming read per file).

Never published: symlinks, special files, anything `.git`, and what the hygiene rules call junk
(`releasekit.hygiene.junk`: caches, OS litter, editor backups, virtual environments, core dumps).
The walk (`releasekit.release.walk`) never follows a link, so nothing outside the folder is read.
GitHub gets the code: every published file except weights (safetensors, pickles) and large files,
and the generated GitHub README in place of the model card.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath

from releasekit.hygiene.junk import core_dump_format, junk_dir_reason, junk_file_reason, may_be_core_dump
from releasekit.release import FileKind, Release

CHUNK = 4 << 20
GITHUB_MAX_FILE = 50 * 1024 * 1024  # GitHub warns at 50 MB and refuses 100 MB; larger files belong on the Hub
WEIGHT_KINDS = frozenset({FileKind.SAFETENSORS, FileKind.PICKLE})
GITHUB_README_SOURCE = "README.github.md"


@dataclasses.dataclass(frozen=True)
class LocalFile:
    """A file to publish: where it is, its size and the two hashes the services compare."""

    path: str  # POSIX, relative to the release root
    abspath: Path
    size: int
    sha256: str
    git_sha1: str  # the id git gives its bytes as a blob
    executable: bool = False


@dataclasses.dataclass(frozen=True)
class Selection:
    files: tuple[LocalFile, ...]
    excluded: tuple[tuple[str, str], ...]  # (path, why)


def hash_file(path: Path, size: int) -> tuple[str, str]:
    """sha256 and git blob sha1 in one streaming pass."""
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
    read = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha256.update(chunk)
            sha1.update(chunk)
            read += len(chunk)
    if read != size:
        raise OSError(f"{path}: changed size while being read ({size} -> {read} bytes)")
    return sha256.hexdigest(), sha1.hexdigest()


def hash_bytes(data: bytes) -> tuple[str, str]:
    return hashlib.sha256(data).hexdigest(), hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _junk_dirs(release: Release) -> dict[str, str]:
    children: dict[str, list[str]] = {}
    for rel in list(release.directories) + [f.path for f in release.files]:
        parent = str(PurePosixPath(rel).parent)
        children.setdefault("" if parent == "." else parent, []).append(PurePosixPath(rel).name)
    out = {}
    for folder in release.directories:
        reason = junk_dir_reason(folder, children.get(folder, []))
        if reason is not None:
            out[folder] = reason
    return out


def select(release: Release) -> Selection:
    """Every file of the release that may be published, hashed; and what was left out, with why."""
    junk_dirs = _junk_dirs(release)
    files: list[LocalFile] = []
    excluded: list[tuple[str, str]] = [(path, "in .git") for path in release.pruned]
    excluded += [(path, what) for path, what in release.special]
    excluded += [(path, "unreadable") for path in release.unreadable]
    for f in release.files:
        if f.is_symlink:
            excluded.append((f.path, "symlink (never published)"))
            continue
        parents = PurePosixPath(f.path).parents
        junk_parent = next((str(p) for p in parents if str(p) in junk_dirs), None)
        if junk_parent is not None:
            excluded.append((f.path, f"junk: inside {junk_parent}/ ({junk_dirs[junk_parent]})"))
            continue
        reason = junk_file_reason(f.name)
        if reason is None and may_be_core_dump(f.name):
            with open(f.abspath, "rb") as handle:
                fmt = core_dump_format(handle.read(20))
            reason = f"{fmt} core dump" if fmt else None
        if reason is not None:
            excluded.append((f.path, f"junk: {reason}"))
            continue
        st = os.lstat(f.abspath)
        if not stat.S_ISREG(st.st_mode):
            excluded.append((f.path, "not a regular file"))
            continue
        sha256, git_sha1 = hash_file(f.abspath, st.st_size)
        files.append(LocalFile(f.path, f.abspath, st.st_size, sha256, git_sha1, bool(st.st_mode & 0o111)))
    return Selection(tuple(sorted(files, key=lambda x: x.path)), tuple(sorted(excluded)))


def github_files(release: Release, selection: Selection) -> tuple[list[LocalFile], list[tuple[str, str]]]:
    """The code pushed to GitHub (the README is added separately) and what stays on the Hub only."""
    kinds = {f.path: f.kind for f in release.files}
    code, left = [], []
    for f in selection.files:
        if kinds.get(f.path) in WEIGHT_KINDS:
            left.append((f.path, "weights (on the Hub)"))
        elif f.size > GITHUB_MAX_FILE:
            left.append((f.path, "large file (on the Hub)"))
        elif f.path in ("README.md", GITHUB_README_SOURCE):
            left.append((f.path, "model card (on the Hub); GitHub gets the generated README"))
        else:
            code.append(f)
    return code, left
