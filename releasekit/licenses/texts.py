"""Word-level comparison of a license text against a canonical text.

askalono (see `identify.py`) says which license a text is closest to and how close, but not what
differs, and a high score does not mean "the same terms": MIT plus one "no commercial use"
sentence still scores 0.97. So for the licenses model releases use most we keep the canonical
text (package data, with its SPDX source) and diff words: the normalisation follows the spirit of
the SPDX matching guidelines (case, punctuation, list markers, copyright lines and "licence"
spellings do not matter) and the canonical texts mark what may vary (`<<var>>`: a holder's name)
or be left out (`<<optional>>`: a title, Apache's appendix).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re

from releasekit import datafiles

VAR = "\x00var"
WORD = _TOKEN = re.compile(r"[A-Za-z0-9]+")
_MARKER = re.compile(r"<<var>>|<<optional>>|<</optional>>")
# Lines that only carry a copyright notice: SPDX matching ignores them.
# ("COPYRIGHT HOLDERS BE LIABLE" wrapped onto a new line is license text, not a notice.)
_COPYRIGHT_LINE = re.compile(
    r"^\s*(?:(?i:copyright)\b(?![ \t]*[,;])(?![ \t]*$)"
    r"(?![ \t]+(?i:holders?|notices?|owners?|and|or|law|laws|licen[sc]es?|statements?|protection|interest|rights?"
    r"|remains)\b)"
    r"[ \t]*(?:\((?i:c)\)|©|:)?[ \t]*(?:\d|[A-Z<\[\"'“]|(?i:the|by|of)\b)"
    r"|\((?i:c)\)[ \t]*(?:\d|(?i:copyright)\b)|©|(?i:all rights reserved))"
)
# A list marker at the start of a line: "1.", "(a)", "*", "-", "ii)".
_LIST_MARKER = re.compile(r"^(\s*)(\(?(?:[0-9]{1,2}|[a-z]|[ivx]{1,4})[.)]|[*•\-])(?=\s)", re.I | re.M)
EQUIVALENT = _EQUIVALENT = {"licence": "license", "licences": "licenses", "licenced": "licensed", "https": "http"}
# How many words a <<var>> may stand for (a holder's name, "the copyright holder", a year).
MAX_VAR_WORDS = 16
CLOSE_RATIO = 0.75
CANONICAL_IDS = ("MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC")
# Words of a license's title ("The MIT License (MIT)", "BSD 3-Clause New License"): adding them
# anywhere changes no terms.
TITLE_WORDS = frozenset(
    "the mit license licenses expat x11 bsd clause new simplified revised modified isc apache version "
    "2 3 0 1 open source software".split()
)
# Text before or after the license proper (a project name, contributor lists) is tolerated unless
# it uses words that grant, restrict or condition something.
LEGAL_WORDS = frozenset(
    "not no only prohibited prohibit restrict restricted restriction restrictions commercial noncommercial "
    "except exception without must shall may terminate terminated revoke revocable permission permitted "
    "permit use used using license licensed grant granted rights right liable warranty condition "
    "conditions provided terms agreement agree research military".split()
)
# Words that make an added sentence take rights away ("may not be used commercially").
RESTRICTIVE_WORDS = frozenset(
    "not no only prohibited prohibit prohibits restrict restricted restriction restrictions commercial "
    "commercially noncommercial research military terminate terminates terminated revoke revocable "
    "except exclusively solely".split()
)


@dataclasses.dataclass(frozen=True)
class Token:
    word: str
    start: int  # offsets into the original text, to quote it as written
    end: int
    optional: bool = False


@dataclasses.dataclass(frozen=True)
class Difference:
    """One run of words that the text adds, removes or changes against the canonical text."""

    kind: str  # "adds", "removes", "changes"
    removed: str
    added: str
    at: int = -1  # offset in the compared text where the added words start (-1: nothing added)

    def describe(self, limit: int = 14) -> str:
        def cut(text: str) -> str:
            words = text.split()
            return " ".join(words[:limit]) + (" …" if len(words) > limit else "")

        if self.kind == "adds":
            return f'adds "{cut(self.added)}"'
        if self.kind == "removes":
            return f'removes "{cut(self.removed)}"'
        return f'changes "{cut(self.removed)}" to "{cut(self.added)}"'


@dataclasses.dataclass(frozen=True)
class Comparison:
    license_id: str
    ratio: float  # difflib ratio over the words, 1.0 for identical texts
    differences: tuple[Difference, ...]

    @property
    def exact(self) -> bool:
        return not self.differences

    @property
    def close(self) -> bool:
        return self.ratio >= CLOSE_RATIO

    def restrictive(self, before: int | None = None) -> tuple[Difference, ...]:
        """The differences that add words taking rights away (added before offset `before`, when
        given: text after a license's "END OF TERMS AND CONDITIONS" is an appendix)."""
        return tuple(
            d
            for d in self.differences
            if RESTRICTIVE_WORDS & set(_TOKEN.findall(d.added.lower())) and (before is None or d.at < before)
        )


def _strip_list_markers(text: str) -> str:
    return _LIST_MARKER.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)


