"""The provenance operations as functions: hash once, then write SHA256SUMS and SBOMs from the digests."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from releasekit.errors import ReleasekitError
from releasekit.fsutil import write_atomic
from releasekit.provenance.cache import DigestCache, cache_dir
from releasekit.provenance.checksums import format_sha256sums
from releasekit.provenance.describe import describe
from releasekit.provenance.hashing import Digests, hash_many
from releasekit.provenance.scope import SIGNATURE_NAME, Content, list_content, relative_inside


class HashingError(ReleasekitError):
    """Some content of the release could not be hashed (a FIFO, an unreadable file, a broken link)."""


@dataclasses.dataclass(frozen=True)
class HashedContent:
    content: Content
    digests: dict[str, Digests]
    failures: dict[str, str]  # path -> why it could not be hashed (including FIFOs, devices)
    cache_hits: int

    @property
    def root(self) -> Path:
        return self.content.root


def hash_content(
    root: str | os.PathLike[str],
    *,
    exclude: Iterable[str] = (),
    use_cache: bool = True,
    workers: int | None = None,
) -> HashedContent:
    """List and hash the release's content; never raises for one bad file (see `failures`)."""
    content = list_content(root, exclude)
    cache = None
    if use_cache and relative_inside(content.root, cache_dir()) is None:
        cache = DigestCache(content.root)
    digests, failures = hash_many(
        content.files,
        workers=workers,
        known=cache.lookup if cache else None,
        on_done=cache.store if cache else None,
    )
    for path, what in content.problems:
        failures[path] = what
    if cache is not None:
        cache.save(keep=set(content.files))
    return HashedContent(content, digests, dict(sorted(failures.items())), cache.hits if cache else 0)


def require_complete(hashed: HashedContent) -> dict[str, Digests]:
    """The digests, or HashingError naming the first file that could not be hashed."""
    if hashed.failures:
        path, why = next(iter(hashed.failures.items()))
        more = f" (and {len(hashed.failures) - 1} more)" if len(hashed.failures) > 1 else ""
        raise HashingError(f"{path!r}: cannot be hashed: {why}{more}")
    return hashed.digests


def hash_release(
    root: str | os.PathLike[str], *, exclude: Iterable[str] = (), use_cache: bool = True, workers: int | None = None
) -> dict[str, Digests]:
    """Relative POSIX path -> Digests for every content file; raises HashingError when one cannot be read."""
    return require_complete(hash_content(root, exclude=exclude, use_cache=use_cache, workers=workers))


def write_sha256sums(
    root: str | os.PathLike[str], dest: str | os.PathLike[str], *, digests: Mapping[str, Digests] | None = None
) -> int:
    """Write SHA256SUMS for the release at `dest` (atomically); returns the number of files listed."""
    root_path = Path(root)
    own = relative_inside(root_path, dest)
    if digests is None:
        digests = hash_release(root_path, exclude=[own] if own else [])
    elif own is not None:
        digests = {p: d for p, d in digests.items() if p != own}
    write_atomic(Path(dest), format_sha256sums(digests))
    return len(digests)


def _prepare(root: Path, exclude: Iterable[str], overrides: Mapping[str, str | None] | None, use_cache: bool):
    hashed = hash_content(root, exclude=exclude, use_cache=use_cache)
    digests = require_complete(hashed)
    info = describe(hashed.root, hashed.content.release, set(digests), overrides)
    return hashed.root, digests, info


def build_spdx(
    root: str | os.PathLike[str],
    *,
    exclude: Iterable[str] = (),
    overrides: Mapping[str, str | None] | None = None,
    use_cache: bool = True,
) -> str:
    """The release's SPDX 2.3 JSON document, validated with spdx-tools' validator."""
    from releasekit.provenance.spdx_doc import render_spdx

    resolved, digests, info = _prepare(Path(root), exclude, overrides, use_cache)
    return render_spdx(resolved, digests, info)


def build_cyclonedx(
    root: str | os.PathLike[str],
    *,
    exclude: Iterable[str] = (),
    overrides: Mapping[str, str | None] | None = None,
    use_cache: bool = True,
) -> str:
    """The release's CycloneDX 1.6 ML-BOM (JSON), validated against the CycloneDX schema."""
    from releasekit.provenance.cyclonedx_doc import render_cyclonedx

    resolved, digests, info = _prepare(Path(root), exclude, overrides, use_cache)
    return render_cyclonedx(digests, info)


@dataclasses.dataclass(frozen=True)
class SignResult:
    signature: Path
    files: int  # content files signed
    artifacts: tuple[str, ...]  # provenance files sealed with them


def sign_release(
    root: str | os.PathLike[str],
    signature_path: str | os.PathLike[str],
    *,
    key: Path | None = None,
    password: str | None = None,
    sigstore: bool = False,
    identity_token: str | None = None,
    staging: bool = False,
    use_cache: bool = True,
) -> SignResult:
    """Sign every content file and the provenance files present, with model-signing."""
    from releasekit.provenance.signing import build_manifest, ignored_paths, sign_manifest

    root_path = Path(root)
    signature = Path(signature_path)
    own = relative_inside(root_path, signature)
    hashed = hash_content(root_path, exclude=[own] if own else [], use_cache=use_cache)
    digests = dict(require_complete(hashed))
    # Another signature is never sealed (a stale model.sig beside a signature written elsewhere).
    artifacts = tuple(p for p in hashed.content.artifacts if p not in (own, SIGNATURE_NAME))
    sealed, failures = hash_many({p: hashed.root / p for p in artifacts}, workers=2)
    if failures:
        path, why = next(iter(failures.items()))
        raise HashingError(f"{path!r}: cannot be hashed: {why}")
    digests.update(sealed)
    symlinks = any(f.is_symlink for f in hashed.content.release.files if f.path in digests)
    ignored = ignored_paths(own, [SIGNATURE_NAME])
    manifest = build_manifest(hashed.root.name, dict(sorted(digests.items())), ignored, symlinks)
    sign_manifest(manifest, signature, key=key, password=password, sigstore=sigstore,
                  identity_token=identity_token, staging=staging)
    return SignResult(signature, len(hashed.digests), artifacts)
