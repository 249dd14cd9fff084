"""`releasekit smoke` on a release folder: config, checkpoint discovery, the CLI end to end.

The release is a tiny DeepSeek-V3-style model built here: V3 config field names, YaRN rope
scaling, FP8 (F8_E4M3) weights in 128 x 128 blocks with F32 `weight_scale_inv`, two shards and
`model.safetensors.index.json`, with one weight's scale stored in the other shard.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

import torch
import safetensors.torch as safetensors_torch

from releasekit.smoke import launch  # noqa: E402
from releasekit.smoke.cases import cpu_cases  # noqa: E402
from releasekit.smoke.checkpoint import INDEX_NAME, find_fp8_weight, load_weight  # noqa: E402
from releasekit.smoke.shapes import load_shape  # noqa: E402

TINY_CONFIG = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "deepseek_v3",
    "hidden_size": 256, "intermediate_size": 384, "moe_intermediate_size": 128,
    "num_attention_heads": 4, "q_lora_rank": 48, "kv_lora_rank": 64,
    "qk_nope_head_dim": 32, "qk_rope_head_dim": 16, "v_head_dim": 32,
    "max_position_embeddings": 8192,
    "rope_scaling": {"type": "yarn", "factor": 4.0, "mscale": 0.707, "mscale_all_dim": 0.707,
                     "original_max_position_embeddings": 2048, "beta_fast": 32, "beta_slow": 1},
    "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                            "weight_block_size": [128, 128]},
    "torch_dtype": "bfloat16",
}
# name -> [out, in] of the FP8 linear weights of layer 0
TINY_WEIGHTS = {
    "model.layers.0.self_attn.q_a_proj.weight": (48, 256),
    "model.layers.0.self_attn.kv_a_proj_with_mqa.weight": (80, 256),
    "model.layers.0.self_attn.kv_b_proj.weight": (256, 64),
    "model.layers.0.self_attn.o_proj.weight": (256, 128),
}


def quantize_blocks(w: torch.Tensor, block: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """DeepSeek-V3's recipe: per 128 x 128 block, scale_inv = amax / 448, stored = w / scale_inv."""
    n, k = w.shape
    rows, cols = math.ceil(n / block), math.ceil(k / block)
    scale_inv = torch.empty(rows, cols)
    q = torch.empty(n, k, dtype=torch.float8_e4m3fn)
    for i in range(rows):
        for j in range(cols):
            tile = w[i * block:(i + 1) * block, j * block:(j + 1) * block]
            s = tile.abs().max().clamp(min=1e-4) / 448.0
            scale_inv[i, j] = s
            q[i * block:(i + 1) * block, j * block:(j + 1) * block] = (tile / s).to(torch.float8_e4m3fn)
    return q, scale_inv


