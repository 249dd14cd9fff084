"""One pass over a large text for every gate's literal, instead of one search per gate.

A weight index (8 MB of tensor names) is scanned for ~30 gates; searching each literal costs a
pass over the text (~4 ms each). An Aho-Corasick automaton (`ahocorasick_rs`, the Rust
`aho-corasick` crate) finds every literal in one pass. It runs over the lower-cased UTF-8 bytes
with lower-cased literals, so a single pass serves both case-sensitive and case-insensitive
gates, and it only ever says "absent" soundly:

- every match of a gate starts with one of `gate_prefixes(gate)` (the literal strings its leading
  literals, character classes and groups of literals spell; a hypothesis test checks it), so a
  gate none of whose prefixes occurs cannot match;
- the prefixes are ASCII and `str.lower` maps characters one by one (only a capital sigma looks
  at its neighbours), so a prefix in the text, or in its lower case, leaves its lower case in the
  lower-cased text; and UTF-8 never puts an ASCII byte inside another character.

A prefix that occurs only says "maybe": the gate is then searched exactly, as before.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

_QUANTIFIERS = frozenset("?*{")
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_META = frozenset("\\.^$*+?{}[]()|")
MAX_PREFIXES = 64  # a gate that would spell more literals keeps the shorter prefix before the branch


@functools.cache
def gate_prefixes(gate: str) -> frozenset[str] | None:
    """Literal strings one of which starts every match of `gate`; None when it has no usable
    leading literal (a top-level alternative, a leading class or quantifier): always searched."""
    prefixes = [""]
    i = 0
    while i < len(gate):
        atom, end = _atom(gate, i)
        if atom is None or len(prefixes) * len(atom) > MAX_PREFIXES:
            break
        quantifier = gate[end] if end < len(gate) else ""
        if quantifier in _QUANTIFIERS:
            break  # the atom may be absent
        prefixes = [p + a for p in prefixes for a in atom]
        i = end
        if quantifier == "+":
            break  # one copy is certain, what follows the repeat is not at a fixed place
        if quantifier == "|":
            return None  # a top-level alternative: matches need not start with this literal
    if "|" in _top_level(gate):
        return None
    usable = [p for p in prefixes if p]
    if len(usable) != len(prefixes) or not all(p.isascii() for p in usable):
        return None
    return frozenset(usable)


def _top_level(gate: str) -> str:
    """The characters of `gate` outside groups and classes, escapes dropped."""
    depth, out, i, in_class = 0, [], 0, False
    while i < len(gate):
        char = gate[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0:
            out.append(char)
        i += 1
    return "".join(out)


def _atom(gate: str, i: int) -> tuple[list[str] | None, int]:
    """The strings the atom at `i` may spell, and where it ends; None for an atom we do not expand."""
    char = gate[i]
    if char == "\\":
        if i + 1 < len(gate) and not gate[i + 1].isalnum():
            return [gate[i + 1]], i + 2
        return None, i
    if char == "[":
        end = gate.find("]", i + 1)
        body = gate[i + 1 : end] if end > i + 1 else ""
        if not body or any(c in body for c in "^-\\[") or not body.isascii():
            return None, i
        return sorted(set(body)), end + 1
    if gate.startswith("(?:", i):
        end = gate.find(")", i)
        body = gate[i + 3 : end] if end > i else ""
        options = body.split("|")
        if end < 0 or any(not o or any(c in _META for c in o) for o in options):
            return None, i
        return options, end + 1
    if char in _META:
        return None, i
    return [char], i + 1


class Prefilter:
    """The automaton for a fixed set of prefixes (built once per process)."""

    CHUNK = 64 * 1024  # bytes searched per call: a literal found is dropped before the next, so a
    # text that repeats one (a megabyte of `sk`) never builds a list of millions of matches

    def __init__(self, prefixes: Iterable[str]) -> None:
        self.known = frozenset(prefixes)
        self.literals = tuple(sorted({p.lower() for p in self.known}))
        self._overlap = max(map(len, self.literals), default=1) - 1

    def present(self, text: str) -> frozenset[str]:
        """The (lower-cased) prefixes that occur in the lower-cased text.

        A large text is lower-cased and encoded a chunk at a time: the same bytes as the whole
        text's, without two more copies of an 8 MB index (fresh memory is slow to touch).
        Chunks overlap by the longest literal but one character; a lower-cased character is at
        least one character, so a literal found in the whole text lies within one chunk."""
        ascii_only = text.isascii()
        literals = self.literals
        automaton = _automaton(literals)
        if len(text) <= self.CHUNK:  # a message or a small file: one call
            data = _lowered(text, ascii_only)
            return frozenset(literals[i] for i, _, _ in automaton.find_matches_as_indexes(data, overlapping=True))
        found: set[str] = set()
        missing = list(literals)
        for start in range(0, len(text), self.CHUNK):
            if not missing:
                break
            chunk = _lowered(text[start : start + self.CHUNK + self._overlap], ascii_only)
            hits = {missing[i] for i, _, _ in automaton.find_matches_as_indexes(chunk, overlapping=True)}
            if hits:
                found |= hits
                missing = [literal for literal in missing if literal not in hits]
                automaton = _automaton(tuple(missing)) if missing else None
        return frozenset(found)


def _lowered(text: str, ascii_only: bool) -> bytes:
    """The lower-cased UTF-8 bytes of `text` (ASCII: a translate table, twice bytes.lower's speed)."""
    if ascii_only:
        return text.encode("ascii").translate(_ASCII_LOWER)
    return text.lower().encode("utf-8", "surrogatepass")


@functools.lru_cache(maxsize=64)
def _automaton(literals: tuple[str, ...]):  # type: ignore[no-untyped-def]
    import ahocorasick_rs  # a compiled extension: loaded when a large text is first scanned

    return ahocorasick_rs.BytesAhoCorasick(
        [literal.encode("ascii") for literal in literals], implementation=ahocorasick_rs.Implementation.DFA
    )
