"""Stream one safetensors file: the header first (every dtype, shape and offset is planned), then
each tensor's bytes as they come, in chunks; fsync comes after verification (see runner.py).

Memory: one tensor at most, and none for a tensor whose bytes lie unchanged in the input file:
the kernel copies those (copy_file_range, as `cp` does) without them passing through this process.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from releasekit.conversion.errors import ConvertError
from releasekit.conversion.planner import PlannedFile, PlannedTensor
from releasekit.conversion.progress import Progress
from releasekit.conversion.ranges import FileRange
from releasekit.conversion.syscalls import start_writeback
from releasekit.safetensors_format import encode_header

CHUNK = 64 * 1024 * 1024


class Payload(Protocol):
    """One tensor's output bytes, as pieces of memory or ranges of an input file."""

    @property
    def nbytes(self) -> int: ...

    def pieces(self, chunk: int) -> Iterator[memoryview | FileRange]: ...


class PayloadSource(Protocol):
    """Where the writer gets each planned tensor's bytes (torch-backed or read straight from the zip)."""

    def payload(self, planned: PlannedTensor) -> AbstractContextManager[Payload]: ...


def write_all(fd: int, data: memoryview) -> None:
    """Write every byte of `data` (os.write may write less than asked)."""
    while len(data):
        written = os.write(fd, data)
        data = data[written:]


def copy_range(fd: int, span: FileRange) -> None:
    """Copy bytes of an input file to `fd` in the kernel (copy_file_range), or through a buffer
    where the kernel or the filesystems cannot."""
    offset, left = span.offset, span.length
    while left:
        try:
            done = os.copy_file_range(span.fd, fd, left, offset)
        except (AttributeError, OSError):
            done = -1
        if done < 0:  # not supported here: read and write instead
            data = os.pread(span.fd, min(left, CHUNK), offset)
            if not data:
                raise ConvertError("an input file ended early; did it change during the run?")
            write_all(fd, memoryview(data))
            done = len(data)
        elif done == 0:
            raise ConvertError("an input file ended early; did it change during the run?")
        offset += done
        left -= done


class Writeback:
    """Asks the kernel to start writing each piece to disk, from a thread of its own.

    Why a thread: starting writeback (sync_file_range) blocks whenever the disk's queue is full, so
    called inline it would pace the copy to the disk, and verification would only start once the
    disk had caught up. From a thread, the copy and then the verification run while the disk
    writes, and the final fsync has little left to wait for (as `cp` followed by `sync`). The thread
    has its own descriptor, so the writer may close its own at any time.
    """

    def __init__(self, fd: int) -> None:
        self._fd = os.dup(fd)
        self._queue: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="releasekit-writeback", daemon=True)
        self._thread.start()

    def start(self, offset: int, nbytes: int) -> None:
        self._queue.put((offset, nbytes))

    def close(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                start_writeback(self._fd, *item)
        finally:
            os.close(self._fd)


def write_piece(fd: int, piece: memoryview | FileRange, writeback: Writeback | None = None) -> None:
    """Append one piece of a tensor (bytes from memory, or a range of an input file), then start
    writing it to disk in the background."""
    position = os.lseek(fd, 0, os.SEEK_CUR)
    if isinstance(piece, FileRange):
        copy_range(fd, piece)
    else:
        write_all(fd, piece)
    if writeback is not None:
        writeback.start(position, len(piece))
    else:
        start_writeback(fd, position, len(piece))


def fsync_file(path: Path) -> None:
    """Wait until the file's data is on disk (most of it already is: writeback started per piece)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(
    path: Path,
    planned: PlannedFile,
    sources: PayloadSource,
    progress: Progress,
    on_written: Callable[[int], None] | None = None,
) -> int:
    """Write `planned` to `path` (created or truncated); returns the file size. The caller fsyncs.

    `on_written(offset)` is told after each piece how far the file is written (a verifier reading
    behind the writer)."""
    header, spans = encode_header([(t.name, t.dtype, t.shape) for t in planned.tensors], planned.metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    writeback = Writeback(fd)
    try:
        write_piece(fd, memoryview(header), writeback)
        if on_written is not None:
            on_written(len(header))
        for tensor in planned.tensors:
            begin, end = spans[tensor.name]
            with sources.payload(tensor) as payload:
                if payload.nbytes != end - begin:  # the input changed since it was planned
                    raise ConvertError(
                        f"{planned.rel}: tensor {tensor.name!r} has {payload.nbytes:,} bytes, "
                        f"{end - begin:,} planned; did an input change during the run?"
                    )
                for piece in payload.pieces(CHUNK):
                    write_piece(fd, piece, writeback)
                    progress.update(nbytes=len(piece))
                    if on_written is not None:
                        on_written(os.lseek(fd, 0, os.SEEK_CUR))
            progress.update(tensors=1)
        return os.fstat(fd).st_size
    finally:
        writeback.close()
        os.close(fd)
