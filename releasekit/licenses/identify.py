"""Say which license a text is, and when it is almost a license, what it changes.

Sources, in order of trust:
1. a word-by-word comparison (`texts.py`) with the nearest texts of the SPDX license list
   (`spdxlist.py`, a dated snapshot; the licenses releases use most have marked-up texts where a
   holder's name may vary). The closest text decides: a text closest to BSD-3-Clause-Clear is
   BSD-3-Clause-Clear, not a modified BSD-3-Clause. Exact, or close with no added restriction,
   is that license; close to a marked-up text but with different words, or to any text but
   with an added restriction ("may not be used commercially"), is a modified one;
2. the title of a model license that has no SPDX text (Llama, Gemma, DeepSeek, Qwen, OpenRAIL
   ...), on a heading line at the top. A model license named in a one-line attribution above
   another license's text ("Llama 3.1 is licensed under the Llama 3.1 Community License" over
   an MIT text) does not make the text that license: the attribution is set aside and noted;
3. askalono (`pyaskalono`), which scores a text against the SPDX list it embeds, when no text of
   our snapshot is close (reflowed or abridged texts): accepted from a score of 0.95.

A text that is only Apache-2.0's standard header ("Licensed under the Apache License ... You may
obtain a copy of the License at") is identified as Apache-2.0 with `header_only` set: it names
the license without carrying its terms.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from releasekit import datafiles
from releasekit.licenses import spdxlist, texts

ASKALONO_ACCEPT = 0.95
ASKALONO_CLOSE = 0.80
# A text this close to a list text, adding no restriction, is that license.
TEXT_ACCEPT = 0.90
# Read this much of a license file: the longest common licenses (AGPL) are ~35 kB.
MAX_LICENSE_BYTES = 256 * 1024
NEAREST = 4  # list texts compared word by word

# Titles of model licenses the SPDX list does not carry, as the Hub ids they correspond to.
_TITLES: tuple[tuple[str, str], ...] = (
    (r"llama\s*4\s+community\s+license", "LicenseRef-llama4"),
    (r"llama\s*3\.3\s+community\s+license", "LicenseRef-llama3.3"),
    (r"llama\s*3\.2\s+community\s+license", "LicenseRef-llama3.2"),
    (r"llama\s*3\.1\s+community\s+license", "LicenseRef-llama3.1"),
    (r"(meta\s+)?llama\s*3\s+community\s+license", "LicenseRef-llama3"),
    (r"llama\s*2\s+community\s+license", "LicenseRef-llama2"),
    (r"gemma\s+terms\s+of\s+use", "LicenseRef-gemma"),
    (r"deepseek\s+license\s+agreement", "LicenseRef-deepseek-license"),
    (r"grok\s*2\s+community\s+license", "LicenseRef-grok2-community"),
    (r"creativeml\s+open\s*rail-m", "LicenseRef-creativeml-openrail-m"),
    (r"bigscience\s+open\s*rail-m", "LicenseRef-bigscience-openrail-m"),
    (r"bigcode\s+open\s*rail-m", "LicenseRef-bigcode-openrail-m"),
    (r"bigscience\s+rail\s+license\s+v?1\.0", "LicenseRef-bigscience-bloom-rail-1.0"),
    (r"open\s*rail\+\+-m", "LicenseRef-openrail++"),
    (r"fair\s+noncommercial\s+research\s+license", "LicenseRef-fair-noncommercial-research-license"),
    (r"deepfloyd\s+if\s+(research\s+)?license", "LicenseRef-deepfloyd-if-license"),
    (r"(openmdw|open\s+model,\s+data\s+(&|and)\s+weights)\s+license\s+agreement[^\n]*?1\.1", "OpenMDW-1.1"),
    (r"(openmdw|open\s+model,\s+data\s+(&|and)\s+weights)\s+license\s+agreement", "OpenMDW-1.0"),
    (r"(tongyi\s+qianwen|qwen)\s+research\s+license\s+agreement", "LicenseRef-qwen-research"),
    (r"(tongyi\s+qianwen|qwen)\s+license\s+agreement", "LicenseRef-qwen"),
    (r"apple\s+model\s+license\s+for\s+research", "LicenseRef-apple-amlr"),
    (r"intel\s+research\s+use\s+license", "LicenseRef-intel-research"),
    (r"\bh\s+research\s+license", "LicenseRef-h-research"),
)
_TITLE_SPAN = 800  # titles sit at the top
_TITLE_LINE_WORDS = 12  # a title is a heading, not a sentence that mentions a license
_ATTRIBUTION_LINES = 4  # non-empty lines at the top that may be an attribution
_END_OF_TERMS = re.compile(r"end\s+of\s+terms\s+and\s+conditions", re.I)
_BUILT_WITH = re.compile(r"^\W*built\s+with\s+\w[\w .-]{0,40}\W*$", re.I)


@dataclasses.dataclass(frozen=True)
class Identification:
    """What a license text is.

    `license_id` is set when we are confident (an SPDX id or a `LicenseRef-`); otherwise
    `closest` may name the license it nearly is, and `differences` say how it departs from it.
    """

    license_id: str | None
    method: str  # "canonical-text", "spdx-text", "standard-header", "title", "askalono", "empty", "unknown"
    score: float = 0.0
    closest: str | None = None
    differences: tuple[texts.Difference, ...] = ()
    header_only: bool = False  # only a standard header naming the license, not its terms
    attribution: str | None = None  # a line above the license text naming another (model) license

    @property
    def modified(self) -> bool:
        """Close to a known license but with different terms."""
        return self.license_id is None and self.closest is not None and bool(self.differences)

    def describe_differences(self, limit: int = 2) -> str:
        parts = [d.describe() for d in self.differences[:limit]]
        more = len(self.differences) - limit
        return "; ".join(parts) + (f"; and {more} more change(s)" if more > 0 else "")


def _askalono(text: str) -> tuple[str, float]:
    """askalono's nearest SPDX license and its score; ("", 0.0) where askalono is not installed
    (its bindings exist for Python 3.11+ only): then only the snapshot texts and titles identify."""
    try:
        import askalono  # a compiled extension; imported on first use so `rules` stays fast
    except ImportError:
        return "", 0.0
    match = askalono.identify(text)
    return str(match.name), float(match.score)


def _head_lines(text: str, span: int = _TITLE_SPAN) -> list[str]:
    return [" ".join(texts.neutralize_markdown(line).split()) for line in text[:span].splitlines()]


def by_title(text: str) -> str | None:
    """The model license whose title heads the text: a short line at the top, or the text's start."""
    lines = [line for line in _head_lines(text) if line]
    start = " ".join(" ".join(lines).split()[:_TITLE_LINE_WORDS]).lower()
    for pattern, license_id in _TITLES:
        if re.match(r"\W*" + pattern, start):
            return license_id
        for line in lines:
            if len(line.split()) <= _TITLE_LINE_WORDS and re.search(pattern, line.lower()):
                return license_id
    return None


