"""The smoke harness in-process: the planned CPU cases pass, every control is caught, and the
verdict flips when a kernel is wrong or a control stops being wrong."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from releasekit.smoke.runtime import load_kernels

KERNELS = load_kernels(interpret=True)  # before anything imports triton (see test_kernels.py)

from releasekit.smoke.cases import GemmCase, MlaCase, cpu_cases, plan  # noqa: E402
from releasekit.smoke.runner import Runner  # noqa: E402
from releasekit.smoke.shapes import shape_from_config  # noqa: E402

SMALL = {"model_type": "deepseek_v3", "hidden_size": 128, "num_attention_heads": 3, "q_lora_rank": None,
         "kv_lora_rank": 40, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
         "max_position_embeddings": 4096,
         "rope_scaling": {"type": "yarn", "factor": 2.0, "mscale_all_dim": 1.0, "original_max_position_embeddings": 1024}}


@pytest.fixture(scope="module")
def runner() -> Runner:
    shape = shape_from_config(SMALL, "config.json")
    return Runner(plan(shape, "cpu", None, None), KERNELS)


@pytest.fixture(scope="module")
def results(runner: Runner):
    return {case.name: runner.run(case) for case in runner.plan.cases}


def test_every_planned_case_passes(results) -> None:
    for result in results.values():
        if not result.expect_fail:
            assert result.passed, result.line()
            assert {c.name for c in result.checks} in ({"out", "lse"}, {"act_quant", "dequant", "gemm", "vs-unquantized"})


def test_every_negative_control_is_caught(results) -> None:
    controls = [r for r in results.values() if r.expect_fail]
    assert len(controls) == 6
    for result in controls:
        assert result.passed and result.caught, result.line()
    # The past-the-end read is caught by the NaN padding, not only by the numbers.
    past_end = results["control-mask-past-end-by-one"]
    assert any(c.note and c.note.startswith("NaN at") for c in past_end.checks)
    # The wrong scale is the classic one: 1 / sqrt of the cached row width (40 + 8).
    assert "48^-0.5 from the cached row width" in results["control-wrong-softmax-scale"].detail


def test_a_control_that_is_not_wrong_fails_the_run(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    # If the "broken" merge were the correct one, the harness must say the control was not caught.
    correct_merge = KERNELS.mla_decode._merge_kernel
    monkeypatch.setattr(KERNELS.broken, "_merge_ignoring_lse_kernel", correct_merge)
    case = next(c for c in runner.plan.cases if c.name == "control-merge-ignores-lse")
    result = runner.run(case)
    assert not result.passed and "NOT CAUGHT" in result.line()


def test_a_slightly_wrong_kernel_fails_its_case(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    real = KERNELS.mla_decode.mla_decode

    def off_by_a_little(*args, **kwargs):
        out, lse = real(*args, **kwargs)
        return out * 1.01, lse  # 1% off: a relative difference of about 5e-5, over 1e-5

    monkeypatch.setattr(KERNELS.mla_decode, "mla_decode", off_by_a_little)
    case = next(c for c in runner.plan.cases if isinstance(c, MlaCase) and not c.expect_fail)
    result = runner.run(case)
    assert not result.passed
    out = next(c for c in result.checks if c.name == "out")
    assert not out.passed and 1e-5 < out.rel_diff < 1e-4
    assert next(c for c in result.checks if c.name == "lse").passed


def test_a_kernel_that_raises_is_a_failed_case_with_one_line(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("illegal\nmemory access")

    monkeypatch.setattr(KERNELS.fp8_gemm, "fp8_gemm", boom)
    case = next(c for c in runner.plan.cases if isinstance(c, GemmCase) and not c.expect_fail)
    result = runner.run(case)
    assert not result.passed and result.error == "RuntimeError: illegal memory access"
    assert "\n" not in result.line()


def test_inputs_put_nan_exactly_past_each_sequence(runner: Runner) -> None:
    case = dataclasses.replace(next(c for c in cpu_cases(runner.shape, None) if c.name == "mla-small-pages"))
    q, cache, table, lengths = runner.mla_inputs(case)
    page = case.page_size
    for b, length in enumerate(case.seqlens):
        tokens = cache[table[b].long()].reshape(-1, cache.shape[-1])
        assert torch.isfinite(tokens[:length]).all()
        assert torch.isnan(tokens[length:]).all()
        assert tokens.shape[0] >= length + 1 and tokens.shape[0] % page == 0  # a spare slot past the end
    assert torch.isfinite(q).all()
