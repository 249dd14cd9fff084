"""What the SBOMs say about a release beyond digests: its identity, each file's type and license.

Licenses come from the license analysis `check` uses (`releasekit.licenses.scan`), file by file:
1. a code file's own `SPDX-License-Identifier` header;
2. else the license file of the innermost sub-folder holding it (vendored code);
3. else the release's license (the root LICENSE that agrees with the card, else the card's
   `license:`), which is the weights' license.
What cannot be concluded is NOASSERTION, never a guess.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from releasekit.cardmeta.load import CARD_PATH, card_metadata, load_card
from releasekit.config import Settings, load_file_settings
from releasekit.context import Context
from releasekit.errors import UsageError
from releasekit.provenance.settings import SETTINGS_TABLE
from releasekit.licenses import scan as license_scan
from releasekit.licenses import spdx as spdx_ids
from releasekit.release import FileKind, Release

WEIGHT_KINDS = (FileKind.SAFETENSORS, FileKind.PICKLE)
WEIGHT_SUFFIXES = frozenset({".gguf", ".onnx", ".tflite", ".mlmodel", ".h5", ".keras", ".msgpack"})


@dataclasses.dataclass(frozen=True)
class FileInfo:
    path: str
    kind: FileKind
    license: str | None  # a valid SPDX expression (LicenseRef- allowed), or None for NOASSERTION
    license_source: str  # why: "SPDX header", "inference/LICENSE", "release license"
    is_weights: bool


@dataclasses.dataclass(frozen=True)
class ReleaseInfo:
    name: str
    version: str | None
    supplier: str | None
    download_location: str | None
    license: str | None  # the release's (and the weights') license, a valid expression or None
    license_source: str | None
    card: str | None  # path of the model card, when there is one
    card_metadata: Mapping[str, Any]
    card_body: str
    config: Mapping[str, Any]  # the root config.json ({} when missing or not an object)
    files: Mapping[str, FileInfo]
    license_texts: Mapping[str, str]  # LicenseRef-x -> where its text lives, for SPDX extracted licensing info


def valid_expression(expression: str | None) -> str | None:
    """The normalised expression when it is valid SPDX (LicenseRef- allowed), else None."""
    if not expression:
        return None
    parsed = spdx_ids.parse(expression)
    return parsed.normalized if parsed.error is None else None


def _setting(table: Mapping[str, Any], key: str, override: str | None) -> str | None:
    if override:
        return override
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"releasekit.toml: [provenance] {key} must be a string")
    return value


def describe(root: Path, release: Release, paths: set[str], overrides: Mapping[str, str | None] | None = None) -> ReleaseInfo:
    """Describe the content files `paths` of `release`; `overrides` come from the command line."""
    overrides = overrides or {}
    raw, _source = load_file_settings(root)
    table = raw.get("provenance", {})
    if not isinstance(table, dict):
        raise UsageError("releasekit.toml: [provenance] must be a table")
    unknown = set(table) - set(SETTINGS_TABLE)
    if unknown:
        raise UsageError(f"releasekit.toml: [provenance] unknown key(s) {', '.join(sorted(unknown))}")
    ctx = Context(release, Settings())
    scanned = license_scan.scan(ctx)
    metadata = card_metadata(ctx)
    release_license = valid_expression(scanned.release_license)
    headers: dict[str, str | None] = {}
    for header in scanned.headers:
        headers.setdefault(header.path, header.parsed.normalized if header.parsed.error is None else None)
    files: dict[str, FileInfo] = {}
    for f in release.files:
        if f.path not in paths:
            continue
        if f.path in headers:
            lic, why = headers[f.path], "SPDX header"
        elif (nested := scanned.nested_license_of(f.path)) is not None:
            lic, why = valid_expression(nested.identification.license_id), nested.path
        else:
            lic, why = release_license, "release license"
        weights = f.kind in WEIGHT_KINDS or f.suffix in WEIGHT_SUFFIXES
        files[f.path] = FileInfo(f.path, f.kind, lic, why, weights)
    card = CARD_PATH if CARD_PATH in paths else None
    name = _setting(table, "name", overrides.get("name")) or _card_str(metadata, "model_name") or release.name
    version = _setting(table, "version", overrides.get("version")) or _card_str(metadata, "version")
    refs: dict[str, str] = {}
    for info in files.values():
        for ref in re.findall(r"LicenseRef-[A-Za-z0-9.\-]+", info.license or ""):
            refs.setdefault(ref, scanned.release_license_source or CARD_PATH)
    for ref in re.findall(r"LicenseRef-[A-Za-z0-9.\-]+", release_license or ""):
        refs.setdefault(ref, scanned.release_license_source or CARD_PATH)
    return ReleaseInfo(
        name=name,
        version=version,
        supplier=_setting(table, "supplier", overrides.get("supplier")),
        download_location=_setting(table, "download_location", overrides.get("download_location")),
        license=release_license,
        license_source=scanned.release_license_source,
        card=card,
        card_metadata=metadata,
        card_body=card_doc.body if (card_doc := load_card(ctx)) is not None else "",
        config=ctx.config_json() or {},
        files=files,
        license_texts=refs,
    )


def _card_str(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    return value if isinstance(value, str) and value.strip() else None
