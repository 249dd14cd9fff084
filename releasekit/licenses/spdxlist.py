"""The SPDX license list's texts (a dated snapshot in `data/`), and which of them a text is near.

Identification compares a text word by word (`texts.compare`) with its nearest references, so
that a text closest to a *different* license of the list (BSD-3-Clause-Clear, MIT-0, X11) is that
license, not a modified BSD-3-Clause or MIT. Comparing with all ~670 texts word by word would
cost seconds; a bag-of-words score (an upper bound of the word-diff ratio) picks the few worth it.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import gzip
import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from releasekit import datafiles
from releasekit.licenses import spdxindex, texts

K = TypeVar("K")
SPDX_TEXTS_FILE = "spdx_license_texts-3.28.0-2026-02-20.json.gz"


@dataclasses.dataclass(frozen=True)
class Reference:
    license_id: str
    name: str
    marked: bool  # one of `texts.CANONICAL_IDS`: its marked-up canonical text stands for it
    part: bool  # the first part of the list's text only (`_PARTS`)
    size: int  # its word count: the size bound of `nearest` needs only this
    position: int  # its place in `references()`, and in the shipped index

    @functools.cached_property
    def text(self) -> str | None:
        """The list's text (None: the marked-up canonical text); the snapshot loads on first use."""
        if self.marked:
            return None
        whole = text_of(self.license_id)
        return whole.split(_PARTS[self.license_id])[0] if self.part else whole

    @functools.cached_property
    def body(self) -> str:
        """The text the prefilter reads (`text`, or the canonical text's body)."""
        return self.text if self.text is not None else _canonical_body(self.license_id)

    @functools.cached_property
    def bag(self) -> collections.Counter[str]:
        """Its words (approximately: the prefilter's view), with counts, tokenised from its body:
        what the shipped index (`spdxindex`) holds, computed the slow way."""
        bag: collections.Counter[str] = collections.Counter()
        for word, n in collections.Counter(_words(self.body)).items():
            bag[texts.EQUIVALENT.get(word, word)] += n
        return bag

    @functools.cached_property
    def own_size(self) -> int:
        """Its word count, from its body (`size` is the index's copy)."""
        return len(_words(self.body))

    @property
    def canonical(self) -> texts.Canonical:
        """The text parsed for the word diff (only the few nearest texts are ever parsed)."""
        return _parsed(self.license_id, self.text)


@functools.cache
def snapshot() -> dict[str, Any]:
    """The snapshot: `licenses` {id: {name, text}}, `same_text_as` {id: id}, and provenance."""
    raw = datafiles.read_bytes(SPDX_TEXTS_FILE)
    return json.loads(gzip.decompress(raw))  # type: ignore[no-any-return]


def license_ids() -> list[str]:
    return list(snapshot()["licenses"])


def text_of(license_id: str) -> str:
    return str(snapshot()["licenses"][license_id]["text"])


def name_of(license_id: str) -> str | None:
    entry = snapshot()["licenses"].get(license_id)
    return str(entry["name"]) if entry else None


# The list's LGPL-3.0 text is the LGPL followed by the whole GPL-3.0 it builds on; projects often
# ship the LGPL part alone (the GPL in a COPYING beside it), and that part alone is LGPL-3.0 too.
_PARTS = {"LGPL-3.0-only": "GNU GENERAL PUBLIC LICENSE"}


_PLACEHOLDER = re.compile(r"<<var>>|<<optional>>|<</optional>>|<[^<>\n]{1,60}>")


# `texts.WORD` is ASCII letters and digits: in UTF-8 every other character is bytes >= 0x80 or
# ASCII punctuation, so mapping those bytes to spaces and splitting gives exactly its matches.
_NON_WORD = bytes(b if chr(b).isascii() and chr(b).isalnum() else 0x20 for b in range(256))


def _word_bytes(text: str) -> bytes:
    lowered = _PLACEHOLDER.sub(" ", text).lower().encode("utf-8", "surrogatepass")
    return lowered.translate(_NON_WORD)


def _words(text: str) -> list[str]:
    """The words of a text, cheaply (`texts.WORD.findall` of the lowered text without placeholders,
    at a fifth of its cost): tokenising all ~670 texts exactly would cost seconds."""
    return _word_bytes(text).decode("ascii").split()


