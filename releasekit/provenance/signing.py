"""Signing and signature reading with OpenSSF model-signing (the `model-signing` package).

The signature is model-signing's format: a Sigstore bundle holding a DSSE envelope whose in-toto
statement lists every file with its SHA-256 (`https://model_signing/signature/v1.0`). We build that
manifest from releasekit's own digests (the one hashing pass, through the cache) instead of letting
model-signing read the release again, then sign it with model-signing's signers:
- a private elliptic-curve key (P-256/384/521, PEM): works offline;
- Sigstore (keyless: an OIDC identity, Fulcio certificate, Rekor log): needs the network.

The signed manifest covers every content file plus the provenance files already present
(`SHA256SUMS`, `release.spdx.json`, `release.cdx.json`), so signing last seals them too. The
signature file itself and `.releasekit/` are listed as ignored paths in the manifest, which lets
model-signing's own `verify` accept the folder as well.
"""

from __future__ import annotations

import os
import pathlib
import socket
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from releasekit.errors import MissingExtraError, ReleasekitError
from releasekit.provenance.hashing import Digests
from releasekit.provenance.scope import STAGING_DIR

SIGSTORE_HOSTS = ("oauth2.sigstore.dev", "fulcio.sigstore.dev", "rekor.sigstore.dev")


class SigningError(ReleasekitError):
    """Signing could not be done (bad key, no network for Sigstore)."""


class SignatureUnreadable(ValueError):
    """A signature that cannot be read or does not verify; the message is one line."""


def _require() -> None:
    try:
        import model_signing  # noqa: F401
    except ImportError:
        raise MissingExtraError("sign", "model-signing", "publish") from None


def build_manifest(name: str, digests: Mapping[str, Digests], ignored: Iterable[str], symlinks: bool):  # type: ignore[no-untyped-def]
    """A model-signing Manifest (file serialization, SHA-256) from releasekit's digests."""
    from model_signing import manifest
    from model_signing._hashing import hashing as ms_hashing

    # model-signing has no public constructor for a manifest of digests it did not compute; the
    # serialization type is the one its own file serializer records (hash_type sha256).
    serialization = manifest._FileSerialization("sha256", symlinks, [pathlib.Path(p) for p in sorted(set(ignored))])
    items = [
        manifest.FileManifestItem(path=pathlib.PurePosixPath(path), digest=ms_hashing.Digest("sha256", bytes.fromhex(d.sha256)))
        for path, d in digests.items()
    ]
    return manifest.Manifest(name, items, serialization)


def sigstore_reachable(timeout: float = 3.0) -> str | None:
    """None when the Sigstore services answer on port 443, else why not (one line)."""
    for host in SIGSTORE_HOSTS:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                pass
        except OSError as exc:
            return f"{host}:443 is unreachable ({exc.strerror or type(exc).__name__})"
    return None


