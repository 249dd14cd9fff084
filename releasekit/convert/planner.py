"""Decide, before writing a byte, what goes where: names, dtypes, shapes, shards, aliases, skips.

Everything the writer needs to put the header first is known here (safetensors puts every dtype,
shape and offset in a header ahead of the data), and the index is known before any shard exists.

Shared tensors: safetensors has no views, so the same data under two names (tied embeddings:
`model.embed_tokens.weight` and `lm_head.weight`) is written once, and the other names are
recorded in the file's `__metadata__` as `alias -> kept name`, exactly as the Hub's conversion
(safetensors' convert.py, `safetensors.torch.save_model`) records the names it removes. The kept
name is the first in the checkpoint's own order, which is the module that owns the parameter
(transformers lists the later ones in `_tied_weights_keys`, which the Hub's bot passes as
`discard_names`); `--prefer-name` overrides it. Different views of one storage (a slice, a
transpose) are each written as their own contiguous tensor, so every name still loads; the Hub's
`_remove_duplicate_names` drops such names instead.

Sharding follows huggingface_hub's `split_state_dict_into_shards_factory`: tensors in order, a
new shard when the next tensor would pass `max_shard_size`, a tensor larger than that alone in its
own shard; one shard is `model.safetensors` with no index, several are
`model-00001-of-00003.safetensors` with `model.safetensors.index.json`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from releasekit.convert import fp8
from releasekit.convert.discovery import InputFile, Unit
from releasekit.convert.errors import ConvertError
from releasekit.convert.readers import Reader
from releasekit.convert.statedict import Skipped
from releasekit.convert.tensors import FP8_TORCH, itemsize, st_dtype

FORMAT_METADATA = {"format": "pt"}  # transformers refuses safetensors files without it


@dataclasses.dataclass(frozen=True, kw_only=True)
class TensorSource:
    file: int  # position in Plan.inputs
    name: str  # name in that file's reader


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlannedTensor:
    name: str
    dtype: str  # safetensors dtype as written
    shape: tuple[int, ...]
    nbytes: int
    source: TensorSource
    scale: TensorSource | None = None  # set when the tensor is FP8 dequantized with this scale

    @property
    def dequantized(self) -> bool:
        return self.scale is not None


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlannedFile:
    rel: str  # POSIX path relative to the output root
    tensors: tuple[PlannedTensor, ...]  # in the order of the data buffer
    metadata: Mapping[str, str]

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tensors)


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnitPlan:
    unit: Unit
    files: tuple[PlannedFile, ...]
    index_rel: str | None
    index: Mapping[str, Any] | None  # the model.safetensors.index.json document
    aliases: Mapping[str, str]  # alias -> name written
    views_copied: Mapping[str, str]  # view -> the tensor whose storage it shares (each written on its own)
    skipped: tuple[Skipped, ...]
    dequantized: tuple[str, ...]
    scales_dropped: tuple[str, ...]
    fp8_without_scale: tuple[str, ...]
    config_rel: str | None  # config.json written beside the output (--dequantize-fp8)

    @property
    def total_size(self) -> int:
        return sum(f.nbytes for f in self.files)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Plan:
    inputs: tuple[InputFile, ...]
    units: tuple[UnitPlan, ...]

    @property
    def files(self) -> list[PlannedFile]:
        return [f for u in self.units for f in u.files]

    def describe(self) -> dict[str, Any]:
        """What the plan writes, for the resume fingerprint: names, dtypes, shapes and sources."""
        return {
            "inputs": [[i.rel, i.size] for i in self.inputs],
            "files": [
                {"rel": f.rel, "metadata": dict(f.metadata),
                 "tensors": [[t.name, t.dtype, list(t.shape), t.source.file, t.source.name,
                              None if t.scale is None else [t.scale.file, t.scale.name]] for t in f.tensors]}
                for f in self.files
            ],
            "indexes": [u.index for u in self.units],
            "configs": [u.config_rel for u in self.units],
        }


def plan_unit(unit: Unit, readers: Sequence[Reader], first_file: int, *, max_shard_size: int,
              dequantize_fp8: bool, prefer_names: Sequence[str] = ()) -> UnitPlan:
    """Plan one unit; `readers` are its files' readers, numbered from `first_file` in Plan.inputs."""
    where: dict[str, int] = {}
    order: list[tuple[str, int, torch.Tensor]] = []
    aliases: dict[str, str] = {}
    views: dict[str, str] = {}
    skipped: list[Skipped] = []
    for offset, reader in enumerate(readers):
        skipped.extend(reader.skipped)
        for name, tensor in reader.tensors.items():
            if name in where:
                raise ConvertError(f"{unit.label}: tensor {name!r} is in both {readers[where[name]].source.rel} "
                                   f"and {reader.source.rel}")
            where[name] = offset
            order.append((name, first_file + offset, tensor))
        file_aliases, file_views = _shared(reader.tensors, prefer_names)
        aliases.update(file_aliases)
        views.update(file_views)

    written = [(n, f, t) for n, f, t in order if n not in aliases]
    tensors_by_name = {n: (f, t) for n, f, t in order}
    planned: list[PlannedTensor] = []
    dequantized: list[str] = []
    dropped: set[str] = set()
    unscaled: list[str] = []
    if dequantize_fp8:
        for name, file, tensor in written:
            if tensor.dtype not in FP8_TORCH:
                continue
            scale = fp8.scale_name(name)
            if scale not in tensors_by_name:
                unscaled.append(name)
                continue
            _check_scale(unit, name, tensor, scale, tensors_by_name[scale][1])
            dequantized.append(name)
            dropped.add(scale)
    for name, file, tensor in written:
        if name in dropped:
            continue
        source = TensorSource(file=file, name=name)
        shape = tuple(int(d) for d in tensor.shape)
        if name in dequantized:
            scale_file = tensors_by_name[fp8.scale_name(name)][0]
            planned.append(PlannedTensor(name=name, dtype="BF16", shape=shape, nbytes=tensor.numel() * 2,
                                         source=source, scale=TensorSource(file=scale_file, name=fp8.scale_name(name))))
        else:
            dtype = st_dtype(tensor.dtype)
            assert dtype is not None  # statedict refuses dtypes safetensors lacks
            planned.append(PlannedTensor(name=name, dtype=dtype, shape=shape,
                                         nbytes=tensor.numel() * tensor.element_size(), source=source))
    aliases = {a: k for a, k in aliases.items() if k not in dropped and a not in dropped}
    files = _shard(unit, planned, aliases, max_shard_size)
    index_rel = index = None
    if len(files) > 1:
        index_rel = _join(unit.directory, f"{unit.base}.safetensors.index.json")
        index = {
            "metadata": {"total_size": sum(f.nbytes for f in files)},
            "weight_map": dict(sorted((t.name, f.rel.rsplit("/", 1)[-1]) for f in files for t in f.tensors)),
        }
    config_rel = _join(unit.directory, "config.json") if dequantized and unit.config is not None else None
    return UnitPlan(unit=unit, files=tuple(files), index_rel=index_rel, index=index, aliases=aliases,
                    views_copied=views, skipped=tuple(skipped), dequantized=tuple(dequantized),
                    scales_dropped=tuple(sorted(dropped)), fp8_without_scale=tuple(unscaled), config_rel=config_rel)


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def _check_scale(unit: Unit, name: str, weight: torch.Tensor, scale: str, scale_tensor: torch.Tensor) -> None:
    if weight.dim() != 2:
        raise ConvertError(f"{unit.label}: FP8 tensor {name!r} has shape {list(weight.shape)}; block "
                           "dequantization needs a 2-D weight")
    expected = fp8.expected_scale_shape(tuple(weight.shape))
    if tuple(scale_tensor.shape) != expected:
        raise ConvertError(f"{unit.label}: {scale!r} has shape {list(scale_tensor.shape)}, but {name!r} "
                           f"{list(weight.shape)} in 128x128 blocks needs {list(expected)}")
    if not scale_tensor.dtype.is_floating_point or scale_tensor.dtype in FP8_TORCH:
        raise ConvertError(f"{unit.label}: {scale!r} has dtype {scale_tensor.dtype}; expected float32 scales")


