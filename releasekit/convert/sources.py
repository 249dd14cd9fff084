"""Where each planned tensor's bytes come from, one tensor at a time.

`bytes_of` yields the exact bytes to write for a planned tensor (made contiguous, or dequantized
from FP8), and afterwards gives the input pages back, so memory stays bounded by the largest
tensor whatever the size of the checkpoint. The writer and the verifier both read through here:
the verifier compares the written file with these same source bytes, recomputed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np

from releasekit.convert import fp8
from releasekit.convert.errors import ConvertError
from releasekit.convert.planner import PlannedTensor
from releasekit.convert.readers import Reader
from releasekit.convert.tensors import contiguous_bytes, st_dtype


class Sources:
    def __init__(self, readers: Sequence[Reader]) -> None:
        self.readers = readers

    def label(self, tensor: PlannedTensor) -> str:
        return self.readers[tensor.source.file].source.rel

    @contextlib.contextmanager
    def bytes_of(self, planned: PlannedTensor) -> Iterator[np.ndarray]:
        reader = self.readers[planned.source.file]
        tensor = reader.tensors.get(planned.source.name)
        if tensor is None:
            raise ConvertError(f"{reader.source.rel}: tensor {planned.source.name!r} disappeared since planning")
        try:
            if planned.scale is not None:
                scale_reader = self.readers[planned.scale.file]
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
                raise ConvertError(f"{reader.source.rel}: tensor {planned.name!r} is {value.dtype} "
                                   f"{list(value.shape)}, not as planned; did the input change during the run?")
            yield contiguous_bytes(value)
        finally:
            reader.release(tensor)
