"""Find one real FP8 weight and its `weight_scale_inv` in a release's safetensors checkpoint.

Only headers are read here (the release may be hundreds of GB): the shard list comes from
`model.safetensors.index.json` when there is one (its `weight_map` says which shard holds each
tensor; a weight and its scale may sit in different shards), otherwise from the `*.safetensors`
files at the release root. A candidate is a 2-D `F8_E4M3` tensor `X.weight` with a 2-D `F32`
`X.weight_scale_inv` whose shape matches the config's block size. The smallest candidate is
chosen: it is the cheapest to check under the CPU interpreter and exercises the same code.
The tensor data is read later, in the kernel process, by `load_weight` (safetensors, no pickle).
No torch at module level.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path, PurePosixPath
from typing import Any

from releasekit.safetensors_format import Header, read_header

INDEX_NAME = "model.safetensors.index.json"
INDEX_LIMIT = 256 * 1024 * 1024
SCALE_SUFFIX = "_scale_inv"


@dataclasses.dataclass(frozen=True)
class WeightRef:
    """Where a real FP8 weight and its block scales live (paths relative to the release root)."""

    name: str
    shard: str
    shape: tuple[int, int]
    scale_name: str
    scale_shard: str
    scale_shape: tuple[int, int]


@dataclasses.dataclass(frozen=True)
class Discovery:
    """What the checkpoint search found: a weight, or why there is none (`problem` is a failure,
    `note` is only information, e.g. a BF16 release)."""

    weight: WeightRef | None = None
    problem: str | None = None
    note: str | None = None
    candidates: int = 0


def _safe_relative(root: Path, name: Any) -> Path | None:
    """A shard name from the index, only if it stays inside the release and is a regular file."""
    if not isinstance(name, str) or not name or "\\" in name:
        return None
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts:
        return None
    path = root.joinpath(*rel.parts)
    if path.is_symlink() or not path.is_file():
        return None
    return path


def _read_index(root: Path) -> tuple[dict[str, str] | None, str | None]:
    path = root / INDEX_NAME
    try:
        if path.stat().st_size > INDEX_LIMIT:
            return None, f"{INDEX_NAME}: larger than {INDEX_LIMIT // (1024 * 1024)} MB"
        document = json.loads(path.read_bytes().decode("utf-8"))
    except json.JSONDecodeError as exc:
        return None, f"{INDEX_NAME}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"{INDEX_NAME}: cannot be read: {str(exc)[:120]}"
    weight_map = document.get("weight_map") if isinstance(document, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        return None, f"{INDEX_NAME}: has no weight_map object of tensor name -> shard file"
    return weight_map, None


def find_fp8_weight(root: Path, block: tuple[int, int]) -> Discovery:
    """Search the checkpoint at `root` for the smallest usable FP8 weight (headers only)."""
    root = Path(root)
    headers: dict[str, Header] = {}

    def header(shard: str) -> Header | None:
        if shard not in headers:
            path = _safe_relative(root, shard)
            if path is None:
                return None
            headers[shard] = read_header(path)
        return headers[shard]

    if (root / INDEX_NAME).is_file() and not (root / INDEX_NAME).is_symlink():
        weight_map, problem = _read_index(root)
        if weight_map is None:
            return Discovery(problem=problem)
        location = dict(weight_map)
    else:
        location = {}
        for path in sorted(root.glob("*.safetensors")):
            if path.is_symlink() or not path.is_file():
                continue
            h = header(path.name)
            if h is not None and not h.fatal:
                for name in h.tensors:
                    location.setdefault(name, path.name)
        if not location:
            return Discovery(note="no safetensors weights in the release: the GEMM runs on synthetic weights only")

    pairs = [(name, name + SCALE_SUFFIX) for name in location if name + SCALE_SUFFIX in location]
    if not pairs:
        return Discovery(note="no weight with a weight_scale_inv in the checkpoint: the GEMM runs on synthetic "
                              "weights only")
    problems: list[str] = []
    best: WeightRef | None = None
    for name, scale_name in sorted(pairs):
        shard, scale_shard = location[name], location[scale_name]
        wh, sh = header(shard), header(scale_shard)
        if wh is None or sh is None:
            missing = shard if wh is None else scale_shard
            problems.append(f"{INDEX_NAME} names shard {missing!r} for {name}, which is not a regular file "
                            "inside the release")
            continue
        if wh.problems or sh.problems:
            bad, bad_header = (shard, wh) if wh.problems else (scale_shard, sh)
            problems.append(f"{bad}: {bad_header.problems[0].message}")
            continue
        w, s = wh.tensors.get(name), sh.tensors.get(scale_name)
        if w is None or s is None:
            problems.append(f"{shard if w is None else scale_shard}: does not hold "
                            f"{name if w is None else scale_name}, though {INDEX_NAME} says it does")
            continue
        if w.dtype != "F8_E4M3" or len(w.shape) != 2:
            continue  # a scale next to a non-FP8 weight is not our format; the weights checks judge it
        expected = (math.ceil(w.shape[0] / block[0]), math.ceil(w.shape[1] / block[1]))
        if s.dtype != "F32" or tuple(s.shape) != expected:
            problems.append(f"{scale_shard}: {scale_name} is {s.dtype} {list(s.shape)}, expected F32 "
                            f"{list(expected)} for a {list(w.shape)} weight in {block[0]}x{block[1]} blocks")
            continue
        ref = WeightRef(name, shard, (w.shape[0], w.shape[1]), scale_name, scale_shard, expected)
        if best is None or math.prod(ref.shape) < math.prod(best.shape):
            best = ref
    if best is not None:
        return Discovery(weight=best, candidates=len(pairs))
    if problems:
        return Discovery(problem=problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                         candidates=len(pairs))
    return Discovery(note="no F8_E4M3 weight with a weight_scale_inv in the checkpoint: the GEMM runs on "
                          "synthetic weights only")


def load_weight(root: Path, ref: WeightRef) -> tuple[Any, Any]:
    """Read the weight (float8_e4m3fn) and its scales (fp32) as CPU torch tensors."""
    from safetensors import safe_open

    tensors = []
    for shard, name in ((ref.shard, ref.name), (ref.scale_shard, ref.scale_name)):
        with safe_open(str(Path(root) / shard), framework="pt") as handle:
            tensors.append(handle.get_tensor(name))
    return tensors[0], tensors[1]