def sign_manifest(
    manifest,  # type: ignore[no-untyped-def]
    signature_path: Path,
    *,
    key: Path | None = None,
    password: str | None = None,
    sigstore: bool = False,
    identity_token: str | None = None,
    staging: bool = False,
) -> None:
    """Sign `manifest` and write the bundle atomically to `signature_path`."""
    _require()
    from model_signing._signing import signing as ms_signing

    if key is not None:
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        from model_signing._signing import sign_ec_key

        try:
            private = load_pem_private_key(key.read_bytes(), password.encode() if password else None)
        except OSError as exc:
            raise SigningError(f"{key}: cannot read: {exc.strerror or exc}") from None
        except (ValueError, TypeError) as exc:
            why = "it is encrypted: give its password with --password-env" if "encrypted" in str(exc).lower() or \
                "password" in str(exc).lower() else "not a PEM private key"
            raise SigningError(f"{key}: {why}") from None
        if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name not in (
            "secp256r1", "secp384r1", "secp521r1"
        ):
            raise SigningError(f"{key}: model-signing signs with elliptic-curve keys (P-256, P-384, P-521) only")
        try:
            # model-signing types the password as str but hands it to cryptography, which wants bytes.
            signer = sign_ec_key.Signer(key, password.encode() if password else None)  # type: ignore[arg-type]
        except Exception as exc:
            raise SigningError(f"{key}: model-signing cannot use this key ({type(exc).__name__})") from None
    elif sigstore:
        unreachable = sigstore_reachable()
        if unreachable:
            raise SigningError(
                f"Sigstore signing needs the network and {unreachable}: sign offline with --key private.pem"
            )
        from model_signing._signing import sign_sigstore

        try:
            signer = sign_sigstore.Signer(
                use_ambient_credentials=identity_token is None, identity_token=identity_token, use_staging=staging
            )
        except Exception as exc:  # network, TUF and OIDC errors come in many types
            raise SigningError(f"Sigstore signing is unavailable: {type(exc).__name__}: {str(exc)[:200]}") from None
    else:
        raise SigningError("say how to sign: --key private.pem (offline) or --sigstore (needs the network)")
    try:
        signature = signer.sign(ms_signing.Payload(manifest))
    except SigningError:
        raise
    except Exception as exc:
        raise SigningError(f"signing failed: {type(exc).__name__}: {str(exc)[:200]}") from None
    folder = signature_path.parent if str(signature_path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{signature_path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        signature.write(Path(tmp))
        os.replace(tmp, signature_path)
    except OSError as exc:
        raise SigningError(f"{signature_path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ignored_paths(signature_rel: str | None, extra: Iterable[str] = ()) -> list[str]:
    return sorted({STAGING_DIR, *([signature_rel] if signature_rel else []), *extra})


def read_signed_manifest(
    signature_path: Path,
    *,
    key: Path | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    staging: bool = False,
) -> dict[str, str]:
    """Check the signature and return the manifest it signs (relative path -> SHA-256).

    Raises SignatureUnreadable (one line) when the file cannot be read, the signature does not
    verify with the key or identity given, or the manifest is inconsistent with its root digest.
    """
    _require()
    if key is not None:
        from model_signing._signing import sign_ec_key, sign_sigstore_pb

        try:
            verifier = sign_ec_key.Verifier(key)
        except OSError as exc:
            raise SignatureUnreadable(f"{key}: cannot read: {exc.strerror or exc}") from None
        except Exception:
            raise SignatureUnreadable(f"{key}: not an elliptic-curve public key in PEM") from None
        reader = sign_sigstore_pb.Signature
    elif identity and issuer:
        from model_signing._signing import sign_sigstore

        try:
            verifier = sign_sigstore.Verifier(identity=identity, oidc_issuer=issuer, use_staging=staging)
        except Exception as exc:
            raise SignatureUnreadable(
                f"Sigstore verification is unavailable here ({type(exc).__name__}: {str(exc)[:120]}); "
                "it needs the Sigstore trust root from the network"
            ) from None
        reader = sign_sigstore.Signature
    else:
        raise SignatureUnreadable("give --key public.pem, or --identity and --issuer for a Sigstore signature")
    try:
        signature = reader.read(signature_path)
    except OSError as exc:
        raise SignatureUnreadable(f"cannot read: {exc.strerror or exc}") from None
    except Exception as exc:
        raise SignatureUnreadable(f"not a model-signing bundle ({type(exc).__name__})") from None
    try:
        manifest = verifier.verify(signature)
    except Exception as exc:
        if type(exc).__name__ == "InvalidSignature":
            detail = "not valid for this key (the signed manifest or the signature was altered, or another key signed it)"
        else:
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise SignatureUnreadable(f"signature does not verify: {detail}") from None
    params = manifest.serialization_type
    if params.get("method") != "files" or params.get("hash_type") != "sha256":
        raise SignatureUnreadable(
            f"signed with model-signing serialization {params.get('method')}/{params.get('hash_type')}; "
            "releasekit checks file-by-file SHA-256 manifests"
        )
    return {rd.identifier: rd.digest.digest_hex for rd in manifest.resource_descriptors()}