def build_release(root: Path, config: dict | None = None, *, scale_shape_bug: bool = False) -> Path:
    """Write the tiny release: config.json, two safetensors shards and their index."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps(config or TINY_CONFIG, indent=2))
    gen = torch.Generator().manual_seed(0)
    shards: dict[str, dict[str, torch.Tensor]] = {"model-00001-of-00002.safetensors": {},
                                                  "model-00002-of-00002.safetensors": {}}
    first, second = shards.values()
    first["model.embed_tokens.weight"] = torch.randn(32, 256, generator=gen).to(torch.bfloat16)
    for i, (name, (n, k)) in enumerate(TINY_WEIGHTS.items()):
        q, s = quantize_blocks(torch.randn(n, k, generator=gen) * 0.02)
        if scale_shape_bug:
            s = s.T.contiguous() if s.shape[0] != s.shape[1] else torch.cat([s, s])
        first[name] = q
        # The last weight keeps its scale in the other shard, as large checkpoints do.
        (second if i == len(TINY_WEIGHTS) - 1 else first)[name + "_scale_inv"] = s
    weight_map = {}
    for shard, tensors in shards.items():
        safetensors_torch.save_file(tensors, str(root / shard), metadata={"format": "pt"})
        weight_map.update({name: shard for name in tensors})
    (root / INDEX_NAME).write_text(json.dumps({"metadata": {}, "weight_map": weight_map}, indent=2))
    return root


@pytest.fixture
def tiny_release(tmp_path: Path) -> Path:
    return build_release(tmp_path / "tiny")


# -- checkpoint discovery (headers only) -------------------------------------------------------

def test_finds_smallest_fp8_weight_through_the_index(tiny_release: Path) -> None:
    found = find_fp8_weight(tiny_release, (128, 128))
    assert found.problem is None
    assert found.weight is not None
    assert found.weight.name == "model.layers.0.self_attn.q_a_proj.weight"  # 48 x 256, the smallest
    assert found.weight.scale_shape == (1, 2)
    assert found.candidates == 4


def test_reads_weight_and_scale_from_different_shards(tiny_release: Path) -> None:
    found = find_fp8_weight(tiny_release, (128, 128))
    assert found.weight is not None
    ref = found.weight.__class__(**{**found.weight.__dict__, "name": "model.layers.0.self_attn.o_proj.weight",
                                    "shape": (256, 128), "scale_name": "model.layers.0.self_attn.o_proj.weight_scale_inv",
                                    "scale_shard": "model-00002-of-00002.safetensors", "scale_shape": (2, 1)})
    w, s = load_weight(tiny_release, ref)
    assert w.dtype == torch.float8_e4m3fn and tuple(w.shape) == (256, 128)
    assert s.dtype == torch.float32 and tuple(s.shape) == (2, 1)
    assert (s > 0).all()


def test_single_file_checkpoint_without_index(tmp_path: Path) -> None:
    root = build_release(tmp_path / "r")
    (root / INDEX_NAME).unlink()
    found = find_fp8_weight(root, (128, 128))
    # Without the index the scale in the second shard is still found by reading both headers.
    assert found.weight is not None and found.candidates == 4


def test_scale_of_the_wrong_shape_is_a_problem(tmp_path: Path) -> None:
    root = build_release(tmp_path / "r", scale_shape_bug=True)
    found = find_fp8_weight(root, (128, 128))
    assert found.weight is None
    assert found.problem is not None and "weight_scale_inv" in found.problem and "expected F32" in found.problem


def test_bf16_release_has_no_checkpoint_case(tmp_path: Path) -> None:
    root = tmp_path / "bf16"
    root.mkdir()
    safetensors_torch.save_file({"w": torch.zeros(4, 4, dtype=torch.bfloat16)}, str(root / "model.safetensors"))
    found = find_fp8_weight(root, (128, 128))
    assert found.weight is None and found.problem is None and "synthetic" in (found.note or "")


@pytest.mark.parametrize("shard", ["../outside.safetensors", "/etc/passwd", "missing.safetensors"])
def test_index_pointing_outside_or_nowhere_is_a_problem(tiny_release: Path, shard: str) -> None:
    index = json.loads((tiny_release / INDEX_NAME).read_text())
    weight = "model.layers.0.self_attn.q_a_proj.weight"
    index["weight_map"][weight] = shard
    for name in list(index["weight_map"]):  # leave that weight the only candidate
        if name.endswith("_scale_inv") and name != weight + "_scale_inv":
            del index["weight_map"][name]
    (tiny_release / INDEX_NAME).write_text(json.dumps(index))
    found = find_fp8_weight(tiny_release, (128, 128))
    assert found.weight is None
    assert found.problem is not None and "not a regular file inside the release" in found.problem


def test_malformed_index_is_a_problem(tiny_release: Path) -> None:
    (tiny_release / INDEX_NAME).write_text('{"weight_map": ')
    found = find_fp8_weight(tiny_release, (128, 128))
    assert found.problem is not None and found.problem.startswith(INDEX_NAME) and "not valid JSON" in found.problem


def test_cpu_plan_for_the_tiny_release_includes_the_checkpoint_case(tiny_release: Path) -> None:
    shape = load_shape(tiny_release)
    found = find_fp8_weight(tiny_release, shape.weight_block)
    names = [c.name for c in cpu_cases(shape, found.weight)]
    assert "gemm-checkpoint" in names
    assert [n for n in names if n.startswith("control-")]


# -- the command, end to end (kernels in the interpreter, in a child process) ------------------

def test_cli_passes_on_the_tiny_release_and_prints_one_line_per_case(run_cli, tiny_release: Path) -> None:
    result = run_cli("smoke", tiny_release, "--device", "cpu")
    assert result.exit_code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].startswith("releasekit smoke on cpu: Triton interpreter (TRITON_INTERPRET=1)")
    assert "no bf16 arithmetic" in lines[0]
    scale = 48 ** -0.5 * (0.1 * 0.707 * math.log(4.0) + 1) ** 2
    assert f"softmax scale {scale:.6g}" in result.stdout
    case_lines = [line for line in lines if line.startswith(("PASS ", "FAIL ", "CAUGHT ", "MISSED "))]
    assert case_lines and all(line.startswith(("PASS ", "CAUGHT ")) for line in case_lines)
    checkpoint = [line for line in case_lines if " gemm-checkpoint " in line]
    assert len(checkpoint) == 1 and "weight=model.layers.0.self_attn.q_a_proj.weight" in checkpoint[0]
    assert "vs-unquantized rel" in checkpoint[0]
    controls = [line for line in case_lines if line.startswith("CAUGHT control ")]
    assert len(controls) == 6 and all("FAIL" not in line and " differs" in line for line in controls)
    assert lines[-1] == "smoke passed: 5/5 cases passed, 6/6 negative controls caught"


def test_cli_json_report_on_the_bundled_example_release(run_cli, tmp_path: Path) -> None:
    from releasekit.example import build_example

    example = build_example(tmp_path / "example")  # what the demo runs
    result = run_cli("smoke", example, "--device", "cpu", "--format", "json")
    assert result.exit_code == 0, result
    report = result.json()
    assert report["version"] == 1 and report["device"] == "cpu"
    assert report["summary"] == {"passed": True, "cases": 11, "failed": []}
    assert any(n.startswith("checkpoint GEMM on model.layers.") for n in report["notes"])
    by_name = {c["name"]: c for c in report["cases"]}
    assert by_name["gemm-checkpoint"]["passed"] is True
    varlen = by_name["mla-varlen"]
    assert varlen["label"].startswith("b=4 q_len=1 heads=4 seqlens=[0, 1, 64, 140]")
    assert {c["name"] for c in varlen["checks"]} == {"out", "lse"}
    assert all(c["rel_diff"] < 1e-5 and c["max_abs"] is not None for c in varlen["checks"])
    assert by_name["control-wrong-softmax-scale"]["expect_fail"] is True
    assert by_name["control-wrong-softmax-scale"]["passed"] is True  # caught
    assert report["shape"]["softmax_scale_derivation"].startswith("(32+16)^-0.5 x ")


def test_cli_fails_with_exit_1_when_the_checkpoint_is_inconsistent(run_cli, tmp_path: Path) -> None:
    root = build_release(tmp_path / "bad", scale_shape_bug=True)
    result = run_cli("smoke", root, "--device", "cpu")
    assert result.exit_code == 1, result
    assert any(line.startswith("FAIL gemm    checkpoint") and "weight_scale_inv" in line
               for line in result.stdout.splitlines())
    assert "smoke FAILED" in result.stdout.splitlines()[-1]


def test_cli_llama_config_is_a_one_line_error(run_cli, make_release) -> None:
    root = make_release({"config.json": {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
                                         "num_key_value_heads": 8, "head_dim": 128}})
    result = run_cli("smoke", root, "--device", "cpu")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "config.json: not an MLA model (llama): missing kv_lora_rank" in result.stderr


def test_cli_malformed_config_is_a_one_line_error(run_cli, make_release) -> None:
    root = make_release({"config.json": '{"kv_lora_rank": 512,\n  "qk_rope_head_dim": }'})
    result = run_cli("smoke", root, "--device", "cpu")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "config.json: not valid JSON: Expecting value (line 2, column 23)" in result.stderr


def test_cli_missing_folder_and_missing_config(run_cli, tmp_path: Path) -> None:
    result = run_cli("smoke", tmp_path / "nope", "--device", "cpu")
    assert result.exit_code == 2 and "not a directory" in result.stderr
    (tmp_path / "empty").mkdir()
    result = run_cli("smoke", tmp_path / "empty", "--device", "cpu")
    assert result.exit_code == 2 and "config.json: not found" in result.stderr


def test_cli_cuda_without_a_gpu_is_a_one_line_error(run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on CI, whatever this machine has
    result = run_cli("smoke", "--device", "cuda")
    assert result.exit_code == 2
    assert result.stderr.startswith("releasekit: error: --device cuda: torch ")
    assert "sees no CUDA device" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("package", ["torch", "triton", "safetensors"])
def test_cli_missing_extra(run_cli, monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == package else real(name, *a))
    result = run_cli("smoke", "--device", "cpu")
    assert result.exit_code == 2
    assert f"`releasekit smoke` needs {package}, which is not installed: pip install 'releasekit[torch]'" in result.stderr


# -- the kernel process: crashes and hangs are failures, not tracebacks ------------------------

FAKE_WORKER = r"""
import json, os, signal, sys, time
plan = json.load(sys.stdin)
mode = sys.argv[1]
print(json.dumps({"type": "start", "mode": "fake"}), flush=True)
print(json.dumps({"type": "case", "name": plan["cases"][0]["name"]}), flush=True)
if mode == "segv":
    sys.stderr.write("about to crash\n"); sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "hang":
    time.sleep(60)
