"""Where each planned tensor's bytes come from, one tensor at a time.

`payload` yields the exact bytes to write for a planned tensor (made contiguous, or dequantized
from FP8), and afterwards gives the input pages back, so memory stays bounded by the largest
tensor whatever the size of the checkpoint. When a tensor's bytes lie unchanged in the input
file, the payload also says where, so the writer can have the kernel copy them. The verifier
compares the written file with the bytes as torch holds them (recomputed when dequantized).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import numpy as np

from releasekit.conversion import fp8
from releasekit.conversion.errors import ConvertError
from releasekit.conversion.planner import PlannedTensor
from releasekit.conversion.ranges import FileRange
from releasekit.conversion.readers import ReaderPool
from releasekit.conversion.tensors import contiguous_bytes, st_dtype


@dataclasses.dataclass(frozen=True)
class Payload:
    """One tensor's output bytes: `array` as torch holds them (what verification compares with),
    and `file_range` when the same bytes lie unchanged in the input file."""

    array: np.ndarray
    file_range: FileRange | None

    @property
    def nbytes(self) -> int:
        return int(self.array.nbytes)

    def pieces(self, chunk: int) -> Iterator[memoryview | FileRange]:
        whole: memoryview | FileRange = self.file_range if self.file_range is not None else memoryview(self.array)
        for offset in range(0, self.nbytes, chunk):
            yield whole[offset : offset + chunk]


class Sources:
    def __init__(self, readers: ReaderPool) -> None:
        self.readers = readers

    def label(self, tensor: PlannedTensor) -> str:
        return self.readers.inputs[tensor.source.file].rel

    @contextlib.contextmanager
    def payload(self, planned: PlannedTensor) -> Iterator[Payload]:
        reader = self.readers.get(planned.source.file)
        tensor = reader.tensors.get(planned.source.name)
        if tensor is None:
            raise ConvertError(f"{reader.source.rel}: tensor {planned.source.name!r} disappeared since planning")
        try:
            if planned.scale is not None:
                scale_reader = self.readers.get(planned.scale.file)
                scale = scale_reader.tensors[planned.scale.name]
                try:
                    value = fp8.dequantize(tensor, scale)
                except ValueError as exc:
                    raise ConvertError(f"{reader.source.rel}: {planned.name!r}: {exc}") from None
                finally:
                    scale_reader.release(scale)
            else:
                value = tensor
            if st_dtype(value.dtype) != planned.dtype or tuple(value.shape) != planned.shape:
                raise ConvertError(
                    f"{reader.source.rel}: tensor {planned.name!r} is {value.dtype} "
                    f"{list(value.shape)}, not as planned; did the input change during the run?"
                )
            where = reader.file_range(value) if value is tensor else None
            span = FileRange(reader.fileno(), *where) if where is not None else None
            yield Payload(contiguous_bytes(value), span)
        finally:
            reader.release(tensor)
