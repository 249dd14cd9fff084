"""The comparison (FlashMLA's relative difference, NaN/inf matching) and the verdicts built on it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torch

from releasekit.smoke.compare import compare, relative_difference  # noqa: E402
from releasekit.smoke.report import EXIT_FAILED, EXIT_OK, CaseResult, Check, SmokeReport  # noqa: E402


def test_identical_tensors_differ_by_zero() -> None:
    x = torch.randn(64, 32)
    check = compare("out", x, x.clone(), 1e-5)
    assert check.passed and check.rel_diff == 0.0 and check.max_abs == 0.0


def test_metric_is_the_flashmla_formula_in_float64() -> None:
    x = torch.randn(1000, dtype=torch.float64)
    y = x * 1.01
    expected = 1 - 2 * (x * y).sum() / (x * x + y * y).sum()
    assert relative_difference(x, y) == pytest.approx(expected.item(), rel=1e-12)
    assert relative_difference(x, y) == pytest.approx(0.01 ** 2 / (1 + 1.01 ** 2), rel=1e-9)
    assert relative_difference(x, -x) == pytest.approx(2.0)


def test_small_error_passes_and_larger_fails() -> None:
    x = torch.randn(4096)
    assert compare("out", x * (1 + 1e-3), x, 1e-5).passed  # rel diff ~5e-7
    failed = compare("out", x * 1.01, x, 1e-5)  # rel diff ~5e-5
    assert not failed.passed and failed.rel_diff > 1e-5
    assert failed.max_abs == pytest.approx((x * 0.01).abs().max().item(), rel=1e-5)


def test_nan_where_the_reference_has_none_fails_even_if_the_rest_agrees() -> None:
    x = torch.randn(100)
    y = x.clone()
    y[7] = float("nan")
    check = compare("out", y, x, 1e-5)
    assert not check.passed
    assert check.rel_diff < 1e-5  # the finite part agrees: the anomaly check is what fails
    assert check.note == "NaN at 1 positions vs 0 in the reference"


def test_matching_infinities_pass_and_mismatched_signs_fail() -> None:
    ref = torch.tensor([1.0, float("inf"), 2.0, float("-inf")])
    assert compare("lse", ref.clone(), ref, 1e-5).passed
    flipped = ref.clone()
    flipped[1] = float("-inf")
    check = compare("lse", flipped, ref, 1e-5)
    assert not check.passed and "+inf" in check.note and "-inf" in check.note


def test_shape_mismatch_fails() -> None:
    check = compare("out", torch.zeros(2, 3), torch.zeros(3, 2), 1e-5)
    assert not check.passed and check.rel_diff is None and "differs from the reference" in check.note


def test_all_zero_tensors_agree_but_zero_against_nonzero_does_not() -> None:
    assert compare("out", torch.zeros(5), torch.zeros(5), 1e-5).passed
    assert compare("out", torch.zeros(5), torch.ones(5), 1e-5).rel_diff == 1.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40), st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40))
def test_metric_is_symmetric_and_bounded(a: list[float], b: list[float]) -> None:
    n = min(len(a), len(b))
    x, y = torch.tensor(a[:n], dtype=torch.float64), torch.tensor(b[:n], dtype=torch.float64)
    d = relative_difference(x, y)
    assert d == pytest.approx(relative_difference(y, x), abs=1e-12)
    assert -1e-12 <= d <= 2 + 1e-12


# -- verdicts -----------------------------------------------------------------------------------

GOOD = Check("out", 1e-9, 1e-7, 1e-5, True)
BAD = Check("out", 1e-2, 1e-1, 1e-5, False)


def test_a_case_passes_only_when_every_check_passes() -> None:
    assert CaseResult("c", "mla", "", (GOOD, GOOD)).passed
    assert not CaseResult("c", "mla", "", (GOOD, BAD)).passed
    assert not CaseResult("c", "mla", "", ()).passed  # nothing compared proves nothing
    assert not CaseResult("c", "mla", "", (GOOD,), error="RuntimeError: boom").passed


def test_a_negative_control_passes_only_when_the_comparison_catches_it() -> None:
    caught = CaseResult("control-x", "mla", "", (GOOD, BAD), expect_fail=True)
    assert caught.passed and caught.line().startswith("CAUGHT control") and "FAIL" not in caught.line()
    missed = CaseResult("control-x", "mla", "", (GOOD, GOOD), expect_fail=True)
    assert not missed.passed and "NOT CAUGHT" in missed.line()
    crashed = CaseResult("control-x", "mla", "", (), expect_fail=True, error="ValueError: x")
    assert not crashed.passed  # a crash does not show the comparison works


def test_report_exit_codes_and_json() -> None:
    ok = CaseResult("a", "mla", "b=1", (GOOD,))
    control = CaseResult("control-y", "gemm", "M=1", (BAD,), expect_fail=True)
    report = SmokeReport("cpu", "interp", "config.json", "shape", 0.1, "note", (), (ok, control))
    assert report.exit_code == EXIT_OK
    assert report.summary_line() == "smoke passed: 1/1 cases passed, 1/1 negative controls caught"
    data = json.loads(report.to_json())
    assert data["summary"] == {"passed": True, "cases": 2, "failed": []}
    assert CaseResult.from_json(data["cases"][0]) == ok
    failing = SmokeReport("cpu", "interp", "config.json", "shape", 0.1, "note", (), (ok, CaseResult("b", "mla", "", (BAD,))))
    assert failing.exit_code == EXIT_FAILED and json.loads(failing.to_json())["summary"]["failed"] == ["b"]
    assert SmokeReport("cpu", "i", "s", "s", 0.1, "n", (), ()).exit_code == EXIT_FAILED  # nothing ran


def test_case_line_format() -> None:
    line = CaseResult("mla-varlen", "mla", "b=4 q_len=1", (GOOD, BAD)).line()
    assert line.startswith("FAIL mla     mla-varlen b=4 q_len=1 | out rel 1.0e-09 < 1e-05 abs 1.0e-07 | ")
    assert line.endswith("out rel 1.0e-02 >= 1e-05 abs 1.0e-01 FAIL")
