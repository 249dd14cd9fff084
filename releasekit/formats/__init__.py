"""Output formats for a check report. Each registers itself; the CLI's --format choices come from here.

Everything a release controls (file names, tensor names, card and license text) reaches a format
through a finding or a section; every format escapes it with the helpers of `formats.escape`, and
`tests/test_formats_hostile.py` feeds hostile names through every registered format.
"""

from __future__ import annotations

from pathlib import Path

from releasekit.formats.registry import _FORMATTERS, Formatter, RenderOptions, formatter
from releasekit.report import Report

__all__ = ["Formatter", "RenderOptions", "formatter", "names", "render"]


def _load() -> None:
    from releasekit.formats import github, json_format, markdown, sarif, text  # noqa: F401 - registers


def names() -> list[str]:
    _load()
    return sorted(_FORMATTERS)


def render(report: Report, name: str, *, color: bool = False, repo_root: Path | None = None) -> str:
    _load()
    return _FORMATTERS[name](report, RenderOptions(color=color, repo_root=repo_root))
