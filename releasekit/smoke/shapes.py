"""The model's shapes, read from a release's `config.json` (Hugging Face field names).

What the smoke test needs: the MLA dimensions (`kv_lora_rank`, `qk_nope_head_dim`,
`qk_rope_head_dim`, `v_head_dim`, `num_attention_heads`), the projection shapes for the GEMM
(`hidden_size`, `q_lora_rank`, `intermediate_size`, `moe_intermediate_size`), the FP8 block size
(`quantization_config.weight_block_size`) and the softmax scale.

The softmax scale follows the code that reads this config, DeepSeek-V3's `modeling_deepseek.py`:
`(qk_nope_head_dim + qk_rope_head_dim) ** -0.5`, times `m * m` with the YaRN
`m = 0.1 * mscale_all_dim * ln(factor) + 1` when `rope_scaling` is YaRN with `factor > 1`.
DeepSeek's own `inference/model.py` applies the same factor when the model's maximum length
exceeds the original one, so a config whose `max_position_embeddings` does not exceed
`rope_scaling.original_max_position_embeddings` gets no correction. The scale is never derived
from the cached row width (576 for V3), a classic bug the negative control reproduces.
No torch here: the CLI validates the config before starting anything heavy.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from releasekit.errors import UsageError
from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG  # used when `smoke` is given no release

CONFIG_NAME = "config.json"
CONFIG_LIMIT = 4 * 1024 * 1024  # a config.json is a few KB; refuse to parse a huge file
MLA_FIELDS = ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")
DEFAULT_BLOCK = (128, 128)
# What the bundled kernels are written for; beyond this the register tiles stop making sense.
LIMITS = {"kv_lora_rank": 2048, "qk_nope_head_dim": 1024, "qk_rope_head_dim": 512, "v_head_dim": 1024,
          "num_attention_heads": 1024, "hidden_size": 65536, "q_lora_rank": 65536,
          "intermediate_size": 262144, "moe_intermediate_size": 262144}


@dataclasses.dataclass(frozen=True)
class Projection:
    """One linear layer: weight [n, k] (out x in features), as stored in the checkpoint."""

    name: str
    n: int
    k: int


@dataclasses.dataclass(frozen=True)
class ModelShape:
    source: str
    model_type: str | None
    hidden_size: int
    num_heads: int
    q_lora_rank: int | None
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int
    intermediate_size: int | None
    moe_intermediate_size: int | None
    weight_block: tuple[int, int]
    fp8_declared: bool  # quantization_config says block-scaled FP8
    softmax_scale: float
    scale_note: str

    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def kv_row(self) -> int:
        """Width of one cached token: c_kv then k_pe (576 for V3)."""
        return self.kv_lora_rank + self.qk_rope_head_dim

    def projections(self) -> list[Projection]:
        """DeepSeek-V2/V3's projection weights, deduplicated by shape (gate and up share one)."""
        h, heads = self.hidden_size, self.num_heads
        out: list[Projection] = []
        if self.q_lora_rank:
            out += [Projection("q_a_proj", self.q_lora_rank, h),
                    Projection("q_b_proj", heads * self.qk_head_dim, self.q_lora_rank)]
        else:
            out.append(Projection("q_proj", heads * self.qk_head_dim, h))
        out += [Projection("kv_a_proj_with_mqa", self.kv_row, h),
                Projection("kv_b_proj", heads * (self.qk_nope_head_dim + self.v_head_dim), self.kv_lora_rank),
                Projection("o_proj", h, heads * self.v_head_dim)]
        if self.intermediate_size:
            out += [Projection("mlp.gate_proj", self.intermediate_size, h),
                    Projection("mlp.down_proj", h, self.intermediate_size)]
        if self.moe_intermediate_size:
            out += [Projection("experts.gate_proj", self.moe_intermediate_size, h),
                    Projection("experts.down_proj", h, self.moe_intermediate_size)]
        seen: set[tuple[int, int]] = set()
        unique = []
        for p in out:
            if (p.n, p.k) not in seen:
                seen.add((p.n, p.k))
                unique.append(p)
        return unique

    def describe(self) -> str:
        return (f"{self.model_type or 'model'}: {self.num_heads} heads, kv_lora_rank {self.kv_lora_rank}, "
                f"rope {self.qk_rope_head_dim}, nope {self.qk_nope_head_dim}, v {self.v_head_dim}, "
                f"hidden {self.hidden_size}, FP8 blocks {self.weight_block[0]}x{self.weight_block[1]}")


def load_config(root: Path) -> tuple[dict[str, Any], str]:
    """Read `root/config.json` as a JSON object; every problem is a one-line UsageError."""
    path = Path(root) / CONFIG_NAME
    label = str(path)
    if path.is_symlink():
        raise UsageError(f"{label}: is a symlink; releasekit does not follow links in a release")
    if not path.is_file():
        raise UsageError(f"{label}: not found; `releasekit smoke` reads the model's shapes from it")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(CONFIG_LIMIT + 1)
    except OSError as exc:
        raise UsageError(f"{label}: cannot be read: {exc.strerror or exc}") from None
    if len(raw) > CONFIG_LIMIT:
        raise UsageError(f"{label}: larger than {CONFIG_LIMIT // (1024 * 1024)} MB; not a model config")
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{label}: not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{label}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{label}: not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{label}: is a JSON {type(value).__name__}, not an object")
    return value, label


