"""Shapes and the softmax scale from config.json, and the planned sweep. No torch needed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from releasekit.errors import UsageError
from releasekit.smoke.cases import GEMM_CONTROLS, MLA_CONTROLS, GemmCase, MlaCase, Plan, cpu_cases, gpu_cases, plan
from releasekit.smoke.checkpoint import WeightRef
from releasekit.smoke.shapes import DEEPSEEK_V3_CONFIG, load_shape, shape_from_config, yarn_mscale

V3 = dict(DEEPSEEK_V3_CONFIG)


def shape(**changes):
    return shape_from_config({**V3, **changes}, "config.json")


def test_deepseek_v3_softmax_scale_includes_the_yarn_mscale_squared() -> None:
    s = shape()
    m = 0.1 * 1.0 * math.log(40) + 1.0
    assert s.softmax_scale == pytest.approx(192 ** -0.5 * m * m, rel=1e-12)
    assert s.softmax_scale == pytest.approx(0.135234, abs=1e-6)
    assert s.scale_note == "(128+64)^-0.5 x 1.3689^2 (YaRN factor 40, mscale_all_dim 1)"
    # Never the cached row width (576) nor the full query head (kv_lora_rank + rope).
    assert s.kv_row == 576 and s.qk_head_dim == 192


def test_mscale_all_dim_scales_the_correction() -> None:
    s = shape(rope_scaling={**V3["rope_scaling"], "mscale_all_dim": 0.707})
    assert s.softmax_scale == pytest.approx(192 ** -0.5 * yarn_mscale(40, 0.707) ** 2)


@pytest.mark.parametrize("rope_scaling, why", [
    (None, "no rope_scaling"),
    ({"type": "linear", "factor": 4.0}, "does not change it"),
    ({**DEEPSEEK_V3_CONFIG["rope_scaling"], "mscale_all_dim": 0}, "no correction"),
    ({"type": "yarn", "factor": 40}, "no correction"),  # mscale_all_dim absent: modeling_deepseek uses 0
    ({**DEEPSEEK_V3_CONFIG["rope_scaling"], "factor": 1.0}, "no correction"),
    ({**DEEPSEEK_V3_CONFIG["rope_scaling"], "original_max_position_embeddings": 163840}, "YaRN off"),
])
def test_no_yarn_correction(rope_scaling, why: str) -> None:
    s = shape(rope_scaling=rope_scaling)
    assert s.softmax_scale == pytest.approx(192 ** -0.5)
    assert why in s.scale_note


def test_rope_type_key_of_newer_configs() -> None:
    rs = {k: v for k, v in V3["rope_scaling"].items() if k != "type"}
    assert shape(rope_scaling={**rs, "rope_type": "yarn"}).softmax_scale == pytest.approx(shape().softmax_scale)


def test_v3_projection_shapes() -> None:
    got = {p.name: (p.n, p.k) for p in shape().projections()}
    assert got == {
        "q_a_proj": (1536, 7168), "q_b_proj": (128 * 192, 1536), "kv_a_proj_with_mqa": (576, 7168),
        "kv_b_proj": (128 * 256, 512), "o_proj": (7168, 128 * 128), "mlp.gate_proj": (18432, 7168),
        "mlp.down_proj": (7168, 18432), "experts.gate_proj": (2048, 7168), "experts.down_proj": (7168, 2048)}


def test_without_q_lora_the_query_projection_is_direct() -> None:
    names = [p.name for p in shape(q_lora_rank=None).projections()]
    assert "q_proj" in names and "q_a_proj" not in names


def test_llama_config_is_not_mla() -> None:
    with pytest.raises(UsageError, match=r"config.json: not an MLA model \(llama\): missing kv_lora_rank, "
                                         r"qk_nope_head_dim, qk_rope_head_dim, v_head_dim"):
        shape_from_config({"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32}, "config.json")


@pytest.mark.parametrize("field, value, message", [
    ("kv_lora_rank", "512", "kv_lora_rank is '512', expected a positive integer"),
    ("kv_lora_rank", True, "kv_lora_rank is True, expected a positive integer"),
    ("qk_rope_head_dim", 0, "qk_rope_head_dim is 0, expected a positive integer"),
    ("num_attention_heads", 100000, "num_attention_heads is 100000, beyond the 1024"),
    ("q_lora_rank", -1, "q_lora_rank is -1"),
    ("rope_scaling", [1, 2], "rope_scaling is list, expected an object or null"),
    ("rope_scaling", {"type": "yarn", "factor": "40"}, "rope_scaling.factor is '40'"),
    ("quantization_config", {"weight_block_size": [128, 100]}, "weight_block_size is [128, 100]"),
    ("quantization_config", {"weight_block_size": 128}, "weight_block_size is 128"),
])
def test_bad_fields_are_one_line_errors(field: str, value, message: str) -> None:
    with pytest.raises(UsageError) as info:
        shape(**{field: value})
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_hidden_size() -> None:
    config = {k: v for k, v in V3.items() if k != "hidden_size"}
    with pytest.raises(UsageError, match="config.json: missing hidden_size"):
        shape_from_config(config, "config.json")


@pytest.mark.parametrize("content, message", [
    ('{"kv_lora_rank": 512,', "not valid JSON: Expecting"),
    ("[1, 2]", "is a JSON list, not an object"),
    (b"\xff\xfe{}", "not UTF-8"),
    ('{"a": NaN}', None),  # Python's json accepts NaN; the missing fields are the error then
])
def test_config_file_problems(tmp_path: Path, content, message: str | None) -> None:
    path = tmp_path / "config.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(UsageError) as info:
        load_shape(tmp_path)
    assert str(info.value).startswith(str(path))
    assert message is None or message in str(info.value)


def test_config_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text(json.dumps(V3))
    (tmp_path / "config.json").symlink_to(tmp_path / "real.json")
    with pytest.raises(UsageError, match="is a symlink"):
        load_shape(tmp_path)


def test_builtin_shape_when_no_release() -> None:
    s = load_shape(None)
    assert s.source == "built-in DeepSeek-V3 config" and s.kv_lora_rank == 512 and s.num_heads == 128


# -- the planned cases -------------------------------------------------------------------------

def test_cpu_cases_hit_every_edge_the_kernels_have() -> None:
    cases = cpu_cases(shape(), None)
    mla = [c for c in cases if isinstance(c, MlaCase) and not c.expect_fail]
    lens = {n for c in mla for n in c.seqlens}
    assert 0 in lens and 1 in lens  # empty and single-token sequences
    assert any(n % c.page_size == 0 and n for c in mla for n in c.seqlens)  # ends on a page boundary
    assert any(n % c.page_size and n > c.page_size for c in mla for n in c.seqlens)  # ends inside a later page
    assert any(max(c.seqlens) > c.split_tokens for c in mla)  # several splits: the merge does work
    assert any(c.split_tokens % c.page_size for c in mla)  # splits straddle pages
    assert any(c.q_len == 2 for c in mla)
    assert all(c.heads == 16 for c in mla)  # V3's 128 heads, cut for the interpreter
    controls = [c.variant for c in cases if c.expect_fail]
    assert sorted(controls) == sorted(MLA_CONTROLS + GEMM_CONTROLS)
    gemm = [c for c in cases if isinstance(c, GemmCase) and not c.expect_fail]
    assert gemm and all(c.m % c.block_m for c in gemm)  # partial M tiles
    assert any(c.n % 128 for c in gemm)  # partial N scale block (576 = 4.5 x 128)


def test_gpu_sweep() -> None:
    cases = gpu_cases(shape(), None)
    uniform = {(c.batch, c.heads, c.q_len, c.seqlens[0]) for c in cases
               if isinstance(c, MlaCase) and not c.expect_fail and len(set(c.seqlens)) == 1}
    assert uniform == {(b, h, q, s) for b in (1, 64, 128) for h in (16, 128) for q in (1, 2) for s in (1, 140, 4096)}
    varlen = [c for c in cases if isinstance(c, MlaCase) and len(set(c.seqlens)) > 1 and not c.expect_fail]
    assert varlen and all(0 in c.seqlens for c in varlen)
    gemm = {(c.m, c.n, c.k) for c in cases if isinstance(c, GemmCase) and not c.expect_fail}
    assert {(m, 576, 7168) for m in (1, 128, 4096)} <= gemm
    assert {(4096, 18432, 7168), (4096, 7168, 18432), (128, 32768, 512)} <= gemm
    assert sorted(c.variant for c in cases if c.expect_fail) == sorted(MLA_CONTROLS + GEMM_CONTROLS)


def test_gpu_sweep_follows_the_configs_head_count() -> None:
    heads = {c.heads for c in gpu_cases(shape(num_attention_heads=8), None) if isinstance(c, MlaCase)}
    assert heads == {8}


def test_plan_survives_the_trip_to_the_kernel_process() -> None:
    weight = WeightRef("w", "a.safetensors", (576, 7168), "w_scale_inv", "b.safetensors", (5, 56))
    original = plan(shape(), "cpu", "/some/release", weight, ("a note",))
    again = Plan.from_json(json.loads(json.dumps(original.to_json())))
    assert again == original
    assert any(isinstance(c, GemmCase) and c.weight == weight for c in again.cases)
