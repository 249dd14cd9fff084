"""Benchmark `releasekit publish` of a ~2 GB release to the local server, against a plain copy.

Measured in the same run, on the same files (in the page cache for both): the time to publish the
release to the Hub side of the local server (`releasekit.devserver`, LFS transfers through
huggingface_hub's own client, multipart for files over 256 MB) against `shutil.copyfile` of the
same files into a fresh folder, and the peak memory (max RSS, from wait4) of the publishing
process: it must stream, so its peak stays far below the release's size whatever that size is.
The server runs in this process, the publisher in a child process; the fastest of `--repeat`
runs counts, each run publishing to a fresh server (nothing is skipped). Folders are removed at
the end.

    .venv/bin/python benchmarks/bench_publish.py [--size-gb 2] [--repeat 2] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MB = 1_000_000
CHILD = """
import json, sys, time
from releasekit.publish import PublishOptions, publish
start = time.perf_counter()
result = publish(sys.argv[1], PublishOptions(hf_repo="bench/model", hub_endpoint=sys.argv[2], hf_token="bench",
                                             lfs_only=True))
print(json.dumps({"seconds": time.perf_counter() - start, "commit": result.hub_commit,
                  "uploaded": len(result.plan.hub.upload)}))
"""


def shard(path: Path, size: int) -> None:
    """A valid safetensors file: one U8 tensor of `size` bytes of random data (written in 64 MB blocks)."""
    header = json.dumps({"blob": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(header)) + header)
        left = size
        block = os.urandom(64 * MB)
        while left:
            n = min(left, len(block))
            handle.write(block[:n])
            left -= n


def build(root: Path, size_gb: float) -> int:
    from releasekit.example import build_example

    build_example(root)
    total = int(size_gb * 1000 * MB)
    for i in range(2):
        shard(root / f"extra-{i + 1:05d}-of-00002.safetensors", total // 2)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def plain_copy(src: Path, dest: Path) -> float:
    start = time.perf_counter()
    for path in sorted(src.rglob("*")):
        target = dest / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return time.perf_counter() - start


def publish_once(release: Path, work: Path) -> tuple[float, int, dict]:
    from releasekit.devserver import DevServer

    with DevServer(work / "remote") as server:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(release), server.hub_url], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env={**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1"})
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"publish failed (status {status})")
        stored = sum(p.stat().st_size for p in (work / "remote" / "blobs").iterdir())
        return seconds, usage.ru_maxrss * 1024, {**json.loads(out), "stored_bytes": stored}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-publish-", dir=args.dir) as tmp:
        base = Path(tmp)
        release = base / "release"
        size = build(release, args.size_gb)
        print(f"release: {size / MB:.0f} MB in {sum(1 for p in release.rglob('*') if p.is_file())} files")
        copies, publishes, peaks = [], [], []
        details: dict = {}
        for n in range(args.repeat):
            dest = base / f"copy{n}"
            copies.append(plain_copy(release, dest))
            shutil.rmtree(dest)
            seconds, peak, details = publish_once(release, base / f"run{n}")
            publishes.append(seconds)
            peaks.append(peak)
            shutil.rmtree(base / f"run{n}")
            print(f"run {n + 1}: copy {copies[-1]:.2f}s, publish {seconds:.2f}s (in-process {details['seconds']:.2f}s), "
                  f"publisher peak RSS {peak / MB:.0f} MB")
        assert details["stored_bytes"] >= size - 100 * 1000, "the server did not receive every byte"
        best_copy, best_publish = min(copies), min(publishes)
        print(f"plain copy:   {best_copy:.2f}s ({size / MB / best_copy:.0f} MB/s)")
        print(f"publish:      {best_publish:.2f}s ({size / MB / best_publish:.0f} MB/s), "
              f"{details['uploaded']} files in 1 commit")
        print(f"ratio publish/copy: {best_publish / best_copy:.2f}x")
        print(f"publisher peak RSS: {max(peaks) / MB:.0f} MB for a {size / MB:.0f} MB release "
              f"({max(peaks) / size:.3f} of its size)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
