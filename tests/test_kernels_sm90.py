"""The GPU path, checked without a GPU: every kernel, launched by its own wrapper with the
H100 dtypes (bf16 attention, fp8 e4m3 GEMM) and DeepSeek-V3 shapes, compiles for sm_90 with
Triton's bundled ptxas, without register spills, and on the tensor-core instructions intended.

Nothing runs: each wrapper is called with `meta` tensors and its kernel launch is recorded, then
compiled with the argument specialization Triton itself would pick (`native_specialize_impl`).
This has to happen in a process where TRITON_INTERPRET is unset and triton is imported fresh, so
the test runs this file as a script in a child process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest


def _compile_all() -> list[dict]:
    import torch
    import triton
    from triton._C.libtriton import native_specialize_impl
    from triton.backends.compiler import BaseBackend, GPUTarget
    from triton.backends.nvidia.compiler import get_ptxas
    from triton.compiler import ASTSource

    from releasekit.smoke.runtime import load_kernels

    k = load_kernels(interpret=False)
    recorded: list[tuple[str, object, tuple, dict]] = []

    class Recorder:
        def __init__(self, name: str, fn) -> None:
            self.name, self.fn = name, fn

        def __getitem__(self, grid):
            return lambda *args, **kwargs: recorded.append((self.name, self.fn, args, kwargs))

    for module, attr in ((k.mla_decode, "_split_kernel"), (k.mla_decode, "_merge_kernel"),
                         (k.fp8_gemm, "_fp8_gemm_kernel"), (k.act_quant, "_act_quant_kernel"),
                         (k.weight_dequant, "_weight_dequant_kernel"), (k.broken, "_merge_ignoring_lse_kernel")):
        setattr(module, attr, Recorder(attr, getattr(module, attr)))

    meta = dict(device="meta")

    def mla(batch, q_len, heads, seqlen, tag):
        pages = -(-seqlen // 64)
        q = torch.empty(batch, q_len, heads, 576, dtype=torch.bfloat16, **meta)
        cache = torch.empty(batch * pages, 64, 576, dtype=torch.bfloat16, **meta)
        table = torch.empty(batch, pages, dtype=torch.int32, **meta)
        lens = torch.full((batch,), seqlen, dtype=torch.int32)
        before = len(recorded)
        k.mla_decode.mla_decode(q, cache, table, lens, kv_lora_rank=512, softmax_scale=0.135)
        for i in range(before, len(recorded)):
            recorded[i] = (f"{recorded[i][0]} {tag}",) + recorded[i][1:]

    mla(128, 1, 128, 4096, "b128 h128")
    mla(1, 2, 16, 140, "b1 h16 q2")
    k.broken.mla_decode("merge-ignores-lse", torch.empty(4, 1, 16, 576, dtype=torch.bfloat16, **meta),
                        torch.empty(256, 64, 576, dtype=torch.bfloat16, **meta),
                        torch.empty(4, 64, dtype=torch.int32, **meta), torch.full((4,), 4000, dtype=torch.int32),
                        kv_lora_rank=512, softmax_scale=0.135, wrong_scale=0.04)
    recorded[:] = [r for r in recorded if not (r[0] == "_split_kernel" and r[2][0].shape[0] == 4)]
    for m in (1, 4096):
        a = torch.empty(m, 7168, dtype=torch.float8_e4m3fn, **meta)
        b = torch.empty(576, 7168, dtype=torch.float8_e4m3fn, **meta)
        before = len(recorded)
        k.fp8_gemm.fp8_gemm(a, torch.empty(m, 56, **meta), b, torch.empty(5, 56, **meta))
        recorded[before] = (f"_fp8_gemm_kernel M={m}",) + recorded[before][1:]
    k.act_quant.act_quant(torch.empty(4096, 7168, **meta))
    k.weight_dequant.weight_dequant(torch.empty(576, 7168, dtype=torch.float8_e4m3fn, **meta), torch.empty(5, 56, **meta))

    target = GPUTarget("cuda", 90, 32)
    ptxas = get_ptxas(90).path
    reports = []
    for name, fn, args, kwargs in recorded:
        signature, constexprs, attrs = {}, {}, {}
        options = {key: kwargs.pop(key) for key in ("num_warps", "num_stages") if key in kwargs}
        values = dict(zip(fn.arg_names, args))
        values.update(kwargs)
        for index, arg_name in enumerate(fn.arg_names):
            value = values[arg_name]
            if fn.params[index].is_constexpr:
                signature[arg_name], constexprs[(index,)] = "constexpr", value
                continue
            kind, spec = native_specialize_impl(BaseBackend, value, False, True, True)
            if kind == "constexpr":
                signature[arg_name], constexprs[(index,)] = "constexpr", spec
            else:
                signature[arg_name] = kind
                if spec == "D":
                    attrs[(index,)] = [["tt.divisibility", 16]]
        compiled = triton.compile(ASTSource(fn, signature, constexprs, attrs), target=target, options=options)
        ptx = compiled.asm["ptx"]
        with open("kernel.ptx", "w") as handle:
            handle.write(ptx)
        log = subprocess.run([ptxas, "-v", "--gpu-name=sm_90a", "kernel.ptx", "-o", "kernel.cubin"],
                             capture_output=True, text=True, check=True).stderr
        reports.append({"name": name, "registers": int(re.search(r"Used (\d+) registers", log).group(1)),
                        "spill_stores": int(re.search(r"(\d+) bytes spill stores", log).group(1)),
                        "shared": compiled.metadata.shared,
                        "wgmma": ptx.count("wgmma.mma_async"), "mma_sync": ptx.count("mma.sync"),
                        "fp8_wgmma": len(re.findall(r"wgmma\.mma_async\S*e4m3\.e4m3", ptx))})
    return reports


@pytest.fixture(scope="module")
def sm90(tmp_path_factory) -> dict[str, dict]:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    folder = tmp_path_factory.mktemp("sm90")
    done = subprocess.run([sys.executable, os.path.abspath(__file__)], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {r["name"]: r for r in json.loads(done.stdout.splitlines()[-1])}


def test_every_kernel_compiles_for_sm90_without_spills(sm90) -> None:
    assert set(sm90) == {"_split_kernel b128 h128", "_merge_kernel b128 h128", "_split_kernel b1 h16 q2",
                         "_merge_kernel b1 h16 q2", "_merge_ignoring_lse_kernel", "_fp8_gemm_kernel M=1",
                         "_fp8_gemm_kernel M=4096", "_act_quant_kernel", "_weight_dequant_kernel"}
    for name, report in sm90.items():
        assert report["spill_stores"] == 0, (name, report)
        assert report["shared"] <= 227 * 1024, (name, report)  # H100's shared memory per block


def test_fp8_gemm_runs_on_fp8_tensor_cores(sm90) -> None:
    for m in (1, 4096):
        assert sm90[f"_fp8_gemm_kernel M={m}"]["fp8_wgmma"] > 0
        assert sm90[f"_fp8_gemm_kernel M={m}"]["shared"] >= 3 * (64 * 128 + 128 * 128)  # pipelined stages


def test_mla_decode_uses_tensor_cores(sm90) -> None:
    assert sm90["_split_kernel b128 h128"]["wgmma"] > 0  # 64 query rows per program: Hopper wgmma
    assert sm90["_split_kernel b1 h16 q2"]["mma_sync"] > 0  # 16 rows: mma.sync


if __name__ == "__main__":
    print(json.dumps(_compile_all()))
