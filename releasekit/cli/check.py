"""`releasekit check DIR`: audit a release folder and gate on the verdict."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from releasekit import ci_gate, formats
from releasekit.api import check
from releasekit.cli import ci_options
from releasekit.errors import UsageError
from releasekit.fsutil import write_output

#: Progress appears on a terminal only once a run has taken this long (a small release stays quiet).
PROGRESS_AFTER_S = 1.0


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
@click.option("--isolated", is_flag=True,
              help="Ignore the release's own releasekit.toml / [tool.releasekit] (audit someone else's release).")
@click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="Read settings from this file outside the release (trusted like command-line options).")
@click.option("--color/--no-color", default=None, help="Colour text output (default: on a terminal).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes: 1 runs everything in one; 2 checks weights beside the rest "
                   "(default: 2 on Linux for a checkpoint of 8+ safetensors files).")
@ci_options.options
@click.pass_context
def check_command(ctx: click.Context, directory: Path, fmt: str | None, output: Path | None, select: str | None,
                  ignore: str | None, fail_on: str | None, isolated: bool, config: Path | None,
                  color: bool | None, jobs: int | None, baseline: Path | None, write_baseline: Path | None, changed_since: str | None,
                  also: tuple[tuple[str, Path], ...], repo_root: Path | None) -> None:
    """Audit the release folder DIRECTORY.

    Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 for a usage error
    or a path that is not a release folder.
    """
    report = check(directory, select=select, ignore=ignore, fail_on=fail_on, format=fmt, isolated=isolated,
                   config=config, baseline=baseline, write_baseline=write_baseline, changed_since=changed_since,
                   progress=_progress() if sys.stderr.isatty() else None, jobs=jobs)
    if report.format not in formats.names():
        raise UsageError(f"settings: unknown format {report.format!r} (choose from {', '.join(formats.names())})")
    if color is None:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = formats.render(report, report.format, color=bool(color) and report.format == "text", repo_root=repo_root)
    ci_gate.write_also(report, also, repo_root=repo_root)
    if output is not None:
        write_output(output, text.encode("utf-8"))
        click.echo(report.summary_line(), err=True)
    else:
        click.echo(text, nl=False, color=bool(color))
    ctx.exit(report.exit_code)


def _progress():  # type: ignore[no-untyped-def]
    """A one-line progress display on standard error, shown once the run has taken a while."""
    started = time.monotonic()

    def update(name: str, done: int, total: int) -> None:
        if time.monotonic() - started < PROGRESS_AFTER_S:
            return
        click.echo(f"\r\x1b[2Kchecking {done + 1}/{total}: {name}", err=True, nl=False)
        if done + 1 == total:
            click.echo("\r\x1b[2K", err=True, nl=False)

    return update
