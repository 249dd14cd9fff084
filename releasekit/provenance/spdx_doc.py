"""The SPDX 2.3 document of a release, built and validated with spdx-tools.

The release is one package (SPDXRef-Release) that CONTAINS every file; each file carries its SHA-1
(SPDX requires it) and SHA-256, its type and its concluded license; the weights are DESCRIBED_BY
the model card. The document is checked with spdx-tools' own validator before it is written: an
invalid SBOM is an error, never an output.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from releasekit import __version__
from releasekit.errors import ReleasekitError
from releasekit.licenses import hub
from releasekit.provenance.describe import ReleaseInfo, valid_expression
from releasekit.provenance.hashing import Digests
from releasekit.release import FileKind

PACKAGE_ID = "SPDXRef-Release"
VALIDATE_SLICE = 500
MAX_LICENSE_TEXT = 1024 * 1024
_FILE_TYPES = {
    FileKind.SAFETENSORS: "BINARY",
    FileKind.PICKLE: "BINARY",
    FileKind.CODE: "SOURCE",
    FileKind.DOCUMENT: "DOCUMENTATION",
    FileKind.CARD: "DOCUMENTATION",
    FileKind.LICENSE: "TEXT",
    FileKind.CONFIG: "TEXT",
    FileKind.OTHER: "OTHER",
}


class SbomError(ReleasekitError):
    """An SBOM that could not be built or read."""


def created_at(root: Path | None = None, paths: Iterable[str] = ()) -> datetime.datetime:
    """SOURCE_DATE_EPOCH when set; else the newest modification time of the release's files; else now.

    The reproducible-builds convention: the same release gives the same document, so publishing
    twice replaces no asset, and a changed file changes the date.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).replace(tzinfo=None)
    newest = 0.0
    for path in paths if root is not None else ():
        try:
            newest = max(newest, os.lstat(root / path).st_mtime)
        except OSError:
            continue
    if newest:
        return datetime.datetime.fromtimestamp(int(newest), datetime.timezone.utc).replace(tzinfo=None)
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)


def content_namespace(name: str, digests: Mapping[str, Digests]) -> str:
    """A document namespace unique to this content (SPDX asks for one URI per document version)."""
    key = "\n".join(f"{path}\0{d.sha256}" for path, d in sorted(digests.items()))
    return f"https://spdx.org/spdxdocs/releasekit/{name}-{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def file_spdx_id(path: str) -> str:
    """A stable, valid SPDX id for a file path (readable part + hash, so it is unique)."""
    readable = re.sub(r"[^A-Za-z0-9.\-]+", "-", path).strip("-.")[:60] or "file"
    return f"SPDXRef-File-{readable}-{hashlib.sha256(path.encode('utf-8', 'surrogateescape')).hexdigest()[:10]}"


def _declared(info: ReleaseInfo) -> str | None:
    hub_id = info.card_metadata.get("license")
    name = info.card_metadata.get("license_name")
    if not isinstance(hub_id, str) or hub_id in ("unknown", ""):
        return None
    return valid_expression(hub.to_spdx(hub_id, name if isinstance(name, str) else None))


def _license_text(root: Path, source: str) -> str:
    path = root / source
    if source and path.is_file() and not path.is_symlink():
        with open(path, "rb") as handle:
            text = handle.read(MAX_LICENSE_TEXT).decode("utf-8", "replace").strip()
        if text:
            return text
    return f"The license named by the model card ({source or 'README.md'}); its text is not part of the release."


def build_document(root: Path, digests: Mapping[str, Digests], info: ReleaseInfo):  # -> spdx Document
    from spdx_tools.common.spdx_licensing import spdx_licensing
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        Checksum,
        ChecksumAlgorithm,
        CreationInfo,
        Document,
        ExtractedLicensingInfo,
        File,
        FileType,
        Package,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )
    from spdx_tools.spdx.spdx_element_utils import calculate_package_verification_code

    def lic(expression: str | None):
        return spdx_licensing.parse(expression) if expression else SpdxNoAssertion()

    files = []
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, PACKAGE_ID)]
    for path, d in digests.items():
        meta = info.files.get(path)
        kind = meta.kind if meta else FileKind.OTHER
        spdx_id = file_spdx_id(path)
        files.append(
            File(
                name=f"./{path}",
                spdx_id=spdx_id,
                checksums=[Checksum(ChecksumAlgorithm.SHA1, d.sha1), Checksum(ChecksumAlgorithm.SHA256, d.sha256)],
                file_types=[FileType[_FILE_TYPES[kind]]],
                license_concluded=lic(meta.license if meta else None),
                license_comment=f"concluded from: {meta.license_source}" if meta and meta.license else None,
            )
        )
        relationships.append(Relationship(PACKAGE_ID, RelationshipType.CONTAINS, spdx_id))
    if info.card is not None and info.card in digests:
        card_id = file_spdx_id(info.card)
        for path in digests:
            meta = info.files.get(path)
            if meta is not None and meta.is_weights:
                relationships.append(Relationship(file_spdx_id(path), RelationshipType.DESCRIBED_BY, card_id))
    declared = _declared(info)
    from_files = sorted({m.license for m in info.files.values() if m.license and m.path in digests})
    package = Package(
        spdx_id=PACKAGE_ID,
        name=info.name,
        download_location=info.download_location or SpdxNoAssertion(),
        version=info.version,
        supplier=Actor(ActorType.ORGANIZATION, info.supplier) if info.supplier else SpdxNoAssertion(),
        files_analyzed=True,
        verification_code=calculate_package_verification_code(files) if files else None,
        license_concluded=lic(info.license),
        license_declared=lic(declared),
        license_info_from_files=[lic(x) for x in from_files] or [SpdxNoAssertion()],
        copyright_text=SpdxNoAssertion(),
        comment="A machine-learning model release (weights, code, model card), described by releasekit.",
    )
    refs = set(info.license_texts)
    for expression in [declared or "", *from_files]:
        refs.update(re.findall(r"LicenseRef-[A-Za-z0-9.\-]+", expression))
    extracted = [
        ExtractedLicensingInfo(
            license_id=ref,
            extracted_text=_license_text(root, info.license_texts.get(ref, info.license_source or "")),
            license_name=ref.removeprefix("LicenseRef-"),
        )
        for ref in sorted(refs)
    ]
    name = re.sub(r"[^A-Za-z0-9.\-]+", "-", info.name).strip("-") or "release"
    creation = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=f"{info.name} release",
        document_namespace=content_namespace(name, digests),
        creators=[Actor(ActorType.TOOL, f"releasekit-{__version__}")],
        created=created_at(root, digests),
    )
    return Document(creation, packages=[package], files=files, relationships=relationships,
                    extracted_licensing_info=extracted)


