"""How long does `releasekit.pickles.scan_file` take on a ~2 GB PyTorch checkpoint, relative to reading it?

    .venv/bin/python benchmarks/bench_pickle.py [--gib 2] [--tensors 1024] [--legacy] [--repeat 5]

Writes a checkpoint of float32 tensors with `torch.save` into a fresh folder under /tmp, then
measures, in the same run and on the same (page-cached) file:

* baseline A: reading the file's bytes once, sequentially (what any content hash or upload costs);
* baseline B: `zipfile` listing the archive plus reading `data.pkl` (the least a zip-aware scanner does);
* releasekit: `scan_file` (central directory and every local header checked, data.pkl decoded and
  analysed, every storage record sized; tensor bytes never read).

Figures are medians of --repeat runs and are printed as ratios to the baselines. The file is deleted
at the end. With picklescan installed in the same environment (`pip install picklescan`; it is not
a releasekit dependency), the peer corpus of the test suite (malicious and benign samples) is also scanned by both tools and
the counts are printed side by side; `--corpus` prints only those.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the corpus generators live with the tests


def timed(function: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def make_checkpoint(folder: Path, gib: float, tensors: int, legacy: bool) -> Path:
    import torch

    per_tensor = max(1, int(gib * (1 << 30) / 4 / tensors))  # float32 elements per tensor
    state = {f"model.layers.{i // 8}.mlp.experts.{i % 8}.weight": torch.empty(per_tensor, dtype=torch.float32)
             for i in range(tensors)}
    path = folder / ("legacy.pt" if legacy else "model.pt")
    torch.save(state, path, _use_new_zipfile_serialization=not legacy)
    return path


def read_once(path: Path) -> None:
    with open(path, "rb") as handle:
        while handle.read(16 << 20):
            pass


def zip_listing_and_data_pkl(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        archive.read(next(n for n in names if n.endswith("/data.pkl")))


def compare_with_picklescan(folder: Path) -> None:
    """Malicious caught / total and benign false alarms / total, for releasekit and picklescan,
    on the peer corpus of the test suite (tests/pickle_corpus/peers.py), in the same run."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from pickle_corpus.peers import benign_samples, malicious_samples
    from releasekit.checks.pickle import scan_file
    from releasekit.findings import Severity

    try:
        from picklescan.scanner import scan_file_path
    except ImportError:
        scan_file_path = None

    def ours(path: Path) -> bool:
        return any(f.severity is Severity.ERROR for f in scan_file(path, display_path=path.name))

    def theirs(path: Path) -> bool | None:
        if scan_file_path is None:
            return None
        try:
            result = scan_file_path(str(path))
        except Exception:  # noqa: BLE001 - a crash of the other tool counts as "not flagged"
            return False
        return result.issues_count > 0 or result.infected_files > 0

    for kind, samples in (("malicious", malicious_samples(folder / "malicious")),
                          ("benign", benign_samples(folder / "benign"))):
        our_flags = [sample_id for sample_id, path in samples if ours(path)]
        their_flags = [sample_id for sample_id, path in samples if theirs(path)]
        what = "caught" if kind == "malicious" else "false alarms"
        print(f"{kind} samples: {len(samples)}")
        print(f"  releasekit {what}: {len(our_flags)}/{len(samples)}")
        if scan_file_path is None:
            print("  picklescan is not installed: pip install picklescan to measure it beside")
        else:
            print(f"  picklescan {what}: {len(their_flags)}/{len(samples)}")
            if kind == "malicious":
                print("  not flagged by picklescan: " + ", ".join(i for i, _ in samples if i not in their_flags))
            else:
                print("  picklescan false alarms: " + ", ".join(their_flags))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gib", type=float, default=2.0)
    parser.add_argument("--tensors", type=int, default=1024, help="tensors in the checkpoint (default 1024)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--legacy", action="store_true", help="also time a legacy-format checkpoint")
    parser.add_argument("--corpus", action="store_true", help="only the peer-corpus figures (no checkpoint)")
    args = parser.parse_args()
    if args.corpus:
        folder = Path(tempfile.mkdtemp(prefix="releasekit-corpus-", dir="/tmp"))
        try:
            compare_with_picklescan(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return

    from releasekit.checks.pickle import scan_file

    folder = Path(tempfile.mkdtemp(prefix="releasekit-bench-", dir="/tmp"))
    try:
        formats = [False, True] if args.legacy else [False]
        for legacy in formats:
            started = time.perf_counter()
            path = make_checkpoint(folder, args.gib, args.tensors, legacy)
            size = path.stat().st_size
            print(f"{'legacy' if legacy else 'zip'} checkpoint: {size / (1 << 30):.2f} GiB, {args.tensors} tensors, written in "
                  f"{time.perf_counter() - started:.1f} s")
            findings = scan_file(path, display_path=path.name)
            assert [f.rule for f in findings] == ["RK205"], findings
            read = timed(lambda: read_once(path), args.repeat)
            scan = timed(lambda: scan_file(path, display_path=path.name), args.repeat)
            print(f"  baseline A, read the file once: {read * 1000:9.1f} ms ({size / read / (1 << 30):.1f} GiB/s)")
            if not legacy:
                listing = timed(lambda: zip_listing_and_data_pkl(path), args.repeat)
                print(f"  baseline B, zipfile list + data.pkl: {listing * 1000:5.1f} ms")
            print(f"  releasekit scan_file:           {scan * 1000:9.1f} ms")
            print(f"  ratio scan / read once:         {scan / read:9.4f}")
            if not legacy:
                print(f"  ratio scan / zipfile + data.pkl:{scan / listing:9.2f}")
            path.unlink()
        compare_with_picklescan(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
