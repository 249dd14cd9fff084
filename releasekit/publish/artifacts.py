"""The one place publish meets `cardgen` (the GitHub README) and `provenance` (SBOM, checksums).

The GitHub README is the release's own `README.github.md` when the lab wrote one (what
`releasekit card --github` writes, reviewed), else one generated now from the release and its
`[card]` facts, else, when those facts are missing, the model card itself (logged). SHA256SUMS
and the SBOM come from `releasekit.provenance` (the `publish` extra); without it, SHA256SUMS is
computed here from the hashes publish already has and no SBOM is attached.
"""

from __future__ import annotations

import gzip
import importlib
import io
import tarfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import logging

from releasekit.publish.errors import PublishError
from releasekit.publish.files import GITHUB_README_SOURCE, LocalFile


log = logging.getLogger(__name__)


def _optional(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            return None
        raise


def github_readme(root: Path) -> bytes:
    """The README for the GitHub repository: README.github.md, else generated, else the model card."""
    source = root / GITHUB_README_SOURCE
    if source.is_file() and not source.is_symlink():
        return source.read_bytes()
    from releasekit.cardgen import CardError, render_github_readme

    try:
        return render_github_readme(root).encode()
    except CardError as exc:
        log.warning("GitHub README: the model card is used, as no README can be generated (%s); "
                    "declare [card] in releasekit.toml or run `releasekit card --github`", exc)
    card = root / "README.md"
    if card.is_file() and not card.is_symlink():
        return card.read_bytes()
    raise PublishError(f"{root}: no GitHub README: run `releasekit card --github` (it writes {GITHUB_README_SOURCE})")


def sha256sums(root: Path, files: Iterable[LocalFile], dest: Path) -> None:
    """SHA256SUMS in the `sha256sum` format, for every published file."""
    provenance = _optional("releasekit.provenance")
    if provenance is not None and hasattr(provenance, "write_sha256sums"):
        provenance.write_sha256sums(root, dest)
        return
    lines = "".join(f"{f.sha256}  {f.path}\n" for f in sorted(files, key=lambda f: f.path))
    dest.write_text(lines, encoding="utf-8")


def sbom(root: Path) -> str | None:
    """The SPDX document (provenance's `build_spdx`), or None until that module exists."""
    provenance = _optional("releasekit.provenance")
    if provenance is not None and hasattr(provenance, "build_spdx"):
        return str(provenance.build_spdx(root))
    return None


def source_archive(prefix: str, files: Iterable[LocalFile], readme: bytes, dest: Path) -> None:
    """A reproducible .tar.gz of the code pushed to GitHub: same inputs, same bytes (a rerun re-uploads nothing)."""
    with open(dest, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        entries = [(f.path, f) for f in files] + [("README.md", None)]
        for path, f in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(f"{prefix}/{path}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if f is None:
                info.size, info.mode = len(readme), 0o644
                tar.addfile(info, io.BytesIO(readme))
            else:
                info.size, info.mode = f.size, 0o755 if f.executable else 0o644
                with open(f.abspath, "rb") as handle:
                    tar.addfile(info, handle)