def _mentions_title(line: str) -> bool:
    return any(re.search(pattern, line.lower()) for pattern, _ in _TITLES)


def _without_attribution(text: str) -> tuple[str, str | None]:
    """The text with its leading attribution lines blanked ("Built with Llama", "Llama 3.1 is
    licensed under the Llama 3.1 Community License ..."), and those lines; offsets are kept."""
    blanked = []
    seen = 0
    position = 0
    for line in text.splitlines(keepends=True):
        stripped = " ".join(texts.neutralize_markdown(line).split())
        if stripped:
            seen += 1
            if seen > _ATTRIBUTION_LINES:
                break
            if _BUILT_WITH.match(stripped) or _mentions_title(stripped):
                blanked.append((position, len(line.rstrip("\r\n")), stripped))
        position += len(line)
    if not blanked:
        return text, None
    chars = list(text)
    for start, length, _ in blanked:
        chars[start : start + length] = " " * length
    return "".join(chars), " / ".join(line for _, _, line in blanked)


@functools.cache
def _apache_header() -> texts.Canonical:
    raw = datafiles.read_text("spdx_header-Apache-2.0.txt")
    return texts.parse_canonical("Apache-2.0", raw)


def _closest(text: str, words: list[texts.Token]) -> tuple[texts.Comparison, bool] | None:
    """The nearest list text by the word diff, and whether it is a marked-up (canonical) one."""
    best: texts.Comparison | None = None
    for ref in spdxlist.nearest(words, NEAREST):
        result = texts.compare(text, ref.canonical, words)
        if best is None or result.ratio > best.ratio or (result.exact and not best.exact):
            best = result
        if result.exact:
            break
    if best is None or not best.close:
        return None
    return best, best.license_id in texts.CANONICAL_IDS


@functools.lru_cache(maxsize=256)
def identify(text: str) -> Identification:
    """Identify a license text (the content of a LICENSE file).

    Cached by text: vendored folders often carry identical copies.
    """
    if not text.strip():
        return Identification(None, "empty")
    body, attribution = _without_attribution(text)
    words = texts.tokenize(body)
    if not words:
        titled = by_title(text)
        return Identification(titled, "title", 1.0) if titled else Identification(None, "unknown")
    header = texts.compare(body, _apache_header(), words)
    if header.exact:
        return Identification("Apache-2.0", "standard-header", header.ratio, header_only=True, attribution=attribution)
    found = _closest(body, words)
    if found is not None:
        comparison, marked = found
        method = "canonical-text" if marked else "spdx-text"
        if comparison.exact:
            return Identification(comparison.license_id, method, comparison.ratio, attribution=attribution)
        if comparison.ratio >= TEXT_ACCEPT:
            end = _END_OF_TERMS.search(body)
            changes = comparison.differences if marked else comparison.restrictive(end.start() if end else None)
            if not changes:
                return Identification(comparison.license_id, method, comparison.ratio, attribution=attribution)
            return Identification(None, method, comparison.ratio, comparison.license_id, changes)
    titled = by_title(text)
    if titled is not None:
        return Identification(titled, "title", 1.0)
    if found is not None:
        comparison, marked = found
        if marked:
            return Identification(
                None, "canonical-text", comparison.ratio, comparison.license_id, comparison.differences
            )
    name, score = _askalono(body)
    if score >= ASKALONO_ACCEPT:
        return Identification(name, "askalono", score, attribution=attribution)
    if found is not None:
        return Identification(None, "spdx-text", found[0].ratio, closest=found[0].license_id)
    if score >= ASKALONO_CLOSE:
        return Identification(None, "askalono", score, closest=name)
    return Identification(None, "unknown", score)
