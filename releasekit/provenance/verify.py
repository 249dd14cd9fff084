"""Check a release folder against its signature, SBOM and SHA256SUMS: nothing missing, added or changed.

Every file is read again (the cache is not trusted unless asked), compared with each source
given, and each difference becomes one line. The provenance files themselves and `.releasekit/`
are never counted as added (see `scope`); the provenance files a signature lists are checked too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from releasekit.errors import UsageError
from releasekit.provenance.api import hash_content
from releasekit.provenance.checksums import ChecksumsFormatError, parse_sha256sums
from releasekit.provenance.hashing import hash_many
from releasekit.provenance.scope import CYCLONEDX_NAME, SHA256SUMS_NAME, SIGNATURE_NAME, SPDX_NAME, relative_inside


@dataclasses.dataclass(frozen=True)
class Difference:
    path: str
    problem: str  # "changed", "missing", "added", "renamed", "unreadable", "invalid"
    detail: str

    def line(self) -> str:
        return printable(f"{self.path}: {self.problem}: {self.detail}")


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    differences: tuple[Difference, ...]
    sources: tuple[str, ...]  # what was checked, e.g. ("signature model.sig", "SHA256SUMS")
    files: int  # content files read
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.differences


def printable(text: str) -> str:
    """A release-controlled name made safe for one terminal line (control characters escaped)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclasses.dataclass(frozen=True)
class _Source:
    label: str
    expected: Mapping[str, str]  # path -> sha256
    covers_artifacts: bool  # a signature also lists provenance files


def verify_release(
    root: str | Path,
    *,
    signature: Path | None = None,
    key: Path | None = None,
    identity: str | None = None,
    issuer: str | None = None,
    sbom: Path | None = None,
    sboms: tuple[Path, ...] = (),
    sha256sums: Path | None = None,
    use_cache: bool = False,
    staging: bool = False,
) -> VerifyResult:
    """Compare the folder with every source given (and the default-named ones found in it)."""
    from releasekit.provenance.signing import SignatureUnreadable, read_signed_manifest
    from releasekit.provenance.spdx_doc import SbomError, sbom_sha256s

    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder")
    notes: list[str] = []
    if signature is None and (root / SIGNATURE_NAME).is_file():
        if key is not None or (identity and issuer):
            signature = root / SIGNATURE_NAME
        else:
            notes.append(f"{SIGNATURE_NAME} not checked: give --key public.pem (or --identity and --issuer)")
    sbom_files = [*sboms, *([sbom] if sbom is not None else [])]
    if not sbom_files:
        sbom_files = [root / name for name in (SPDX_NAME, CYCLONEDX_NAME) if (root / name).is_file()]
    if sha256sums is None and (root / SHA256SUMS_NAME).is_file():
        sha256sums = root / SHA256SUMS_NAME
    if signature is None and not sbom_files and sha256sums is None:
        raise UsageError(
            f"{root}: nothing to verify against: give --signature, --sbom or --sha256sums "
            f"(or keep {SIGNATURE_NAME}, {SPDX_NAME}, {SHA256SUMS_NAME} in the folder)"
        )
    given = [p for p in (signature, *sbom_files, sha256sums) if p is not None]
    inside = [rel for p in given if (rel := relative_inside(root, p)) is not None]
    hashed = hash_content(root, exclude=inside, use_cache=use_cache)
    differences: list[Difference] = []
    sources: list[_Source] = []

    if signature is not None:
        label = f"the signature ({signature.name})"
        try:
            sources.append(_Source(label, read_signed_manifest(signature, key=key, identity=identity,
                                                               issuer=issuer, staging=staging), True))
        except SignatureUnreadable as exc:
            differences.append(Difference(relative_inside(root, signature) or str(signature), "invalid", str(exc)))
    for sbom_file in sbom_files:
        try:
            sources.append(_Source(f"the SBOM ({sbom_file.name})", sbom_sha256s(sbom_file), False))
        except SbomError as exc:
            where = relative_inside(root, sbom_file) or str(sbom_file)
            differences.append(Difference(where, "invalid", str(exc).split(": ", 1)[-1]))
    if sha256sums is not None:
        try:
            sources.append(_Source(sha256sums.name, parse_sha256sums(sha256sums.read_bytes()), False))
        except (OSError, ChecksumsFormatError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            differences.append(Difference(relative_inside(root, sha256sums) or str(sha256sums), "invalid", str(why)))

    actual = {p: d.sha256 for p, d in hashed.digests.items()}
    artifact_paths = set(hashed.content.artifacts)
    artifact_digests, _ = hash_many({p: hashed.root / p for p in artifact_paths}, workers=2)
    for path, why in hashed.failures.items():
        differences.append(Difference(path, "unreadable", why))
    merged: dict[tuple[str, str], list[str]] = {}
    details: dict[tuple[str, str], str] = {}

    def add(path: str, problem: str, detail: str, label: str) -> None:
        merged.setdefault((path, problem), []).append(label)
        details.setdefault((path, problem), detail)

    for source in sources:
        missing = {p: h for p, h in source.expected.items() if p not in actual and p not in hashed.failures}
        added = {p: h for p, h in actual.items() if p not in source.expected}
        for path, want in source.expected.items():
            if path in actual:
                if actual[path] != want.lower():
                    add(path, "changed", "content differs from", source.label)
            elif path in artifact_paths and source.covers_artifacts:
                got = artifact_digests.get(path)
                if got is None or got.sha256 != want.lower():
                    add(path, "changed", "content differs from", source.label)
                missing.pop(path, None)
        by_hash: dict[str, list[str]] = {}
        for path, h in added.items():
            by_hash.setdefault(h, []).append(path)
        for path, want in sorted(missing.items()):
            if path in artifact_paths or (source.covers_artifacts and _is_artifact_name(path)):
                if path not in artifact_paths:
                    add(path, "missing", "listed in", source.label)
                continue
            twins = by_hash.get(want.lower())
            if twins:
                new = twins.pop(0)
                added.pop(new, None)
                add(path, "renamed", f"now {printable(new)} (same content); listed in", source.label)
            else:
                add(path, "missing", "listed in", source.label)
        for path in sorted(added):
            add(path, "added", "not listed in", source.label)
    for (path, problem), labels in merged.items():
        differences.append(Difference(path, problem, f"{details[(path, problem)]} {', '.join(labels)}"))
    differences.sort(key=lambda d: (d.path, d.problem))
    return VerifyResult(tuple(differences), tuple(s.label for s in sources), len(hashed.content.files), tuple(notes))


def _is_artifact_name(path: str) -> bool:
    return path in (SHA256SUMS_NAME, SPDX_NAME, CYCLONEDX_NAME)