def _canonical_body(license_id: str) -> str:
    raw = datafiles.read_text(f"spdx_text-{license_id}.txt")
    return raw.partition("\n---\n")[2]


@functools.lru_cache(maxsize=64)
def _parsed(license_id: str, text: str | None) -> texts.Canonical:
    if text is None:
        return texts.canonical(license_id)
    return texts.parse_plain(license_id, text, snapshot()["source"])


def list_entries() -> list[tuple[str, str, bool, bool]]:
    """(license id, name, marked, part) of every reference, in order, from the snapshot: what the
    shipped index is built from (`scripts/gen_spdx_index.py`)."""
    result = []
    for license_id, entry in snapshot()["licenses"].items():
        if license_id in texts.CANONICAL_IDS:
            result.append((license_id, entry["name"], True, False))
            continue
        result.append((license_id, entry["name"], False, False))
        if license_id in _PARTS:
            result.append((license_id, entry["name"], False, True))
    return result


@functools.cache
def references() -> tuple[Reference, ...]:
    """Every text of the list (the licenses we ship a marked-up text for, `texts.CANONICAL_IDS`,
    holders and optional parts marked, use that text instead), from the shipped index: no text
    is read until one is compared."""
    return tuple(_reference_at(position) for position in range(len(spdxindex.load().entries)))


@functools.cache
def _reference_at(position: int) -> Reference:
    """One reference (`nearest` builds only those it returns)."""
    license_id, name, marked, part, size = spdxindex.load().entries[position]
    return Reference(license_id, name, marked, part, size, position)


def nearest(words: list[texts.Token], count: int = 4, floor: float = texts.CLOSE_RATIO) -> list[Reference]:
    """The `count` references whose words best overlap `words` (score at least `floor`), best first.

    The score, 2·|common words| / (|a| + |b|) over word counts, bounds the word-diff ratio from
    above, so a reference it leaves out could not have been close. The bags come from the shipped
    index; `nearest_exhaustive` is the same from the texts themselves (the tests compare them).
    """
    bag = collections.Counter(t.word for t in words)
    size = sum(bag.values())
    if not size:
        return []
    index = spdxindex.load()
    ids = {word_id: n for word_id, n in ((index.word_id(w), n) for w, n in bag.items()) if word_id is not None}
    # Each text's size bounds its score; texts are scored from the highest bound down, and the
    # rest are left once their bound is below the `count`-th best score found (they cannot reach it).
    bounds = sorted(
        ((2 * min(size, ref_size) / (size + ref_size), position) for position, ref_size in enumerate(index.sizes)),
        key=lambda item: -item[0],
    )
    scored: list[tuple[float, int]] = []
    best: list[float] = []  # the `count` best scores so far, highest first
    for bound, position in bounds:
        if bound < floor or (len(best) >= count and bound < best[count - 1]):
            break
        score = 2 * _common(ids, index.bag(position)) / (size + index.sizes[position])
        if score >= floor:
            scored.append((score, position))
            best = sorted([*best, score], reverse=True)[:count]
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [_reference_at(position) for _, position in scored[:count]]


def _common(a: Mapping[K, int], b: Mapping[K, int]) -> int:
    """How many words two bags share, counts included: the sum over shared words of the smaller
    count (the intersection of keys, then `min` pairwise, both in C)."""
    shared = a.keys() & b.keys()
    return sum(map(min, map(a.__getitem__, shared), map(b.__getitem__, shared)))


def nearest_exhaustive(words: list[texts.Token], count: int = 4, floor: float = texts.CLOSE_RATIO) -> list[Reference]:
    """`nearest` from every text's own words (tokenised here, not read from the index)."""
    bag = collections.Counter(t.word for t in words)
    size = sum(bag.values())
    if not size:
        return []
    scored: list[tuple[float, Reference]] = []
    for ref in references():
        ref_size = ref.own_size
        if 2 * min(size, ref_size) / (size + ref_size) < floor:
            continue
        common = _common(bag, ref.bag)
        score = 2 * common / (size + ref_size)
        if score >= floor:
            scored.append((score, ref))
    scored.sort(key=lambda item: -item[0])
    return [ref for _, ref in scored[:count]]
