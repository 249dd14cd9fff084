"""The options `check` takes for CI gating (see releasekit.ci_gate and docs/ci.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def _parse_also(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    from releasekit import formats

    out = []
    for value in values:
        name, sep, file = value.partition("=")
        if not sep or not file or name not in formats.names():
            raise click.BadParameter(f"{value!r}: expected FORMAT=FILE with FORMAT one of {', '.join(formats.names())}")
        out.append((name, Path(file)))
    return tuple(out)


def options(function: F) -> F:
    decorators = [
        click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="Hide the findings this baseline file records; fail only on new ones and list the fixed."),
        click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="Record today's findings in this baseline file (and judge this run against it)."),
        click.option("--changed-since", default=None, metavar="REF",
                     help="Check only files changed since this git ref, plus whole-release rules whose inputs "
                          "changed; the report lists what was skipped."),
        click.option("--also", multiple=True, metavar="FORMAT=FILE", callback=_parse_also,
                     help="Also write the report in FORMAT to FILE (repeatable), from the same run: "
                          "`--format github --also json=report.json --also sarif=report.sarif`."),
        click.option("--repo-root", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Make SARIF and GitHub annotation paths relative to this folder (default: the "
                          "enclosing git work tree)."),
    ]
    for decorate in reversed(decorators):
        function = decorate(function)
    return function
