"""What the local server keeps on disk: content-addressed blobs and a JSON state of repositories.

Blobs live under `blobs/<sha256>`, written to a temporary name while they stream in and renamed
only once their hash is known, so a dropped upload leaves nothing behind under a real name. The
state (repositories, commits, refs, releases) is one JSON document rewritten atomically after each
change; a lock makes every request's read-modify-write one step.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1 << 20


def git_blob_sha1(data: bytes) -> str:
    """The id git gives a blob with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def git_object_sha1(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload, usedforsecurity=False).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


class Store:
    """Blobs by sha256 and the server's state, under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.tmp = self.root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        state_file = self.root / "state.json"
        self.state: dict[str, Any] = (
            json.loads(state_file.read_text()) if state_file.exists() else {"hub": {}, "github": {}, "git": {}, "next_id": 1}
        )

    # -- blobs -----------------------------------------------------------------------------------
    def has_blob(self, sha256: str) -> bool:
        return (self.blobs / sha256).is_file()

    def blob_path(self, sha256: str) -> Path:
        return self.blobs / sha256

    def blob_size(self, sha256: str) -> int:
        return (self.blobs / sha256).stat().st_size

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.has_blob(digest):
            fd, tmp = tempfile.mkstemp(dir=self.tmp)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.blobs / digest)
        return digest

    def receive(self, chunks: Iterator[bytes]) -> tuple[Path, str, int]:
        """Stream `chunks` to a temporary file: (path, sha256, size). Not yet a blob."""
        fd, tmp = tempfile.mkstemp(dir=self.tmp)
        sha256 = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    sha256.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
        except BaseException:
            os.unlink(tmp)
            raise
        return Path(tmp), sha256.hexdigest(), size

    def adopt(self, tmp: Path, sha256: str) -> None:
        """Move a received temporary file into place as the blob `sha256`."""
        if self.has_blob(sha256):
            tmp.unlink()
        else:
            os.replace(tmp, self.blobs / sha256)

    def open_blob(self, sha256: str) -> BinaryIO:
        return open(self.blobs / sha256, "rb")

    def read_blob(self, sha256: str) -> bytes:
        return (self.blobs / sha256).read_bytes()

    # -- state -----------------------------------------------------------------------------------
    def save(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.tmp)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.state, handle)
        os.replace(tmp, self.root / "state.json")

    def new_id(self) -> int:
        value = self.state["next_id"]
        self.state["next_id"] = value + 1
        return int(value)
