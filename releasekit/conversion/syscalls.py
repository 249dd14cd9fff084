"""Thin ctypes wrappers for three Linux calls Python's `os` lacks; each is a no-op or a portable
fallback elsewhere, so they change speed and memory, never results.

* madvise(MADV_DONTNEED): give back the pages of a read-only file mapping once used;
* memcmp: compare two memory ranges (about 10x numpy's array_equal, 100x a memoryview ==);
* sync_file_range(SYNC_FILE_RANGE_WRITE): start writing a range to disk without waiting, so the
  disk works while the next tensor is copied and the final fsync has little left to do.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from typing import Any

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_MADV_DONTNEED = 4  # Linux value; pages of a read-only file mapping are re-read from the file if touched
_SYNC_FILE_RANGE_WRITE = 2


@functools.lru_cache(maxsize=1)
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The symbols already loaded into the process (libc among them): find_library("c") would
        # spawn `ldconfig -p` to find it again, at every start.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        libc.madvise.restype = ctypes.c_int
        libc.memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        libc.memcmp.restype = ctypes.c_int
        libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
        libc.sync_file_range.restype = ctypes.c_int
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
    import numpy as np  # the fallback off Linux; the torch-free path never compares memory ranges

    left = np.ctypeslib.as_array(ctypes.cast(left_address, ctypes.POINTER(ctypes.c_ubyte)), (nbytes,))
    right = np.ctypeslib.as_array(ctypes.cast(right_address, ctypes.POINTER(ctypes.c_ubyte)), (nbytes,))
    return bool(np.array_equal(left, right))


def start_writeback(fd: int, offset: int, nbytes: int) -> None:
    """Ask the kernel to start writing a just-written range of `fd` to disk, without waiting."""
    libc = _libc()
    if libc is not None and nbytes > 0:
        libc.sync_file_range(fd, offset, nbytes, _SYNC_FILE_RANGE_WRITE)
