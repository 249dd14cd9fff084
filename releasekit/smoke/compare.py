"""Compare a kernel's output with its reference the way the upstream kernels' tests do.

FlashMLA's tests (kernelkit `get_cos_diff`) and DeepGEMM's use the relative difference
`1 - 2*sum(x*y) / sum(x*x + y*y)` computed in float64: 0 for identical tensors, about half the
squared relative error for close ones, 1 for orthogonal and 2 for opposite ones. Before it,
NaN, +inf and -inf must sit at exactly the same positions in both tensors (an out-of-bounds read
of a NaN-filled page shows up here); those positions are then set to zero. The max absolute
error over the remaining elements is reported beside it.
"""

from __future__ import annotations

import torch

from releasekit.smoke.report import Check


def relative_difference(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """`1 - 2*sum(x*y) / sum(x*x + y*y)` in float64; 0 when both tensors are all zero."""
    x, y = actual.double(), expected.double()
    denominator = (x * x + y * y).sum().item()
    if denominator == 0.0:
        return 0.0
    return 1.0 - 2.0 * (x * y).sum().item() / denominator


def _anomalies(actual: torch.Tensor, expected: torch.Tensor) -> tuple[list[str], torch.Tensor]:
    """Positions where NaN, +inf or -inf differ between the tensors, and the mask of all anomalies."""
    problems = []
    masks = []
    for label, test in (("NaN", torch.isnan), ("+inf", lambda t: torch.isposinf(t)), ("-inf", torch.isneginf)):
        a, e = test(actual), test(expected)
        if not torch.equal(a, e):
            problems.append(f"{label} at {int(a.sum())} positions vs {int(e.sum())} in the reference")
        masks += [a, e]
    anomaly = masks[0]
    for mask in masks[1:]:
        anomaly = anomaly | mask
    return problems, anomaly


def compare(name: str, actual: torch.Tensor, expected: torch.Tensor, tolerance: float) -> Check:
    """Judge `actual` against `expected`: anomalies must match and the relative difference must be
    below `tolerance`."""
    if tuple(actual.shape) != tuple(expected.shape):
        return Check(name, None, None, tolerance, False,
                     f"shape {list(actual.shape)} differs from the reference's {list(expected.shape)}")
    actual = actual.detach().to("cpu", torch.float64)
    expected = expected.detach().to("cpu", torch.float64)
    problems, anomaly = _anomalies(actual, expected)
    actual = actual.masked_fill(anomaly, 0.0)
    expected = expected.masked_fill(anomaly, 0.0)
    rel = relative_difference(actual, expected)
    max_abs = (actual - expected).abs().max().item() if actual.numel() else 0.0
    passed = not problems and rel < tolerance
    return Check(name, rel, max_abs, tolerance, passed, "; ".join(problems) or None)
