"""The NumPy .npy header, read without NumPy: where the data starts and whether it is a pickle.

An .npy file is a magic string, a version, a header length and a Python dict literal (parsed
here with `ast.literal_eval`, as NumPy itself does). When the dtype holds Python objects, the
array is stored as a pickle right after the header, and `numpy.load(allow_pickle=True)` runs it.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
import struct
from typing import Any

MAGIC = b"\x93NUMPY"
#: NumPy refuses headers over 10,000 bytes by default (`max_header_size`); allow some slack.
MAX_HEADER = 1 << 20
_TYPE = re.compile(r"^[<>|=]?([bBiuUfcmMOSaVe?])(\d*)(\[[A-Za-z0-9]+\])?$")


class NpyError(ValueError):
    """The header is not one NumPy would read."""


@dataclasses.dataclass(frozen=True)
class NpyHeader:
    data_offset: int  # where the array data (or the pickle) starts, from the start of the file
    shape: tuple[int, ...]
    has_object: bool
    itemsize: int  # 0 when has_object

    @property
    def data_bytes(self) -> int:
        return math.prod(self.shape) * self.itemsize


def header_length(prefix: bytes) -> tuple[int, int]:
    """(bytes before the dict, dict length) from the first 12 bytes."""
    if not prefix.startswith(MAGIC) or len(prefix) < 10:
        raise NpyError("not an .npy file (bad magic)")
    major = prefix[6]
    if major == 1:
        return 10, struct.unpack("<H", prefix[8:10])[0]
    if major in (2, 3):
        if len(prefix) < 12:
            raise NpyError("truncated header")
        return 12, struct.unpack("<I", prefix[8:12])[0]
    raise NpyError(f"unsupported .npy format version {major}.{prefix[7]}")


def parse_header(prefix_len: int, text: bytes, version: int) -> NpyHeader:
    encoding = "utf-8" if version >= 3 else "latin-1"
    try:
        value = ast.literal_eval(text.decode(encoding))
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError) as exc:
        raise NpyError(f"header is not a Python literal ({type(exc).__name__})") from None
    if not isinstance(value, dict) or set(value) != {"descr", "fortran_order", "shape"}:
        raise NpyError("header must be a dict with exactly descr, fortran_order and shape")
    shape = value["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise NpyError(f"shape {shape!r} is not a tuple of sizes")
    if not isinstance(value["fortran_order"], bool):
        raise NpyError("fortran_order is not a boolean")
    itemsize, has_object = descr_layout(value["descr"])
    return NpyHeader(prefix_len + len(text), shape, has_object, 0 if has_object else itemsize)


def descr_layout(descr: Any, depth: int = 0) -> tuple[int, bool]:
    """(item size in bytes, holds objects) of a NumPy array-protocol type description."""
    if depth > 32:
        raise NpyError("dtype nested too deep")
    if isinstance(descr, str):
        match = _TYPE.match(descr)
        if match is None:
            raise NpyError(f"unknown dtype {descr!r}")
        kind, digits = match.group(1), match.group(2)
        if kind == "O":
            return 8, True
        if kind in ("b", "B", "?") and not digits:
            return 1, False
        if not digits:
            raise NpyError(f"dtype {descr!r} has no size")
        size = int(digits)
        return (size * 4 if kind == "U" else size), False
    if isinstance(descr, list):
        total, has_object = 0, False
        for field in descr:
            if not isinstance(field, tuple) or len(field) not in (2, 3):
                raise NpyError(f"structured dtype field {field!r} is not (name, type[, shape])")
            size, obj = descr_layout(field[1], depth + 1)
            if len(field) == 3:
                sub = field[2]
                sub = (sub,) if isinstance(sub, int) else sub
                if not isinstance(sub, tuple) or not all(isinstance(d, int) and d >= 0 for d in sub):
                    raise NpyError(f"structured dtype field shape {field[2]!r} is not a tuple of sizes")
                size *= math.prod(sub)
            total += size
            has_object = has_object or obj
        return total, has_object
    raise NpyError(f"dtype description {descr!r} is neither a string nor a list of fields")
