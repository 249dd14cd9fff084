"""`releasekit verify DIR`: the command a user runs after downloading a release.

Exit status: 0 when every file is present, none is added, none changed and the signature is
valid; 1 with one line per difference otherwise; 2 for unusable input or options.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from releasekit.cli._provenance import release_dir, require
from releasekit.errors import UsageError


@click.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--signature", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="model-signing signature bundle (default: model.sig in PATH, when a key or identity is given).")
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Public key (PEM) the signature was made with.")
@click.option("--identity", default=None, help="Sigstore: the expected signer identity (e.g. an email).")
@click.option("--issuer", default=None, help="Sigstore: the expected OIDC issuer URL.")
@click.option("--staging", is_flag=True, help="Sigstore staging instance (testing only).")
@click.option("--sbom", "sboms", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="SPDX or CycloneDX SBOM, repeatable (default: release.spdx.json and release.cdx.json in PATH).")
@click.option("--sha256sums", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="SHA256SUMS file (default: SHA256SUMS in PATH).")
@click.option("--cached", is_flag=True, help="Trust the digest cache for unchanged files (default: read everything).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def verify_command(ctx: click.Context, path: Path, signature: Path | None, key: Path | None, identity: str | None,
                   issuer: str | None, staging: bool, sboms: tuple[Path, ...], sha256sums: Path | None, cached: bool,
                   fmt: str) -> None:
    """Check the release at PATH against its signature, SBOM and SHA256SUMS: every file present,
    none added, none changed, signature valid. One line per difference.
    """
    from releasekit.provenance.verify import verify_release

    root = release_dir(path)
    if bool(identity) != bool(issuer):
        raise UsageError("--identity and --issuer go together (Sigstore signatures)")
    if signature is not None and key is None and not identity:
        raise UsageError("--signature needs --key public.pem, or --identity and --issuer for Sigstore")
    if signature is not None or key is not None or identity:
        require("verify", "model_signing", "model-signing")
    named = [("--signature", signature), ("--key", key), ("--sha256sums", sha256sums)] + [("--sbom", s) for s in sboms]
    for option, value in named:
        if value is not None and not value.is_file():
            raise UsageError(f"{option} {value}: no such file")
    result = verify_release(root, signature=signature, key=key, identity=identity, issuer=issuer, sboms=sboms,
                            sha256sums=sha256sums, use_cache=cached, staging=staging)
    if fmt == "json":
        click.echo(json.dumps({
            "command": "verify",
            "ok": result.ok,
            "checked": list(result.sources),
            "files": result.files,
            "differences": [{"path": d.path, "problem": d.problem, "detail": d.detail} for d in result.differences],
            "notes": list(result.notes),
        }, indent=2))
    else:
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        for difference in result.differences:
            click.echo(difference.line())
        against = ", ".join(result.sources) or "nothing readable"
        if result.ok:
            click.echo(f"verified: {result.files} files match {against}")
        else:
            click.echo(f"FAILED: {len(result.differences)} difference(s) against {against}")
    ctx.exit(0 if result.ok else 1)
