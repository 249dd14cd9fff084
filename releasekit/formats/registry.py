"""The registry of output formats: each format module registers its renderer here.

A module of its own so that the formats can import it without importing the package that loads them.
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
