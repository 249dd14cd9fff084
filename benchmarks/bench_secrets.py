"""Throughput of the secrets scan (and the local-path scan) against a bare read of the same bytes.

Builds a tree of text files that look like a model release's code, configs and logs (with the
keywords that make the scanner run its expressions: `hf_`, `://`, `secret`, `AKIA`-free hashes,
base64, `Authorization`, `curl`, `token`), then times, best of N runs on a warm page cache:

  read     open and read every file (the floor any scanner pays)
  secrets  `releasekit check --select secrets` (walk, read, decode, all patterns)
  paths    `releasekit check --select RK603` (the local-path rule)

Run: .venv/bin/python benchmarks/bench_secrets.py [--mib 128] [--files 64] [--repeat 3]

`--baseline COMMIT` also times `find_secrets` of that commit's `releasekit/secrets` (extracted
with `git archive` into a temporary package) against the current one on the same text, in the
same run, so a change to the pattern table is judged by a ratio, not by absolute times.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib
import io
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

from releasekit.engine import check_path

LINES = [
    "from huggingface_hub import hf_hub_download, snapshot_download",
    "path = hf_hub_download(repo_id='deepseek-ai/DeepSeek-V3', filename='config.json')",
    "    url = 'https://huggingface.co/deepseek-ai/DeepSeek-V3/resolve/main/model.safetensors'",
    "    x = torch.randn(batch, seq, hidden, dtype=torch.bfloat16, device=device)",
    "    secret_sauce = self.mla(x, kv_cache, positions)  # the secret is in the routing",
    "logger.info('step %d loss %.4f lr %.2e', step, loss.item(), scheduler.get_last_lr()[0])",
    '{"sha256": "%s", "size": %d, "id": "%s"}',
    "    # see http://arxiv.org/abs/2412.19437 for the architecture",
    "blob = '%s'",
    'headers = {"Authorization": f"Bearer {api_token}"}  # read from the environment',
    "tokenizer = AutoTokenizer.from_pretrained(path, use_fast=True)  # bos token id 0",
    '!curl -sSL -H "Accept: application/json" https://huggingface.co/api/models/deepseek-ai/DeepSeek-V3',
]


def make_line(rng: random.Random) -> str:
    template = rng.choice(LINES)
    if template.startswith('{"sha256"'):
        return template % (hashlib.sha256(rng.randbytes(8)).hexdigest(), rng.randint(1, 10**9), uuid.UUID(int=rng.getrandbits(128)))
    if template.startswith("blob"):
        return template % base64.b64encode(rng.randbytes(60)).decode()
    return template


def build_tree(root: Path, total_mib: int, files: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    per_file = total_mib * 1024 * 1024 // files
    written = 0
    for i in range(files):
        lines: list[str] = []
        size = 0
        while size < per_file:
            line = make_line(rng)
            lines.append(line)
            size += len(line) + 1
        data = ("\n".join(lines) + "\n").encode()
        suffix = (".py", ".json", ".txt", ".yaml")[i % 4]
        (root / f"part{i:04d}{suffix}").write_bytes(data)
        written += len(data)
    return written


def bare_read(root: Path) -> int:
    total = 0
    for path in sorted(root.iterdir()):
        with open(path, "rb") as handle:
            total += len(handle.read())
    return total


def best_of(repeat: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline_scanner(commit: str, into: Path):  # type: ignore[no-untyped-def]
    """`find_secrets` of `commit`, imported as a renamed copy of its `releasekit/secrets` package."""
    repo = Path(__file__).resolve().parents[1]
    data = subprocess.run(["git", "-C", str(repo), "archive", commit, "releasekit/secrets"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    package = into / "baseline_secrets"
    (into / "releasekit" / "secrets").rename(package)
    for source in package.glob("*.py"):
        source.write_text(re.sub(r"\breleasekit\.secrets\b", "baseline_secrets", source.read_text()))
    sys.path.insert(0, str(into))
    return importlib.import_module("baseline_secrets.scanner").find_secrets


def compare(commit: str, repeat: int) -> None:
    from releasekit.secrets.scanner import find_secrets

    rng = random.Random(0)
    text = "\n".join(make_line(rng) for _ in range(200_000))
    mib = len(text) / 2**20
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        old = baseline_scanner(commit, Path(tmp))
        old_s = best_of(repeat, lambda: old(text))
        new_s = best_of(repeat, lambda: find_secrets(text))
    print(f"find_secrets on {mib:.1f} MiB of the same text; best of {repeat}")
    print(f"  {commit[:12]:12}  {mib / old_s:8.1f} MiB/s  1.00x")
    print(f"  this tree     {mib / new_s:8.1f} MiB/s  {new_s / old_s:5.2f}x the time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mib", type=int, default=128, help="total size of the text tree")
    parser.add_argument("--files", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", metavar="COMMIT", help="also compare find_secrets with this commit's")
    args = parser.parse_args()
    if args.baseline:
        compare(args.baseline, max(args.repeat, 5))
    with tempfile.TemporaryDirectory(prefix="bench-secrets-") as tmp:
        root = Path(tmp) / "release"
        root.mkdir()
        total = build_tree(root, args.mib, args.files)
        bare_read(root)  # warm the page cache
        read_s = best_of(args.repeat, lambda: bare_read(root))
        report = check_path(root, select="secrets")
        assert not report.findings, [f.message for f in report.findings]  # the corpus holds no secret
        secrets_s = best_of(args.repeat, lambda: check_path(root, select="secrets"))
        paths_s = best_of(args.repeat, lambda: check_path(root, select="RK603"))
    mib = total / 2**20
    print(f"text tree: {args.files} files, {mib:.0f} MiB; best of {args.repeat}")
    print(f"  bare read      {read_s:7.3f} s  {mib / read_s:8.0f} MiB/s  1.00x")
    print(f"  secrets scan   {secrets_s:7.3f} s  {mib / secrets_s:8.0f} MiB/s  {secrets_s / read_s:5.1f}x the read")
    print(f"  local paths    {paths_s:7.3f} s  {mib / paths_s:8.0f} MiB/s  {paths_s / read_s:5.1f}x the read")


if __name__ == "__main__":
    main()
