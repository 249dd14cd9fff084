"""--dequantize-fp8: DeepSeek-V3 block-scaled FP8 to BF16, exactly as the reference computes it."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_convert_support import assert_same, bits, load_output, save, snapshot, torch

from releasekit.conversion import fp8

BLOCK = 128


def reference(weight: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """The reference semantics written block by block: each 128x128 tile (ragged at the edges)
    widened to float32, times its one float32 scale, rounded once to bfloat16."""
    rows, cols = weight.shape
    out = torch.empty(rows, cols, dtype=torch.bfloat16)
    for i in range(math.ceil(rows / BLOCK)):
        for j in range(math.ceil(cols / BLOCK)):
            tile = weight[i * BLOCK : (i + 1) * BLOCK, j * BLOCK : (j + 1) * BLOCK].to(torch.float32)
            out[i * BLOCK : (i + 1) * BLOCK, j * BLOCK : (j + 1) * BLOCK] = (tile * scale[i, j].float()).to(
                torch.bfloat16
            )
    return out


def quantized(rows: int, cols: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    weight = (torch.randn(rows, cols, generator=g) * 200).to(torch.float8_e4m3fn)
    scale = torch.rand(math.ceil(rows / BLOCK), math.ceil(cols / BLOCK), generator=g) * 1e-2 + 1e-5
    return weight, scale


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 300), cols=st.integers(1, 300), seed=st.integers(0, 2**16))
def test_dequantize_equals_the_block_reference_bit_for_bit(rows: int, cols: int, seed: int) -> None:
    weight, scale = quantized(rows, cols, seed)
    assert bits(fp8.dequantize(weight, scale)) == bits(reference(weight, scale))


def test_dequantize_refuses_a_scale_grid_that_does_not_match() -> None:
    weight, _ = quantized(130, 128)
    with pytest.raises(ValueError, match=r"expected \(2, 1\)"):
        fp8.dequantize(weight, torch.ones(1, 1))


_KERNEL_CHECK = textwrap.dedent("""
    import math, sys, torch, triton, triton.language as tl
    from releasekit.conversion import fp8

    # The reference weight_dequant_kernel's semantics (DeepSeek-V3 inference/kernel.py), transcribed:
    # one program per 128x128 block, masked at ragged edges, scale s[pid_m * cdiv(N, B) + pid_n].
    @triton.jit
    def dequant(x_ptr, s_ptr, y_ptr, M, N, BLOCK: tl.constexpr):
        pid_m = tl.program_id(axis=0)
        pid_n = tl.program_id(axis=1)
        n = tl.cdiv(N, BLOCK)
        offs_m = pid_m * BLOCK + tl.arange(0, BLOCK)
        offs_n = pid_n * BLOCK + tl.arange(0, BLOCK)
        offs = offs_m[:, None] * N + offs_n[None, :]
        mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
        x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
        s = tl.load(s_ptr + pid_m * n + pid_n)
        tl.store(y_ptr + offs, x * s, mask=mask)

    for rows, cols in ((300, 200), (128, 256), (1, 129)):
        g = torch.Generator().manual_seed(rows)
        x = (torch.randn(rows, cols, generator=g) * 200).to(torch.float8_e4m3fn)
        s = torch.rand(math.ceil(rows / 128), math.ceil(cols / 128), generator=g) * 1e-2
        product = torch.empty(rows, cols, dtype=torch.float32)
        dequant[(math.ceil(rows / 128), math.ceil(cols / 128))](x, s, product, rows, cols, BLOCK=128)
        # The GPU kernel stores the float32 product into bfloat16 with cvt.rn (round to nearest even),
        # which is torch's .to(bfloat16); the interpreter truncates instead, so round here.
        ours = fp8.dequantize(x, s)
        if not torch.equal(ours.view(torch.int16), product.to(torch.bfloat16).view(torch.int16)):
            sys.exit(f"mismatch at {rows}x{cols}")
    print("ok")
