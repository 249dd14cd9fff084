"""The sections the Hub's model card template expects, matched loosely against real headings.

Real cards name their sections in many ways ("Intended Uses & Limitations", "Quickstart",
"Benchmarks", "How to cite"), so each expected section is a set of patterns searched in every
heading of the body (ATX `#` and setext headings, outside code fences).
"""

from __future__ import annotations

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class Heading:
    text: str
    level: int
    line: int  # 1-based line within the body


@dataclasses.dataclass(frozen=True)
class ExpectedSection:
    name: str  # as the Hub template (huggingface_hub's modelcard_template.md) titles it
    patterns: tuple[str, ...]


EXPECTED_SECTIONS: tuple[ExpectedSection, ...] = (
    ExpectedSection(
        "Model Details",
        (
            r"model (details|description|summary|overview|information|info|architecture)",
            r"^(overview|introduction|about|description|summary|model)\b",
        ),
    ),
    ExpectedSection("Uses", (r"\buses?\b", r"intended", r"usage", r"use cases?", r"applications?", r"out.of.scope")),
    ExpectedSection(
        "Bias, Risks, and Limitations", (r"\bbias", r"\brisks?\b", r"limitations?", r"ethic", r"safety", r"responsible")
    ),
    ExpectedSection(
        "How to Get Started with the Model",
        (
            r"get(ting)? started",
            r"quick ?start",
            r"how to (use|run)",
            r"usage",
            r"inference",
            r"run (it )?locally",
            r"example",
            r"deploy",
        ),
    ),
    ExpectedSection("Training Details", (r"train", r"fine.?tun", r"pre.?train")),
    ExpectedSection("Evaluation", (r"eval", r"results?", r"benchmark", r"performance")),
    ExpectedSection("Citation", (r"citation", r"\bcite\b", r"cite", r"bibtex", r"reference")),
)

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MARKUP = re.compile(r"[*_`\[\]()<>:!]|&amp;")


def headings(body: str) -> list[Heading]:
    """Markdown headings of the card body, outside fenced code."""
    found: list[Heading] = []
    in_fence = False
    lines = body.splitlines()
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        atx = _ATX.match(line)
        if atx:
            found.append(Heading(atx.group(2), len(atx.group(1)), number))
        elif _SETEXT.match(line) and number > 1 and lines[number - 2].strip() and not _ATX.match(lines[number - 2]):
            found.append(Heading(lines[number - 2].strip(), 1 if "=" in line else 2, number - 1))
    return found


_NUMBERING = re.compile(r"^\s*(\d+(\.\d+)*\.?|[ivx]+\.)\s+", re.I)


def _clean(text: str) -> str:
    """Heading text without markup or numbering ("## 1. **Introduction**" -> "introduction")."""
    return " ".join(_NUMBERING.sub("", _MARKUP.sub(" ", text).strip()).lower().split())


def missing_sections(body: str) -> list[ExpectedSection]:
    """The expected sections no heading of `body` matches."""
    texts = [_clean(h.text) for h in headings(body)]
    return [s for s in EXPECTED_SECTIONS if not any(re.search(p, t) for p in s.patterns for t in texts)]
