"""The release's safetensors checkpoints, parsed once per run and shared by the weights rules.

A checkpoint is a folder's set of safetensors files: the shards its `*.safetensors.index.json`
names, or each file alone when there is no index. Every header is read once (headers only, never
tensor data) and every index once; `tensor_table` merges a checkpoint's shards into one map of
tensor name -> (shard, info) for the rules that compare weights with config.json.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from releasekit.context import Context
from releasekit.release import FileKind, ReleaseFile
from releasekit.safetensors_format import Header, TensorInfo, read_header, strict_json_loads

INDEX_SUFFIX = ".safetensors.index.json"
SHARD_NAME = re.compile(r"^(?P<stem>.+)-(?P<n>\d{3,6})-of-(?P<total>\d{3,6})\.safetensors$")
MAX_INDEX_BYTES = 512 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class IndexFile:
    """A parsed `*.safetensors.index.json`. `error` is set when it could not be used at all."""

    path: str
    weight_map: Mapping[str, str]  # tensor -> shard path relative to the index's folder
    total_size: Any  # as written (validated by the index rule)
    has_total_size: bool
    error: str | None = None
    problems: tuple[str, ...] = ()  # entries that were skipped, with why


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    folder: str  # "" for the release root
    files: tuple[ReleaseFile, ...]  # the safetensors files that belong to it
    index: IndexFile | None

    def rel(self, name: str) -> str:
        return f"{self.folder}/{name}" if self.folder else name


def headers(ctx: Context) -> dict[str, Header]:
    """Every safetensors header of the release, by path (memoised: read once per run)."""

    def load() -> dict[str, Header]:
        return {f.path: read_header(f.abspath) for f in ctx.release.of_kind(FileKind.SAFETENSORS)}

    return ctx.memo("weights.headers", load)


def read_index(ctx: Context, file: ReleaseFile) -> IndexFile:
    if file.size > MAX_INDEX_BYTES:
        return IndexFile(file.path, {}, None, False, error=f"index is {file.size:,} bytes, over the "
                                                            f"{MAX_INDEX_BYTES:,}-byte limit for an index")
    try:
        document = strict_json_loads(ctx.read_bytes(file, MAX_INDEX_BYTES))
    except RecursionError:
        return IndexFile(file.path, {}, None, False, error="index JSON is nested too deeply")
    except (ValueError, UnicodeDecodeError) as exc:
        return IndexFile(file.path, {}, None, False, error=f"index is not valid JSON: {str(exc)[:120]}")
    if not isinstance(document, dict):
        return IndexFile(file.path, {}, None, False, error="index is not a JSON object")
    raw_map = document.get("weight_map")
    if not isinstance(raw_map, dict):
        return IndexFile(file.path, {}, None, False, error="index has no \"weight_map\" object")
    metadata = document.get("metadata", {})
    if not isinstance(metadata, dict):
        metadata = {}
    weight_map: dict[str, str] = {}
    problems: list[str] = []
    normalised: dict[str, str | None] = {}  # a few hundred distinct shard names for 91,000 tensors
    for tensor, shard in raw_map.items():
        if not isinstance(shard, str):
            problems.append(f"tensor {tensor!r} maps to {type(shard).__name__} {shard!r}, not a file name")
            continue
        if shard not in normalised:
            normalised[shard] = _inside(shard)
        clean = normalised[shard]
        if clean is None:
            problems.append(f"tensor {tensor!r} maps to {shard!r}, which is outside the checkpoint folder")
            continue
        weight_map[tensor] = clean
    return IndexFile(file.path, weight_map, metadata.get("total_size"), "total_size" in metadata,
                     problems=tuple(problems))


def _inside(shard: str) -> str | None:
    """The shard's normalised relative path, or None when it points outside the folder."""
    pure = PurePosixPath(shard)
    if not shard or pure.is_absolute() or ".." in pure.parts or "\\" in shard:
        return None
    return str(pure)


def checkpoints(ctx: Context) -> list[Checkpoint]:
    """The release's checkpoints (memoised)."""
    return ctx.memo("weights.checkpoints", lambda: _build_checkpoints(ctx))


def _build_checkpoints(ctx: Context) -> list[Checkpoint]:
    release = ctx.release
    by_folder: dict[str, list[ReleaseFile]] = {}
    for f in release.of_kind(FileKind.SAFETENSORS):
        by_folder.setdefault(f.parent, []).append(f)
    indexes: dict[str, list[ReleaseFile]] = {}
    for f in release.regular_files():
        if f.name.endswith(INDEX_SUFFIX):
            indexes.setdefault(f.parent, []).append(f)
    result: list[Checkpoint] = []
    for folder in sorted(set(by_folder) | set(indexes)):
        files = by_folder.get(folder, [])
        claimed: set[str] = set()
        for index_file in indexes.get(folder, []):
            index = read_index(ctx, index_file)
            prefix = f"{folder}/" if folder else ""
            named = {prefix + s for s in index.weight_map.values()}
            members = tuple(f for f in files if f.path in named)
            claimed.update(f.path for f in members)
            result.append(Checkpoint(folder, members, index))
        for f in files:
            if f.path not in claimed:
                result.append(Checkpoint(folder, (f,), None))
    return result


def tensor_table(ctx: Context, checkpoint: Checkpoint) -> dict[str, tuple[str, TensorInfo]]:
    """Tensor name -> (shard path, info) over a checkpoint's readable shards (memoised)."""

    def build() -> dict[str, tuple[str, TensorInfo]]:
        all_headers = headers(ctx)
        table: dict[str, tuple[str, TensorInfo]] = {}
        for f in checkpoint.files:
            header = all_headers.get(f.path)
            if header is None or header.fatal:
                continue
            for name, info in header.tensors.items():
                table.setdefault(name, (f.path, info))
        return table

    key = "weights.table:" + (checkpoint.index.path if checkpoint.index else checkpoint.files[0].path)
    return ctx.memo(key, build)


def model_checkpoint(ctx: Context, folder: str = "") -> list[Checkpoint]:
    """The checkpoints that sit beside `folder`'s config.json: the model config.json describes."""
    return [c for c in checkpoints(ctx) if c.folder == folder]
