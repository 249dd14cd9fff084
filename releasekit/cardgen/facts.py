"""Facts about the weights, read from safetensors headers and config.json (no tensor data is read).

Which files are the model: the shards the root `model.safetensors.index.json` maps, else every
`*.safetensors` at the root. A header the strict parser rejects stops the card (fail closed: a card
must not state counts read from a file `check` calls broken).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from releasekit.context import Context
from releasekit.errors import ReleasekitError
from releasekit.params import ParameterCount, ParameterCountError, count_parameters
from releasekit.safetensors_format import FP8_DTYPES, read_header, strict_json_loads

INDEX_NAME = "model.safetensors.index.json"
MAX_INDEX_BYTES = 64 * 1024 * 1024


class CardError(ReleasekitError):
    """The card cannot be generated as asked (a missing fact, a broken header); one line, exit 2."""


@dataclasses.dataclass(frozen=True)
class Shard:
    path: str
    size: int
    tensors: int


@dataclasses.dataclass(frozen=True)
class DtypeShare:
    dtype: str
    nbytes: int
    share: float  # of the tensor bytes


@dataclasses.dataclass(frozen=True)
class WeightFacts:
    shards: tuple[Shard, ...]
    disk_bytes: int  # the weight files' sizes on disk, headers included
    dtypes: tuple[DtypeShare, ...]  # largest share first
    params: ParameterCount
    fp8_block: tuple[int, int] | None  # rows x columns each FP8 scale covers


def _index_shards(ctx: Context) -> list[str] | None:
    index = ctx.release.top_level(INDEX_NAME)
    if index is None:
        return None
    try:
        document = strict_json_loads(ctx.read_bytes(index, MAX_INDEX_BYTES))
    except (ValueError, RecursionError) as exc:
        raise CardError(f"{INDEX_NAME}: not valid JSON ({exc}): run `releasekit check`") from None
    weight_map = document.get("weight_map") if isinstance(document, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise CardError(f"{INDEX_NAME}: no weight_map of tensor -> shard file: run `releasekit check`")
    return sorted(set(weight_map.values()))


def weight_files(ctx: Context) -> list[str]:
    """The model's safetensors files, relative to the root."""
    shards = _index_shards(ctx)
    if shards is None:
        return sorted(f.path for f in ctx.release.regular_files() if not f.parent and f.suffix == ".safetensors")
    for name in shards:
        if PurePosixPath(name).name != name or ctx.release.top_level(name) is None:
            raise CardError(f"{INDEX_NAME}: maps tensors to {name!r}, which is not a file at the root of the release: "
                            "run `releasekit check`")
    return shards


def weight_facts(ctx: Context) -> WeightFacts:
    """Sizes, dtypes, shards, FP8 block and parameter counts of the model's safetensors files."""
    files = weight_files(ctx)
    if not files:
        raise CardError("no safetensors weights at the root of the release: the card's parameter counts are read "
                        "from safetensors headers (`releasekit convert` turns pickles into safetensors)")
    shapes: dict[str, tuple[int, ...]] = {}
    dtype_bytes: dict[str, int] = {}
    shards: list[Shard] = []
    fp8_pairs: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for path in files:
        f = ctx.release.top_level(path)
        assert f is not None
        header = read_header(f.abspath)
        if header.problems:
            raise CardError(f"{path}: invalid safetensors header ({header.problems[0].message}): run `releasekit check`")
        for name, info in header.tensors.items():
            if name in shapes:
                raise CardError(f"{path}: tensor {json.dumps(name)[:80]} is also in another shard: run `releasekit check`")
            shapes[name] = info.shape
            dtype_bytes[info.dtype] = dtype_bytes.get(info.dtype, 0) + info.nbytes
        for name, info in header.tensors.items():
            if info.dtype in FP8_DTYPES and len(info.shape) == 2:
                scale = header.tensors.get(name + "_scale_inv")
                if scale is not None and len(scale.shape) == 2:
                    fp8_pairs.append((info.shape, scale.shape))
        shards.append(Shard(path, f.size, len(header.tensors)))
    config = ctx.config_json() or {}
    try:
        params = count_parameters(shapes, config)
    except ParameterCountError as exc:
        raise CardError(f"config.json: {exc}") from None
    tensor_bytes = sum(dtype_bytes.values()) or 1
    dtypes = tuple(sorted((DtypeShare(d, n, n / tensor_bytes) for d, n in dtype_bytes.items()),
                          key=lambda s: (-s.nbytes, s.dtype)))
    return WeightFacts(tuple(shards), sum(s.size for s in shards), dtypes, params, _fp8_block(config, fp8_pairs))