def validate_document(document) -> list[str]:  # type: ignore[no-untyped-def]
    """spdx-tools' validator over the whole document, in complete slices when it is large.

    The validator looks every relationship's ends up in a fresh list of all element ids
    (quadratic: minutes for 10,000 files), so past VALIDATE_SLICE files each slice is a complete
    document: the package, a slice of files and the relationships among them; the weights and the
    card form one more slice with their DESCRIBED_BY relationships. Ids are unique by construction
    and checked here, the one property slices cannot see.
    """
    from spdx_tools.spdx.model import Document
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    files = document.files
    if len(files) <= VALIDATE_SLICE:
        return [m.validation_message for m in validate_full_spdx_document(document)]
    ids = [f.spdx_id for f in files]
    if len(set(ids)) != len(ids):
        return ["two files share an SPDX id"]
    top = {"SPDXRef-DOCUMENT", PACKAGE_ID}
    slices = [files[i : i + VALIDATE_SLICE] for i in range(0, len(files), VALIDATE_SLICE)]
    described = [r for r in document.relationships if r.relationship_type.name == "DESCRIBED_BY"]
    ends = {r.spdx_element_id for r in described} | {r.related_spdx_element_id for r in described}
    if ends:
        slices.append([f for f in files if f.spdx_id in ends])
    messages: list[str] = []
    for part in slices:
        inside = top | {f.spdx_id for f in part}
        relationships = [
            r for r in document.relationships
            if r.spdx_element_id in inside and str(r.related_spdx_element_id) in inside
        ]
        sliced = Document(document.creation_info, packages=document.packages, files=part,
                          relationships=relationships, extracted_licensing_info=document.extracted_licensing_info)
        messages += [m.validation_message for m in validate_full_spdx_document(sliced)]
    return messages


def render_spdx(root: Path, digests: Mapping[str, Digests], info: ReleaseInfo) -> str:
    """The SPDX JSON text; raises SbomError when spdx-tools' validator rejects the document."""
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    document = build_document(root, digests, info)
    problems = validate_document(document)
    if problems:
        raise SbomError(f"the SPDX document does not validate: {problems[0]} ({len(problems)} problem(s))")
    stream = io.StringIO()
    write_document_to_stream(document, stream, validate=False)
    return stream.getvalue() + "\n"


def sbom_sha256s(path: Path) -> dict[str, str]:
    """Relative path -> SHA-256 from an SPDX (JSON, YAML, tag-value, RDF) or CycloneDX JSON SBOM."""
    try:
        head = path.read_bytes()
    except OSError as exc:
        raise SbomError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(head)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("bomFormat") == "CycloneDX":
        return _cyclonedx_sha256s(path, data)
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file

    try:
        document = parse_file(str(path))
    except SPDXParsingError as exc:
        first = exc.get_messages()[0] if exc.get_messages() else "unreadable"
        raise SbomError(f"{path}: not a valid SPDX document: {first}") from None
    except Exception as exc:  # the parsers raise many kinds on hostile input
        raise SbomError(f"{path}: not a readable SBOM: {type(exc).__name__}") from None
    out: dict[str, str] = {}
    for f in document.files:
        sha256 = [c.value.lower() for c in f.checksums if c.algorithm.name == "SHA256"]
        if not sha256:
            raise SbomError(f"{path}: file {f.name!r} has no SHA-256 checksum")
        out[f.name.removeprefix("./")] = sha256[0]
    return out


def _cyclonedx_sha256s(path: Path, data: dict) -> dict[str, str]:  # type: ignore[type-arg]
    out: dict[str, str] = {}
    for component in data.get("components", []) or []:
        if not isinstance(component, dict) or component.get("type") != "file":
            continue
        hashes = [h.get("content", "") for h in component.get("hashes", []) or [] if isinstance(h, dict)
                  and h.get("alg") == "SHA-256"]
        name = component.get("name")
        if not isinstance(name, str) or not hashes or not isinstance(hashes[0], str):
            raise SbomError(f"{path}: a file component without a name or a SHA-256 hash")
        out[name.removeprefix("./")] = hashes[0].lower()
    return out
