"""`releasekit sbom DIR`: the release's SPDX 2.3 document (or a CycloneDX 1.6 ML-BOM)."""

from __future__ import annotations

from pathlib import Path

import click

from releasekit.cli._provenance import no_cache_option, release_dir, require
from releasekit.fsutil import write_atomic
from releasekit.provenance.scope import CYCLONEDX_NAME, SPDX_NAME, relative_inside


@click.command("sbom")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=f"File to write, '-' for standard output (default: {SPDX_NAME} or {CYCLONEDX_NAME} in PATH).")
@click.option("--format", "fmt", type=click.Choice(["spdx", "cyclonedx"]), default="spdx", show_default=True,
              help="SPDX 2.3 JSON, or a CycloneDX 1.6 ML-BOM (JSON) with the model card.")
@click.option("--name", default=None, help="The release's name (default: [provenance] name, the card, the folder).")
@click.option("--release-version", "version", default=None, help="The release's version.")
@click.option("--supplier", default=None, help="Who distributes it, e.g. 'Example Lab'.")
@click.option("--download-location", default=None, help="Where users download it, e.g. https://huggingface.co/org/model.")
@no_cache_option
@click.pass_context
def sbom_command(ctx: click.Context, path: Path, output: Path | None, fmt: str, name: str | None,
                 version: str | None, supplier: str | None, download_location: str | None, no_cache: bool) -> None:
    """Write the bill of materials of the release at PATH: every file with its SHA-1 and SHA-256,
    type and concluded license; validated (spdx-tools / the CycloneDX schema) before it is written.
    """
    from releasekit.provenance import build_cyclonedx, build_spdx

    if fmt == "spdx":
        require("sbom", "spdx_tools", "spdx-tools")
    else:
        require("sbom --format cyclonedx", "cyclonedx", "cyclonedx-python-lib")
    root = release_dir(path)
    to_stdout = output is not None and str(output) == "-"
    dest = None if to_stdout else output or root / (SPDX_NAME if fmt == "spdx" else CYCLONEDX_NAME)
    own = relative_inside(root, dest) if dest is not None else None
    overrides = {"name": name, "version": version, "supplier": supplier, "download_location": download_location}
    build = build_spdx if fmt == "spdx" else build_cyclonedx
    text = build(root, exclude=[own] if own else [], overrides=overrides, use_cache=not no_cache)
    if dest is None:
        click.echo(text, nl=False)
        ctx.exit(0)
    write_atomic(dest, text.encode("utf-8"))
    kind = "SPDX 2.3, validated by spdx-tools" if fmt == "spdx" else "CycloneDX 1.6 ML-BOM, schema-validated"
    click.echo(f"wrote {dest} ({kind})")
    ctx.exit(0)
