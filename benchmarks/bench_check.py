"""Benchmark `releasekit check` on DeepSeek-V3's real checkpoint layout, built as sparse files.

163 shards of ~4.3 GB, 91,991 tensors (FP8 with 128x128 block scales, an MTP layer), an index
and config.json: headers written, tensor data left as holes, so it costs no disk. Prints the time
of `releasekit check` (a fresh process, as CI runs it) and its peak memory, beside a bare
`json.loads` of every header measured in the same run. Targets (issue 2): under 5 s, under
500 MB peak.

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

from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG, V3_SHARDS, shard_name, split_shards, tensor_specs
from releasekit.safetensors_format import encode_header


def build_layout(root: Path) -> tuple[int, int]:
    specs = tensor_specs(DEEPSEEK_V3_CONFIG)
    groups = split_shards(specs, V3_SHARDS)
    weight_map: dict[str, str] = {}
    for number, group in enumerate(groups, start=1):
        name = shard_name(number, len(groups))
        header, spans = encode_header([(s.name, s.dtype, s.shape) for s in group], {"format": "pt"})
        data = max(end for _, end in spans.values())
        with open(root / name, "wb") as handle:
            handle.write(header)
            handle.truncate(len(header) + data)  # a hole: no disk used
        weight_map.update({s.name: name for s in group})
    total = sum(s.nbytes for s in specs)
    (root / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total},
                                                                    "weight_map": weight_map}))
    (root / "config.json").write_text(json.dumps(DEEPSEEK_V3_CONFIG, indent=2))
    # A whole release, not just weights: the example's license, card and code go with it.
    example = resources.files("releasekit") / "data" / "example"
    for name in ("LICENSE", "README.md"):
        (root / name).write_bytes((example / name).read_bytes())
    (root / "inference").mkdir(exist_ok=True)
    (root / "inference" / "model.py").write_bytes((example / "inference" / "model.py").read_bytes())
    return len(specs), total


def bare_json_loads(root: Path) -> float:
    """The floor: read and json.loads every header, nothing else."""
    start = time.perf_counter()
    for path in sorted(root.glob("*.safetensors")):
        with open(path, "rb") as handle:
            (n,) = struct.unpack("<Q", handle.read(8))
            json.loads(handle.read(n))
    return time.perf_counter() - start


def run_check(root: Path) -> tuple[float, int, float]:
    """Wall time, exit code and peak RSS (MB) of `releasekit check` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "releasekit", "check", str(root), "--format", "json"],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        sys.exit(f"releasekit check failed ({proc.returncode}): {proc.stderr.strip()}")
    summary = json.loads(proc.stdout)["summary"]
    if summary["errors"]:
        sys.exit(f"the V3 layout should be clean, got: {summary}")
    return elapsed, proc.returncode, max(peak, before) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the layout here and keep it")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rk-v3-") as tmp:
        root = args.keep or Path(tmp) / "deepseek-v3"
        root.mkdir(parents=True, exist_ok=True)
        tensors, total = build_layout(root)
        disk = sum(os.stat(p).st_blocks * 512 for p in root.iterdir())
        print(f"layout: {V3_SHARDS} shards, {tensors:,} tensors, {total / 1e9:,.1f} GB of tensors "
              f"({disk / 1e6:,.1f} MB on disk, sparse)")
        baseline = [bare_json_loads(root) for _ in range(args.repeat)]
        runs = [run_check(root) for _ in range(args.repeat)]
        base = statistics.median(baseline)
        wall = statistics.median(r[0] for r in runs)
        peak = max(r[2] for r in runs)
        print(f"bare json.loads of all headers (in-process): {base:.3f} s (median of {args.repeat})")
        print(f"releasekit check (fresh process, all rules):  {wall:.3f} s (median of {args.repeat}), "
              f"peak RSS {peak:,.0f} MB")
        print(f"ratio check / bare json.loads: {wall / base:.1f}x")
        print(f"targets: time < 5 s: {'met' if wall < 5 else 'MISSED'}; peak < 500 MB: {'met' if peak < 500 else 'MISSED'}")
    return 0 if wall < 5 and peak < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
