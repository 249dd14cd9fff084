"""Resume state: unfinished output lives in a staging folder until the whole run is verified.

`OUT/.releasekit-convert/` holds each output file as `<name>.partial` while it is written and
verified, and `manifest.json`, rewritten atomically after each file verifies:

    {"tool": "releasekit convert", "version": 1, "fingerprint": "<sha256>",
     "state": "writing" | "finalizing", "verified": {"model-00001-of-00003.safetensors": 4999999512}}

Nothing under a final name exists until every file has verified; then the files are renamed into
place, the index and config.json are written (atomically), and the staging folder is removed. An
interrupted run therefore leaves only the staging folder (no index, no final names: nothing that
looks complete), and a rerun with the same inputs and options (same fingerprint) keeps the files
it had verified and starts at the first one it had not. A different fingerprint means the old
staging is stale: it is discarded.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path
from typing import Any

from releasekit.conversion.discovery import STAGING_DIR
from releasekit.conversion.errors import ConvertError
from releasekit.fsutil import write_atomic

MANIFEST = "manifest.json"
PARTIAL = ".partial"
VERSION = 1


@dataclasses.dataclass(frozen=True)
class Previous:
    """What an earlier, interrupted run with the same fingerprint left: files verified, by size."""

    verified: dict[str, int]
    finalizing: bool
    stale: bool  # a staging folder exists but belongs to other inputs or options


class Staging:
    def __init__(self, out_root: Path, fingerprint: str) -> None:
        self.out_root = out_root
        self.dir = out_root / STAGING_DIR
        self.fingerprint = fingerprint
        self.verified: dict[str, int] = {}
        self.state = "writing"

    def refuse_link(self) -> None:
        """The staging folder is written to and removed: never through a link (dangling or not)."""
        if self.dir.is_symlink():
            raise ConvertError(
                f"{self.dir}: a symbolic link; convert keeps unfinished output only in a real folder inside the "
                "output folder, and never follows or removes a link there: remove the link and run again"
            )

    def staged(self, rel: str) -> Path:
        return self.dir / f"{rel}{PARTIAL}"

    def final(self, rel: str) -> Path:
        return self.out_root / rel

    def inspect(self) -> Previous:
        """Read what an earlier run left, without changing anything (for --dry-run too)."""
        self.refuse_link()
        manifest = self._read_manifest()
        if manifest is None:
            return Previous({}, False, self.dir.exists())
        if manifest.get("fingerprint") != self.fingerprint or manifest.get("version") != VERSION:
            return Previous({}, False, True)
        finalizing = manifest.get("state") == "finalizing"
        kept: dict[str, int] = {}
        for rel, size in dict(manifest.get("verified") or {}).items():
            if not isinstance(rel, str) or not isinstance(size, int):
                continue
            for candidate in (self.staged(rel),) + ((self.final(rel),) if finalizing else ()):
                if candidate.is_file() and candidate.stat().st_size == size:
                    kept[rel] = size
                    break
        return Previous(kept, finalizing, False)

    def begin(self, previous: Previous) -> None:
        """Start or resume: keep what `previous` vouches for, discard any stale staging."""
        self.refuse_link()
        if previous.stale:
            self.discard()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.verified = dict(previous.verified)
        self.state = "finalizing" if previous.finalizing else "writing"
        self._save()

    def mark_verified(self, rel: str, size: int) -> None:
        self.verified[rel] = size
        self._save()

    def begin_finalizing(self) -> None:
        self.state = "finalizing"
        self._save()

    def place(self, rel: str) -> None:
        """Rename a verified file into its final place (already there if an earlier run got this far)."""
        staged, final = self.staged(rel), self.final(rel)
        if staged.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        elif not final.is_file():
            raise ConvertError(f"{rel}: the verified file is missing from {self.dir}; rerun to write it again")

    def discard(self) -> None:
        """Remove the staging folder, refusing if it holds anything convert does not write there."""
        self.refuse_link()
        if not self.dir.exists():
            return
        for _, _, files in os.walk(self.dir):
            for name in files:
                if name != MANIFEST and not name.endswith(PARTIAL) and not name.startswith(f".{MANIFEST}."):
                    raise ConvertError(
                        f"{self.dir}: holds {name}, which convert did not write; remove the folder yourself"
                    )
        shutil.rmtree(self.dir)

    def _read_manifest(self) -> dict[str, Any] | None:
        try:
            document = json.loads((self.dir / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return document if isinstance(document, dict) else None

    def _save(self) -> None:
        document = {
            "tool": "releasekit convert",
            "version": VERSION,
            "fingerprint": self.fingerprint,
            "state": self.state,
            "verified": self.verified,
        }
        data = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
        if self.state == "finalizing":
            write_atomic(self.dir / MANIFEST, data)
        else:
            _replace_unsynced(self.dir / MANIFEST, data)


def _replace_unsynced(path: Path, data: bytes) -> None:
    """Replace `path` by rename, without waiting for the disk (each fsync is a journal commit, a
    tenth of a second on a busy disk). Safe for the "writing" manifest: a verified file is fsynced
    before the manifest names it, and a manifest lost in a crash only makes the rerun redo work."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConvertError(f"{path}: cannot write: {exc.strerror or exc}") from None
