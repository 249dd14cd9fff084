"""Fuzz `releasekit check` for hours, outside the test suite.

Mutates valid safetensors files and indexes (bit flips, byte runs, truncations, splices, header
length rewrites, JSON-level edits) and runs the whole engine on each mutant. A crash (an
exception, or an RK001 "check crashed" finding) or a case slower than --case-timeout seconds is a
bug: the mutant is saved under --crashes and the run goes on.

    python scripts/fuzz_check.py --minutes 120 --crashes fuzz-crashes/
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
from pathlib import Path

from releasekit.config import Settings
from releasekit.engine import audit
from releasekit.example import TINY_CONFIG
from releasekit.release import walk
from releasekit.safetensors_format import encode_header


class Hang(Exception):
    pass


def _alarm(signum, frame):  # type: ignore[no-untyped-def]
    raise Hang()


def seed_files(rng: random.Random) -> dict[str, bytes]:
    """A small valid checkpoint: two shards, an index, a config."""
    tensors_a = [("model.embed_tokens.weight", "BF16", [8, 4]), ("model.layers.0.w.weight", "F8_E4M3", [4, 4]),
                 ("model.layers.0.w.weight_scale_inv", "F32", [1, 1])]
    tensors_b = [("lm_head.weight", "BF16", [8, 4]), ("model.norm.weight", "BF16", [4])]
    files: dict[str, bytes] = {}
    weight_map = {}
    for name, tensors in (("model-00001-of-00002.safetensors", tensors_a), ("model-00002-of-00002.safetensors", tensors_b)):
        header, spans = encode_header(tensors, {"format": "pt"})
        files[name] = header + rng.randbytes(max(end for _, end in spans.values()))
        weight_map.update({t[0]: name for t in tensors})
    files["model.safetensors.index.json"] = json.dumps({"metadata": {"total_size": 170}, "weight_map": weight_map}).encode()
    config = dict(TINY_CONFIG, vocab_size=8, hidden_size=4, num_hidden_layers=1)
    files["config.json"] = json.dumps(config).encode()
    return files


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(7)
        if not buf:
            buf = bytearray(rng.randbytes(rng.randint(0, 64)))
        elif choice == 0:  # bit flip, biased to the header
            i = rng.randrange(min(len(buf), 8 + 512))
            buf[i] ^= 1 << rng.randrange(8)
        elif choice == 1:  # byte run
            i = rng.randrange(len(buf))
            buf[i:i + rng.randint(1, 16)] = bytes([rng.choice([0, 0xFF, ord('"'), ord("{"), ord("["), ord("9")])]) * rng.randint(1, 16)
        elif choice == 2:  # truncate
            del buf[rng.randrange(len(buf)):]
        elif choice == 3:  # rewrite the header length
            if len(buf) >= 8:
                buf[:8] = struct.pack("<Q", rng.choice([0, 1, len(buf), 2**62, 2**64 - 1, rng.randrange(2**32)]))
        elif choice == 4:  # splice a JSON fragment
            i = rng.randrange(len(buf))
            frag = rng.choice([b"NaN", b"-1", b"1e309", b'"__metadata__":{"a":[1]}', b"[" * 1000, b'\\u0000', b'""', b"true"])
            buf[i:i] = frag
        elif choice == 5:  # duplicate a region
            i = rng.randrange(len(buf))
            j = min(len(buf), i + rng.randint(1, 64))
            buf[j:j] = buf[i:j]
        else:  # random bytes appended
            buf += rng.randbytes(rng.randint(1, 32))
    return bytes(buf)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--case-timeout", type=float, default=10.0)
    parser.add_argument("--crashes", type=Path, default=Path("fuzz-crashes"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)
    deadline = time.monotonic() + args.minutes * 60
    cases = failures = 0
    with tempfile.TemporaryDirectory(prefix="rk-fuzz-") as tmp:
        while time.monotonic() < deadline:
            root = Path(tmp) / f"case{cases}"
            root.mkdir()
            files = seed_files(rng)
            for name in rng.sample(sorted(files), rng.randint(1, len(files))):
                files[name] = mutate(files[name], rng)
            for name, data in files.items():
                (root / name).write_bytes(data)
            signal.setitimer(signal.ITIMER_REAL, args.case_timeout)
            problem = None
            try:
                report = audit(walk(root), Settings())
                crashed = [f for f in report.findings if f.rule == "RK001"]
                if crashed:
                    problem = crashed[0].message
            except Hang:
                problem = f"took over {args.case_timeout} s"
            except Exception:  # noqa: BLE001 - the point of a fuzzer
                problem = traceback.format_exc()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            if problem:
                failures += 1
                target = args.crashes / f"seed{args.seed}-case{cases}"
                shutil.copytree(root, target)
                (target / "PROBLEM.txt").write_text(problem)
                print(f"case {cases}: {problem.splitlines()[-1]} -> {target}", flush=True)
            shutil.rmtree(root)
            cases += 1
    print(f"{cases} cases, {failures} failure(s), seed {args.seed}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