elif mode == "nodevice":
    print(json.dumps({"type": "error", "code": "device", "message": "--device cuda: no GPU here"}), flush=True)
"""


@pytest.fixture
def small_plan(tiny_release: Path):
    return launch.prepare(load_shape(tiny_release), tiny_release, "cpu").plan


def _fake(tmp_path: Path, mode: str) -> list[str]:
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    return [sys.executable, str(script), mode]


def test_a_crashing_kernel_process_fails_the_running_case(small_plan, tmp_path: Path) -> None:
    results = list(launch.KernelRun(small_plan, command=_fake(tmp_path, "segv")))
    assert len(results) == 1
    crash = results[0]
    assert crash.name == "mla-varlen" and not crash.passed
    assert "died with signal 11" in crash.error and "about to crash" in crash.error
    assert f"({len(small_plan.cases) - 1} later case(s) not run)" in crash.error


def test_a_hanging_kernel_process_is_stopped(small_plan, tmp_path: Path) -> None:
    results = list(launch.KernelRun(small_plan, timeout=2, command=_fake(tmp_path, "hang")))
    assert len(results) == 1 and not results[0].passed
    assert "timed out after 2 s" in results[0].error


def test_a_device_error_from_the_kernel_process_is_raised(small_plan, tmp_path: Path) -> None:
    from releasekit.smoke.runtime import DeviceUnavailableError

    with pytest.raises(DeviceUnavailableError, match="no GPU here"):
        list(launch.KernelRun(small_plan, command=_fake(tmp_path, "nodevice")))
