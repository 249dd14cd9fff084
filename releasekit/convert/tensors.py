"""Low-level tensor helpers: safetensors dtype names, raw bytes, and giving mmapped pages back.

Only imported once torch is known to be present (convert imports torch lazily).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from typing import Any

import numpy as np
import torch

from releasekit.safetensors_format import DTYPE_BITS

# torch dtype -> safetensors dtype, for every dtype both sides define (as safetensors.torch does).
_TORCH_TO_ST: dict[torch.dtype, str] = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8",
    torch.int16: "I16", torch.int32: "I32", torch.int64: "I64",
    torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
    torch.complex64: "C64",
    torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
}
for _name, _st in (("uint16", "U16"), ("uint32", "U32"), ("uint64", "U64"), ("float8_e8m0fnu", "F8_E8M0")):
    if hasattr(torch, _name):
        _TORCH_TO_ST[getattr(torch, _name)] = _st
_ST_TO_TORCH = {v: k for k, v in _TORCH_TO_ST.items()}
FP8_TORCH = frozenset({torch.float8_e4m3fn, torch.float8_e5m2})

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_MADV_DONTNEED = 4  # Linux value; pages of a read-only file mapping are re-read from the file if touched


def st_dtype(dtype: torch.dtype) -> str | None:
    """The safetensors name of a torch dtype, or None when the format has no such dtype."""
    return _TORCH_TO_ST.get(dtype)


def torch_dtype(name: str) -> torch.dtype:
    return _ST_TO_TORCH[name]


def itemsize(st_name: str) -> int:
    return DTYPE_BITS[st_name] // 8


def contiguous_bytes(tensor: torch.Tensor) -> np.ndarray:
    """The tensor's bytes in C order as a flat uint8 array; no copy when already contiguous."""
    if not tensor.is_contiguous():
        tensor = tensor.contiguous()
    if tensor.numel() == 0:
        return np.empty(0, dtype=np.uint8)
    return tensor.reshape(-1).view(torch.uint8).numpy()


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        libc.madvise.restype = ctypes.c_int
        libc.memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        libc.memcmp.restype = ctypes.c_int
        return libc
    except (OSError, AttributeError):
        return None


def release_pages(address: int, nbytes: int) -> None:
    """Drop the resident pages of a read-only file mapping from this process.

    Why: pages of an mmapped checkpoint count in the process's memory once touched; without this,
    converting a 700 GB checkpoint would grow to the size of the checkpoint. The pages stay in the
    kernel's page cache, and touching them again re-reads them from the file, so this is only
    correct for mappings of files nobody writes through, which is what the readers guarantee.
    """
    libc = _libc()
    if libc is None or nbytes <= 0 or address == 0:
        return
    start = address - address % PAGE
    libc.madvise(start, address + nbytes - start, _MADV_DONTNEED)


def same_bytes(left_address: int, right_address: int, nbytes: int) -> bool:
    """Whether two memory ranges hold the same bytes (memcmp: about 10x numpy's array_equal)."""
    if nbytes == 0:
        return True
    libc = _libc()
    if libc is not None:
        return int(libc.memcmp(left_address, right_address, nbytes)) == 0
    left = np.ctypeslib.as_array(ctypes.cast(left_address, ctypes.POINTER(ctypes.c_ubyte)), (nbytes,))
    right = np.ctypeslib.as_array(ctypes.cast(right_address, ctypes.POINTER(ctypes.c_ubyte)), (nbytes,))
    return bool(np.array_equal(left, right))
