"""Output formats for a check report. Each registers itself; the CLI's --format choices come from here."""

from __future__ import annotations

from collections.abc import Callable

from releasekit.report import Report

Formatter = Callable[[Report, bool], str]  # (report, colour) -> the whole output
_FORMATTERS: dict[str, Formatter] = {}


def formatter(name: str) -> Callable[[Formatter], Formatter]:
    def register(function: Formatter) -> Formatter:
        if name in _FORMATTERS:
            raise ValueError(f"format {name} is registered twice")
        _FORMATTERS[name] = function
        return function

    return register


def _load() -> None:
    from releasekit.formats import json_format, markdown, sarif, text  # noqa: F401 - registers


def names() -> list[str]:
    _load()
    return sorted(_FORMATTERS)


def render(report: Report, name: str, *, color: bool = False) -> str:
    _load()
    return _FORMATTERS[name](report, color)
