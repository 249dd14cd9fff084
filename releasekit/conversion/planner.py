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
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from releasekit.conversion.discovery import InputFile, Unit
from releasekit.conversion.errors import ConvertError
from releasekit.safetensors_format import DTYPE_BITS

if TYPE_CHECKING:
    from releasekit.conversion.inventory import FileSummary, TensorMeta
    from releasekit.conversion.statedict import Namespaced, Skipped

FORMAT_METADATA = {"format": "pt"}  # transformers refuses safetensors files without it
SCALE_DTYPES = frozenset({"F32", "BF16", "F16", "F64"})
BLOCK = 128  # DeepSeek-V3's weight_block_size


@dataclasses.dataclass(frozen=True, kw_only=True)
class TensorSource:
    file: int  # position in Plan.inputs
    name: str  # name in that file's reader
    position: int = 0  # order in that file


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
    namespaced: tuple[Namespaced, ...]
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
                {
                    "rel": f.rel,
                    "metadata": dict(f.metadata),
                    "tensors": [
                        [
                            t.name,
                            t.dtype,
                            list(t.shape),
                            t.source.file,
                            t.source.name,
                            None if t.scale is None else [t.scale.file, t.scale.name],
                        ]
                        for t in f.tensors
                    ],
                }
                for f in self.files
            ],
            "indexes": [u.index for u in self.units],
            "configs": [u.config_rel for u in self.units],
        }


def plan_unit(unit: Unit, summaries: Sequence[FileSummary], *, max_shard_size: int, dequantize_fp8: bool) -> UnitPlan:
    """Plan one unit from the summaries of its files."""
    where: dict[str, FileSummary] = {}
    order: list[tuple[TensorMeta, FileSummary]] = []
    aliases: dict[str, str] = {}
    views: dict[str, str] = {}
    skipped: list[Skipped] = []
    for summary in summaries:
        skipped.extend(summary.skipped)
        for meta in summary.tensors:
            if meta.name in where:
                raise ConvertError(
                    f"{unit.label}: tensor {meta.name!r} is in both {where[meta.name].rel} and {summary.rel}"
                )
            where[meta.name] = summary
            order.append((meta, summary))
        aliases.update(summary.aliases)
        views.update(summary.views)

    written = [(m, s) for m, s in order if m.name not in aliases]
    by_name = {m.name: (m, s) for m, s in order}
    dequantized: list[str] = []
    dropped: set[str] = set()
    unscaled: list[str] = []
    if dequantize_fp8:
        for meta, _ in written:
            if not meta.is_fp8:
                continue
            scale = scale_name(meta.name)
            if scale not in by_name:
                unscaled.append(meta.name)
                continue
            _check_scale(unit, meta, by_name[scale][0])
            dequantized.append(meta.name)
            dropped.add(scale)
    planned: list[PlannedTensor] = []
    for meta, summary in written:
        if meta.name in dropped:
            continue
        source = TensorSource(file=summary.file, name=meta.name, position=meta.position)
        if meta.name in dequantized:
            scale = by_name[scale_name(meta.name)]
            planned.append(
                PlannedTensor(
                    name=meta.name,
                    dtype="BF16",
                    shape=meta.shape,
                    nbytes=meta.nbytes * 2,
                    source=source,
                    scale=TensorSource(file=scale[1].file, name=scale[0].name, position=scale[0].position),
                )
            )
        else:
            planned.append(
                PlannedTensor(name=meta.name, dtype=meta.dtype, shape=meta.shape, nbytes=meta.nbytes, source=source)
            )
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
    return UnitPlan(
        unit=unit,
        files=tuple(files),
        index_rel=index_rel,
        index=index,
        aliases=aliases,
        views_copied=views,
        skipped=tuple(skipped),
        namespaced=tuple(n for summary in summaries for n in summary.namespaced),
        dequantized=tuple(dequantized),
        scales_dropped=tuple(sorted(dropped)),
        fp8_without_scale=tuple(unscaled),
        config_rel=config_rel,
    )


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def scale_name(weight_name: str) -> str:
    """DeepSeek-V3's naming (fp8_cast_bf16.py): `...weight` is scaled by `...weight_scale_inv`."""
    return f"{weight_name}_scale_inv"


def expected_scale_shape(shape: tuple[int, ...], block: int = BLOCK) -> tuple[int, int]:
    """The scale grid of a 2-D weight in block x block tiles, ragged edges included."""
    return (math.ceil(shape[0] / block), math.ceil(shape[1] / block))


def _check_scale(unit: Unit, weight: TensorMeta, scale: TensorMeta) -> None:
    if len(weight.shape) != 2:
        raise ConvertError(
            f"{unit.label}: FP8 tensor {weight.name!r} has shape {list(weight.shape)}; block "
            "dequantization needs a 2-D weight"
        )
    expected = expected_scale_shape(weight.shape)
    if scale.shape != expected:
        raise ConvertError(
            f"{unit.label}: {scale.name!r} has shape {list(scale.shape)}, but {weight.name!r} "
            f"{list(weight.shape)} in 128x128 blocks needs {list(expected)}"
        )
    if scale.dtype not in SCALE_DTYPES:
        raise ConvertError(f"{unit.label}: {scale.name!r} has dtype {scale.dtype}; expected float32 scales")


def _shard(
    unit: Unit, planned: list[PlannedTensor], aliases: Mapping[str, str], max_shard_size: int
) -> list[PlannedFile]:
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
        # Widest dtypes first (as the reference writer orders them): every tensor then starts at a
        # multiple of its element size, so readers may view the mapped bytes without copying. Then
        # in input order, so a legacy input is loaded as few times as possible.
        ordered = sorted(group, key=lambda t: (-DTYPE_BITS[t.dtype], t.source.file, t.source.position))
        names = {t.name for t in group}
        metadata = dict(FORMAT_METADATA)
        metadata.update(sorted((alias, kept) for alias, kept in aliases.items() if kept in names))
        files.append(PlannedFile(rel=_join(unit.directory, name), tensors=tuple(ordered), metadata=metadata))
    return files
