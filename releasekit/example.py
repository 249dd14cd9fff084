"""Build the bundled example release: a tiny DeepSeek-V3-style model that passes `check`.

`python -m releasekit.example DEST` writes MLA attention, a dense layer then MoE layers with
routed and shared experts, FP8 (E4M3) weights with F32 128x128 block scales, one MTP layer,
two safetensors shards with an index, config.json, an MIT LICENSE, a model card and inference
code. Random weights, a few MB, pure Python (no numpy or torch needed), deterministic for a seed.
"""

from __future__ import annotations

import json
import random
import struct
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG, TensorSpec, shard_name, split_shards, tensor_specs
from releasekit.safetensors_format import encode_header

TINY_CONFIG: dict[str, Any] = {
    **DEEPSEEK_V3_CONFIG,
    "vocab_size": 1024,
    "hidden_size": 256,
    "intermediate_size": 320,  # 2.5 blocks of 128: exercises ragged FP8 scale blocks
    "moe_intermediate_size": 128,
    "num_hidden_layers": 3,
    "num_nextn_predict_layers": 1,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "n_shared_experts": 1,
    "n_routed_experts": 4,
    "num_experts_per_tok": 2,
    "first_k_dense_replace": 1,
    "q_lora_rank": 128,
    "kv_lora_rank": 64,
    "qk_nope_head_dim": 32,
    "qk_rope_head_dim": 16,
    "v_head_dim": 32,
    "max_position_embeddings": 16384,
    "rope_scaling": {
        "type": "yarn", "factor": 4, "beta_fast": 32, "beta_slow": 1, "mscale": 1.0,
        "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096,
    },
}
SHARDS = 2

# E4M3 codes with a small exponent (|x| in [2^-3, 2^2)), both signs: never NaN (0x7f/0xff).
_FP8_CODES = bytes(sign | (exp << 3) | mant for sign in (0, 0x80) for exp in range(4, 9) for mant in range(8))
_FP8_TABLE = bytes(_FP8_CODES[i % len(_FP8_CODES)] for i in range(256))
# BF16 high bytes for |x| in roughly [2^-8, 2^-4): sign bit plus exponents 119..122.
_BF16_HIGH = bytes(sign | (exp >> 1) for sign in (0, 0x80) for exp in range(119, 123))
_BF16_TABLE = bytes(_BF16_HIGH[i % len(_BF16_HIGH)] for i in range(256))


def _tensor_bytes(spec: TensorSpec, rng: random.Random) -> bytes:
    n = 1
    for d in spec.shape:
        n *= d
    if spec.dtype == "F8_E4M3":
        return rng.randbytes(n).translate(_FP8_TABLE)
    if spec.dtype == "F32":
        if spec.name.endswith("weight_scale_inv"):
            # One scale per 128x128 block, of the size amax/448 gives for weights of ~0.02.
            return struct.pack(f"<{n}f", *(rng.uniform(2e-5, 8e-5) for _ in range(n)))
        return struct.pack(f"<{n}f", *([0.0] * n))  # e_score_correction_bias
    if spec.name.endswith(("norm.weight", "layernorm.weight")):
        return b"\x80\x3f" * n  # BF16 1.0
    out = bytearray(2 * n)
    out[0::2] = rng.randbytes(n)
    out[1::2] = rng.randbytes(n).translate(_BF16_TABLE)
    return bytes(out)


def write_checkpoint(dest: Path, specs: list[TensorSpec], shards: int, seed: int = 0) -> None:
    """Write `specs` as a sharded safetensors checkpoint with its index into `dest`."""
    rng = random.Random(seed)
    groups = split_shards(specs, shards)
    weight_map: dict[str, str] = {}
    for number, group in enumerate(groups, start=1):
        name = shard_name(number, len(groups))
        header, _ = encode_header([(s.name, s.dtype, s.shape) for s in group], {"format": "pt"})
        with open(dest / name, "wb") as handle:
            handle.write(header)
            for spec in group:
                handle.write(_tensor_bytes(spec, rng))
                weight_map[spec.name] = name
    index = {"metadata": {"total_size": sum(s.nbytes for s in specs)}, "weight_map": weight_map}
    (dest / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")


def build_example(dest: str | Path, seed: int = 0) -> Path:
    """Create the example release folder `dest` (which must not exist yet or be empty)."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest}: exists and is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "config.json").write_text(json.dumps(TINY_CONFIG, indent=2) + "\n")
    (dest / "generation_config.json").write_text(
        json.dumps({"bos_token_id": 0, "eos_token_id": 1, "do_sample": True, "temperature": 0.6, "top_p": 0.95},
                   indent=2) + "\n")
    (dest / "tokenizer_config.json").write_text(  # as DeepSeek-V3 ships it (a text model needs one: RK611)
        json.dumps({"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<｜begin▁of▁sentence｜>",
                    "eos_token": "<｜end▁of▁sentence｜>", "model_max_length": 16384}, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")
    write_checkpoint(dest, tensor_specs(TINY_CONFIG), SHARDS, seed)
    files = resources.files("releasekit") / "data" / "example"
    for item in files.iterdir():
        _copy_tree(item, dest / item.name)
    return dest


def _copy_tree(source: Any, target: Path) -> None:
    if source.is_dir():
        target.mkdir(exist_ok=True)
        for child in source.iterdir():
            _copy_tree(child, target / child.name)
    elif source.name != "__pycache__":
        target.write_bytes(source.read_bytes())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m releasekit.example DEST", file=sys.stderr)
        return 2
    try:
        path = build_example(args[0])
    except (FileExistsError, OSError) as exc:
        print(f"releasekit.example: error: {exc}", file=sys.stderr)
        return 2
    print(f"example release written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
