"""Benchmark license identification: releasekit's word diff against askalono alone.

    .venv/bin/python benchmarks/bench_license_identify.py

Baseline: one `askalono.identify` call per text (what identifying by askalono alone costs). Measured
in the same run: `texts.best_comparison` (the word diff against the five canonical texts) and
`identify.identify` with its cache cleared (what the license rules pay per distinct text).
Figures are printed as ratios to the baseline.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import askalono

from releasekit.licenses import identify, texts

TEXTS = Path(__file__).resolve().parent.parent / "tests" / "licenses"


def best_of(function: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    rows = []
    for name in ("MIT", "Apache-2.0", "BSD-3-Clause-Regents", "GPL-2.0-only"):
        text = (TEXTS / f"{name}.txt").read_text(encoding="utf-8")
        baseline = best_of(lambda: askalono.identify(text))
        diff = best_of(lambda: texts.best_comparison(text))

        def fresh() -> None:
            identify.identify.cache_clear()
            identify.identify(text)

        full = best_of(fresh)
        rows.append((name, baseline, diff, full))
    print(f"{'text':<22}{'askalono (baseline)':>21}{'word diff':>14}{'identify()':>14}")
    for name, baseline, diff, full in rows:
        print(f"{name:<22}{baseline * 1e3:>18.1f} ms{diff * 1e3:>9.1f} ms {baseline / diff:>4.0f}x"
              f"{full * 1e3:>9.1f} ms {baseline / full:>4.1f}x")
    print(f"median speed-up of identify() over askalono alone: "
          f"{statistics.median(b / f for _, b, _, f in rows):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
