"""Stream one safetensors file: the header first (every dtype, shape and offset is planned), then
each tensor's bytes as they come, in chunks, then fsync. Memory: one tensor at most (zero when the
source is already contiguous: its bytes go from the input mapping straight to the file)."""

from __future__ import annotations

import os
from pathlib import Path

from releasekit.convert.planner import PlannedFile
from releasekit.convert.progress import Progress
from releasekit.convert.sources import Sources
from releasekit.convert.errors import ConvertError
from releasekit.safetensors_format import encode_header

CHUNK = 64 * 1024 * 1024


def write_all(fd: int, data: memoryview) -> None:
    """Write every byte of `data` (os.write may write less than asked)."""
    while len(data):
        written = os.write(fd, data)
        data = data[written:]


def write_file(path: Path, planned: PlannedFile, sources: Sources, progress: Progress) -> int:
    """Write `planned` to `path` (created or truncated) and fsync it; returns the file size."""
    header, spans = encode_header([(t.name, t.dtype, t.shape) for t in planned.tensors], planned.metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, memoryview(header))
        for tensor in planned.tensors:
            begin, end = spans[tensor.name]
            with sources.bytes_of(tensor) as data:
                if data.nbytes != end - begin:  # the input changed since it was planned
                    raise ConvertError(f"{planned.rel}: tensor {tensor.name!r} has {data.nbytes:,} bytes, "
                                       f"{end - begin:,} planned; did an input change during the run?")
                view = memoryview(data)
                for offset in range(0, data.nbytes, CHUNK):
                    piece = view[offset:offset + CHUNK]
                    write_all(fd, piece)
                    progress.update(nbytes=len(piece))
            progress.update(tensors=1)
        os.fsync(fd)
        return os.fstat(fd).st_size
    finally:
        os.close(fd)
