"""Write and verify safetensors straight from a torch zip checkpoint, without torch or numpy.

Writing: a tensor that lies contiguously in its storage is a range of the input file, which the
kernel copies (copy_file_range, as `cp` does); any other view (a transpose, a strided slice, an
expanded tensor) is gathered element by element into memory, one tensor at a time.

Verifying, while the file is written (PipelinedVerify), without reading the input in the common case: a tensor that is its whole
storage must have, where it was written, the CRC-32 the zip recorded for that storage when torch
saved it. That one check proves both that the storage is intact and that it was copied right. A
tensor that is only part of a storage is compared byte for byte with the same view gathered again
from a mapping of the input (not from the range the writer copied, so a mistake in locating the
bytes cannot verify itself), once that storage has matched its CRC-32.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import mmap
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from releasekit.conversion.discovery import InputFile
from releasekit.conversion.errors import ConvertError, VerificationError
from releasekit.conversion.planner import PlannedFile, PlannedTensor
from releasekit.conversion.progress import Progress
from releasekit.conversion.ranges import FileRange
from releasekit.conversion.torchzip import DirectReader, TensorRef, open_direct
from releasekit.conversion.verify import check_header
from releasekit.safetensors_format import encode_header

try:  # ISA-L's CRC-32 (the `fast` extra) is about 3x zlib's; both give the zip's CRC-32
    from isal.isal_zlib import crc32
except ImportError:  # pragma: no cover - depends on the install
    from zlib import crc32

CHUNK = 32 * 1024 * 1024
# Map pages in one go rather than one fault at a time (Linux; a plain shared mapping elsewhere).
_SHARED_POPULATED = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}  # copy bits as unsigned integers of the element's size


class DirectPool:
    """Direct readers by input position, opened on first use (each holds metadata and one fd)."""

    def __init__(self, inputs: Sequence[InputFile], *, strip_prefix: str | None = None,
                 exclude: Sequence[str] = ()) -> None:  # fmt: skip
        self.inputs = list(inputs)
        self.strip_prefix = strip_prefix
        self.exclude = tuple(exclude)
        self._open: dict[int, DirectReader] = {}

    def get(self, index: int) -> DirectReader:
        reader = self._open.get(index)
        if reader is None:
            reader = open_direct(self.inputs[index], strip_prefix=self.strip_prefix, exclude=self.exclude)
            self._open[index] = reader
        return reader

    def drop_legacy(self) -> None:
        """Nothing to drop: a direct reader holds no tensor data."""

    def close(self) -> None:
        for reader in self._open.values():
            reader.close()
        self._open.clear()


@dataclasses.dataclass(frozen=True)
class DirectPayload:
    nbytes: int
    file_range: FileRange | None = None
    data: bytearray | None = None

    def pieces(self, chunk: int) -> Iterator[memoryview | FileRange]:
        if self.nbytes == 0:
            return
        whole: memoryview | FileRange = self.file_range if self.file_range is not None else memoryview(self.data or b"")
        for offset in range(0, self.nbytes, chunk):
            yield whole[offset : offset + chunk]


class DirectSources:
    """Each planned tensor's bytes, located in the input file (or gathered when not contiguous)."""

    def __init__(self, pool: DirectPool) -> None:
        self.pool = pool
        self._checked: set[tuple[int, str]] = set()  # storages whose CRC-32 matched

    def label(self, tensor: PlannedTensor) -> str:
        return self.pool.inputs[tensor.source.file].rel

    def lookup(self, planned: PlannedTensor) -> tuple[DirectReader, TensorRef]:
        reader = self.pool.get(planned.source.file)
        ref = reader.tensors.get(planned.source.name)
        if ref is None:
            raise ConvertError(f"{reader.source.rel}: tensor {planned.source.name!r} disappeared since planning")
        if planned.scale is not None:  # the planner only dequantizes on the torch path
            raise ConvertError(f"{reader.source.rel}: {planned.name!r}: FP8 dequantization needs torch")
        if ref.st_dtype != planned.dtype or ref.shape != planned.shape:
            raise ConvertError(
                f"{reader.source.rel}: tensor {planned.name!r} is {ref.st_dtype} {list(ref.shape)}, not as planned; "
                "did the input change during the run?"
            )
        return reader, ref

    @contextlib.contextmanager
    def payload(self, planned: PlannedTensor) -> Iterator[DirectPayload]:
        reader, ref = self.lookup(planned)
        if ref.nbytes == 0:
            yield DirectPayload(0)
        elif ref.is_contiguous:
            start = reader.member(ref).offset + ref.byte_offset
            yield DirectPayload(ref.nbytes, file_range=FileRange(reader.fileno(), start, ref.nbytes))
        else:
            yield DirectPayload(ref.nbytes, data=written_bytes(reader, ref))

    def check_storage(self, reader: DirectReader, ref: TensorRef) -> None:
        """The storage's bytes in the input match the CRC-32 the zip recorded (once per storage)."""
        key = (self.pool.inputs.index(reader.source), ref.storage.key)
        if key in self._checked:
            return
        member = reader.member(ref)
        if crc_of(reader.fileno(), member.offset, member.size) != member.crc:
            raise VerificationError(
                f"{reader.source.rel}: storage {ref.storage.key!r} does not match the CRC-32 its zip records: "
                "the checkpoint is corrupt or was altered after torch saved it; nothing was kept"
            )
        self._checked.add(key)


