"""`releasekit card DIR`: write the model card (or the GitHub README) generated from the release."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from releasekit.errors import UsageError
from releasekit.fsutil import write_atomic

EXIT_SAME, EXIT_DIFFERS = 0, 1


def _read(path: Path) -> str | None:
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise UsageError(f"{path}: not a regular file: releasekit card never writes through links")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read: {exc}") from None


def _init(directory: Path, force: bool) -> str:
    from releasekit.cardgen.settings import skeleton
    from releasekit.config import CONFIG_FILE, load_file_settings

    target = directory / CONFIG_FILE
    existing = _read(target) or ""
    table, source = load_file_settings(directory)
    if source is not None and source != CONFIG_FILE:
        raise UsageError(f"{directory / 'pyproject.toml'}: the release keeps its settings in {source}; a "
                         "releasekit.toml would hide them: add a [tool.releasekit.card] table there instead")
    if source == CONFIG_FILE and "card" in table and not force:
        raise UsageError(f"{target}: already has a [card] table: edit it, or use --force to append a skeleton anyway")
    text = existing + ("\n" if existing and not existing.endswith("\n\n") else "") + skeleton()
    write_atomic(target, text.encode("utf-8"))
    return f"wrote a commented [card] skeleton to {target}: fill it in, then run `releasekit card {directory}`"


@click.command("card")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--github", is_flag=True, help="Write the GitHub README (README.github.md) instead of the model card.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of DIR/README.md (or DIR/README.github.md).")
@click.option("--init", "init", is_flag=True,
              help="Write a commented [card] skeleton with every key into DIR/releasekit.toml and stop.")
@click.option("--force", is_flag=True, help="Overwrite a card that exists and differs.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of what would change; write nothing.")
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing; exit 1 when the file on disk differs from what would be generated.")
@click.option("--template-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="A folder of templates overriding the packaged ones (model_card.md.j2, github_readme.md.j2, ...).")
@click.pass_context
def card_command(ctx: click.Context, directory: Path, github: bool, output: Path | None, init: bool, force: bool,
                 show_diff: bool, check_only: bool, template_dir: Path | None) -> None:
    """Generate the model card of the release folder DIRECTORY from its files and the [card]
    table of its releasekit.toml.

    Exit status: 0 when written (or, with --check, up to date), 1 with --check when the file
    differs, 2 for a usage error or a fact that cannot be established.
    """
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a folder")
    if init:
        click.echo(_init(directory, force), err=True)
        ctx.exit(0)
    from releasekit.cardgen import render_github_readme, render_model_card

    target = output if output is not None else directory / ("README.github.md" if github else "README.md")
    render = render_github_readme if github else render_model_card
    text = render(directory, template_dir)
    current = _read(target)
    if show_diff or check_only:
        if show_diff:
            diff = difflib.unified_diff((current or "").splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=f"{target} (on disk)" if current is not None else "/dev/null",
                                        tofile=f"{target} (generated)")
            click.echo("".join(diff), nl=False)
        if check_only:
            same = current == text
            click.echo(f"{target}: {'up to date' if same else 'differs from the generated card'}", err=True)
            ctx.exit(EXIT_SAME if same else EXIT_DIFFERS)
        ctx.exit(0)
    if current == text:
        click.echo(f"{target}: up to date", err=True)
        ctx.exit(0)
    if current is not None and not force:
        raise UsageError(f"{target}: exists and differs from the generated card: --diff shows the changes, "
                         "--force overwrites it")
    write_atomic(target, text.encode("utf-8"))
    click.echo(f"wrote {target}", err=True)
    ctx.exit(0)
