"""Builders for binary fixtures: safetensors files (valid or deliberately broken) and checkpoints."""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from releasekit.safetensors_format import DTYPE_BITS, encode_header


def safetensors_bytes(tensors: Sequence[tuple[str, str, Sequence[int]]], metadata: Mapping[str, str] | None = None,
                      fill: int = 0) -> bytes:
    """A valid safetensors file for (name, dtype, shape) tensors, data filled with `fill` bytes."""
    header, spans = encode_header(tensors, metadata)
    size = max((end for _, end in spans.values()), default=0)
    return header + bytes([fill]) * size


def raw_safetensors(header: Any, data_len: int, *, header_len: int | None = None, pad: bool = True) -> bytes:
    """A file with an arbitrary header document (dict or raw bytes/str) and `data_len` data bytes."""
    if isinstance(header, bytes):
        text = header
    elif isinstance(header, str):
        text = header.encode()
    else:
        text = json.dumps(header).encode()
    if pad:
        text += b" " * (-(len(text) + 8) % 8)
    length = len(text) if header_len is None else header_len
    return struct.pack("<Q", length) + text + b"\0" * data_len


def entry(dtype: str, shape: Sequence[int], start: int) -> dict[str, Any]:
    n = 1
    for d in shape:
        n *= d
    return {"dtype": dtype, "shape": list(shape), "data_offsets": [start, start + n * DTYPE_BITS[dtype] // 8]}


def write_index(folder: Path, weight_map: Mapping[str, str], total_size: Any = None, name: str = "model") -> Path:
    document: dict[str, Any] = {"metadata": {}, "weight_map": dict(weight_map)}
    if total_size is not None:
        document["metadata"]["total_size"] = total_size
    path = folder / f"{name}.safetensors.index.json"
    path.write_text(json.dumps(document))
    return path