def _fp8_block(config: Mapping[str, Any], pairs: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> tuple[int, int] | None:
    """The block size from config.json's quantization_config, else inferred from weight/scale shapes."""
    if not pairs:
        return None
    declared = (config.get("quantization_config") or {}).get("weight_block_size") \
        if isinstance(config.get("quantization_config"), dict) else None
    if (isinstance(declared, list) and len(declared) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in declared)):
        return declared[0], declared[1]
    for (rows, cols), (srows, scols) in pairs:
        if srows and scols and rows % srows == 0 and cols % scols == 0:
            return rows // srows, cols // scols
    return None


# config.json keys shown in the architecture table, with their labels, in this order.
ARCHITECTURE_KEYS: tuple[tuple[str, str], ...] = (
    ("model_type", "Model type"),
    ("num_hidden_layers", "Layers"),
    ("num_nextn_predict_layers", "Multi-token-prediction layers"),
    ("hidden_size", "Hidden size"),
    ("intermediate_size", "Dense FFN size"),
    ("moe_intermediate_size", "Expert FFN size"),
    ("num_attention_heads", "Attention heads"),
    ("num_key_value_heads", "Key/value heads"),
    ("q_lora_rank", "MLA query rank"),
    ("kv_lora_rank", "MLA key/value rank"),
    ("qk_nope_head_dim", "Query/key head dim (no RoPE)"),
    ("qk_rope_head_dim", "Query/key head dim (RoPE)"),
    ("v_head_dim", "Value head dim"),
    ("head_dim", "Head dim"),
    ("n_routed_experts", "Routed experts"),
    ("num_local_experts", "Routed experts"),
    ("num_experts", "Routed experts"),
    ("n_shared_experts", "Shared experts"),
    ("num_experts_per_tok", "Experts per token"),
    ("first_k_dense_replace", "Dense layers before the MoE layers"),
    ("vocab_size", "Vocabulary"),
    ("max_position_embeddings", "Context length"),
    ("rope_theta", "RoPE theta"),
)


def architecture(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows from config.json; values are the release's, escaped by the template."""
    rows: list[tuple[str, str]] = []
    archs = config.get("architectures")
    if isinstance(archs, list) and archs and all(isinstance(a, str) for a in archs):
        rows.append(("Architecture", ", ".join(archs)))
    seen: set[str] = set()
    for key, label in ARCHITECTURE_KEYS:
        value = config.get(key)
        if value is None or isinstance(value, (dict, list)) or label in seen:
            continue
        seen.add(label)
        rows.append((label, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)))
    rope = config.get("rope_scaling")
    if isinstance(rope, dict):
        kind = rope.get("type") or rope.get("rope_type")
        parts = [str(kind)] if kind else []
        for key in ("factor", "original_max_position_embeddings", "beta_fast", "beta_slow"):
            if key in rope and not isinstance(rope[key], (dict, list)):
                parts.append(f"{key} {rope[key]}")
        rows.append(("RoPE scaling", ", ".join(parts)))
    dtype = config.get("torch_dtype") or config.get("dtype")
    if isinstance(dtype, str):
        rows.append(("Compute dtype", dtype))
    quant = config.get("quantization_config")
    if isinstance(quant, dict) and isinstance(quant.get("quant_method"), str):
        fmt = quant.get("fmt")
        rows.append(("Quantization", quant["quant_method"] + (f" ({fmt})" if isinstance(fmt, str) else "")))
    return rows
