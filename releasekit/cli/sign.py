"""`releasekit sign DIR`: an OpenSSF model-signing signature of every file of the release."""

from __future__ import annotations

import os
from pathlib import Path

import click

from releasekit.cli._provenance import no_cache_option, release_dir, require
from releasekit.errors import UsageError
from releasekit.provenance.scope import SIGNATURE_NAME


@click.command("sign")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Private elliptic-curve key (PEM, P-256/384/521): signs offline.")
@click.option("--password-env", metavar="VAR", default=None,
              help="Name of an environment variable holding the key's password (never on the command line).")
@click.option("--sigstore", "use_sigstore", is_flag=True,
              help="Keyless Sigstore signing (OIDC identity, Fulcio, Rekor): needs the network.")
@click.option("--identity-token-env", metavar="VAR", default=None,
              help="Environment variable holding an OIDC identity token for --sigstore (default: ambient CI credentials).")
@click.option("--staging", is_flag=True, help="Use Sigstore's staging instance (testing only).")
@click.option("--signature", "-o", "signature", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=f"Signature file to write (default: {SIGNATURE_NAME} in PATH).")
@no_cache_option
@click.pass_context
def sign_command(ctx: click.Context, path: Path, key: Path | None, password_env: str | None, use_sigstore: bool,
                 identity_token_env: str | None, staging: bool, signature: Path | None, no_cache: bool) -> None:
    """Sign the release at PATH with OpenSSF model-signing: a manifest of every file's SHA-256
    (and of SHA256SUMS and the SBOM when present) in a detached Sigstore bundle.
    """
    from releasekit.provenance.api import sign_release

    require("sign", "model_signing", "model-signing")
    root = release_dir(path)
    if (key is None) == (not use_sigstore):
        raise UsageError("give exactly one of --key private.pem (offline) or --sigstore (needs the network)")
    password = _env(password_env) if password_env else None
    token = _env(identity_token_env) if identity_token_env else None
    dest = signature or root / SIGNATURE_NAME
    result = sign_release(root, dest, key=key, password=password, sigstore=use_sigstore, identity_token=token,
                          staging=staging, use_cache=not no_cache)
    sealed = f" and {', '.join(result.artifacts)}" if result.artifacts else ""
    how = f"key {key.name}" if key is not None else "Sigstore"
    click.echo(f"wrote {dest}: {result.files} files{sealed} signed with {how} (OpenSSF model-signing)")
    ctx.exit(0)


def _env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise UsageError(f"environment variable {name} is not set")
    return value