def shape_from_config(config: Mapping[str, Any], source: str) -> ModelShape:
    """Validate the fields the kernels need and derive the softmax scale."""
    model_type = config.get("model_type") if isinstance(config.get("model_type"), str) else None
    missing = [f for f in (*MLA_FIELDS, "num_attention_heads", "hidden_size") if f not in config]
    if any(f in missing for f in MLA_FIELDS):
        kind = f" ({model_type})" if model_type else ""
        raise UsageError(f"{source}: not an MLA model{kind}: missing {', '.join(missing)}; `releasekit smoke` "
                         "tests DeepSeek-V2/V3-style MLA attention and FP8 GEMM kernels")
    if missing:
        raise UsageError(f"{source}: missing {', '.join(missing)}")

    def integer(name: str, optional: bool = False) -> int | None:
        value = config.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise UsageError(f"{source}: {name} is {value!r}, expected a positive integer")
        if value > LIMITS[name]:
            raise UsageError(f"{source}: {name} is {value}, beyond the {LIMITS[name]} the bundled kernels handle")
        return value

    dims = {name: integer(name) for name in (*MLA_FIELDS, "num_attention_heads", "hidden_size")}
    scale, note = softmax_scale(config, dims["qk_nope_head_dim"], dims["qk_rope_head_dim"], source)  # type: ignore[arg-type]
    block, fp8 = _weight_block(config, source)
    return ModelShape(
        source=source, model_type=model_type,
        hidden_size=dims["hidden_size"], num_heads=dims["num_attention_heads"],  # type: ignore[arg-type]
        q_lora_rank=integer("q_lora_rank", optional=True),
        kv_lora_rank=dims["kv_lora_rank"], qk_nope_head_dim=dims["qk_nope_head_dim"],  # type: ignore[arg-type]
        qk_rope_head_dim=dims["qk_rope_head_dim"], v_head_dim=dims["v_head_dim"],  # type: ignore[arg-type]
        intermediate_size=integer("intermediate_size", optional=True),
        moe_intermediate_size=integer("moe_intermediate_size", optional=True),
        weight_block=block, fp8_declared=fp8, softmax_scale=scale, scale_note=note,
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def yarn_mscale(factor: float, mscale: float) -> float:
    """YaRN's attention temperature: 1 for no scaling, else 0.1 * mscale * ln(factor) + 1."""
    return 1.0 if factor <= 1 else 0.1 * mscale * math.log(factor) + 1.0


def softmax_scale(config: Mapping[str, Any], nope: int, rope: int, source: str) -> tuple[float, str]:
    """The attention softmax scale and a one-line note on how it was derived."""
    base = (nope + rope) ** -0.5
    plain = f"({nope}+{rope})^-0.5"
    scaling = config.get("rope_scaling")
    if scaling is None:
        return base, f"{plain}, no rope_scaling"
    if not isinstance(scaling, dict):
        raise UsageError(f"{source}: rope_scaling is {type(scaling).__name__}, expected an object or null")
    kind = scaling.get("type", scaling.get("rope_type"))
    if kind not in ("yarn", "deepseek_yarn"):
        return base, f"{plain}, rope_scaling type {kind!r} does not change it"
    factor = scaling.get("factor")
    if not _number(factor) or factor <= 0:
        raise UsageError(f"{source}: rope_scaling.factor is {factor!r}, expected a positive number")
    mscale_all_dim = scaling.get("mscale_all_dim", 0)
    if not _number(mscale_all_dim):
        raise UsageError(f"{source}: rope_scaling.mscale_all_dim is {mscale_all_dim!r}, expected a number")
    original = scaling.get("original_max_position_embeddings")
    longest = config.get("max_position_embeddings")
    if _number(original) and _number(longest) and longest <= original:
        return base, f"{plain}; YaRN off: max_position_embeddings {longest} <= original {original}"
    if not mscale_all_dim or factor <= 1:
        return base, f"{plain}; YaRN factor {factor:g}, mscale_all_dim {mscale_all_dim:g}: no correction"
    m = yarn_mscale(factor, mscale_all_dim)
    return base * m * m, f"{plain} x {m:.4f}^2 (YaRN factor {factor:g}, mscale_all_dim {mscale_all_dim:g})"


def _weight_block(config: Mapping[str, Any], source: str) -> tuple[tuple[int, int], bool]:
    quant = config.get("quantization_config")
    if quant is None:
        return DEFAULT_BLOCK, False
    if not isinstance(quant, dict):
        raise UsageError(f"{source}: quantization_config is {type(quant).__name__}, expected an object")
    block = quant.get("weight_block_size")
    if block is None:
        return DEFAULT_BLOCK, False
    ok = (isinstance(block, list) and len(block) == 2
          and all(isinstance(b, int) and not isinstance(b, bool) and 16 <= b <= 1024 and b & (b - 1) == 0
                  for b in block))
    if not ok:
        raise UsageError(f"{source}: quantization_config.weight_block_size is {block!r}, expected two powers "
                         "of two between 16 and 1024 (DeepSeek-V3: [128, 128])")
    return (block[0], block[1]), quant.get("quant_method", "fp8") == "fp8"


def load_shape(root: Path | None) -> ModelShape:
    """The shape of the release at `root`, or DeepSeek-V3's when no release is given."""
    if root is None:
        return shape_from_config(DEEPSEEK_V3_CONFIG, "built-in DeepSeek-V3 config")
    if not Path(root).is_dir():
        raise UsageError(f"{root}: not a directory (give a release folder holding config.json)")
    config, label = load_config(Path(root))
    return shape_from_config(config, label)
