"""Output formats for a check report. Each registers itself; the CLI's --format choices come from here.

Everything a release controls (file names, tensor names, card and license text) reaches a format
through a finding or a section; every format escapes it with the helpers of `formats.escape`, and
`tests/test_formats_hostile.py` feeds hostile names through every registered format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from releasekit.report import Report


@dataclasses.dataclass(frozen=True, kw_only=True)
class RenderOptions:
    """What a format may need beyond the report.

    `repo_root` is the folder that SARIF and GitHub annotations make paths relative to (code
    scanning and the runner place results relative to the repository, and the release may be a
    subfolder of it); None means: look for the enclosing git work tree, else the release itself.
    """

    color: bool = False
    repo_root: Path | None = None


Formatter = Callable[[Report, RenderOptions], str]  # (report, options) -> the whole output
_FORMATTERS: dict[str, Formatter] = {}


def formatter(name: str) -> Callable[[Formatter], Formatter]:
    def register(function: Formatter) -> Formatter:
        if name in _FORMATTERS:
            raise ValueError(f"format {name} is registered twice")
        _FORMATTERS[name] = function
        return function

    return register


def _load() -> None:
    from releasekit.formats import github, json_format, markdown, sarif, text  # noqa: F401 - registers


def names() -> list[str]:
    _load()
    return sorted(_FORMATTERS)


def render(report: Report, name: str, *, color: bool = False, repo_root: Path | None = None) -> str:
    _load()
    return _FORMATTERS[name](report, RenderOptions(color=color, repo_root=repo_root))