def _storage_key(tensor: torch.Tensor) -> tuple[int, int] | None:
    storage = tensor.untyped_storage()
    if tensor.numel() == 0 or storage.nbytes() == 0 or storage.data_ptr() == 0:
        return None
    return (storage.data_ptr(), storage.nbytes())


def _shared(tensors: Mapping[str, torch.Tensor], prefer: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
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
    for (_, storage_bytes), kept_names in by_storage.items():
        if len(kept_names) > 1:
            resolved = [aliases.get(n, n) for n in kept_names]
            # The base is the view that covers its whole storage (the parameter itself), if any.
            base = next((n for n in resolved if _covers(tensors[n], storage_bytes)), resolved[0])
            views.update({name: base for name in resolved if name != base})
    return aliases, views


def _covers(tensor: torch.Tensor, storage_bytes: int) -> bool:
    return (tensor.is_contiguous() and tensor.storage_offset() == 0
            and tensor.numel() * tensor.element_size() == storage_bytes)


def _shard(unit: Unit, planned: list[PlannedTensor], aliases: Mapping[str, str],
           max_shard_size: int) -> list[PlannedFile]:
    groups: list[list[PlannedTensor]] = [[]]
    size = 0
    for tensor in planned:
        if groups[-1] and size + tensor.nbytes > max_shard_size:
            groups.append([])
            size = 0
        groups[-1].append(tensor)
        size += tensor.nbytes
    count = len(groups)
    files = []
    for number, group in enumerate(groups, start=1):
        name = f"{unit.base}.safetensors" if count == 1 else f"{unit.base}-{number:05d}-of-{count:05d}.safetensors"
        # Widest dtypes first, then by name (the reference writer's order): every tensor starts at a
        # multiple of its element size, so readers may view the mapped bytes without copying.
        ordered = sorted(group, key=lambda t: (-itemsize(t.dtype), t.name))
        names = {t.name for t in group}
        metadata = dict(FORMAT_METADATA)
        metadata.update(sorted((alias, kept) for alias, kept in aliases.items() if kept in names))
        files.append(PlannedFile(rel=_join(unit.directory, name), tensors=tuple(ordered), metadata=metadata))
    return files