# Markdown that a LICENSE.md wraps the same words in: headings, emphasis, quotes, links.
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\n]*)\)")
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_MD_LINE_MARK = re.compile(r"^([ \t]{0,3})(#{1,6}|>+)(?=[ \t])", re.M)
_MD_EMPHASIS = re.compile(r"\*\*|__|~~")


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def neutralize_markdown(text: str) -> str:
    """The text with Markdown markup replaced by spaces of the same length (offsets are kept, so
    differences can still be quoted from the text as written); link targets are dropped, link
    texts kept."""
    text = _MD_LINK.sub(lambda m: " " + m.group(1) + " " * (len(m.group(2)) + 3), text)
    text = _MD_AUTOLINK.sub(lambda m: " " + m.group(1) + " ", text)
    text = _MD_LINE_MARK.sub(lambda m: m.group(1) + " " * len(m.group(2)), text)
    return _MD_EMPHASIS.sub(_blank, text)


def tokenize(text: str) -> list[Token]:
    """Words of a license text as it was written, lower-cased, copyright lines and Markdown
    markup left out."""
    cleaned = _strip_list_markers(_blank_copyright_lines(neutralize_markdown(text)))
    words = ((m.group(0).lower(), m) for m in _TOKEN.finditer(cleaned))
    return [Token(_EQUIVALENT.get(w, w), m.start(), m.end()) for w, m in words]


# The end of a notice's sentence: ". " before a capital (the license text going on, on the same line).
_SENTENCE_END = re.compile(r"\.(?=[ \t]+[A-Z\"“(])")
# A notice inside a line ("MIT License Copyright (c) 2025 Example Inc. Permission is ..."), as
# reflowed texts have them: "Copyright", an optional (c), a year.
_INLINE_NOTICE = re.compile(
    r"\b(?i:copyright)[ \t]*(?:\((?i:c)\)|©)?[ \t]*(?:\d{4}|YEAR\b)[^\n]*?(?:\.(?=[ \t]+[A-Z\"“(])|$)", re.M
)


def _blank_copyright_lines(text: str) -> str:
    """Copyright notices blanked (offsets kept): a line that starts with one, up to the end of its
    sentence, and a dated notice inside a line."""
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if _COPYRIGHT_LINE.match(line):
            end = _SENTENCE_END.search(body)
            cut = end.end() if end else len(body)
            line = " " * cut + line[cut:]
        out.append(line)
    return _INLINE_NOTICE.sub(lambda m: " " * len(m.group(0)), "".join(out))


@dataclasses.dataclass(frozen=True)
class Canonical:
    license_id: str
    tokens: tuple[Token, ...]  # VAR tokens stand for <<var>>
    source: str


