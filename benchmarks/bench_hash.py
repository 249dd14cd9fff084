"""releasekit's hashing pass beside GNU `sha256sum` on the same files, in the same run.

Two layouts of the same total size: one big file, and many shards. For each, cold and warm page
cache, the runs alternate (sha256sum, releasekit, sha256sum, ...) so machine noise hits both:

  sha256sum   `sha256sum FILES > /dev/null` (coreutils, one thread, SHA-256 only)
  releasekit  `hash_release(root, use_cache=False)`: SHA-1 *and* SHA-256 of every file, threads
  cached      `hash_release(root)` a second time: the digest cache (no reads)

Cold: `echo 3 > /proc/sys/vm/drop_caches` when permitted; otherwise each file's pages are evicted
with posix_fadvise(POSIX_FADV_DONTNEED) before every run (works unprivileged for clean pages), and
the report says which was used. Ratios are sha256sum time / releasekit time (above 1: faster).

Run: .venv/bin/python benchmarks/bench_hash.py [--mib 1024] [--shards 16] [--repeat 3] [--dir PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from releasekit.provenance import hash_release


def write_random(path: Path, size: int) -> None:
    block = os.urandom(1 << 20)
    with open(path, "wb") as handle:
        left = size
        while left > 0:
            n = min(left, len(block))
            handle.write(block[:n])
            block = block[1:] + block[:1]  # cheap change so blocks differ
            left -= n


def evict(files: list[Path]) -> str:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as handle:
            handle.write("3\n")
        return "drop_caches"
    except OSError:
        for f in files:
            fd = os.open(f, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        return "posix_fadvise(DONTNEED) per file (drop_caches not permitted)"


def warm(files: list[Path]) -> None:
    for f in files:
        with open(f, "rb") as handle:
            while handle.read(16 << 20):
                pass


def time_sha256sum(root: Path, files: list[Path]) -> float:
    start = time.perf_counter()
    subprocess.run(["sha256sum", *[f.name for f in files]], cwd=root, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def time_releasekit(root: Path, cache: bool = False) -> float:
    start = time.perf_counter()
    hash_release(root, use_cache=cache)
    return time.perf_counter() - start


def run_layout(name: str, root: Path, files: list[Path], repeat: int) -> list[str]:
    total = sum(f.stat().st_size for f in files)
    lines = []
    how = ""
    for state in ("cold", "warm"):
        base: list[float] = []
        ours: list[float] = []
        for _ in range(repeat):
            if state == "cold":
                how = evict(files)
            else:
                warm(files)
            base.append(time_sha256sum(root, files))
            if state == "cold":
                evict(files)
            ours.append(time_releasekit(root))
        b, o = statistics.median(base), statistics.median(ours)
        lines.append(
            f"{name:<22} {state}  sha256sum {total / b / 1e9:5.2f} GB/s  releasekit (SHA-1+SHA-256) "
            f"{total / o / 1e9:5.2f} GB/s  ratio {b / o:4.2f}x"
        )
    hash_release(root)  # fill the cache
    cached = statistics.median(time_releasekit(root, cache=True) for _ in range(repeat))
    base = statistics.median(time_sha256sum(root, files) for _ in range(repeat))
    lines.append(f"{name:<22} cache  unchanged files from the digest cache: {cached * 1000:.1f} ms "
                 f"(sha256sum warm: {base * 1000:.0f} ms)")
    lines.append(f"   cold cache: {how}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="total size of each layout (MiB)")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the test files (default: a temp dir)")
    args = parser.parse_args(argv)
    if shutil.which("sha256sum") is None:
        print("sha256sum is not installed", file=sys.stderr)
        return 2
    os.environ.setdefault("RELEASEKIT_CACHE_DIR", tempfile.mkdtemp(prefix="rk-bench-cache-"))
    size = args.mib << 20
    with tempfile.TemporaryDirectory(prefix="rk-bench-hash-", dir=args.dir) as tmp:
        one = Path(tmp) / "one"
        one.mkdir()
        write_random(one / "model.safetensors", size)
        many = Path(tmp) / "many"
        many.mkdir()
        for i in range(args.shards):
            write_random(many / f"model-{i + 1:05d}-of-{args.shards:05d}.safetensors", size // args.shards)
        print(f"{os.cpu_count()} CPUs; {args.mib} MiB per layout; median of {args.repeat}; "
              f"releasekit computes SHA-1 and SHA-256, sha256sum only SHA-256")
        for line in run_layout("1 file", one, sorted(one.iterdir()), args.repeat):
            print(line)
        for line in run_layout(f"{args.shards} shards", many, sorted(many.iterdir()), args.repeat):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
