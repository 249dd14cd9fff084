"""FP8 activation quantization: per token, per group of 128 channels, to float8_e4m3fn.

For each group: `amax = max(|x|)`, clamped to at least 1e-4 so an all-zero group does not divide
by zero; `scale = amax / 448` (448 is e4m3fn's largest finite value); `y = x / scale`. The scale
is stored (fp32) for the GEMM to multiply back. Same recipe as DeepSeek-V3's inference kernel.

On a GPU the kernel stores `y` as fp8 directly. Under Triton's interpreter the fp8 conversion is
not exact, so the CPU path passes an fp32 `y` buffer and rounds it to fp8 in torch afterwards
(`act_quant` does this when `y_dtype` is fp32); the scale and the division still run in the kernel.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

FP8_MAX = 448.0
AMAX_FLOOR = 1e-4


@triton.jit
def _act_quant_kernel(x_ptr, y_ptr, s_ptr, K, stride_xm, stride_ym, stride_sm,
                      GROUP: tl.constexpr, GROUP_PAD: tl.constexpr):
    row = tl.program_id(0)
    group = tl.program_id(1)
    offs = group * GROUP + tl.arange(0, GROUP_PAD)
    ok = (tl.arange(0, GROUP_PAD) < GROUP) & (offs < K)
    x = tl.load(x_ptr + row.to(tl.int64) * stride_xm + offs, mask=ok, other=0.0).to(tl.float32)
    amax = tl.maximum(tl.max(tl.abs(x), 0), 1e-4)
    scale = amax / 448.0
    y = x / scale
    tl.store(y_ptr + row.to(tl.int64) * stride_ym + offs, y.to(y_ptr.dtype.element_ty), mask=ok)
    tl.store(s_ptr + row * stride_sm + group, scale)


def act_quant(x: torch.Tensor, group: int = 128, *, y_dtype: torch.dtype = torch.float8_e4m3fn
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Quantize the rows of a 2-D `x` [M, K]; returns (y [M, K] float8_e4m3fn, scales [M, ceil(K/group)] fp32).

    `y_dtype=torch.float32` makes the kernel store unrounded values, which torch then rounds to
    fp8 (the interpreter path; see the module docstring).
    """
    if x.dim() != 2 or x.stride(-1) != 1:
        raise ValueError("act_quant takes a 2-D tensor with a contiguous last dimension")
    m, k = x.shape
    groups = triton.cdiv(k, group)
    y = torch.empty(m, k, dtype=y_dtype, device=x.device)
    s = torch.empty(m, groups, dtype=torch.float32, device=x.device)
    if m and k:
        _act_quant_kernel[(m, groups)](x, y, s, k, x.stride(0), y.stride(0), s.stride(0),
                                       GROUP=group, GROUP_PAD=triton.next_power_of_2(group))
    if y_dtype != torch.float8_e4m3fn:
        y = y.to(torch.float8_e4m3fn)
    return y, s
