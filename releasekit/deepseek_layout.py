"""The tensor layout of a DeepSeek-V3-style checkpoint, computed from its config.

Used to build the bundled example release (a tiny model), the `check` benchmark (the real
671B layout as sparse files), and tests. It mirrors the Hugging Face checkpoint's names: MLA
projections, MoE experts after `first_k_dense_replace` dense layers, FP8 weights with F32
`weight_scale_inv` per block, and `num_nextn_predict_layers` MTP layers after the stack.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# DeepSeek-V3's published config.json, the fields that shape its weights.
DEEPSEEK_V3_CONFIG: dict[str, Any] = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "deepseek_v3",
    "vocab_size": 129280,
    "hidden_size": 7168,
    "intermediate_size": 18432,
    "moe_intermediate_size": 2048,
    "num_hidden_layers": 61,
    "num_nextn_predict_layers": 1,
    "num_attention_heads": 128,
    "num_key_value_heads": 128,
    "n_shared_experts": 1,
    "n_routed_experts": 256,
    "num_experts_per_tok": 8,
    "first_k_dense_replace": 3,
    "moe_layer_freq": 1,
    "q_lora_rank": 1536,
    "kv_lora_rank": 512,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "max_position_embeddings": 163840,
    "rope_theta": 10000,
    "rope_scaling": {
        "type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1, "mscale": 1.0,
        "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096,
    },
    "rms_norm_eps": 1e-06,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "quantization_config": {
        "quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128],
    },
}

V3_SHARDS = 163


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        size = {"BF16": 2, "F32": 4, "F8_E4M3": 1}[self.dtype]
        return math.prod(self.shape) * size


def tensor_specs(config: Mapping[str, Any]) -> list[TensorSpec]:
    """Every tensor of the checkpoint, in the order the model defines them."""
    c = config
    hidden, vocab = c["hidden_size"], c["vocab_size"]
    heads = c["num_attention_heads"]
    nope, rope, v_dim = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    q_rank, kv_rank = c["q_lora_rank"], c["kv_lora_rank"]
    block = tuple(c.get("quantization_config", {}).get("weight_block_size", (128, 128)))
    layers, mtp = c["num_hidden_layers"], c.get("num_nextn_predict_layers", 0)
    out: list[TensorSpec] = []

    def plain(name: str, *shape: int, dtype: str = "BF16") -> None:
        out.append(TensorSpec(name, dtype, tuple(shape)))

    def fp8(name: str, rows: int, cols: int) -> None:
        out.append(TensorSpec(f"{name}.weight", "F8_E4M3", (rows, cols)))
        out.append(TensorSpec(f"{name}.weight_scale_inv", "F32",
                              (math.ceil(rows / block[0]), math.ceil(cols / block[1]))))

    plain("model.embed_tokens.weight", vocab, hidden)
    for i in range(layers + mtp):
        p = f"model.layers.{i}"
        if i >= layers:  # multi-token-prediction module
            plain(f"{p}.embed_tokens.weight", vocab, hidden)
            plain(f"{p}.enorm.weight", hidden)
            plain(f"{p}.hnorm.weight", hidden)
            plain(f"{p}.eh_proj.weight", hidden, 2 * hidden)
            plain(f"{p}.shared_head.norm.weight", hidden)
            plain(f"{p}.shared_head.head.weight", vocab, hidden)
        plain(f"{p}.input_layernorm.weight", hidden)
        plain(f"{p}.post_attention_layernorm.weight", hidden)
        if q_rank:
            fp8(f"{p}.self_attn.q_a_proj", q_rank, hidden)
            plain(f"{p}.self_attn.q_a_layernorm.weight", q_rank)
            fp8(f"{p}.self_attn.q_b_proj", heads * (nope + rope), q_rank)
        else:
            fp8(f"{p}.self_attn.q_proj", heads * (nope + rope), hidden)
        fp8(f"{p}.self_attn.kv_a_proj_with_mqa", kv_rank + rope, hidden)
        plain(f"{p}.self_attn.kv_a_layernorm.weight", kv_rank)
        fp8(f"{p}.self_attn.kv_b_proj", heads * (nope + v_dim), kv_rank)
        fp8(f"{p}.self_attn.o_proj", hidden, heads * v_dim)
        if i < c.get("first_k_dense_replace", 0):
            inter = c["intermediate_size"]
            fp8(f"{p}.mlp.gate_proj", inter, hidden)
            fp8(f"{p}.mlp.up_proj", inter, hidden)
            fp8(f"{p}.mlp.down_proj", hidden, inter)
        else:
            experts, inter = c["n_routed_experts"], c["moe_intermediate_size"]
            plain(f"{p}.mlp.gate.weight", experts, hidden)
            plain(f"{p}.mlp.gate.e_score_correction_bias", experts, dtype="F32")
            for e in range(experts):
                fp8(f"{p}.mlp.experts.{e}.gate_proj", inter, hidden)
                fp8(f"{p}.mlp.experts.{e}.up_proj", inter, hidden)
                fp8(f"{p}.mlp.experts.{e}.down_proj", hidden, inter)
            shared = c.get("n_shared_experts", 0) * inter
            if shared:
                fp8(f"{p}.mlp.shared_experts.gate_proj", shared, hidden)
                fp8(f"{p}.mlp.shared_experts.up_proj", shared, hidden)
                fp8(f"{p}.mlp.shared_experts.down_proj", hidden, shared)
    plain("model.norm.weight", hidden)
    plain("lm_head.weight", vocab, hidden)
    return out


def split_shards(specs: list[TensorSpec], count: int) -> list[list[TensorSpec]]:
    """Split tensors, in order, into `count` shards of roughly equal bytes (as HF's sharding does)."""
    total = sum(s.nbytes for s in specs)
    target = total / count
    shards: list[list[TensorSpec]] = [[]]
    filled = 0
    for spec in specs:
        if shards[-1] and filled + spec.nbytes > target * len(shards) and len(shards) < count:
            shards.append([])
        shards[-1].append(spec)
        filled += spec.nbytes
    return shards


def shard_name(number: int, count: int, stem: str = "model") -> str:
    return f"{stem}-{number:05d}-of-{count:05d}.safetensors"


def write_sparse_checkpoint(dest: Path, specs: list[TensorSpec], shards: int) -> int:
    """Sharded safetensors and their index whose tensor data are holes (headers written, the rest a
    truncate: no disk used), for benchmarks and tests of real layouts. Returns the total tensor bytes."""
    from releasekit.safetensors_format import encode_header

    weight_map: dict[str, str] = {}
    groups = split_shards(specs, shards)
    for number, group in enumerate(groups, start=1):
        name = shard_name(number, len(groups))
        header, spans = encode_header([(s.name, s.dtype, s.shape) for s in group], {"format": "pt"})
        with open(dest / name, "wb") as handle:
            handle.write(header)
            handle.truncate(len(header) + max((end for _, end in spans.values()), default=0))
        weight_map.update({s.name: name for s in group})
    total = sum(s.nbytes for s in specs)
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (dest / "model.safetensors.index.json").write_text(json.dumps(index))
    return total
