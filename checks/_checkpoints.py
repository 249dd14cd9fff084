"""The release's safetensors checkpoints, parsed once per run and shared by the weights rules.

A checkpoint is a folder's set of safetensors files: the shards its `*.safetensors.index.json`
names, or each file alone when there is no index. Every header is read once (headers only, never
tensor data) and every index once; `tensor_table` merges a checkpoint's shards into one map of
tensor name -> (shard, info) for the rules that compare weights with config.json.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import itertools
import re
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from releasekit.context import Context
from releasekit.lanes import HEADERS_KEY
from releasekit.findings import Finding
from releasekit.registry import Rule
from releasekit.release import FileKind, ReleaseFile
from releasekit.safetensors_format import Header, TensorInfo, fast_json_loads, read_header, strict_json_loads

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


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building acyclic data (headers, columns).

    `json.loads` of 91,991 entries allocates a dict and two lists per tensor; each 700 allocations
    start a collection that walks the young objects, and the older generations grow with every
    shard. Parsing DeepSeek-V3's headers took twice as long with the collector on. Nothing built
    here holds a reference cycle, so pausing it frees nothing late.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def headers(ctx: Context) -> dict[str, Header]:
    """Every safetensors header of the release, by path (memoised: read once per run)."""

    with no_gc():  # a sibling lane may parse some of them (lanes.py): the map is the same
        return ctx.map_files(HEADERS_KEY, ctx.release.of_kind(FileKind.SAFETENSORS), read_header)


def read_index(ctx: Context, file: ReleaseFile) -> IndexFile:
    if file.size > MAX_INDEX_BYTES:
        return IndexFile(file.path, {}, None, False, error=f"index is {file.size:,} bytes, over the "
                                                            f"{MAX_INDEX_BYTES:,}-byte limit for an index")
    raw = ctx.read_bytes(file, MAX_INDEX_BYTES)
    fast = _fast_index(file.path, raw)
    if fast is not None:
        return fast
    try:
        document = strict_json_loads(raw)
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


def _fast_index(path: str, raw: bytes) -> IndexFile | None:
    """A clean index read at msgspec's or orjson's speed; None sends it to the strict path above.

    Clean: an object whose `weight_map` maps names to shard paths already in normal form inside
    the folder, with no duplicate key anywhere (the colon count argument of
    `safetensors_format._fast_path`: every key has one separator colon, other colons sit in
    strings, so equal counts mean no key was dropped) and no NaN/Infinity. Read by
    `fast_json_loads` (an 8 MB index in a quarter of json's time); a total_size orjson reads as a
    float (an integer beyond 64 bits, which json and msgspec read exactly) takes the strict path.
    """
    try:
        document = fast_json_loads(raw)
        if type(document) is not dict:
            return None
        raw_map = document.get("weight_map")
        metadata = document.get("metadata", {})
        if type(raw_map) is not dict or type(metadata) is not dict or type(metadata.get("total_size")) is float:
            return None
        shards = set(raw_map.values())  # TypeError (unhashable): strict path
        if {type(s) for s in shards} - {str} or any(_inside(s) != s for s in shards):
            return None
        pairs = len(raw_map) + sum(_pairs(value) for key, value in document.items() if key != "weight_map")
        if raw.count(b":") != len(document) + pairs:
            return None
    except (ValueError, TypeError, RecursionError):
        return None
    return IndexFile(path, raw_map, metadata.get("total_size"), "total_size" in metadata)


def _pairs(value: Any) -> int:
    """Keys in every object inside `value`."""
    if type(value) is dict:
        return len(value) + sum(map(_pairs, value.values()))
    if type(value) is list:
        return sum(map(_pairs, value))
    return 0


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
            named = {prefix + s for s in set(index.weight_map.values())}  # a few hundred shards, 91,991 entries
            members = tuple(f for f in files if f.path in named)
            claimed.update(f.path for f in members)
            result.append(Checkpoint(folder, members, index))
        for f in files:
            if f.path not in claimed:
                result.append(Checkpoint(folder, (f,), None))
    return result


class Tensor(NamedTuple):
    name: str
    shard: str
    info: TensorInfo


@dataclasses.dataclass(frozen=True)
class Table:
    """A checkpoint's tensors over its readable shards, as columns indexed by row.

    One row per distinct name (the first shard to hold a name wins; RK114 reports the others).
    Rules compare whole columns (`map` over `shapes`, set and list equality) instead of building
    an object per tensor: 91,991 rows for DeepSeek-V3. `row` (name -> row) is built on first use:
    the clean paths of the rules never need it. `derived` holds what the rules compute once per
    table and share (the names grouped by form, `_layout.name_forms`).
    """

    names: list[str]
    shards: list[str]  # shard path per row
    dtypes: list[str]
    shapes: list[tuple[int, ...]]
    starts: list[int]
    ends: list[int]
    derived: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @functools.cached_property
    def row(self) -> Mapping[str, int]:
        """Name -> row."""
        return dict(zip(self.names, range(len(self.names))))

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.row

    def tensor(self, row: int) -> Tensor:
        return Tensor(self.names[row], self.shards[row],
                      TensorInfo(self.dtypes[row], self.shapes[row], self.starts[row], self.ends[row]))

    def get(self, name: str) -> Tensor | None:
        row = self.row.get(name)
        return None if row is None else self.tensor(row)


def _table(parts: list[tuple[str, Header]]) -> Table:
    names: list[str] = []
    shards: list[str] = []
    dtypes: list[str] = []
    shapes: list[tuple[int, ...]] = []
    starts: list[int] = []
    ends: list[int] = []
    for path, header in parts:
        names += header.names
        shards += itertools.repeat(path, len(header.names))
        dtypes += header.dtypes
        shapes += header.shapes
        starts += header.starts
        ends += header.ends
    if len(parts) > 1 and len(set(names)) != len(names):  # a name in two shards: keep the first
        keep = sorted({name: i for i, name in reversed(list(enumerate(names)))}.values())
        names, shards, dtypes, shapes, starts, ends = (
            [column[i] for i in keep] for column in (names, shards, dtypes, shapes, starts, ends))
    return Table(names, shards, dtypes, shapes, starts, ends)


def tensor_table(ctx: Context, checkpoint: Checkpoint) -> Table:
    """The tensors of a checkpoint's readable shards (memoised)."""

    def build() -> Table:
        all_headers = headers(ctx)
        parts = [(f.path, all_headers[f.path]) for f in checkpoint.files
                 if f.path in all_headers and not all_headers[f.path].fatal]
        with no_gc():
            return _table(parts)

    key = "weights.table:" + (checkpoint.index.path if checkpoint.index else checkpoint.files[0].path)
    return ctx.memo(key, build)


def model_table(ctx: Context, folder: str = "") -> Table:
    """The tensors of every checkpoint beside `folder`'s config.json, merged (memoised)."""

    def build() -> Table:
        tables = [tensor_table(ctx, c) for c in model_checkpoint(ctx, folder)]
        if len(tables) == 1:
            return tables[0]
        all_headers = headers(ctx)
        return _table([(f.path, all_headers[f.path]) for c in model_checkpoint(ctx, folder) for f in c.files
                       if f.path in all_headers and not all_headers[f.path].fatal])

    return ctx.memo(f"weights.model_table:{folder}", build)


def model_checkpoint(ctx: Context, folder: str = "") -> list[Checkpoint]:
    """The checkpoints that sit beside `folder`'s config.json: the model config.json describes."""
    return [c for c in checkpoints(ctx) if c.folder == folder]


def could_not_run(ctx: Context, rules: tuple[Rule, ...], what: str) -> Iterator[Finding]:
    """When config.json is unusable: one finding, under the first selected of `rules`, naming them all.

    A rule that needs the config and silently finds nothing to compare would let a release pass
    unaudited; it says it did not run instead (RK127 reports the config itself).
    """
    error = ctx.config_error
    selected = [r for r in rules if ctx.settings.is_selected(r.id, r.category)]
    if error is None or not selected:
        return
    ids = ", ".join(r.id for r in selected)
    yield selected[0].finding("config.json", f"{what} could not run ({ids}): config.json is {error}")
