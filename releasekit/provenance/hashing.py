"""One streaming pass that computes every digest releasekit's provenance files need.

SHA-256 (SHA256SUMS, the signature manifest, SPDX, CycloneDX) and SHA-1 (SPDX requires it for
every file) are computed from the same reads. Files are hashed in parallel threads: hashlib
releases the GIL on buffers over 2 KiB, so threads scale across cores without processes. Within a
file, SHA-1 runs on a helper thread one chunk behind SHA-256, so one large file also uses two
cores. Memory is bounded: two chunk buffers per file in flight.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import os
import stat
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

CHUNK = 4 * 1024 * 1024
SMALL = 1024 * 1024  # below this, both digests on the reading thread: a hand-off costs more than it saves
_local = threading.local()


def _buffers() -> tuple[bytearray, bytearray]:
    """Two chunk buffers per thread, allocated once (not 8 MiB of zeroes per small file)."""
    pair = getattr(_local, "buffers", None)
    if pair is None or len(pair[0]) != CHUNK:
        pair = (bytearray(CHUNK), bytearray(CHUNK))
        _local.buffers = pair
    return pair


@dataclasses.dataclass(frozen=True)
class Digests:
    """What releasekit knows about one file's content."""

    size: int
    sha1: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class FileStamp:
    """What must not change for a cached digest to stay valid (ctime cannot be set back by `touch`)."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStamp:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class HashFailure(Exception):
    """A file that could not be hashed; the message is one line, without the path."""


def default_workers() -> int:
    """Enough threads to keep a fast disk busy (reads wait on I/O) without flooding small machines."""
    return max(4, min(16, 2 * (os.cpu_count() or 1)))


def hash_file(path: Path, side: concurrent.futures.Executor | None = None) -> tuple[Digests, FileStamp]:
    """Stream `path` once; returns its digests and the stamp it had while it was read.

    Follows a symlink (the content is what a download delivers). Raises HashFailure for anything
    that is not a regular file, or that changed while it was read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO behind a link must not block
    except IsADirectoryError:
        raise HashFailure("is a directory (or a link to one)") from None
    except FileNotFoundError:
        raise HashFailure("is missing (or a broken link)") from None
    except OSError as exc:
        raise HashFailure(f"cannot be read: {exc.strerror or exc}") from None
    pending: concurrent.futures.Future[None] | None = None
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise HashFailure("is not a regular file")
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        sha1, sha256 = hashlib.sha1(), hashlib.sha256()
        buffers = _buffers()
        if before.st_size < SMALL:
            side = None
        total = 0
        index = 0
        with open(fd, "rb", buffering=0, closefd=False) as handle:
            while True:
                buffer = buffers[index]
                n = handle.readinto(buffer)  # type: ignore[attr-defined]
                if not n:
                    break
                view = memoryview(buffer)[:n]
                total += n
                sha256.update(view)
                if pending is not None:
                    pending.result()  # the helper is done with the other buffer
                if side is not None:
                    pending = side.submit(sha1.update, view)
                else:
                    sha1.update(view)
                index ^= 1
        if pending is not None:
            pending.result()
            pending = None
        after = os.fstat(fd)
    except OSError as exc:
        raise HashFailure(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        if pending is not None:
            concurrent.futures.wait([pending])  # the per-thread buffer must be free before it is reused
        os.close(fd)
    stamp = FileStamp.of(after)
    if FileStamp.of(before) != stamp or total != after.st_size:
        raise HashFailure("changed while it was being hashed")
    return Digests(total, sha1.hexdigest(), sha256.hexdigest()), stamp


def hash_many(
    files: Mapping[str, Path],
    *,
    workers: int | None = None,
    known: Callable[[str, os.stat_result], Digests | None] | None = None,
    on_done: Callable[[str, Digests, FileStamp], None] | None = None,
) -> tuple[dict[str, Digests], dict[str, str]]:
    """Hash every file of `files` (relative path -> absolute path) in parallel.

    `known(path, stat)` may return cached digests to skip a read. Returns (digests, failures),
    failures mapping a path to a one-line reason; never raises for one bad file.
    """
    digests: dict[str, Digests] = {}
    failures: dict[str, str] = {}
    todo: list[tuple[int, str, Path]] = []
    for rel, absolute in files.items():
        try:
            st = os.stat(absolute)
        except FileNotFoundError:
            failures[rel] = "is missing (or a broken link)"
            continue
        except OSError as exc:
            failures[rel] = f"cannot be read: {exc.strerror or exc}"
            continue
        cached = known(rel, st) if known is not None and stat.S_ISREG(st.st_mode) else None
        if cached is not None:
            digests[rel] = cached
        else:
            todo.append((st.st_size, rel, absolute))
    todo.sort(key=lambda item: (-item[0], item[1]))  # largest first: the last thread to finish is short
    count = min(workers or default_workers(), max(1, len(todo)))
    with concurrent.futures.ThreadPoolExecutor(count, thread_name_prefix="rk-hash") as pool, \
            concurrent.futures.ThreadPoolExecutor(count, thread_name_prefix="rk-sha1") as side:
        futures = {pool.submit(hash_file, absolute, side): rel for _, rel, absolute in todo}
        for future in concurrent.futures.as_completed(futures):
            rel = futures[future]
            try:
                result, stamp = future.result()
            except HashFailure as exc:
                failures[rel] = str(exc)
                continue
            digests[rel] = result
            if on_done is not None:
                on_done(rel, result, stamp)
    return dict(sorted(digests.items())), dict(sorted(failures.items()))

