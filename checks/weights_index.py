"""Sharded checkpoints: the index and its shards must agree exactly. Headers only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from releasekit import lazy
from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check
from releasekit.safetensors_format import Header

if TYPE_CHECKING:
    from releasekit.checks._checkpoints import Checkpoint, IndexFile

# Loaded when a weights check runs (in the weights lane, see lanes.py), not when the registry
# lists the rules before the lanes fork.
_checkpoints = lazy.module("releasekit.checks._checkpoints")

RK110 = Rule.define(
    "RK110", "index-invalid", category="weights", severity=Severity.ERROR,
    summary="A `*.safetensors.index.json` cannot be used: not JSON, no weight_map, bad entries.",
    doc="""
    What it finds: an index that is not a JSON object, has duplicate keys, has no `weight_map`
    object, or maps a tensor to something that is not a file name inside the checkpoint folder
    (an absolute path or `..`).

    Why it matters: transformers and the Hub read the index to find each tensor's shard; a
    broken index makes the checkpoint unloadable, and a path outside the folder is an attack.

    How to fix: regenerate the index from the shards (`releasekit convert` writes one).
    """,
)
RK111 = Rule.define(
    "RK111", "index-shard-missing", category="weights", severity=Severity.ERROR,
    summary="The index names a shard that is not in the release.",
    doc="""
    What it finds: a shard file named in `weight_map` that does not exist (or is a symlink).

    Why it matters: loading fails with a missing-file error after downloading everything else.

    How to fix: add the missing shard, or regenerate the index from the shards you ship.
    """,
)
RK112 = Rule.define(
    "RK112", "index-tensor-misplaced", category="weights", severity=Severity.ERROR,
    summary="The index maps a tensor to a shard that does not hold it.",
    doc="""
    What it finds: a tensor that `weight_map` assigns to a shard whose header has no such tensor.

    Why it matters: the loader opens that shard, does not find the tensor, and fails (or leaves
    the parameter uninitialised).

    How to fix: regenerate the index from the shards' headers.
    """,
)
RK113 = Rule.define(
    "RK113", "index-tensor-unlisted", category="weights", severity=Severity.ERROR,
    summary="A shard holds a tensor the index does not list.",
    doc="""
    What it finds: a tensor present in a shard's header but absent from `weight_map`.

    Why it matters: loaders only load what the index lists, so the tensor is silently dropped.

    How to fix: regenerate the index from the shards' headers.
    """,
)
RK114 = Rule.define(
    "RK114", "tensor-duplicated", category="weights", severity=Severity.ERROR,
    summary="The same tensor name is held by two shards of one checkpoint.",
    doc="""
    What it finds: a tensor name that appears in the headers of two or more shards of the same
    checkpoint.

    Why it matters: which copy is loaded depends on the loader; the copies may differ.

    How to fix: keep the tensor in one shard and regenerate the index.
    """,
)
RK115 = Rule.define(
    "RK115", "shard-stray", category="weights", severity=Severity.WARNING,
    summary="A safetensors file sits beside an index that does not name it.",
    doc="""
    What it finds: a `.safetensors` file in a folder with an index, which the index does not
    reference (often a leftover shard from an earlier save with a different shard count).

    Why it matters: it is uploaded and downloaded for nothing, and can confuse tools that glob
    `*.safetensors` instead of reading the index.

    How to fix: delete the stray file, or add its tensors to the index if it belongs.
    """,
)
RK116 = Rule.define(
    "RK116", "index-total-size", category="weights", severity=Severity.WARNING,
    summary="The index's `metadata.total_size` disagrees with the shards' tensor bytes.",
    doc="""
    What it finds: `metadata.total_size` missing, not an integer, or different from the sum of the
    byte sizes of the tensors the shards hold.

    Why it matters: tools use it to size downloads and memory; a wrong value means the index was
    written for a different set of shards.

    How to fix: regenerate the index from the shards.
    """,
)
RK117 = Rule.define(
    "RK117", "index-missing", category="weights", severity=Severity.ERROR,
    summary="Sharded safetensors files (`*-00001-of-0000N`) without an index.",
    doc="""
    What it finds: files named like shards of a sharded checkpoint with no
    `*.safetensors.index.json` beside them, or a shard set with a gap in its numbering.

    Why it matters: transformers finds the shards through the index; without it the checkpoint
    does not load.

    How to fix: add `model.safetensors.index.json` (`releasekit convert` writes one).
    """,
)

_LIST = 5  # tensor names quoted per finding; the rest are counted


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_LIST])
    return shown + (f" and {len(names) - _LIST} more" if len(names) > _LIST else "")


@check(RK110, RK111, RK112, RK113, RK114, RK115, RK116, RK117)
def sharded_checkpoints(ctx: Context) -> Iterator[Finding]:
    all_checkpoints = _checkpoints.checkpoints(ctx)
    indexed_folders = {c.folder for c in all_checkpoints if c.index is not None}
    for ckpt in all_checkpoints:
        if ckpt.index is not None:
            yield from _check_index(ctx, ckpt)
    # Stray files and index-less shard sets.
    for ckpt in all_checkpoints:
        if ckpt.index is not None:
            continue
        (f,) = ckpt.files
        if ckpt.folder in indexed_folders:
            yield RK115.finding(f.path, "not referenced by the index in this folder: delete it, or add its "
                                        "tensors to the index")
    yield from _unindexed_shard_sets(all_checkpoints, indexed_folders)


def _check_index(ctx: Context, ckpt: Checkpoint) -> Iterator[Finding]:
    index = ckpt.index
    assert index is not None
    if index.error:
        yield RK110.finding(index.path, f"{index.error}: regenerate the index from the shards")
        return
    for problem in index.problems[:_LIST]:
        yield RK110.finding(index.path, f"{problem}: regenerate the index from the shards")
    all_headers = _checkpoints.headers(ctx)
    present = {f.path for f in ckpt.files}
    shards = sorted(set(index.weight_map.values()))
    paths = [ckpt.rel(shard) for shard in shards]
    if all(p in present and not all_headers[p].fatal for p in paths):
        # The common case, at C speed: every name a shard holds maps to that shard, and the index
        # has no other entry. (A name in two shards cannot map to both, so the names are distinct.)
        lookup = index.weight_map.get
        held = sum(len(all_headers[path].names) for path in paths)
        if held == len(index.weight_map) and all(
                set(map(lookup, all_headers[path].names)) <= {shard}  # (an empty shard holds no name)
                for shard, path in zip(shards, paths)):
            yield from _total_size(index.path, index.total_size, index.has_total_size, ckpt, all_headers,
                                   complete=True)
            return
    yield from _mismatches(ctx, ckpt, index, all_headers, present)


def _mismatches(ctx: Context, ckpt: Checkpoint, index: IndexFile, all_headers: Mapping[str, Header],
                present: set[str]) -> Iterator[Finding]:
    """The index and the shards disagree somewhere: say exactly where."""
    shard_tensors: dict[str, set[str]] = {}
    holders: dict[str, list[str]] = {}
    for shard in sorted(set(index.weight_map.values())):
        path = ckpt.rel(shard)
        if path not in present:
            listed = sum(1 for s in index.weight_map.values() if s == shard)
            entry = ctx.release.by_path(path)
            what = ("is a symlink, which releasekit never follows: ship the file itself"
                    if entry is not None and entry.is_symlink else "is missing from the release")
            yield RK111.finding(index.path, f"shard {shard} {what} ({listed} tensor(s) mapped to it): "
                                            "add it or regenerate the index")
            continue
        header = all_headers[path]
        if header.fatal:
            continue  # reported by RK101 on the shard itself
        names = set(header.names)
        shard_tensors[shard] = names
        for name in names:
            holders.setdefault(name, []).append(shard)
    misplaced: dict[str, list[str]] = {}
    for tensor, shard in index.weight_map.items():
        if shard in shard_tensors and tensor not in shard_tensors[shard]:
            misplaced.setdefault(shard, []).append(tensor)
    for shard, names in sorted(misplaced.items()):
        names.sort()
        yield RK112.finding(index.path, f"{len(names)} tensor(s) mapped to {shard} are not in it ({_names(names)}): "
                                        "regenerate the index")
    unlisted: dict[str, list[str]] = {}
    for shard, names in shard_tensors.items():
        for name in names:
            if index.weight_map.get(name) is None:
                unlisted.setdefault(shard, []).append(name)
    for shard, names in sorted(unlisted.items()):
        names.sort()
        yield RK113.finding(ckpt.rel(shard), f"{len(names)} tensor(s) not listed in {index.path} "
                                             f"({_names(names)}): they will not be loaded; regenerate the index")
    duplicated = sorted(n for n, shards in holders.items() if len(shards) > 1)
    for name in duplicated[:_LIST]:
        yield RK114.finding(index.path, f"tensor {name} is held by {len(holders[name])} shards "
                                        f"({', '.join(sorted(holders[name]))}): keep one copy")
    if len(duplicated) > _LIST:
        yield RK114.finding(index.path, f"and {len(duplicated) - _LIST} more tensor(s) held by several shards")
    yield from _total_size(index.path, index.total_size, index.has_total_size, ckpt, all_headers,
                           complete=len(shard_tensors) == len(set(index.weight_map.values())))


def _total_size(path, total_size, has_total_size, ckpt, all_headers, *, complete: bool) -> Iterator[Finding]:
    if not has_total_size:
        yield RK116.finding(path, "metadata.total_size is missing: regenerate the index")
        return
    if not isinstance(total_size, int) or isinstance(total_size, bool):
        yield RK116.finding(path, f"metadata.total_size is {total_size!r}, not an integer: regenerate the index")
        return
    if not complete:
        return  # a missing or unreadable shard is already an error; the sum would be meaningless
    actual = sum(all_headers[f.path].nbytes for f in ckpt.files)
    if actual != total_size:
        yield RK116.finding(path, f"metadata.total_size is {total_size:,} but the shards hold {actual:,} bytes "
                                  "of tensors: regenerate the index")


def _unindexed_shard_sets(all_checkpoints: list[Checkpoint], indexed_folders: set[str]) -> Iterator[Finding]:
    sets: dict[tuple[str, str, int], list[int]] = {}
    for ckpt in all_checkpoints:
        if ckpt.index is not None or ckpt.folder in indexed_folders:
            continue
        (f,) = ckpt.files
        match = _checkpoints.SHARD_NAME.match(f.name)
        if match:
            key = (ckpt.folder, match["stem"], match["total"])
            sets.setdefault(key, []).append(int(match["n"]))
    for (folder, stem, total_text), numbers in sorted(sets.items()):
        total = int(total_text)
        where = f"{folder}/" if folder else ""
        missing = sorted(set(range(1, total + 1)) - set(numbers))
        extra = f"; shard number(s) {', '.join(map(str, missing[:_LIST]))} of {total} also missing" if missing else ""
        yield RK117.finding(folder or ".", f"{len(numbers)} shard(s) {where}{stem}-*-of-{total_text}.safetensors "
                                           f"have no {stem}.safetensors.index.json{extra}: add the index")
