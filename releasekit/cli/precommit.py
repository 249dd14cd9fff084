"""`releasekit pre-commit FILES...`: the fast rules on the files being committed.

pre-commit runs it from the repository root with the staged files as arguments (see
.pre-commit-hooks.yaml). Secrets and hygiene rules run on those files; the card and license
rules run when the card or the license is among them. The suppressions of the release apply
as in `check`. Exit 1 blocks the commit.
"""

from __future__ import annotations

from pathlib import Path

import click

from releasekit import changes, formats, suppressions
from releasekit.config import build_settings
from releasekit.engine import audit
from releasekit.registry import all_rules
from releasekit.release import walk

FAST_RULES = "secrets,hygiene,card,license"


@click.command("pre-commit")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              help="The release folder (default: the current folder, where pre-commit runs hooks).")
@click.option("--select", default=FAST_RULES, show_default=True, metavar="IDS",
              help="Rule ids or categories to run on the files.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Block the commit at or above this severity (default: error).")
@click.pass_context
def precommit_command(ctx: click.Context, files: tuple[Path, ...], root: Path, select: str,
                      fail_on: str | None) -> None:
    """Check FILES (paths relative to the current folder) with the fast rules."""
    release = walk(root)
    base = Path(release.root)
    paths = set()
    for file in files:
        absolute = (Path.cwd() / file).absolute()
        try:
            paths.add(absolute.relative_to(base).as_posix())
        except ValueError:
            continue  # outside the release folder
    settings = build_settings(base, rules=all_rules(), select=select, fail_on=fail_on)
    report = changes.audit_changes(release, settings, paths, label="in this commit", audit=audit)
    report = suppressions.suppress_report(report, settings.release_table, settings.source)
    if report.findings:
        click.echo(formats.render(report, "text"), nl=False)
    else:
        click.echo(report.summary_line())
    ctx.exit(report.exit_code)
