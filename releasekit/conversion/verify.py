"""Read a written file back and compare it with its sources, bit for bit, before it may be kept.

The header is parsed with releasekit's strict reader (the same one `releasekit check` uses) and
must name exactly the planned tensors with the planned dtypes, shapes and metadata; then every
tensor's bytes, read back from the file, are compared with the source tensor as torch holds it
(recomputed for dequantized tensors), never with the input file's bytes, so a mistake in how the
writer found or copied them cannot verify itself. The read-back goes
through the OS page cache: it checks what was written, not the disk's own integrity (fsync, which
follows, is what makes the kernel report a failed write).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.conversion.errors import VerificationError
from releasekit.conversion.planner import PlannedFile
from releasekit.conversion.progress import Progress
from releasekit.conversion.syscalls import same_bytes
from releasekit.safetensors_format import Header, read_header

if TYPE_CHECKING:  # numpy and torch: only on the torch-backed path
    import numpy as np

    from releasekit.conversion.sources import Sources

CHUNK = 16 * 1024 * 1024


def check_header(path: Path, planned: PlannedFile) -> Header:
    """The written file's header, parsed strictly; VerificationError unless it names exactly the
    planned tensors, with the planned dtypes, shapes and metadata."""
    rel = planned.rel
    header = read_header(path)
    if header.problems:
        raise VerificationError(
            f"{rel}: the written file is not valid safetensors ({header.problems[0].message}); it was not kept"
        )
    if dict(header.metadata or {}) != dict(planned.metadata):
        raise VerificationError(f"{rel}: the written __metadata__ differs from the plan; it was not kept")
    wanted = {t.name for t in planned.tensors}
    if set(header.tensors) != wanted:
        extra = sorted(set(header.tensors) ^ wanted)[:3]
        raise VerificationError(
            f"{rel}: the written file's tensors differ from the plan ({', '.join(extra)}); it was not kept"
        )
    for tensor in planned.tensors:
        info = header.tensors[tensor.name]
        if info.dtype != tensor.dtype or info.shape != tensor.shape:
            raise VerificationError(
                f"{rel}: tensor {tensor.name!r} was written as {info.dtype} {list(info.shape)}, "
                f"its source is {tensor.dtype} {list(tensor.shape)}; the file was not kept"
            )
    return header


def verify_file(path: Path, planned: PlannedFile, sources: Sources, progress: Progress) -> None:
    """Raise VerificationError unless `path` holds exactly what `planned` says, byte for byte."""
    import numpy as np

    rel = planned.rel
    header = check_header(path, planned)
    buffer = np.empty(CHUNK, dtype=np.uint8)
    fd = os.open(path, os.O_RDONLY)
    try:
        for tensor in sorted(planned.tensors, key=lambda t: header.tensors[t.name].start):
            info = header.tensors[tensor.name]
            with sources.payload(tensor) as payload:
                source = payload.array
                if source.nbytes != info.nbytes:
                    raise VerificationError(
                        f"{rel}: tensor {tensor.name!r} spans {info.nbytes:,} bytes, its source "
                        f"{source.nbytes:,}; the file was not kept"
                    )
                _compare(
                    fd,
                    header.data_start + info.start,
                    source,
                    buffer,
                    rel,
                    tensor.name,
                    sources.label(tensor),
                    progress,
                )
    finally:
        os.close(fd)


def _compare(
    fd: int, position: int, source: np.ndarray, buffer: Any, rel: str, name: str, origin: str, progress: Progress
) -> None:
    view = memoryview(buffer)
    for offset in range(0, source.nbytes, CHUNK):
        want = min(CHUNK, source.nbytes - offset)
        got = os.preadv(fd, [view[:want]], position + offset)
        if got != want or not same_bytes(source.ctypes.data + offset, buffer.ctypes.data, want):
            raise VerificationError(
                f"{rel}: tensor {name!r} differs from its source in {origin} "
                f"(bytes {offset:,}-{offset + want:,}); the file was not kept"
            )
        progress.update(nbytes=want)
