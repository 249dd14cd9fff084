"""Benchmark `releasekit convert` against `cp` + fsync of the same file, measured in the same run.

For each size (default 0.8 GB and 8 GB, where the disk has room), a transformer-shaped torch zip
checkpoint with a tied embedding (`lm_head.weight` is `model.embed_tokens.weight`) is generated in a
temporary folder, then these contenders run interleaved, `--repeat` times each, with the input in
the page cache for every one of them:

  * `cp` + fsync of the output (the baseline: convert fsyncs its output too);
  * `releasekit convert` (the whole command: Python start-up, pickle analysis, plan, copy, CRC-32
    verification, fsync, rename), on the torch-free engine that every zip checkpoint takes;
  * up to 2 GB, for reference: `releasekit convert --engine torch` (the torch.load path, kept for
    legacy checkpoints) and the naive route: torch.load everything, then
    safetensors.torch.save_file (no analysis, no verification, no fsync).

Before each contender, an untimed `sync` writes out whatever an earlier one left dirty.

Each line prints the median time and the spread (the disk's speed varies from run to run), the
ratio to the same run's `cp` + fsync (speed relative to cp: 1.00 is as fast as cp) and the peak memory of the process (max RSS, from wait4). Python runs with a
bytecode cache, as an installed package does (this environment sets PYTHONDONTWRITEBYTECODE; the
children get a cache in the temporary folder instead, warmed by one untimed run). Above 2 GB the
tensors are zeros read from a sparse scratch file (the machine's memory is shared), which changes
nothing for a copy or a CRC. The folder is removed at the end.

    .venv/bin/python benchmarks/bench_convert.py [--sizes 0.8 8] [--repeat 3] [--dir /work/tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GB = 1e9
MB = 1e6
RANDOM_UP_TO = 2 * GB

NAIVE = """
import sys, torch
from safetensors.torch import save_file
state = torch.load(sys.argv[1], map_location="cpu", weights_only=True, mmap=True)
state.pop("lm_head.weight")  # save_file refuses shared tensors
save_file(state, sys.argv[2], metadata={"format": "pt"})
"""


def generate(path: Path, size: float, scratch: Path) -> tuple[int, int]:
    """Write the checkpoint; returns (bytes of tensors, bytes of the largest tensor)."""
    import torch

    g = torch.Generator().manual_seed(0)
    random = size <= RANDOM_UP_TO
    made = 0

    def tensor(*shape: int) -> torch.Tensor:
        nonlocal made
        if random:
            return torch.randn(*shape, generator=g).to(torch.bfloat16)
        made += 1
        numel = shape[0] * shape[1]
        return torch.from_file(str(scratch / f"{made}.bin"), shared=True, size=numel, dtype=torch.bfloat16).view(
            *shape
        )

    scratch.mkdir(parents=True, exist_ok=True)
    embed = tensor(128000, 1024)  # 262 MB
    state: dict[str, torch.Tensor] = {"model.embed_tokens.weight": embed}
    total = embed.numel() * 2
    layer = 0
    while total + 2 * 4096 * 8192 * 2 <= size:  # as close to `size` as whole layers allow
        for part in ("q_proj", "o_proj"):
            state[f"model.layers.{layer}.self_attn.{part}.weight"] = tensor(4096, 8192)  # 67 MB
            total += 4096 * 8192 * 2
        state[f"model.layers.{layer}.input_layernorm.weight"] = torch.ones(4096)
        total += 4096 * 4
        layer += 1
    state["model.norm.weight"] = torch.ones(1024)
    state["lm_head.weight"] = embed  # tied: written once, recorded as an alias
    largest = max(t.numel() * t.element_size() for t in state.values())
    torch.save(state, path)
    shutil.rmtree(scratch, ignore_errors=True)
    return total, largest


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and standard output of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            raise SystemExit(f"{' '.join(argv[:4])} failed ({code}): {err.read().decode()[-2000:]}")
        return elapsed, usage.ru_maxrss * 1024, out.read().decode()


def copy_and_sync(src: Path, dst: Path, env: dict[str, str]) -> tuple[float, int]:
    """`cp`, then fsync of the copy: the baseline."""
    os.sync()  # untimed: nothing an earlier contender left dirty is written in this one's time
    start = time.perf_counter()
    _, rss, _ = run_child(["cp", str(src), str(dst)], env)
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return time.perf_counter() - start, rss


def bench(work: Path, size: float, repeat: int, env: dict[str, str]) -> list[tuple[str, float, float, int]]:
    src = work / "pytorch_model.bin"
    made = subprocess.run(
        [sys.executable, __file__, "--generate", str(src), "--sizes", str(size / GB)],
        check=True,
        capture_output=True,
        text=True,
    )
    total, largest = (int(x) for x in made.stdout.split())
    on_disk = src.stat().st_size
    print(
        f"\ncheckpoint: {on_disk / GB:.2f} GB on disk ({'random' if size <= RANDOM_UP_TO else 'zero'} bf16 "
        f"tensors, tied embedding), largest tensor {largest / MB:,.0f} MB; median of {repeat}, interleaved"
    )
    convert = [sys.executable, "-m", "releasekit", "convert", str(src), "--no-progress", "--format", "json"]
    run_child([*convert, "--dry-run"], env)  # warm the bytecode cache and the input's pages
    times: dict[str, list[float]] = {}
    peaks: dict[str, int] = {}
    engines: set[str] = set()
    with_torch = size <= RANDOM_UP_TO  # the torch routes are for reference; they take minutes at 8 GB
    contenders = {"releasekit convert": []}
    if with_torch:
        contenders["releasekit convert --engine torch"] = ["--engine", "torch"]
    for _ in range(repeat):
        seconds, rss = copy_and_sync(src, work / "copy.bin", env)
        (work / "copy.bin").unlink()
        times.setdefault("cp + fsync", []).append(seconds)
        peaks["cp + fsync"] = max(peaks.get("cp + fsync", 0), rss)
        for name, extra in contenders.items():
            out = work / "out"
            os.sync()
            seconds, rss, stdout = run_child([*convert, "--output", str(out), *extra], env)
            engines.add(json.loads(stdout)["engine"])
            times.setdefault(name, []).append(seconds)
            peaks[name] = max(peaks.get(name, 0), rss)
            shutil.rmtree(out)
        if not with_torch:
            continue
        os.sync()
        seconds, rss, _ = run_child([sys.executable, "-c", NAIVE, str(src), str(work / "naive.safetensors")], env)
        (work / "naive.safetensors").unlink()
        times.setdefault("naive torch.load + save_file", []).append(seconds)
        peaks["naive torch.load + save_file"] = max(peaks.get("naive torch.load + save_file", 0), rss)
    src.unlink()
    assert engines == ({"direct", "torch"} if with_torch else {"direct"}), engines
    baseline = statistics.median(times["cp + fsync"])
    rows = []
    for name, values in times.items():
        median = statistics.median(values)
        rows.append((name, median, min(values), max(values), baseline / median, peaks[name]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.8, 8.0], help="checkpoint sizes in GB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=None, help="where to create the temporary folder (default: $TMPDIR)")
    parser.add_argument("--generate", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate is not None:
        print(*generate(args.generate, args.sizes[0] * GB, args.generate.parent / "scratch"))
        return
    work = Path(tempfile.mkdtemp(prefix="releasekit-bench-convert-", dir=args.dir))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    try:
        for size in args.sizes:
            free = shutil.disk_usage(work).free
            if free < 3.5 * size * GB:  # input, copy, output (and the scratch file while generating)
                print(f"\n{size:g} GB: skipped, {free / GB:.0f} GB free on {work} (needs {3.5 * size:.0f} GB)")
                continue
            rows = bench(work, size * GB, args.repeat, env)
            baseline = rows[0][1]
            print(
                f"| {'what':<34} | {'median s':>8} | {'min-max s':>11} | {'cp + fsync, same run':>20} "
                f"| {'x cp speed':>10} | peak memory |"
            )
            print(f"|{'-' * 36}|{'-' * 10}|{'-' * 13}|{'-' * 22}|{'-' * 12}|-------------|")
            for name, seconds, low, high, ratio, rss in rows:
                print(
                    f"| {name:<34} | {seconds:8.2f} | {low:5.2f}-{high:5.2f} | {baseline:18.2f} s "
                    f"| {ratio:9.2f}x | {rss / MB:8,.0f} MB |"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
