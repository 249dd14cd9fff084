"""The kernel benchmark script: it refuses clearly without a GPU, and its code runs end to end
(`--dry-run`: tiny shapes under the interpreter). Nothing here measures anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_kernels.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["CUDA_VISIBLE_DEVICES"] = ""  # no GPU, whatever this machine has
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=300)


def test_without_a_gpu_it_says_so_and_exits_2() -> None:
    done = _run()
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("bench_kernels: no CUDA device") and "nothing measured" in done.stderr


def test_dry_run_exercises_every_part_of_the_script() -> None:
    done = _run("--dry-run")
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "MLA decode b=2 heads=16 seqlen=100 d=576/512 page=64: out rel" in out
    assert "torch float32 matmul-softmax-matmul" in out and "best triton vs torch" in out
    assert "kv_a_proj_with_mqa   5x576x512: fp8 " in out and "fp8/bf16 speed-up" in out
    assert out.rstrip().endswith("none of these numbers is a measurement")
