"""What the model card says about the MOF components: papers, evaluation results, data cards.

A release rarely ships its paper or its data; its card links them. Read from the card:
- technical report / research paper: an arXiv, DOI or PDF link, or a link whose text says
  "paper" or "technical report", in the metadata (`arxiv:` tags, a `paper` key) or the body;
- evaluation results: a `model-index`, or an evaluation section holding a table;
- data card: `datasets:` metadata, or a training-data section that names its data;
- datasets: the Hub datasets of `datasets:` (published, so present; their licenses live there).
Each hit says where it was found: "README.md (model-index)", "README.md § Evaluation (table)",
"README.md link https://arxiv.org/abs/...". Nothing is fetched.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from releasekit.cardmeta import sections

if TYPE_CHECKING:  # parsing a card needs YAML: imported only where a card exists (start-up stays light)
    from releasekit.cardmeta.frontmatter import CardDocument

_ARXIV = re.compile(r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/\d{4}\.\d{4,5}(?:v\d+)?", re.I)
_ARXIV_TAG = re.compile(r"^arxiv:(\d{4}\.\d{4,5})$", re.I)
_DOI = re.compile(r"https?://(?:dx\.)?doi\.org/10\.\d{4,9}/[^\s)\]>\"']+|\bdoi:\s*10\.\d{4,9}/[^\s)\]>\"']+", re.I)
_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^)\s]+)\)")
_PDF = re.compile(r"https?://[^\s)\]>\"']+\.pdf\b", re.I)
_REPORT_WORDS = re.compile(r"tech(nical)?\s*report|model\s+report|system\s+card", re.I)
_PAPER_WORDS = re.compile(r"\bpaper\b|tech(nical)?\s*report|\barxiv\b|preprint|publication", re.I)
_EVAL_HEADING = re.compile(r"eval|results?\b|benchmark|performance|leaderboard", re.I)
_DATA_HEADING = re.compile(r"(training|pre-?training|fine-?tuning)\s+data|\bdata(sets?)?\b|corpus|corpora", re.I)
_TABLE_ROW = re.compile(r"^\s*\|.*\|.*$|<table\b", re.I | re.M)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.M)
_DATA_NAME = re.compile(
    r"https?://\S+|\b[\w.-]+/[\w.-]+\b|\b\d[\d.,]*\s*(?:[kmbt]|billion|trillion|million)?\s*tokens\b|"
    r"\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*\s+(?:dataset|corpus)\b",
)
_PAPER_SECTION = re.compile(r"citation|\bcite\b|bibtex|paper|tech(nical)?\s*report|publication", re.I)
_BIBTEX_ARXIV = re.compile(r"eprint\s*=\s*[{\"]\s*(\d{4}\.\d{4,5})", re.I)
MIN_DATA_SECTION_WORDS = 12


@dataclasses.dataclass(frozen=True)
class CardEvidence:
    """Where the card shows each component (component id -> descriptions).

    `inside`: the component is in the card itself (a section, the model-index, metadata), so the
    card's terms cover it. `linked`: the card links it (a paper, a Hub dataset): its terms are
    wherever the link points.
    """

    inside: Mapping[str, tuple[str, ...]]
    linked: Mapping[str, tuple[str, ...]]


def _body_sections(body: str) -> list[tuple[str, str]]:
    """(heading text, the text up to the next heading of the same or a higher level)."""
    lines = body.splitlines()
    heads = sections.headings(body)
    result = []
    for i, head in enumerate(heads):
        end = next((h.line for h in heads[i + 1 :] if h.level <= head.level), len(lines) + 1)
        result.append((head.text.strip(), "\n".join(lines[head.line : end - 1])))
    return result


def _flat_sections(body: str) -> list[tuple[str, str]]:
    """(heading, text up to the next heading of any level), the text before the first heading first."""
    lines = body.splitlines()
    heads = sections.headings(body)
    starts = [h.line for h in heads] + [len(lines) + 1]
    result = [("", "\n".join(lines[: starts[0] - 1]))]
    for i, head in enumerate(heads):
        result.append((head.text.strip(), "\n".join(lines[head.line : starts[i + 1] - 1])))
    return result


def _links(text: str) -> list[tuple[str, str, str]]:
    """(link text or "", URL, the line it is on) of every link that may be a paper."""
    found: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        seen = set()
        for m in _MD_LINK.finditer(line):
            found.append((m.group(1), m.group(2), line))
            seen.add(m.group(2))
        for pattern in (_ARXIV, _DOI, _PDF):
            found += [("", m.group(0), line) for m in pattern.finditer(line) if m.group(0) not in seen]
    return found


def _canonical_url(url: str) -> str:
    """arXiv links in one form (abs/pdf, with or without .pdf or a version are one paper)."""
    match = re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", url, re.I)
    return f"https://arxiv.org/abs/{match.group(1)}" if match else url.rstrip(".,;")


def _is_paper(label: str, url: str) -> bool:
    return bool(_ARXIV.match(url) or _DOI.match(url) or _PDF.match(url) or _PAPER_WORDS.search(label))


def _metadata_papers(metadata: Mapping[str, Any]) -> list[str]:
    found = []
    tags = metadata.get("tags")
    for tag in tags if isinstance(tags, list) else []:
        match = _ARXIV_TAG.match(str(tag).strip())
        if match:
            found.append(f"https://arxiv.org/abs/{match.group(1)}")
    for key in ("paper", "papers", "arxiv", "technical_report", "paper_url"):
        value = metadata.get(key)
        values = value if isinstance(value, list) else [value]
        found += [str(v) for v in values if isinstance(v, str) and v.strip()]
    return found


def _datasets(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    value = metadata.get("datasets")
    values = value if isinstance(value, list) else [value]
    return tuple(str(v).strip() for v in values if isinstance(v, str) and v.strip())


def read_card(card: CardDocument | None, has_model_index: bool) -> CardEvidence:
    """The components the card documents or links."""
    inside: dict[str, list[str]] = {}
    linked: dict[str, list[str]] = {}

    def add(component: str, where: str, into: dict[str, list[str]] | None = None) -> None:
        target = (inside if into is None else into).setdefault(component, [])
        if where not in target:
            target.append(where)

    if card is None:
        return CardEvidence({}, {})
    metadata = card.metadata or {}
    for url in _metadata_papers(metadata):
        add("research_paper", url, linked)
    body_sections = _body_sections(card.body)
    heads = sections.headings(card.body)
    for index, (heading, text) in enumerate(_flat_sections(card.body)):
        title = index == 1 and heads[0].level == 1  # the section under the card's title
        if not (index == 0 or title or _PAPER_SECTION.search(heading)):
            continue  # a paper cited in passing (a method, a baseline) is not the model's paper
        for label, url, line in _links(text):
            if not _is_paper(label, url):
                continue
            report = _REPORT_WORDS.search(f"{heading} {label} {line}")
            add("technical_report" if report else "research_paper", _canonical_url(url), linked)
        for eprint in _BIBTEX_ARXIV.finditer(text):
            add("research_paper", f"https://arxiv.org/abs/{eprint.group(1)}", linked)
    if has_model_index:
        add("evaluation_results", "README.md (model-index)")
    for heading, text in body_sections:
        if _EVAL_HEADING.search(heading) and (
            _TABLE_ROW.search(text) and (_TABLE_RULE.search(text) or "<table" in text.lower())
        ):
            add("evaluation_results", f"README.md § {_short(heading)} (table)")
        if _DATA_HEADING.search(heading) and _names_data(text):
            add("data_card", f"README.md § {_short(heading)}")
    datasets = _datasets(metadata)
    if datasets:
        add("data_card", f"README.md metadata datasets: {', '.join(datasets[:3])}")
        for dataset in datasets:
            add("datasets", f"https://huggingface.co/datasets/{dataset}", linked)
    return CardEvidence({k: tuple(v) for k, v in inside.items()}, {k: tuple(v) for k, v in linked.items()})


def _names_data(text: str) -> bool:
    words = re.findall(r"\w+", text)
    return len(words) >= MIN_DATA_SECTION_WORDS and bool(_DATA_NAME.search(text))


def _short(heading: str, limit: int = 60) -> str:
    cleaned = " ".join(re.sub(r"[*_`#]", "", heading).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
