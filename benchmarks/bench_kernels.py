"""Benchmark the bundled Triton kernels on a GPU, against baselines measured in the same run.

MLA decode at batch 128, 128 query heads, 4096 cached tokens (DeepSeek-V3's 576-wide latent
rows, bf16, 64-token pages): time, GB/s (useful bytes: the KV cache, q and the output, as
FlashMLA's benchmark counts them) and the fraction of the GPU's memory bandwidth, for a few tile
configurations, beside a plain-PyTorch bf16 version on a contiguous cache.
FP8 GEMM at DeepSeek-V3's projection shapes (M tokens, default 4096): TFLOPS and the fraction
of the FP8 dense peak, with and without the activation quantization, beside `torch.matmul` in
bf16 on the same shapes. Each kernel's output is checked against the fp32 reference first.
Targets (issue 6): 60% of the memory bandwidth for MLA decode; the FP8 GEMM faster than bf16.

    python benchmarks/bench_kernels.py [--gemm-m 4096] [--peak-bandwidth TB/s] [--peak-fp8-tflops TFLOPS]
    python benchmarks/bench_kernels.py --dry-run   # tiny shapes, CPU interpreter: exercises the
                                                   # script, measures nothing

Needs CUDA: without a GPU it says so and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable

# Known peaks: (memory bandwidth TB/s, dense FP8 TFLOPS), from NVIDIA's data sheets.
PEAKS = (("H100 PCIe", 2.0, 1513.0), ("H100 NVL", 3.9, 1671.0), ("H200", 4.8, 1979.0),
         ("H100", 3.35, 1979.0), ("H800", 3.35, 1979.0))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gemm-m", type=int, default=4096, help="tokens (rows of A) for the GEMM shapes")
    parser.add_argument("--peak-bandwidth", type=float, default=None, help="memory bandwidth in TB/s")
    parser.add_argument("--peak-fp8-tflops", type=float, default=None, help="dense FP8 peak in TFLOPS")
    parser.add_argument("--dry-run", action="store_true",
                        help="tiny shapes under Triton's CPU interpreter: checks the script, measures nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.dry_run:
        os.environ["TRITON_INTERPRET"] = "1"  # before triton is imported (see releasekit.smoke.runtime)
    import torch

    if not args.dry_run and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        print(f"bench_kernels: no CUDA device (torch {torch.__version__}, {build}): nothing measured. "
              "These figures need a GPU (H100: 3.35 TB/s, 1979 dense FP8 TFLOPS).", file=sys.stderr)
        return 2
    from releasekit.smoke.runtime import load_kernels

    kernels = load_kernels(interpret=args.dry_run)
    bench = Bench(torch, kernels, args)
    print(bench.header())
    ok = bench.mla() & bench.gemm()
    if args.dry_run:
        print("DRY RUN: the script ran end to end under the interpreter; none of these numbers is a measurement")
    return 0 if ok else 1


class Bench:
    def __init__(self, torch, kernels, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
        self.torch, self.k, self.args = torch, kernels, args
        self.dry = args.dry_run
        self.device = "cpu" if self.dry else "cuda"
        name = "CPU interpreter" if self.dry else torch.cuda.get_device_name()
        known = next(((bw, fp8) for key, bw, fp8 in PEAKS if key in name), (None, None))
        self.name = name
        self.bandwidth = args.peak_bandwidth or known[0]  # TB/s
        self.fp8_peak = args.peak_fp8_tflops or known[1]  # TFLOPS

    def header(self) -> str:
        bw = f"{self.bandwidth} TB/s" if self.bandwidth else "unknown bandwidth (--peak-bandwidth)"
        fp8 = f"{self.fp8_peak} FP8 TFLOPS" if self.fp8_peak else "unknown FP8 peak (--peak-fp8-tflops)"
        import triton

        return f"device: {self.name}; peaks: {bw}, {fp8}; torch {self.torch.__version__}, triton {triton.__version__}"

    def time_ms(self, fn: Callable[[], object]) -> float:
        if self.dry:
            start = time.perf_counter()
            fn()
            return (time.perf_counter() - start) * 1e3
        import triton.testing

        return float(triton.testing.do_bench(fn, warmup=25, rep=200))  # flushes L2 between runs

    # -- MLA decode ---------------------------------------------------------------------------

    def mla(self) -> bool:
        torch, k = self.torch, self.k
        batch, heads, seqlen = (2, 16, 100) if self.dry else (128, 128, 4096)
        dv, dpe, page = 512, 64, 64
        row = dv + dpe
        dtype = torch.float32 if self.dry else torch.bfloat16
        scale = 192 ** -0.5 * (0.1 * math.log(40) + 1) ** 2  # DeepSeek-V3's
        gen = torch.Generator(device=self.device).manual_seed(0)
        pages = -(-seqlen // page)
        cache = (torch.randn(batch * pages, page, row, generator=gen, device=self.device) * 0.5).to(dtype)
        table = torch.randperm(batch * pages, generator=gen, device=self.device).to(torch.int32).view(batch, pages)
        lengths = torch.full((batch,), seqlen, dtype=torch.int32, device=self.device)
        q = (torch.randn(batch, 1, heads, row, generator=gen, device=self.device) * 0.5).to(dtype)

        out, lse = k.mla_decode.mla_decode(q, cache, table, lengths, kv_lora_rank=dv, softmax_scale=scale)
        ref_out, ref_lse = k.reference.mla_decode_reference(q, cache, table, lengths, kv_lora_rank=dv,
                                                            softmax_scale=scale)
        from releasekit.smoke.compare import compare

        checks = [compare("out", out.float(), ref_out, 1e-5), compare("lse", lse, ref_lse, 1e-5)]
        print(f"MLA decode b={batch} heads={heads} seqlen={seqlen} d={row}/{dv} page={page}: "
              + " | ".join(c.text() for c in checks))
        if not all(c.passed for c in checks):
            print("MLA decode: wrong output, not timed")
            return False

        useful = (batch * seqlen * row + q.numel() + batch * heads * dv) * q.element_size()
        configs = [None]
        if not self.dry:
            Blocks = k.mla_decode.MlaBlocks
            configs += [Blocks(16, 32, num_warps=4, num_stages=2), Blocks(32, 32, num_warps=4, num_stages=2),
                        Blocks(64, 32, num_warps=8, num_stages=2), Blocks(64, 32, num_warps=8, num_stages=2,
                                                                          split_tokens=1024),
                        Blocks(64, 16, num_warps=4, num_stages=3)]
        else:
            configs = [k.mla_decode.MlaBlocks(16, 16, merge_rows=16)]
        best = None
        for blocks in configs:
            label = "default" if blocks is None else (f"block_h={blocks.block_h} block_n={blocks.block_n} "
                                                      f"warps={blocks.num_warps} stages={blocks.num_stages} "
                                                      f"split={blocks.split_tokens or 'auto'}")
            try:
                ms = self.time_ms(lambda: k.mla_decode.mla_decode(q, cache, table, lengths, kv_lora_rank=dv,
                                                                  softmax_scale=scale, blocks=blocks))
            except Exception as exc:  # a tile that does not fit this GPU: report it and go on
                print(f"  triton {label}: failed: {type(exc).__name__}: {str(exc)[:120]}")
                continue
            gbps = useful / (ms * 1e-3) / 1e9
            best = ms if best is None else min(best, ms)
            print(f"  triton {label}: {ms:.3f} ms, {gbps:,.0f} GB/s{self._of_bandwidth(gbps)}")

        dense = cache[table.long()].reshape(batch, pages * page, row)[:, :seqlen].contiguous()

        def torch_mla() -> object:
            scores = torch.matmul(q[:, 0], dense.transpose(1, 2)).float() * scale
            probs = torch.softmax(scores, dim=-1).to(dtype)
            return torch.matmul(probs, dense[..., :dv])

        base = self.time_ms(torch_mla)
        gbps = useful / (base * 1e-3) / 1e9
        print(f"  torch {str(dtype).replace('torch.', '')} matmul-softmax-matmul on a contiguous cache: {base:.3f} ms, "
              f"{gbps:,.0f} GB/s{self._of_bandwidth(gbps)}")
        if best is not None:
            print(f"  best triton vs torch: {base / best:.2f}x faster")
        return best is not None

    def _of_bandwidth(self, gbps: float) -> str:
        return f" = {gbps / (self.bandwidth * 1e3):.0%} of {self.bandwidth} TB/s" if self.bandwidth else ""

    # -- FP8 GEMM -----------------------------------------------------------------------------

    def gemm(self) -> bool:
        torch, k = self.torch, self.k
        from releasekit.smoke.compare import compare
        from releasekit.smoke.shapes import load_shape

        projections = load_shape(None).projections()
        m = 5 if self.dry else self.args.gemm_m
        if self.dry:
            projections = [min(projections, key=lambda p: p.n * p.k)]
        gen = torch.Generator(device=self.device).manual_seed(1)
        ok = True
        print(f"FP8 GEMM (128x128 weight blocks, per-token-per-128 activations), M={m}:")
        for proj in projections:
            n, kdim = (proj.n, 512) if self.dry else (proj.n, proj.k)
            x = torch.randn(m, kdim, generator=gen, device=self.device)
            w8 = (torch.randn(n, kdim, generator=gen, device=self.device) * 96).clamp(-448, 448).to(torch.float8_e4m3fn)
            ws = torch.rand(-(-n // 128), -(-kdim // 128), generator=gen, device=self.device) * 1e-3 + 1e-4
            y_dtype = torch.float32 if self.dry else torch.float8_e4m3fn
            out_dtype = torch.float32 if self.dry else torch.bfloat16
            y8, xs = k.act_quant.act_quant(x, 128, y_dtype=y_dtype)
            a_in, w_in = (y8.float(), w8.float()) if self.dry else (y8, w8)
            blocks = k.fp8_gemm.GemmBlocks(block_m=16, block_n=64) if self.dry else k.fp8_gemm.GemmBlocks()
            c = k.fp8_gemm.fp8_gemm(a_in, xs, w_in, ws, out_dtype=out_dtype, blocks=blocks)
            check = compare("gemm", c.float(), k.reference.fp8_gemm_reference(y8, xs, w8, ws), 1e-5)
            label = f"  {proj.name:<20} {m}x{n}x{kdim}"
            if not check.passed:
                print(f"{label}: wrong output ({check.text()}), not timed")
                ok = False
                continue
            flops = 2.0 * m * n * kdim
            t_gemm = self.time_ms(lambda: k.fp8_gemm.fp8_gemm(a_in, xs, w_in, ws, out_dtype=out_dtype, blocks=blocks))
            t_both = self.time_ms(lambda: k.fp8_gemm.fp8_gemm(*_quantized(k, x, y_dtype, self.dry), w_in, ws,
                                                              out_dtype=out_dtype, blocks=blocks))
            xb = x.to(torch.bfloat16 if not self.dry else torch.float32)
            wb = k.reference.weight_dequant_reference(w8, ws).to(xb.dtype)
            t_bf16 = self.time_ms(lambda: torch.matmul(xb, wb.T))
            tflops = flops / (t_gemm * 1e-3) / 1e12
            peak = f" = {tflops / self.fp8_peak:.0%} of {self.fp8_peak:g}" if self.fp8_peak else ""
            print(f"{label}: fp8 {t_gemm:.3f} ms {tflops:,.0f} TFLOPS{peak}; with act_quant {t_both:.3f} ms; "
                  f"bf16 matmul {t_bf16:.3f} ms {flops / (t_bf16 * 1e-3) / 1e12:,.0f} TFLOPS; "
                  f"fp8/bf16 speed-up {t_bf16 / t_gemm:.2f}x ({t_bf16 / t_both:.2f}x with act_quant)")
        return ok


def _quantized(k, x, y_dtype, dry: bool):  # type: ignore[no-untyped-def]
    y8, xs = k.act_quant.act_quant(x, 128, y_dtype=y_dtype)
    return (y8.float() if dry else y8), xs


if __name__ == "__main__":
    sys.exit(main())