""")


def test_dequantize_matches_the_reference_kernel_run_in_the_triton_interpreter() -> None:
    import triton  # noqa: F401 - the extra; its absence must fail, not skip
    env = dict(os.environ, TRITON_INTERPRET="1")
    done = subprocess.run([sys.executable, "-c", _KERNEL_CHECK], capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


def _fp8_release(folder: Path) -> dict[str, torch.Tensor]:
    """A DeepSeek-style sharded FP8 safetensors checkpoint whose scales sit in the other shard."""
    from safetensors.torch import save_file

    w1, s1 = quantized(300, 200, seed=1)  # ragged: 3 x 2 blocks
    w2, s2 = quantized(128, 384, seed=2)
    tensors = {
        "model.layers.0.mlp.gate_proj.weight": w1,
        "model.layers.0.mlp.gate_proj.weight_scale_inv": s1,
        "model.layers.0.self_attn.o_proj.weight": w2,
        "model.layers.0.self_attn.o_proj.weight_scale_inv": s2,
        "model.norm.weight": torch.randn(200).bfloat16(),
        "model.embed_tokens.weight": torch.randn(10, 200).bfloat16(),
    }
    shards = {
        "model-00001-of-00002.safetensors": [
            "model.layers.0.mlp.gate_proj.weight",
            "model.norm.weight",
            "model.layers.0.self_attn.o_proj.weight_scale_inv",
        ],
        "model-00002-of-00002.safetensors": [
            "model.layers.0.self_attn.o_proj.weight",
            "model.embed_tokens.weight",
            "model.layers.0.mlp.gate_proj.weight_scale_inv",
        ],
    }
    folder.mkdir(parents=True)
    weight_map = {}
    for file, names in shards.items():
        save_file({n: tensors[n] for n in names}, folder / file, metadata={"format": "pt"})
        weight_map.update({n: file for n in names})
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 1}, "weight_map": weight_map})
    )
    (folder / "config.json").write_text(
        json.dumps(
            {
                "architectures": ["DeepseekV3ForCausalLM"],
                "torch_dtype": "bfloat16",
                "hidden_size": 200,
                "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]},
            }
        )
    )
    return tensors


def test_fp8_safetensors_release_dequantizes_to_bf16_with_clean_index_and_config(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "fp8"
    tensors = _fp8_release(source)
    before = snapshot(source)
    out = tmp_path / "bf16"

    result = run_cli("convert", source, "--dequantize-fp8", "--output", out, "--format", "json")

    assert result.exit_code == 0, result
    written, _ = load_output(out)
    expected = {
        "model.layers.0.mlp.gate_proj.weight": reference(
            tensors["model.layers.0.mlp.gate_proj.weight"], tensors["model.layers.0.mlp.gate_proj.weight_scale_inv"]
        ),
        "model.layers.0.self_attn.o_proj.weight": reference(
            tensors["model.layers.0.self_attn.o_proj.weight"],
            tensors["model.layers.0.self_attn.o_proj.weight_scale_inv"],
        ),
        "model.norm.weight": tensors["model.norm.weight"],
        "model.embed_tokens.weight": tensors["model.embed_tokens.weight"],
    }
    assert_same(expected, written)
    config = json.loads((out / "config.json").read_text())
    assert "quantization_config" not in config and config["torch_dtype"] == "bfloat16"
    assert config["architectures"] == ["DeepseekV3ForCausalLM"]
    summary = result.json()
    assert sorted(summary["dequantized"]) == sorted(n for n in expected if n.endswith("proj.weight"))
    assert len(summary["scales_dropped"]) == 2
    assert snapshot(source) == before  # the FP8 input, its index and its config.json untouched
    assert run_cli("check", out, "--select", "weights").exit_code == 0


def test_sharded_dequantized_output_index_has_no_scales(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "fp8"
    _fp8_release(source)
    out = tmp_path / "bf16"
    assert run_cli("convert", source, "--dequantize-fp8", "-o", out, "--max-shard-size", "100KB").exit_code == 0
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert index["weight_map"] and not any(n.endswith("_scale_inv") for n in index["weight_map"])
    assert index["metadata"]["total_size"] == (300 * 200 + 128 * 384 + 200 + 10 * 200) * 2


def test_pickled_fp8_checkpoint_dequantizes_and_unscaled_fp8_is_reported(tmp_path: Path, run_cli) -> None:
    weight, scale = quantized(130, 70, seed=3)
    lonely = torch.randn(4, 4).to(torch.float8_e4m3fn)
    save(
        {"proj.weight": weight, "proj.weight_scale_inv": scale, "lonely.weight": lonely},
        tmp_path / "src" / "pytorch_model.bin",
    )

    result = run_cli("convert", tmp_path / "src", "--dequantize-fp8", "-o", tmp_path / "out", "--format", "json")

    assert result.exit_code == 0, result
    written, _ = load_output(tmp_path / "out")
    assert_same({"proj.weight": reference(weight, scale), "lonely.weight": lonely}, written)
    assert result.json()["fp8_without_scale"] == ["lonely.weight"]


def test_dequantizing_in_place_would_replace_inputs_and_is_refused(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "fp8"
    _fp8_release(source)
    before = snapshot(source)
    result = run_cli("convert", source, "--dequantize-fp8")
    assert result.exit_code == 2 and "would replace an input" in result.stderr
    assert snapshot(source) == before


def test_scale_with_the_wrong_grid_is_an_error_naming_both_tensors(tmp_path: Path, run_cli) -> None:
    from safetensors.torch import save_file

    weight, _ = quantized(256, 256)
    (tmp_path / "src").mkdir()
    save_file({"w.weight": weight, "w.weight_scale_inv": torch.ones(1, 2)}, tmp_path / "src" / "model.safetensors")
    result = run_cli("convert", tmp_path / "src", "--dequantize-fp8", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "'w.weight_scale_inv' has shape [1, 2]" in result.stderr and "needs [2, 2]" in result.stderr
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_safetensors_input_needs_the_dequantize_flag(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "fp8"
    _fp8_release(source)
    result = run_cli("convert", source / "model.safetensors.index.json")
    assert result.exit_code == 2 and "only --dequantize-fp8 reads" in result.stderr
