"""Say which license a text is, and when it is almost a license, what it changes.

Three sources, in order of trust:
1. a word-by-word comparison with the canonical texts we ship (`texts.py`): exact, or "close to X
   but adds/removes ...";
2. the title of a model license that has no SPDX text (Llama, Gemma, DeepSeek, OpenRAIL ...);
3. askalono (`pyaskalono`), which scores a text against the whole SPDX license list it embeds.
   A score is not an equality: we accept its answer alone only when no canonical text we ship is
   close (then 0.95 suffices) or when it is near-certain (0.995) about a different license than
   the close canonical one (MIT-0 is close to MIT, and is not a modified MIT).
"""

from __future__ import annotations

import dataclasses
import functools
import re

from releasekit.licenses import texts

ASKALONO_ACCEPT = 0.95
ASKALONO_CERTAIN = 0.995
ASKALONO_CLOSE = 0.80
# Read this much of a license file: the longest common licenses (AGPL) are ~35 kB.
MAX_LICENSE_BYTES = 256 * 1024

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
    (r"(tongyi\s+qianwen|qwen)\s+(research\s+)?license\s+agreement", "LicenseRef-qwen"),
)
_TITLE_SPAN = 800  # titles sit at the top


@dataclasses.dataclass(frozen=True)
class Identification:
    """What a license text is.

    `license_id` is set when we are confident (an SPDX id or a `LicenseRef-`); otherwise
    `closest` may name the license it nearly is, and `differences` say how it departs from it.
    """

    license_id: str | None
    method: str  # "canonical-text", "title", "askalono", "empty", "unknown"
    score: float = 0.0
    closest: str | None = None
    differences: tuple[texts.Difference, ...] = ()

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
    (its bindings exist for Python 3.11+ only): then only the canonical texts and titles identify."""
    try:
        import askalono  # a compiled extension; imported on first use so `rules` stays fast
    except ImportError:
        return "", 0.0
    match = askalono.identify(text)
    return str(match.name), float(match.score)


def by_title(text: str) -> str | None:
    head = " ".join(text[:_TITLE_SPAN].split()).lower()
    for pattern, license_id in _TITLES:
        if re.search(pattern, head):
            return license_id
    return None


@functools.lru_cache(maxsize=256)
def identify(text: str) -> Identification:
    """Identify a license text (the content of a LICENSE file).

    Cached by text: vendored folders often carry identical copies, and askalono costs ~0.4 s a call.
    """
    if not text.strip():
        return Identification(None, "empty")
    comparison = texts.best_comparison(text)
    if comparison is not None and comparison.exact:
        return Identification(comparison.license_id, "canonical-text", comparison.ratio)
    titled = by_title(text)
    if titled is not None:
        return Identification(titled, "title", 1.0)
    name, score = _askalono(text)
    if comparison is not None:
        if score >= ASKALONO_CERTAIN and name != comparison.license_id and name not in _CONFUSABLE:
            return Identification(name, "askalono", score)
        return Identification(None, "canonical-text", comparison.ratio, comparison.license_id, comparison.differences)
    if score >= ASKALONO_ACCEPT:
        return Identification(name, "askalono", score)
    if score >= ASKALONO_CLOSE:
        return Identification(None, "askalono", score, closest=name)
    return Identification(None, "unknown", score)


# askalono's nearest SPDX neighbours of the texts we compare word by word: its answer for a
# modified Apache-2.0 can be "Pixar" (Apache-2.0 with a changed trademark clause).
_CONFUSABLE = frozenset({"Pixar"})
