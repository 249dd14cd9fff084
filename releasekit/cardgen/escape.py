"""Escaping for Markdown, as Jinja2 filters: what the release or the lab wrote must read as text.

Everything a release controls (file names, config.json values, tensor dtypes) and every short
value from `[card]` goes through one of these; the lab's prose keys (limitations, training ...)
are Markdown by design and go in verbatim. YAML needs no escaping here: the metadata block is
written by huggingface_hub's ModelCardData (PyYAML quotes `:` and `#`).
"""

from __future__ import annotations

import re

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")  # links, code, emphasis, HTML, headings, cells


def md_text(value: object) -> str:
    """Inline text: Markdown and HTML specials backslash-escaped, one line."""
    text = " ".join(str(value).split())
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def md_cell(value: object) -> str:
    """A table cell: inline text whose `|` cannot end the cell (md_text escapes it)."""
    return md_text(value) if str(value).strip() else "-"


def md_code(value: object) -> str:
    """Inline code: fenced with more backticks than the value holds, so it cannot close early."""
    text = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fence(value: object, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside it."""
    text = str(value).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{lang}\n{text}\n{marks}"


def md_link(text: object, url: object) -> str:
    """`[text](<url>)`: the angle brackets keep spaces and parentheses inside the URL."""
    return f"[{md_text(text)}](<{str(url).replace('<', '%3C').replace('>', '%3E')}>)"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def size(nbytes: int) -> str:
    """Bytes in GB/MB/KB (decimal, as the Hub shows file sizes)."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} B"


FILTERS = {"md_text": md_text, "md_cell": md_cell, "md_code": md_code, "fence": fence, "md_link": md_link,
           "percent": percent, "size": size}
