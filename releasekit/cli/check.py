"""`releasekit check DIR`: audit a release folder and gate on the verdict."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from releasekit import ci_gate, formats
from releasekit.cli import ci_options
from releasekit.config import build_settings
from releasekit.engine import audit
from releasekit.errors import UsageError
from releasekit.fsutil import write_atomic
from releasekit.release import walk


@click.command("check")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(formats.names()), default=None,
              help="Output format (default: text, or `format` in releasekit.toml).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--select", default=None, metavar="IDS",
              help="Comma-separated rule ids or categories to run (default: all).")
@click.option("--ignore", default=None, metavar="IDS",
              help="Comma-separated rule ids or categories to skip.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Exit 1 when a finding is at or above this severity (default: error).")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a terminal).")
@ci_options.options
@click.pass_context
def check_command(ctx: click.Context, directory: Path, fmt: str | None, output: Path | None, select: str | None,
                  ignore: str | None, fail_on: str | None, color: bool | None, **gate: object) -> None:
    """Audit the release folder DIRECTORY.

    Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 for a usage error
    or a path that is not a release folder.
    """
    release = walk(directory)
    settings = build_settings(release.root, select=select, ignore=ignore, fail_on=fail_on, format=fmt)
    if settings.format not in formats.names():
        raise UsageError(
            f"{settings.source}: unknown format {settings.format!r} (choose from {', '.join(formats.names())})"
        )
    report = ci_gate.gate(release, settings, audit, **gate)  # type: ignore[arg-type]
    if color is None:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = formats.render(report, settings.format, color=bool(color) and settings.format == "text",
                          repo_root=gate["repo_root"])  # type: ignore[arg-type]
    ci_gate.write_also(report, gate["also"], repo_root=gate["repo_root"])  # type: ignore[arg-type]
    if output is not None:
        write_atomic(output, text.encode("utf-8"))
        click.echo(report.summary_line(), err=True)
    else:
        click.echo(text, nl=False, color=bool(color))
    ctx.exit(report.exit_code)
