"""The SPDX texts' word counts and bags, precomputed and shipped (`data/spdx_license_index-*.json`).

Picking the texts worth a word diff (`spdxlist.nearest`) needs every text's word count and, for
those whose size can come near, its bag of words. Computing them from the snapshot costs
~0.1 s a run (decompressing 670 texts, tokenising them all); reading them from this index costs
a few milliseconds, and the snapshot itself is then read only when a plain list text is compared.
`scripts/gen_spdx_index.py` builds the file from the snapshot (`build`); a test rebuilds it and fails when
the shipped one is stale, and another checks `nearest` against `nearest_exhaustive` on every text.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import json
from typing import Any

from releasekit import datafiles

INDEX_FILE = "spdx_license_index-3.28.0-2026-02-20.json"  # not gzipped: decompressing costs more than reading


@dataclasses.dataclass(frozen=True)
class Index:
    entries: tuple[tuple[str, str, bool, bool, int], ...]  # (id, name, marked, part, size), in list order
    sizes: tuple[int, ...]
    vocabulary: tuple[str, ...]  # every word of any text, sorted: a word's place is its number in the bags
    packed: tuple[tuple[str, str], ...]  # each text's bag: word numbers (as gaps) and counts, decoded on demand

    def word_id(self, word: str) -> int | None:
        """The word's number, or None when no text holds it (a binary search: no dict to build)."""
        at = bisect.bisect_left(self.vocabulary, word)
        return at if at < len(self.vocabulary) and self.vocabulary[at] == word else None

    def bag(self, position: int) -> dict[int, int]:
        """Word number -> count, for one text (decoded once per process)."""
        return _decode(self.packed[position])


@functools.cache
def _decode(packed: tuple[str, str]) -> dict[int, int]:
    gaps, counts = packed
    return dict(zip(itertools.accumulate(map(int, gaps.split())), map(int, counts.split())))


@functools.cache
def load() -> Index:
    raw = datafiles.read_bytes(INDEX_FILE)
    return from_data(json.loads(raw))


def from_data(data: dict[str, Any]) -> Index:
    rows = data["references"]
    entries = tuple((r[0], r[1], bool(r[2]), bool(r[3]), int(r[4])) for r in rows)
    return Index(
        entries=entries,
        sizes=tuple(e[4] for e in entries),
        vocabulary=tuple(data["vocabulary"]),
        packed=tuple((r[5], r[6]) for r in rows),
    )

