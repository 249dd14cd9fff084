"""Output formats for a check report. Each registers itself; the CLI's --format choices come from here.

Everything a release controls (file names, tensor names, card and license text) reaches a format
through a finding or a section; every format escapes it with the helpers of `formats.escape`, and
`tests/test_formats_hostile.py` feeds hostile names through every registered format.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from releasekit.formats.registry import _FORMATTERS, Formatter, RenderOptions, formatter
from releasekit.report import Report

__all__ = ["MODULES", "Formatter", "RenderOptions", "formatter", "names", "render"]

#: Each built-in format and the module that registers it: `--format` lists the names without
#: importing every renderer, and a run loads only the one it writes (after the checks ran).
#: `tests/test_cli.py` checks that each module registers exactly its name.
MODULES = {"github": "github", "json": "json_format", "markdown": "markdown", "sarif": "sarif", "text": "text"}


def names() -> list[str]:
    return sorted(MODULES.keys() | _FORMATTERS.keys())


def render(report: Report, name: str, *, color: bool = False, repo_root: Path | None = None) -> str:
    if name not in _FORMATTERS and name in MODULES:
        importlib.import_module(f"{__name__}.{MODULES[name]}")  # registers it
    return _FORMATTERS[name](report, RenderOptions(color=color, repo_root=repo_root))
