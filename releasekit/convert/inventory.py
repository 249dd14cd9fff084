"""What one input file holds, as plain metadata: names, dtypes, shapes, shared storage, skips.

The planner works from these summaries only, so a reader (and, for the legacy format, the whole
file in memory) can be let go as soon as its summary is taken: planning a checkpoint of many
legacy shards never holds more than one of them.

Shared storage: the same view of one storage under several names (tied weights) is an alias of
the first name (or of a `--prefer-name`); different views of one storage (a slice, a transpose)
are recorded as views of the tensor that covers the whole storage, and each is written on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from releasekit.convert.readers import Reader
from releasekit.convert.statedict import Skipped
from releasekit.convert.tensors import FP8_TORCH, st_dtype


@dataclasses.dataclass(frozen=True, kw_only=True)
class TensorMeta:
    name: str
    dtype: str  # safetensors dtype of the source
    shape: tuple[int, ...]
    nbytes: int
    position: int  # order in the file

    @property
    def is_fp8(self) -> bool:
        return self.dtype in ("F8_E4M3", "F8_E5M2")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FileSummary:
    file: int  # position in Plan.inputs
    rel: str
    tensors: tuple[TensorMeta, ...]
    aliases: Mapping[str, str]  # alias -> kept name (same storage, same view)
    views: Mapping[str, str]  # view -> the tensor whose storage it shares
    skipped: tuple[Skipped, ...]


def summarize(reader: Reader, file: int, prefer_names: Sequence[str] = ()) -> FileSummary:
    metas = []
    for position, (name, tensor) in enumerate(reader.tensors.items()):
        dtype = st_dtype(tensor.dtype)
        assert dtype is not None  # statedict refuses dtypes safetensors lacks
        assert (tensor.dtype in FP8_TORCH) == (dtype in ("F8_E4M3", "F8_E5M2"))
        metas.append(
            TensorMeta(
                name=name,
                dtype=dtype,
                shape=tuple(int(d) for d in tensor.shape),
                nbytes=tensor.numel() * tensor.element_size(),
                position=position,
            )
        )
    aliases, views = shared_storage(reader.tensors, prefer_names)
    return FileSummary(
        file=file,
        rel=reader.source.rel,
        tensors=tuple(metas),
        aliases=aliases,
        views=views,
        skipped=tuple(reader.skipped),
    )


def _storage_key(tensor: torch.Tensor) -> tuple[int, int] | None:
    storage = tensor.untyped_storage()
    if tensor.numel() == 0 or storage.nbytes() == 0 or storage.data_ptr() == 0:
        return None
    return (storage.data_ptr(), storage.nbytes())


def _covers(tensor: torch.Tensor, storage_bytes: int) -> bool:
    return (
        tensor.is_contiguous()
        and tensor.storage_offset() == 0
        and tensor.numel() * tensor.element_size() == storage_bytes
    )


def shared_storage(
    tensors: Mapping[str, torch.Tensor], prefer: Sequence[str] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """Aliases (same storage, same view) and views (same storage, different view) in one file."""
    by_view: dict[tuple[Any, ...], list[str]] = {}
    by_storage: dict[tuple[int, int], list[str]] = {}
    for name, tensor in tensors.items():
        key = _storage_key(tensor)
        if key is None:
            continue
        view = (*key, tensor.dtype, tuple(tensor.shape), tuple(tensor.stride()), tensor.storage_offset())
        by_view.setdefault(view, []).append(name)
        if len(by_view[view]) == 1:
            by_storage.setdefault(key, []).append(name)
    preferred = set(prefer)
    aliases: dict[str, str] = {}
    for names in by_view.values():
        if len(names) > 1:
            kept = next((n for n in names if n in preferred), names[0])
            aliases.update({n: kept for n in names if n != kept})
    views: dict[str, str] = {}
    for (_, storage_bytes), firsts in by_storage.items():
        if len(firsts) > 1:
            resolved = [aliases.get(n, n) for n in firsts]
            # The base is the view that covers its whole storage (the parameter itself), if any.
            base = next((n for n in resolved if _covers(tensors[n], storage_bytes)), resolved[0])
            views.update({name: base for name in resolved if name != base})
    return aliases, views
