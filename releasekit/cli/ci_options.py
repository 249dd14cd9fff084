"""The options `check` takes for CI gating (see releasekit.ci_gate and docs/ci.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def options(function: F) -> F:
    decorators = [
        click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="Hide the findings this baseline file records; fail only on new ones and list the fixed."),
        click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="Record today's findings in this baseline file (and judge this run against it)."),
        click.option("--changed-since", default=None, metavar="REF",
                     help="Check only files changed since this git ref, plus whole-release rules whose inputs "
                          "changed; the report lists what was skipped."),
        click.option("--repo-root", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Make SARIF and GitHub annotation paths relative to this folder (default: the "
                          "enclosing git work tree)."),
    ]
    for decorate in reversed(decorators):
        function = decorate(function)
    return function