def parse_canonical(license_id: str, raw: str) -> Canonical:
    """Read a canonical text file: `# ` header lines, `---`, then the text with its markers."""
    header, _, body = raw.partition("\n---\n")
    source = next(
        (line[len("# Source:") :].strip() for line in header.splitlines() if line.startswith("# Source:")), ""
    )
    tokens: list[Token] = []
    optional = False
    position = 0
    for match in _MARKER.finditer(body):
        tokens.extend(dataclasses.replace(t, optional=optional) for t in tokenize(body[position : match.start()]))
        marker = match.group(0)
        if marker == "<<var>>":
            tokens.append(Token(VAR, 0, 0, optional))
        else:
            optional = marker == "<<optional>>"
        position = match.end()
    tokens.extend(dataclasses.replace(t, optional=optional) for t in tokenize(body[position:]))
    return Canonical(license_id, tuple(tokens), source)


_PLACEHOLDER = re.compile(r"<[^<>\n]{1,60}>|\[[^\[\]\n]{1,40}\](?!\()")


def parse_plain(license_id: str, text: str, source: str) -> Canonical:
    """A license-list text without markup: its `<owner>`/`[year]` placeholders stand for <<var>>."""
    return parse_canonical(license_id, f"# Source: {source}\n---\n" + _PLACEHOLDER.sub("<<var>>", text))


@functools.cache
def canonical(license_id: str) -> Canonical:
    raw = datafiles.read_text(f"spdx_text-{license_id}.txt")
    return parse_canonical(license_id, raw)


def compare(text: str, reference: Canonical, words: list[Token] | None = None) -> Comparison:
    """How `text` differs from `reference`, word by word (`words`: `tokenize(text)`, if known)."""
    words = tokenize(text) if words is None else words
    a = [t.word for t in reference.tokens]
    b = [t.word for t in words]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    # Cheap upper bounds first: most texts are not close to most canonical texts.
    if matcher.real_quick_ratio() < 0.5 * CLOSE_RATIO or matcher.quick_ratio() < 0.5 * CLOSE_RATIO:
        return Comparison(reference.license_id, matcher.quick_ratio(), (Difference("changes", "", ""),))
    ratio = matcher.ratio()
    if ratio < 0.5 * CLOSE_RATIO:
        # Not this license at all: skip the opcode walk, which only matters for close texts.
        return Comparison(reference.license_id, ratio, (Difference("changes", "", ""),))
    differences: list[Difference] = []
    shown = neutralize_markdown(text)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        removed = [t for t in reference.tokens[i1:i2] if not t.optional and t.word != VAR]
        has_var = any(t.word == VAR for t in reference.tokens[max(0, i1 - 1) : i2 + 1])
        added = words[j1:j2]
        if not removed and (not added or (has_var and len(added) <= MAX_VAR_WORDS)):
            continue  # an optional part left out, or a variable filled in
        if not removed and all(t.word in TITLE_WORDS for t in added):
            continue  # a title
        if all(_is_marker(t.word) for t in added) and all(_is_marker(t.word) for t in removed):
            continue  # list numbering a reflowed text keeps inside its lines ("4. (a)")
        outside = all(t.optional for t in reference.tokens[:i1]) or all(t.optional for t in reference.tokens[i2:])
        if not removed and outside and not any(t.word in LEGAL_WORDS for t in added):
            continue  # a preamble or trailer that changes no terms (a project name, contributors)
        removed_text = " ".join(t.word for t in removed)
        added_text = shown[added[0].start : added[-1].end] if added else ""
        added_text = " ".join(added_text.split())
        kind = "changes" if removed and added else ("removes" if removed else "adds")
        differences.append(Difference(kind, removed_text, added_text, added[0].start if added else -1))
    return Comparison(reference.license_id, ratio, tuple(differences))


def _is_marker(word: str) -> bool:
    return (
        (word.isdigit() and len(word) <= 2) or len(word) == 1 or word in ("ii", "iii", "iv", "vi", "vii", "viii", "ix")
    )


def best_comparison(text: str) -> Comparison | None:
    """The closest canonical text to `text` (exact first), or None when none is close."""
    best: Comparison | None = None
    for license_id in CANONICAL_IDS:
        result = compare(text, canonical(license_id))
        if result.exact:
            return result
        if result.close and (best is None or result.ratio > best.ratio):
            best = result
    return best
