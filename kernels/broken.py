"""Deliberately broken variants of the kernels, for the negative control.

A comparison harness that cannot fail proves nothing. Each variant here reproduces a bug that
real MLA / FP8 code has shipped with, runs through exactly the same inputs, references and
tolerances as the correct kernel, and must be flagged:

- `wrong-softmax-scale`: the scale taken from the cached row width (576 ** -0.5 for V3) or
  without YaRN's mscale squared, instead of the config's value.
- `mask-short-by-one`: each sequence treated as one token shorter (length vs last position).
- `mask-past-end-by-one`: one token past the end attended; it lands on the NaN-filled padding.
- `merge-ignores-lse`: split-KV partial outputs averaged instead of weighted by their LSE.
- `inverted-weight-scale`: the GEMM divides by `weight_scale_inv` instead of multiplying.
- `first-activation-scale-only`: the GEMM applies the first 128-channel activation scale to
  every K block.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from . import fp8_gemm as _gemm
from . import mla_decode as _mla


def wrong_softmax_scale(correct: float, row_width: int, without_mscale: float) -> tuple[float, str]:
    """A plausible wrong scale that differs from `correct` by more than 10%, and what it is."""
    candidates = [(row_width ** -0.5, f"{row_width}^-0.5 from the cached row width"),
                  (without_mscale, "missing the YaRN mscale^2"),
                  (correct * 2.0, "twice the right scale")]
    for value, what in candidates:
        if abs(value / correct - 1.0) > 0.1:
            return value, f"scale {value:.4g}: {what}"
    raise AssertionError("unreachable: twice the scale always differs")


@triton.jit
def _merge_ignoring_lse_kernel(
    part_out_ptr, part_lse_ptr, out_ptr, lse_ptr,
    stride_pob, stride_por, stride_pos,
    stride_plb, stride_plr,
    stride_ob, stride_or,
    stride_lb,
    n_rows, n_splits,
    DV: tl.constexpr, DV_PAD: tl.constexpr, SPLITS_PAD: tl.constexpr, BLOCK_R: tl.constexpr,
):
    # BROKEN on purpose: a plain mean of the non-empty splits, and the largest split LSE.
    rows = tl.program_id(0) * BLOCK_R + tl.arange(0, BLOCK_R)
    b = tl.program_id(1)
    row_ok = rows < n_rows
    splits = tl.arange(0, SPLITS_PAD)
    split_ok = splits < n_splits
    offs_v = tl.arange(0, DV_PAD)
    v_ok = offs_v < DV
    lse_parts = tl.load(part_lse_ptr + b * stride_plb + rows[:, None] * stride_plr + splits[None, :],
                        mask=row_ok[:, None] & split_ok[None, :], other=float("-inf"))
    live = (lse_parts > float("-inf")).to(tl.float32)
    count = tl.sum(live, 1)
    parts = tl.load(part_out_ptr + b.to(tl.int64) * stride_pob + rows[:, None, None].to(tl.int64) * stride_por
                    + splits[None, :, None] * stride_pos + offs_v[None, None, :],
                    mask=row_ok[:, None, None] & split_ok[None, :, None] & v_ok[None, None, :], other=0.0)
    out = tl.sum(parts * live[:, :, None], 1) / tl.maximum(count, 1.0)[:, None]
    m = tl.max(lse_parts, 1)
    lse = tl.where(m == float("-inf"), float("inf"), m)
    tl.store(out_ptr + b.to(tl.int64) * stride_ob + rows[:, None] * stride_or + offs_v[None, :],
             out.to(out_ptr.dtype.element_ty), mask=row_ok[:, None] & v_ok[None, :])
    tl.store(lse_ptr + b * stride_lb + rows, lse, mask=row_ok)


def mla_decode(variant: str, q: torch.Tensor, kv_cache: torch.Tensor, block_table: torch.Tensor,
               cache_seqlens: torch.Tensor, *, kv_lora_rank: int, softmax_scale: float, wrong_scale: float,
               blocks: _mla.MlaBlocks | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the broken MLA variant named `variant` (see the module docstring)."""
    scale, seqlens, merge = softmax_scale, cache_seqlens, None
    if variant == "wrong-softmax-scale":
        scale = wrong_scale
    elif variant == "mask-short-by-one":
        seqlens = (cache_seqlens - 1).clamp(min=0)
    elif variant == "mask-past-end-by-one":
        seqlens = cache_seqlens + 1
    elif variant == "merge-ignores-lse":
        merge = _merge_ignoring_lse_kernel
    else:
        raise ValueError(f"unknown MLA variant {variant!r}")
    return _mla.mla_decode(q, kv_cache, block_table, seqlens.to(torch.int32).contiguous(),
                           kv_lora_rank=kv_lora_rank, softmax_scale=scale, blocks=blocks, merge_kernel=merge)


def fp8_gemm(variant: str, a: torch.Tensor, a_scale: torch.Tensor, b: torch.Tensor, b_scale: torch.Tensor,
             **kwargs) -> torch.Tensor:
    """Run the broken GEMM variant named `variant` (see the module docstring)."""
    if variant == "inverted-weight-scale":
        b_scale = (1.0 / b_scale).contiguous()
    elif variant == "first-activation-scale-only":
        a_scale = a_scale[:, :1].expand_as(a_scale).contiguous()
    else:
        raise ValueError(f"unknown GEMM variant {variant!r}")
    return _gemm.fp8_gemm(a, a_scale, b, b_scale, **kwargs)
