"""Run one planned case: build its inputs, run the kernel and the reference, compare.

Needs torch and the kernels (see `runtime.load_kernels`); imported only in the kernel process
and in tests.

Device differences are confined here, as the kernels are the same code on both paths:
- CUDA: attention in bf16 (fp32 accumulation), GEMM operands in float8_e4m3fn, bf16 output.
- CPU (Triton interpreter): no bf16 arithmetic and inexact fp8 conversions in the interpreter, so
  attention inputs are fp32, fp8 operands are widened to fp32 in torch (exact), the activation
  is rounded to fp8 in torch, and the GEMM output is fp32.
The references are always fp32 PyTorch, from the very same (possibly bf16 or fp8) inputs.
"""

from __future__ import annotations

import dataclasses
import math
import time
import types
from pathlib import Path
from typing import TypeVar

import torch

from releasekit.smoke.cases import EXACT_TOL, GEMM_TOL, MLA_TOL, GemmCase, MlaCase, Plan
from releasekit.smoke.checkpoint import load_weight
from releasekit.smoke.compare import compare
from releasekit.smoke.report import Check, CaseResult
from releasekit.smoke.shapes import ModelShape

T = TypeVar("T")


class Runner:
    """Runs cases of one plan on one device with the given kernel modules."""

    def __init__(self, plan: Plan, kernels: types.SimpleNamespace) -> None:
        self.plan = plan
        self.k = kernels
        self.shape: ModelShape = plan.shape
        self.cpu = plan.device == "cpu"
        self.device = torch.device("cpu" if self.cpu else "cuda")
        self.dtype = torch.float32 if self.cpu else torch.bfloat16

    def run(self, case: MlaCase | GemmCase) -> CaseResult:
        start = time.perf_counter()
        try:
            if isinstance(case, MlaCase):
                checks, detail = self._mla(case)
            else:
                checks, detail = self._gemm(case)
            error = None
        except Exception as exc:  # a kernel that raises is a failed case, reported in one line
            checks, detail = (), None
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        if not self.cpu:
            torch.cuda.synchronize()
        detail = "; ".join(d for d in (case.note, detail) if d) or None
        return CaseResult(case.name, case.kind, case.label(), tuple(checks), case.expect_fail, error,
                          round(time.perf_counter() - start, 3), detail)

    # -- MLA decode ---------------------------------------------------------------------------

    def mla_inputs(self, case: MlaCase) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """q, a paged KV cache with NaN in every slot past each sequence's end, a shuffled block
        table and the lengths. Values are scaled so the attention logits have a standard deviation
        near 1 at the model's softmax scale: peaked enough that a wrong scale shows."""
        shape, dev = self.shape, self.device
        gen = torch.Generator(device=dev).manual_seed(case.seed)
        row = shape.kv_row
        std = (1.0 / (math.sqrt(row) * shape.softmax_scale)) ** 0.5
        page = case.page_size
        # One spare token per sequence, so the past-the-end control reads padding, never beyond.
        pages_per_seq = max(1, -(-(max(case.seqlens) + 1) // page))
        n_pages = case.batch * pages_per_seq
        seqlens = torch.tensor(case.seqlens, dtype=torch.int32, device=dev)
        logical = torch.randn(case.batch, pages_per_seq * page, row, generator=gen, device=dev) * std
        positions = torch.arange(pages_per_seq * page, device=dev)
        logical[positions[None, :] >= seqlens[:, None]] = float("nan")
        block_table = torch.randperm(n_pages, generator=gen, device=dev).to(torch.int32).view(case.batch, pages_per_seq)
        kv_cache = torch.empty(n_pages, page, row, device=dev)
        kv_cache[block_table.flatten().long()] = logical.view(n_pages, page, row)
        q = torch.randn(case.batch, case.q_len, case.heads, row, generator=gen, device=dev) * std
        return q.to(self.dtype), kv_cache.to(self.dtype), block_table, seqlens

    def _mla(self, case: MlaCase) -> tuple[list[Check], str | None]:
        shape = self.shape
        q, kv_cache, block_table, seqlens = self.mla_inputs(case)
        blocks = _override(self.k.mla_decode.default_blocks(case.q_len * case.heads), block_h=case.block_h,
                           block_n=case.block_n, split_tokens=case.split_tokens, merge_rows=case.merge_rows)
        detail = None
        if case.expect_fail:
            unscaled = shape.qk_head_dim ** -0.5
            wrong, detail = self.k.broken.wrong_softmax_scale(shape.softmax_scale, shape.kv_row, unscaled)
            if case.variant != "wrong-softmax-scale":
                detail = None
            out, lse = self.k.broken.mla_decode(case.variant, q, kv_cache, block_table, seqlens,
                                                kv_lora_rank=shape.kv_lora_rank, softmax_scale=shape.softmax_scale,
                                                wrong_scale=wrong, blocks=blocks)
        else:
            out, lse = self.k.mla_decode.mla_decode(q, kv_cache, block_table, seqlens, kv_lora_rank=shape.kv_lora_rank,
                                                    softmax_scale=shape.softmax_scale, blocks=blocks)
        ref_out, ref_lse = self.k.reference.mla_decode_reference(q, kv_cache, block_table, seqlens,
                                                                 kv_lora_rank=shape.kv_lora_rank,
                                                                 softmax_scale=shape.softmax_scale)
        return [compare("out", out.float(), ref_out, MLA_TOL), compare("lse", lse, ref_lse, MLA_TOL)], detail

    # -- FP8 GEMM -----------------------------------------------------------------------------

    def _weight(self, case: GemmCase, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        bn, bk = self.shape.weight_block
        if case.weight is not None:
            if self.plan.release is None:
                raise ValueError("a checkpoint case needs the release folder")
            w, s = load_weight(Path(self.plan.release), case.weight)
            return w.to(self.device), s.to(self.device, torch.float32).contiguous()
        # Synthetic: fp8 values across the format's range, and block scales that differ from block
        # to block by up to 20x, so a scale applied to the wrong block changes the result.
        values = torch.randn(case.n, case.k, generator=gen, device=self.device) * 96.0
        w = values.clamp(-448.0, 448.0).to(torch.float8_e4m3fn)
        grid = (-(-case.n // bn), -(-case.k // bk))
        s = (torch.rand(grid, generator=gen, device=self.device) * 1.9e-3 + 1e-4).contiguous()
        return w, s

    def _gemm(self, case: GemmCase) -> tuple[list[Check], str | None]:
        k, block = self.k, self.shape.weight_block
        gen = torch.Generator(device=self.device).manual_seed(case.seed)
        w8, w_scale = self._weight(case, gen)
        x = torch.randn(case.m, case.k, generator=gen, device=self.device)
        if not self.cpu:
            x = x.to(torch.bfloat16).float()  # the activation a bf16 model would hand over

        y_dtype = torch.float32 if self.cpu else torch.float8_e4m3fn
        y8, x_scale = k.act_quant.act_quant(x, block[1], y_dtype=y_dtype)
        ref_y8, ref_x_scale = k.reference.act_quant_reference(x, block[1])
        expand = k.reference.block_expand
        checks = [compare("act_quant", y8.float() * expand(x_scale, tuple(x.shape), (1, block[1])),
                          ref_y8.float() * expand(ref_x_scale, tuple(x.shape), (1, block[1])), EXACT_TOL)]

        # The interpreter path hands the kernels fp8 values widened to fp32 (exact).
        w_in = w8.float() if self.cpu else w8
        y_in = y8.float() if self.cpu else y8
        w_deq = k.weight_dequant.weight_dequant(w_in, w_scale, block)
        ref_w = k.reference.weight_dequant_reference(w8, w_scale, block)
        checks.append(compare("dequant", w_deq, ref_w, EXACT_TOL))

        blocks = _override(k.fp8_gemm.GemmBlocks(), block_m=case.block_m, block_n=case.block_n, block_k=case.block_k)
        out_dtype = torch.float32 if self.cpu else torch.bfloat16
        kwargs = dict(scale_block=block, out_dtype=out_dtype, blocks=blocks)
        if case.expect_fail:
            c = k.broken.fp8_gemm(case.variant, y_in, x_scale, w_in, w_scale, **kwargs)
        else:
            c = k.fp8_gemm.fp8_gemm(y_in, x_scale, w_in, w_scale, **kwargs)
        exact = k.reference.fp8_gemm_reference(y8, x_scale, w8, w_scale, block)
        checks.append(compare("gemm", c.float(), exact, EXACT_TOL))
        checks.append(compare("vs-unquantized", c.float(), x @ ref_w.T, GEMM_TOL))
        return checks, None


def _override(blocks: T, **values: int | None) -> T:
    """The kernel's default tiles, with the ones a case sets explicitly."""
    return dataclasses.replace(blocks, **{k: v for k, v in values.items() if v is not None})  # type: ignore[type-var]
