"""The digest cache: one hashing pass serves `sbom`, `checksums`, `sign` and `publish`.

It lives in the user's cache folder, never inside the release (so it can never be published):
`$RELEASEKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/releasekit`, else `~/.cache/releasekit`, one JSON
file per release folder (named by the SHA-256 of its resolved path). An entry is reused only when
the file's size, mtime_ns, ctime_ns, inode and device are all unchanged; ctime cannot be set back
by `touch`, so an edited file is always read again. A cache that cannot be read is ignored and one
that cannot be written is skipped: the cache only ever saves time, it never decides a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from releasekit.fsutil import write_atomic
from releasekit.errors import ReleasekitError
from releasekit.provenance.hashing import Digests, FileStamp

FORMAT = 1


def cache_dir() -> Path:
    explicit = os.environ.get("RELEASEKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "releasekit"


class DigestCache:
    """Cached digests of one release folder, keyed by relative path and FileStamp."""

    def __init__(self, root: Path, folder: Path | None = None) -> None:
        self.root = root.resolve()
        key = hashlib.sha256(os.fsencode(str(self.root))).hexdigest()[:32]
        self.path = (folder or cache_dir()) / "digests" / f"{key}.json"
        self._entries: dict[str, tuple[FileStamp, Digests]] = {}
        self._lock = threading.Lock()
        self._dirty = False
        self.hits = 0
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("root") != str(self.root):
                return
            for rel, e in data["files"].items():
                stamp = FileStamp(e["size"], e["mtime_ns"], e["ctime_ns"], e["inode"], e["device"])
                self._entries[rel] = (stamp, Digests(e["size"], e["sha1"], e["sha256"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self._entries.clear()

    def lookup(self, rel: str, st: os.stat_result) -> Digests | None:
        entry = self._entries.get(rel)
        if entry is not None and entry[0] == FileStamp.of(st):
            self.hits += 1
            return entry[1]
        return None

    def store(self, rel: str, digests: Digests, stamp: FileStamp) -> None:
        with self._lock:
            self._entries[rel] = (stamp, digests)
            self._dirty = True

    def save(self, keep: set[str] | None = None) -> None:
        """Write the cache (dropping paths not in `keep`); failures are ignored on purpose."""
        if keep is not None:
            for rel in set(self._entries) - keep:
                del self._entries[rel]
                self._dirty = True
        if not self._dirty:
            return
        files = {
            rel: {**{k: getattr(stamp, k) for k in ("size", "mtime_ns", "ctime_ns")},
                  "inode": stamp.inode, "device": stamp.device, "sha1": d.sha1, "sha256": d.sha256}
            for rel, (stamp, d) in sorted(self._entries.items())
        }
        payload = json.dumps({"format": FORMAT, "root": str(self.root), "files": files}).encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, payload)
        except (OSError, ReleasekitError):
            return
        self._dirty = False
