"""Tensor helpers: safetensors dtype names and a tensor's raw bytes.

Only imported once torch is known to be present (convert imports torch lazily).
"""

from __future__ import annotations

import numpy as np
import torch

# torch dtype -> safetensors dtype, for every dtype both sides define (as safetensors.torch does).
_TORCH_TO_ST: dict[torch.dtype, str] = {
    torch.bool: "BOOL",
    torch.uint8: "U8",
    torch.int8: "I8",
    torch.int16: "I16",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float32: "F32",
    torch.float64: "F64",
    torch.complex64: "C64",
    torch.float8_e4m3fn: "F8_E4M3",
    torch.float8_e5m2: "F8_E5M2",
}
for _name, _st in (("uint16", "U16"), ("uint32", "U32"), ("uint64", "U64"), ("float8_e8m0fnu", "F8_E8M0")):
    if hasattr(torch, _name):
        _TORCH_TO_ST[getattr(torch, _name)] = _st
_ST_TO_TORCH = {v: k for k, v in _TORCH_TO_ST.items()}
FP8_TORCH = frozenset({torch.float8_e4m3fn, torch.float8_e5m2})


def st_dtype(dtype: torch.dtype) -> str | None:
    """The safetensors name of a torch dtype, or None when the format has no such dtype."""
    return _TORCH_TO_ST.get(dtype)


def torch_dtype(name: str) -> torch.dtype:
    return _ST_TO_TORCH[name]


def contiguous_bytes(tensor: torch.Tensor) -> np.ndarray:
    """The tensor's bytes in C order as a flat uint8 array; no copy when already contiguous."""
    if not tensor.is_contiguous():
        tensor = tensor.contiguous()
    if tensor.numel() == 0:
        return np.empty(0, dtype=np.uint8)
    flat = tensor.reshape(-1)
    if flat.stride(0) != 1:  # a one-element view keeps its odd stride and counts as contiguous
        flat = flat.new_empty(flat.shape).copy_(flat)
    return flat.view(torch.uint8).numpy()