#: Bytes of a bool element as torch's copy of a view writes them: any non-zero byte becomes 1.
_CANONICAL_BOOL = bytes([0] + [1] * 255)


def written_bytes(reader: DirectReader, ref: TensorRef) -> bytearray:
    """What the output holds for a tensor that is gathered or compared (not a kernel copy).

    A strided bool view is written as torch's `.contiguous()` writes it (0 or 1), so both engines
    give the same bytes for a storage holding other non-zero values (a uint8 buffer viewed as
    bool); a contiguous one is copied as stored, by either engine.
    """
    out = gather(reader, ref)
    return out.translate(_CANONICAL_BOOL) if ref.st_dtype == "BOOL" and not ref.is_contiguous else out


def gather(reader: DirectReader, ref: TensorRef) -> bytearray:
    """The tensor's elements in C order, read through a mapping of its storage."""
    member = reader.member(ref)
    start = member.offset
    length = ref.storage.nbytes
    base = start - start % mmap.ALLOCATIONGRANULARITY
    mapping = mmap.mmap(reader.fileno(), length + start - base, access=mmap.ACCESS_READ, offset=base)
    try:
        with memoryview(mapping) as view:
            return strided_copy(view[start - base : start - base + length], ref)
    finally:
        mapping.close()


def strided_copy(storage: memoryview, ref: TensorRef) -> bytearray:
    """Copy a strided view of `storage` (bytes) into a new C-ordered buffer.

    The longest dimension is copied by one strided slice assignment (in C), the others are looped
    over in Python, so a transposed matrix costs one Python step per row, not per element.
    """
    size = ref.itemsize
    out = bytearray(ref.nbytes)
    if not out:
        return out
    fmt = _FORMATS[size]
    with storage[: len(storage) // size * size].cast(fmt) as src, memoryview(out).cast(fmt) as dst:
        shape, stride = ref.shape, ref.stride
        if not shape:
            dst[0:1] = src[ref.offset : ref.offset + 1]
            return out
        out_stride = [1] * len(shape)
        for dim in range(len(shape) - 2, -1, -1):
            out_stride[dim] = out_stride[dim + 1] * shape[dim + 1]
        inner = max(range(len(shape)), key=lambda dim: shape[dim])
        count, step_src, step_dst = shape[inner], stride[inner], out_stride[inner]
        others = [dim for dim in range(len(shape)) if dim != inner]
        for index in itertools.product(*(range(shape[dim]) for dim in others)):
            at_src = ref.offset + sum(i * stride[dim] for i, dim in zip(index, others))
            at_dst = sum(i * out_stride[dim] for i, dim in zip(index, others))
            target = slice(at_dst, at_dst + (count - 1) * step_dst + 1, step_dst)
            if step_src == 0:  # an expanded tensor: one element repeated
                dst[target] = memoryview(bytes(src[at_src : at_src + 1]) * count).cast(fmt)
            else:
                dst[target] = src[at_src : at_src + (count - 1) * step_src + 1 : step_src]
    return out


def crc_of(fd: int, offset: int, length: int, progress: Progress | None = None, crc: int = 0) -> int:
    """The CRC-32 of `length` bytes of `fd` from `offset`, continuing from `crc`."""
    buffer = bytearray(min(CHUNK, max(length, 1)))
    view = memoryview(buffer)
    done = 0
    while done < length:
        want = min(len(buffer), length - done)
        got = os.preadv(fd, [view[:want]], offset + done)
        if got <= 0:
            raise VerificationError("a file ended early while it was being verified; did it change during the run?")
        crc = crc32(view[:got], crc)
        done += got
        if progress is not None:
            progress.update(nbytes=got)
    return crc


def crc_of_written(fd: int, offset: int, length: int, progress: Progress | None = None, crc: int = 0) -> int:
    """crc_of for bytes this run has just written: read through a mapping of the page cache, with
    no copy into this process (the file is ours, in the staging folder, and never shrinks)."""
    done = 0
    while done < length:
        at = offset + done
        base = at - at % mmap.ALLOCATIONGRANULARITY
        want = min(CHUNK, length - done)
        with mmap.mmap(fd, want + at - base, flags=_SHARED_POPULATED, prot=mmap.PROT_READ, offset=base) as window:
            with memoryview(window) as view:
                crc = crc32(view[at - base : at - base + want], crc)
        done += want
        if progress is not None:
            progress.update(nbytes=want)
    return crc


class PipelinedVerify:
    """Verifies a file while the writer writes it, one piece behind, from a thread of its own.

    The copy (in the kernel) and the CRC-32 (zlib, which lets go of the GIL) then run on two
    cores at once, while the disk writes; `finish` waits for the last tensor, then checks the
    header on disk against the plan (names, dtypes, shapes, metadata and every tensor's place).
    """

    def __init__(self, path: Path, planned: PlannedFile, sources: DirectSources, progress: Progress) -> None:
        self.path = path
        self.planned = planned
        self.sources = sources
        self.progress = progress
        header, self.spans = encode_header([(t.name, t.dtype, t.shape) for t in planned.tensors], planned.metadata)
        self.data_start = len(header)
        self._written = 0
        self._aborted = False
        self._error: BaseException | None = None
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="releasekit-verify", daemon=True)
        self._thread.start()

    def written(self, upto: int) -> None:
        """The writer has written the file up to byte `upto`."""
        with self._condition:
            self._written = upto
            self._condition.notify()

    def abort(self) -> None:
        with self._condition:
            self._aborted = True
            self._condition.notify()
        self._thread.join()

    def finish(self) -> None:
        """Wait for the verification; raise VerificationError (or what stopped it) unless it all matched."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        header = check_header(self.path, self.planned)
        for tensor in self.planned.tensors:
            info = header.tensors[tensor.name]
            if (header.data_start + info.start, header.data_start + info.end) != self._place(tensor):
                raise VerificationError(
                    f"{self.planned.rel}: tensor {tensor.name!r} is not where it was planned and verified; "
                    "the file was not kept"
                )

    def _place(self, tensor: PlannedTensor) -> tuple[int, int]:
        begin, end = self.spans[tensor.name]
        return self.data_start + begin, self.data_start + end

    def _wait(self, upto: int) -> bool:
        with self._condition:
            while self._written < upto and not self._aborted:
                self._condition.wait()
            return not self._aborted

    def _run(self) -> None:
        fd = None
        try:
            if not self._wait(self.data_start):
                return
            fd = os.open(self.path, os.O_RDONLY)
            for tensor in self.planned.tensors:  # the order the writer writes them in
                if not self._verify(fd, tensor):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to finish(), in the writer's thread
            self._error = exc
        finally:
            if fd is not None:
                os.close(fd)

    def _verify(self, fd: int, tensor: PlannedTensor) -> bool:
        rel = self.planned.rel
        reader, ref = self.sources.lookup(tensor)
        start, end = self._place(tensor)
        if end - start != ref.nbytes:
            raise VerificationError(
                f"{rel}: tensor {tensor.name!r} spans {end - start:,} bytes, its source {ref.nbytes:,}; "
                "the file was not kept"
            )
        if not ref.nbytes:
            return True
        member = reader.member(ref)
        if ref.is_contiguous and ref.offset == 0 and ref.nbytes == member.size:
            crc = 0
            for offset in range(start, end, CHUNK):
                stop = min(offset + CHUNK, end)
                if not self._wait(stop):
                    return False
                crc = crc_of_written(fd, offset, stop - offset, self.progress, crc)
            if crc != member.crc:
                self.sources.check_storage(reader, ref)  # raises when the input is to blame
                raise VerificationError(
                    f"{rel}: tensor {tensor.name!r} differs from its source in {reader.source.rel} "
                    "(its CRC-32 does not match the zip's); the file was not kept"
                )
            return True
        if not self._wait(end):
            return False
        self.sources.check_storage(reader, ref)
        expected = written_bytes(reader, ref)
        for offset in range(0, len(expected), CHUNK):
            want = expected[offset : offset + CHUNK]
            if os.pread(fd, len(want), start + offset) != want:
                raise VerificationError(
                    f"{rel}: tensor {tensor.name!r} differs from its source in {reader.source.rel} "
                    f"(bytes {offset:,}-{offset + len(want):,}); the file was not kept"
                )
            self.progress.update(nbytes=len(want))
        return True
