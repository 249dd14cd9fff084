"""Benchmark `releasekit check` on DeepSeek-V3's real checkpoint layout, built as sparse files.

163 shards of ~4.3 GB, 91,991 tensors (FP8 with 128x128 block scales, an MTP layer), an index
and config.json: headers written, tensor data left as holes, so it costs no disk. Each figure is
printed beside its baseline measured in the same run (the machines are shared and noisy):

- `check` with every rule on that layout (a fresh process, as CI runs it), against a bare
  `json.loads` of every header in this process. Goal (issue 17): under 1 s, at most 3x the bare
  parse, under 200 MB peak. By default the weights checks run in a second process beside the
  text checks (docs/check.md, `--jobs`); the same check in one process (`--jobs 1`) is printed
  too, so the CPU it costs is in plain view.
- `check` on an empty release (start-up), against `releasekit --version`. Goal: under 0.2 s.

Wall times are medians; CPU times (user + system of the child) are medians too and are the
steadier figure when other jobs share the cores. Children run with bytecode caching on (as an
installed package has it), after one warm-up run.

    python benchmarks/bench_check.py [--keep DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG, V3_SHARDS, tensor_specs, write_sparse_checkpoint


def build_layout(root: Path) -> tuple[int, int]:
    specs = tensor_specs(DEEPSEEK_V3_CONFIG)
    total = write_sparse_checkpoint(root, specs, V3_SHARDS)
    (root / "config.json").write_text(json.dumps(DEEPSEEK_V3_CONFIG, indent=2))
    # A whole release, not just weights: the example's license, card and code go with it.
    example = resources.files("releasekit") / "data" / "example"
    for name in ("LICENSE", "README.md"):
        (root / name).write_bytes((example / name).read_bytes())
    (root / "inference").mkdir(exist_ok=True)
    (root / "inference" / "model.py").write_bytes((example / "inference" / "model.py").read_bytes())
    return len(specs), total


def bare_json_loads(root: Path) -> tuple[float, float]:
    """The floor: read and json.loads every header, nothing else (wall and CPU seconds)."""
    start, cpu = time.perf_counter(), time.process_time()
    for path in sorted(root.glob("*.safetensors")):
        with open(path, "rb") as handle:
            (n,) = struct.unpack("<Q", handle.read(8))
            json.loads(handle.read(n))
    return time.perf_counter() - start, time.process_time() - cpu


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode compiled
    return env


def run(args: list[str], *, expect_clean: bool = False) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of `python -m releasekit ARGS` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "releasekit", *args], capture_output=True, text=True, env=_env())
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.exit(f"releasekit {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    if expect_clean:
        summary = json.loads(proc.stdout)["summary"]
        if summary["errors"]:
            sys.exit(f"the V3 layout should be clean, got: {summary}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu, after.ru_maxrss / 1024  # ru_maxrss: the largest child so far, in KB


def _median(runs: list[tuple[float, ...]], i: int) -> float:
    return statistics.median(r[i] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the layout here and keep it")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rk-v3-") as tmp:
        root = args.keep or Path(tmp) / "deepseek-v3"
        root.mkdir(parents=True, exist_ok=True)
        empty = Path(tmp) / "empty"
        empty.mkdir()
        tensors, total = build_layout(root)
        disk = sum(os.stat(p).st_blocks * 512 for p in root.iterdir() if p.is_file())
        print(f"layout: {V3_SHARDS} shards, {tensors:,} tensors, {total / 1e9:,.1f} GB of tensors "
              f"({disk / 1e6:,.1f} MB on disk, sparse); load average {os.getloadavg()[0]:.1f}")
        check_v3 = ["check", str(root), "--format", "json"]
        run(check_v3)  # warm-up: bytecode, page cache
        run(["check", str(empty), "--format", "json"])
        baseline, checks, singles, versions, starts = [], [], [], [], []
        for _ in range(args.repeat):  # interleaved, so a burst of load hits both sides alike
            baseline.append(bare_json_loads(root))
            checks.append(run(check_v3, expect_clean=True))
            singles.append(run([*check_v3, "--jobs", "1"], expect_clean=True))
            versions.append(run(["--version"]))
            starts.append(run(["check", str(empty)]))
        peak = max(run(check_v3)[2], run([*check_v3, "--jobs", "1"])[2])
        rows = [
            ("check, all rules, DeepSeek-V3 layout", checks, "bare json.loads of all headers", baseline),
            ("the same in one process (--jobs 1)", singles, "bare json.loads of all headers", baseline),
            ("check on an empty release (start-up)", starts, "releasekit --version", versions),
        ]
        print(f"\n| what (median of {args.repeat}) | wall | CPU | same-run baseline | wall | CPU | ratio wall / CPU |")
        print("|---|---|---|---|---|---|---|")
        for what, runs, base_what, base in rows:
            w, c, bw, bc = _median(runs, 0), _median(runs, 1), _median(base, 0), _median(base, 1)
            print(f"| {what} | {w:.3f} s | {c:.3f} s | {base_what} | {bw:.3f} s | {bc:.3f} s | "
                  f"{w / bw:.2f}x / {c / bc:.2f}x |")
        print(f"\npeak RSS of check on the V3 layout (the larger process, either way): {peak:,.0f} MB")
        wall = _median(checks, 0)
        ratio = wall / _median(baseline, 0)
        start_wall = _median(starts, 0)
        goals = {
            "V3 check under 1 s": wall < 1,
            "V3 check at most 3x the bare parse": ratio <= 3,
            "V3 check under 200 MB": peak < 200,
            "start-up under 0.2 s": start_wall < 0.2,
        }
        print("goals (issue 17): " + "; ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in goals.items()))
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
