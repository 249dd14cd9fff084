"""`releasekit checksums DIR`: SHA256SUMS that `sha256sum -c` accepts."""

from __future__ import annotations

from pathlib import Path

import click

from releasekit.cli._provenance import no_cache_option, release_dir
from releasekit.provenance.api import hash_content, require_complete, write_sha256sums
from releasekit.provenance.scope import SHA256SUMS_NAME, relative_inside


@click.command("checksums")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=f"File to write (default: {SHA256SUMS_NAME} in PATH).")
@no_cache_option
@click.pass_context
def checksums_command(ctx: click.Context, path: Path, output: Path | None, no_cache: bool) -> None:
    """Write SHA256SUMS for the release at PATH (check a copy with `cd PATH && sha256sum -c SHA256SUMS`)."""
    root = release_dir(path)
    dest = output or root / SHA256SUMS_NAME
    own = relative_inside(root, dest)
    hashed = hash_content(root, exclude=[own] if own else [], use_cache=not no_cache)
    count = write_sha256sums(root, dest, digests=require_complete(hashed))
    reused = f", {hashed.cache_hits} from the digest cache" if hashed.cache_hits else ""
    click.echo(f"wrote {dest}: {count} files{reused}")
    ctx.exit(0)
