"""FP8 block-scaled GEMM: `C[M, N] = A[M, K] @ B[N, K]^T` with DeepSeek-V3's scaling.

A is an activation quantized per token per 128 channels (`a_scale [M, ceil(K/BK)]`, from
`act_quant`); B is a weight in BN x BK blocks (`b_scale [ceil(N/BN), ceil(K/BK)]`, the
checkpoint's `weight_scale_inv`). Each K tile's fp8 product is accumulated in fp32 after
multiplying by both scales, so BLOCK_K must divide the quantization group BK. The output is BF16
on the GPU; under the interpreter (no bf16 arithmetic) A and B arrive widened to fp32 in torch
(exact) and C is fp32. Partial tiles on every edge are masked.
"""

from __future__ import annotations

import dataclasses

import torch
import triton
import triton.language as tl


@dataclasses.dataclass(frozen=True)
class GemmBlocks:
    """Tiles. The default compiles for sm_90 to fp8 wgmma, 4-stage pipelined, without register
    spills (tests/test_kernels_sm90.py); 4 warps at 64 x 128 would need 230 registers."""

    block_m: int = 64
    block_n: int = 128
    block_k: int = 128
    num_warps: int = 8
    num_stages: int = 4
    group_m: int = 8


@triton.jit
def _fp8_gemm_kernel(a_ptr, b_ptr, c_ptr, a_s_ptr, b_s_ptr, M, N, K,
                     stride_am, stride_bn, stride_cm, stride_asm, stride_bsn,
                     SCALE_N: tl.constexpr, SCALE_K: tl.constexpr,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr):
    # Grouped ordering: consecutive programs share A rows and walk a band of B, for L2 reuse.
    pid = tl.program_id(0)
    grid_m = tl.cdiv(M, BLOCK_M)
    grid_n = tl.cdiv(N, BLOCK_N)
    per_group = GROUP_M * grid_n
    first_m = (pid // per_group) * GROUP_M
    group_rows = tl.minimum(grid_m - first_m, GROUP_M)
    pid_m = first_m + (pid % per_group) % group_rows
    pid_n = (pid % per_group) // group_rows

    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    m_ok = offs_m < M
    n_ok = offs_n < N
    a_rows = a_ptr + offs_m[:, None].to(tl.int64) * stride_am
    b_cols = b_ptr + offs_n[None, :].to(tl.int64) * stride_bn
    a_s_rows = a_s_ptr + offs_m * stride_asm
    b_s_cols = b_s_ptr + (offs_n // SCALE_N) * stride_bsn

    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        k = k0 + offs_k
        k_ok = k < K
        a = tl.load(a_rows + k[None, :], mask=m_ok[:, None] & k_ok[None, :], other=0.0)
        b = tl.load(b_cols + k[:, None], mask=n_ok[None, :] & k_ok[:, None], other=0.0)
        a_s = tl.load(a_s_rows + k0 // SCALE_K, mask=m_ok, other=0.0)
        b_s = tl.load(b_s_cols + k0 // SCALE_K, mask=n_ok, other=0.0)
        acc += tl.dot(a, b) * a_s[:, None] * b_s[None, :]

    c = c_ptr + offs_m[:, None].to(tl.int64) * stride_cm + offs_n[None, :]
    tl.store(c, acc.to(c_ptr.dtype.element_ty), mask=m_ok[:, None] & n_ok[None, :])


def fp8_gemm(a: torch.Tensor, a_scale: torch.Tensor, b: torch.Tensor, b_scale: torch.Tensor, *,
             scale_block: tuple[int, int] = (128, 128), out_dtype: torch.dtype = torch.bfloat16,
             blocks: GemmBlocks = GemmBlocks()) -> torch.Tensor:
    """`a` [M, K] and `b` [N, K] in float8_e4m3fn (GPU) or their exact fp32 widening (CPU).

    `scale_block` is the weight's (BN, BK) from `quantization_config.weight_block_size`; the
    activation groups are BK wide.
    """
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"fp8_gemm needs A [M, K] and B [N, K]; got {list(a.shape)} and {list(b.shape)}")
    for name, t in (("a", a), ("b", b), ("a_scale", a_scale), ("b_scale", b_scale)):
        if t.stride(-1) != 1:
            raise ValueError(f"{name} needs a contiguous last dimension")
    m, k = a.shape
    n = b.shape[0]
    bn, bk = scale_block
    if bk % blocks.block_k:
        raise ValueError(f"BLOCK_K {blocks.block_k} must divide the quantization group {bk}")
    if tuple(a_scale.shape) != (m, triton.cdiv(k, bk)):
        raise ValueError(f"activation scales have shape {list(a_scale.shape)}, expected {[m, triton.cdiv(k, bk)]}")
    if tuple(b_scale.shape) != (triton.cdiv(n, bn), triton.cdiv(k, bk)):
        raise ValueError(f"weight scales have shape {list(b_scale.shape)}, "
                         f"expected {[triton.cdiv(n, bn), triton.cdiv(k, bk)]}")
    c = torch.empty(m, n, dtype=out_dtype, device=a.device)
    if m == 0 or n == 0:
        return c
    grid = (triton.cdiv(m, blocks.block_m) * triton.cdiv(n, blocks.block_n),)
    _fp8_gemm_kernel[grid](a, b, c, a_scale, b_scale, m, n, k,
                           a.stride(0), b.stride(0), c.stride(0), a_scale.stride(0), b_scale.stride(0),
                           SCALE_N=bn, SCALE_K=bk,
                           BLOCK_M=blocks.block_m, BLOCK_N=blocks.block_n, BLOCK_K=blocks.block_k,
                           GROUP_M=blocks.group_m, num_warps=blocks.num_warps, num_stages=blocks.num_stages)
    return c
