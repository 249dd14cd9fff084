"""Benchmark license identification: releasekit's word diff against askalono alone.

    .venv/bin/python benchmarks/bench_license_identify.py             # speed
    .venv/bin/python benchmarks/bench_license_identify.py --accuracy  # identified / total

Accuracy: every text of the SPDX list snapshot (placeholders filled with a holder and a year),
as shipped, reflowed, wrapped in Markdown and without its title line, must be identified as
itself; the sibling cases of issue 12 are also run through askalono alone (the baseline, same
run). Prints Markdown tables (docs/licenses-cards-openness.md).

Baseline: one `askalono.identify` call per text (what identifying by askalono alone costs). Measured
in the same run: `texts.best_comparison` (the word diff against the five canonical texts) and
`identify.identify` with its cache cleared (what the license rules pay per distinct text).
Figures are printed as ratios to the baseline.
"""

from __future__ import annotations

import re
import statistics
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import askalono

from releasekit.licenses import identify, spdxlist, texts

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
        print(
            f"{name:<22}{baseline * 1e3:>18.1f} ms{diff * 1e3:>9.1f} ms {baseline / diff:>4.0f}x"
            f"{full * 1e3:>9.1f} ms {baseline / full:>4.1f}x"
        )
    print(f"median speed-up of identify() over askalono alone: {statistics.median(b / f for _, b, _, f in rows):.1f}x")
    return 0


SIBLINGS = (
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "ECL-2.0",
    "NCSA",
    "PostgreSQL",
    "LGPL-3.0-only",
    "MIT-0",
    "X11",
    "0BSD",
    "Apache-2.0",
    "MIT",
    "BSD-3-Clause",
    "BSD-2-Clause",
    "ISC",
)


def filled(license_id: str) -> str:
    text = spdxlist.text_of(license_id)
    if license_id == "LGPL-3.0-only":  # as projects ship it: the LGPL alone, the GPL in COPYING
        text = text.split("GNU GENERAL PUBLIC LICENSE")[0]
    text = re.sub(r"<(year|yyyy)>|\[(year|yyyy)\]", "2025", text, flags=re.I)
    return re.sub(r"<[^<>\n]{1,60}>|\[[^\[\]\n]{1,40}\](?!\()", "Example Labs Inc.", text)


def reflowed(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), 60)


def markdown(text: str) -> str:
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if i == 0 and line.strip():
            out.append("# " + line.strip())
        elif re.match(r"^\s*\d{1,2}\.\s+\S", line):
            out.append("## " + line.strip())
        elif line.strip().isupper() and len(line.split()) > 3:
            out.append("**" + line.strip() + "**")
        else:
            out.append(re.sub(r"(https?://[^\s)>\]]+)", r"[\1](\1)", line))
    return "\n".join(out)


def untitled(text: str) -> str:
    first, _, rest = text.lstrip().partition("\n")
    return rest if len(first.split()) <= 12 else text


VARIANTS = {"as listed": lambda t: t, "reflowed": reflowed, "Markdown": markdown, "title line removed": untitled}


def accuracy() -> int:
    same = spdxlist.snapshot()["same_text_as"]
    ids = spdxlist.license_ids()

    def right(license_id: str, got: str | None) -> bool:
        return got == license_id or same.get(got or "") == license_id

    print("| variant | identified as itself | modified | other license | not identified |")
    print("| --- | --- | --- | --- | --- |")
    misses: dict[str, list[str]] = {}
    for variant, transform in VARIANTS.items():
        counts = {"ok": 0, "modified": 0, "other": 0, "none": 0}
        for license_id in ids:
            identify.identify.cache_clear()
            result = identify.identify(transform(filled(license_id)))
            if right(license_id, result.license_id):
                counts["ok"] += 1
                continue
            kind = "modified" if result.modified else ("other" if result.license_id else "none")
            counts[kind] += 1
            misses.setdefault(variant, []).append(f"{license_id} -> {result.license_id or result.closest} ({kind})")
        n = len(ids)
        print(f"| {variant} | {counts['ok']} / {n} | {counts['modified']} | {counts['other']} | {counts['none']} |")
    for variant, items in misses.items():
        print(f"\n{variant}: " + "; ".join(items))
    print("\n| license | releasekit | askalono alone (baseline) |\n| --- | --- | --- |")
    for license_id in SIBLINGS:
        text = filled(license_id)
        ours = identify.identify(text)
        theirs = askalono.identify(text)
        described = ours.license_id or (f"modified {ours.closest}" if ours.modified else "not identified")
        print(f"| {license_id} | {described} | {theirs.name} ({theirs.score:.3f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(accuracy() if "--accuracy" in sys.argv else main())
