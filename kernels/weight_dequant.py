"""FP8 weight dequantization: `w[n, k] * weight_scale_inv[n // BN, k // BK]`, in fp32.

DeepSeek-V3 checkpoints store each linear weight as float8_e4m3fn in 128 x 128 blocks, with one
fp32 `weight_scale_inv` per block (shape `[ceil(N/128), ceil(K/128)]`). Despite its name the
factor is *multiplied*: it is the inverse of the scale used when quantizing. Partial blocks at
the right and bottom edges are allowed.

On the CPU path the fp8 weight is widened to fp32 in torch first (exact: every e4m3fn value is
an fp32 value); the kernel then does the block lookup and the multiply.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl


@triton.jit
def _weight_dequant_kernel(w_ptr, s_ptr, y_ptr, N, K, stride_wn, stride_sn, stride_yn,
                           BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    pid_n = tl.program_id(0)
    pid_k = tl.program_id(1)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = pid_k * BLOCK_K + tl.arange(0, BLOCK_K)
    ok = (offs_n[:, None] < N) & (offs_k[None, :] < K)
    w = tl.load(w_ptr + offs_n[:, None].to(tl.int64) * stride_wn + offs_k[None, :], mask=ok, other=0.0)
    s = tl.load(s_ptr + pid_n * stride_sn + pid_k)
    tl.store(y_ptr + offs_n[:, None].to(tl.int64) * stride_yn + offs_k[None, :],
             (w.to(tl.float32) * s).to(y_ptr.dtype.element_ty), mask=ok)


def weight_dequant(w: torch.Tensor, scale_inv: torch.Tensor, block: tuple[int, int] = (128, 128), *,
                   out_dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Dequantize a 2-D block-scaled weight. `w` is fp8 (GPU) or its exact fp32 widening (CPU)."""
    if w.dim() != 2 or scale_inv.dim() != 2 or w.stride(-1) != 1 or scale_inv.stride(-1) != 1:
        raise ValueError("weight_dequant takes 2-D tensors with a contiguous last dimension")
    n, k = w.shape
    bn, bk = block
    expected = (triton.cdiv(n, bn), triton.cdiv(k, bk))
    if tuple(scale_inv.shape) != expected:
        raise ValueError(f"weight of shape {list(w.shape)} in {bn}x{bk} blocks needs scales of shape "
                         f"{list(expected)}, got {list(scale_inv.shape)}")
    y = torch.empty(n, k, dtype=out_dtype, device=w.device)
    if n and k:
        _weight_dequant_kernel[expected](w, scale_inv, y, n, k, w.stride(0), scale_inv.stride(0), y.stride(0),
                                         BLOCK_N=bn, BLOCK_K=bk)
    return y
