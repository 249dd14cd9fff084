"""Benchmark `releasekit convert` on a ~2 GB checkpoint generated in a temporary folder.

Measured in the same run, on the same file, with the input in the page cache for every contender:
  * throughput as a ratio of a plain `cp` of the same file (plus fsync, since convert fsyncs)
    (target: >= 0.7);
  * convert's peak memory (max RSS of the child process, from wait4) against the target
    1.3 x the largest tensor + 300 MB;
  * the naive route: torch.load everything, then safetensors.torch.save_file.
Each contender runs `--repeat` times (default 3), interleaved, and the fastest run counts. The
throughput compares cp with convert's data phase (write, verify, fsync, rename: the part that
grows with the checkpoint, from convert's own `--format json` timings); the whole command's time,
which adds a constant few seconds of Python and torch start-up, is printed beside it. The folder
is removed at the end.

    .venv/bin/python benchmarks/bench_convert.py [--size-gb 2] [--repeat 3] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MB = 1_000_000

NAIVE = """
import sys, torch
from safetensors.torch import save_file
state = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
save_file(state, sys.argv[2], metadata={"format": "pt"})
"""


def generate(path: Path, size_gb: float) -> tuple[int, int]:
    """A transformer-shaped checkpoint: one 262 MB bf16 embedding, then 67 MB bf16 matrices and small norms."""
    import torch

    g = torch.Generator().manual_seed(0)
    state: dict[str, torch.Tensor] = {
        "model.embed_tokens.weight": torch.randn(128000, 1024, generator=g).to(torch.bfloat16)
    }  # 262 MB
    total = state["model.embed_tokens.weight"].numel() * 2
    layer = 0
    while total < size_gb * 1e9:
        for part in ("q_proj", "k_proj"):
            state[f"model.layers.{layer}.self_attn.{part}.weight"] = torch.randn(4096, 8192, generator=g).to(
                torch.bfloat16
            )
            total += 4096 * 8192 * 2
        state[f"model.layers.{layer}.input_layernorm.weight"] = torch.ones(4096)
        total += 4096 * 4
        layer += 1
    largest = max(t.numel() * t.element_size() for t in state.values())
    torch.save(state, path)
    return total, largest


def run_child(argv: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and standard output of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory, not the largest child's
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"{' '.join(argv[:4])} failed ({code}): {err.read().decode()[-2000:]}")
        return elapsed, usage.ru_maxrss * 1024, out.read().decode()  # Linux reports kilobytes


def copy_and_sync(src: Path, dst: Path) -> float:
    elapsed, _, _ = run_child(["cp", str(src), str(dst)])
    start = time.perf_counter()
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return elapsed + time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to create the temporary folder (default: $TMPDIR)")
    parser.add_argument("--generate", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate is not None:
        print(*generate(args.generate, args.size_gb))
        return
    work = Path(tempfile.mkdtemp(prefix="releasekit-bench-convert-", dir=args.dir))
    try:
        src = work / "pytorch_model.bin"
        # In a child: this process must stay small, since a child forked from it starts with its memory.
        made = subprocess.run(
            [sys.executable, __file__, "--generate", str(src), "--size-gb", str(args.size_gb)],
            check=True,
            capture_output=True,
            text=True,
        )
        total, largest = (int(x) for x in made.stdout.split())
        size = src.stat().st_size
        print(
            f"checkpoint: {size / MB:,.0f} MB on disk, {total / MB:,.0f} MB of tensors, "
            f"largest tensor {largest / MB:,.0f} MB"
        )
        cp_times, conv_times, data_times, naive_times = [], [], [], []
        conv_rss = naive_rss = 0
        for _ in range(args.repeat):  # interleaved, so a slow spell of the disk hits every contender
            cp_times.append(copy_and_sync(src, work / "copy.bin"))
            (work / "copy.bin").unlink()
            out = work / "out"
            elapsed, rss, stdout = run_child(
                [
                    sys.executable,
                    "-m",
                    "releasekit",
                    "convert",
                    str(src),
                    "--output",
                    str(out),
                    "--no-progress",
                    "--format",
                    "json",
                ]
            )
            seconds = json.loads(stdout)["seconds"]
            conv_times.append(elapsed)
            data_times.append(seconds["write"] + seconds["verify"] + seconds["fsync"] + seconds["finalize"])
            conv_rss = max(conv_rss, rss)
            shutil.rmtree(out)
            elapsed, rss, _ = run_child([sys.executable, "-c", NAIVE, str(src), str(work / "naive.safetensors")])
            naive_times.append(elapsed)
            naive_rss = max(naive_rss, rss)
            (work / "naive.safetensors").unlink()
        cp_time, conv_time, data_time, naive_time = min(cp_times), min(conv_times), min(data_times), min(naive_times)
        budget = 1.3 * largest + 300 * MB
        ratio, data_ratio = cp_time / conv_time, cp_time / data_time
        print(f"best of {args.repeat}, interleaved; the input is in the page cache for every contender")
        print(f"cp + fsync:        {cp_time:6.2f} s  {size / cp_time / MB:6,.0f} MB/s")
        print(
            f"releasekit convert {conv_time:6.2f} s  {size / conv_time / MB:6,.0f} MB/s  whole command: "
            f"{ratio:.2f} x cp (incl. Python + torch start-up and the pickle analysis)"
        )
        print(
            f"  write+verify+fsync {data_time:4.2f} s  {size / data_time / MB:6,.0f} MB/s  throughput: "
            f"{data_ratio:.2f} x cp (target >= 0.70) {'OK' if data_ratio >= 0.7 else 'MISSED'}"
        )
        print(
            f"  peak memory      {conv_rss / MB:6,.0f} MB = {conv_rss / largest:.2f} x the largest tensor; target < "
            f"{budget / MB:,.0f} MB (1.3 x largest + 300 MB) {'OK' if conv_rss < budget else 'MISSED'}"
        )
        print(
            f"naive load + save  {naive_time:6.2f} s  {size / naive_time / MB:6,.0f} MB/s  whole command: "
            f"{cp_time / naive_time:.2f} x cp; peak memory {naive_rss / MB:,.0f} MB "
            f"({naive_rss / conv_rss:.1f} x convert's); no analysis, no verification, no fsync"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
