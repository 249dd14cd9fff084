"""The CycloneDX 1.6 ML-BOM of a release, built with cyclonedx-python-lib.

The release is a `machine-learning-model` component (metadata.component) with its model card;
every file is a `file` component with its SHA-1 and SHA-256 hashes and concluded license, and the
model depends on each file. cyclonedx-python-lib has no model for `modelCard` yet (its Component
has the property commented out), so the card is added to the library's JSON output, and the whole
document is then validated against the CycloneDX 1.6 JSON schema the library ships: an invalid
document is an error, never an output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from releasekit import __version__
from releasekit.cardmeta.sections import headings
from releasekit.provenance.describe import ReleaseInfo
from releasekit.provenance.hashing import Digests
from releasekit.provenance.spdx_doc import SbomError, created_at

MODEL_REF = "release"
# jsonschema checks `uniqueItems` pairwise (quadratic): past this many components the document is
# validated in slices, each a complete BOM; bom-refs are unique by construction (one per path).
VALIDATE_SLICE = 200
MAX_SECTION_CHARS = 4000
# Hub pipeline tags whose inputs and outputs are plain text / images / audio.
_IO = {
    "text-generation": ("text", "text"),
    "text2text-generation": ("text", "text"),
    "translation": ("text", "text"),
    "summarization": ("text", "text"),
    "fill-mask": ("text", "text"),
    "question-answering": ("text", "text"),
    "feature-extraction": ("text", "embedding"),
    "sentence-similarity": ("text", "embedding"),
    "text-classification": ("text", "label"),
    "token-classification": ("text", "label"),
    "image-classification": ("image", "label"),
    "image-text-to-text": ("image, text", "text"),
    "text-to-image": ("text", "image"),
    "automatic-speech-recognition": ("audio", "text"),
    "text-to-speech": ("text", "audio"),
}


def _section(body: str, *patterns: str) -> str | None:
    """The text under the first heading matching one of `patterns`, up to the next heading of its level."""
    lines = body.splitlines()
    found = headings(body)
    for i, heading in enumerate(found):
        if any(re.search(p, heading.text, re.I) for p in patterns):
            end = len(lines)
            for later in found[i + 1 :]:
                if later.level <= heading.level:
                    end = later.line - 1
                    break
            text = "\n".join(
                line for line in lines[heading.line : end] if not re.match(r"^\s*#{1,6}\s", line)
            ).strip()
            if text:
                return text[:MAX_SECTION_CHARS]
    return None


def model_card(info: ReleaseInfo) -> dict[str, Any]:
    """The CycloneDX `modelCard` object from the card's metadata and sections and config.json."""
    meta, config = info.card_metadata, info.config
    parameters: dict[str, Any] = {}
    task = meta.get("pipeline_tag")
    if isinstance(task, str) and task:
        parameters["task"] = task
        if task in _IO:
            parameters["inputs"] = [{"format": _IO[task][0]}]
            parameters["outputs"] = [{"format": _IO[task][1]}]
    family = config.get("model_type")
    if isinstance(family, str) and family:
        parameters["architectureFamily"] = family
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures and isinstance(architectures[0], str):
        parameters["modelArchitecture"] = architectures[0]
    datasets = meta.get("datasets")
    if isinstance(datasets, str):
        datasets = [datasets]
    if isinstance(datasets, list):
        named = [d for d in datasets if isinstance(d, str) and d]
        if named:
            parameters["datasets"] = [{"type": "dataset", "name": d} for d in named]
    card: dict[str, Any] = {"bom-ref": "model-card"}
    if parameters:
        card["modelParameters"] = parameters
    metrics = _metrics(meta)
    if metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations: dict[str, Any] = {}
    uses = _section(info.card_body, r"^direct use", r"intended use", r"^uses?$")
    if uses:
        considerations["useCases"] = [uses]
    out_of_scope = _section(info.card_body, r"out.of.scope")
    limits = _section(info.card_body, r"bias|risks|limitations")
    if limits:
        considerations["technicalLimitations"] = [limits]
    if out_of_scope:
        considerations["ethicalConsiderations"] = [{"name": "Out-of-scope use", "mitigationStrategy": out_of_scope}]
    if considerations:
        card["considerations"] = considerations
    return card


def _metrics(meta: Mapping[str, Any]) -> list[dict[str, str]]:
    """`model-index` results of the card as CycloneDX performance metrics."""
    out: list[dict[str, str]] = []
    index = meta.get("model-index")
    if not isinstance(index, list):
        return out
    for model in index:
        for result in (model.get("results") or []) if isinstance(model, dict) else []:
            if not isinstance(result, dict):
                continue
            dataset = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
            for metric in result.get("metrics") or []:
                if isinstance(metric, dict) and metric.get("type") is not None and metric.get("value") is not None:
                    entry = {"type": str(metric["type"]), "value": str(metric["value"])}
                    if dataset.get("name"):
                        entry["slice"] = str(dataset["name"])
                    out.append(entry)
    return out[:200]


def _licenses(expression: str | None):  # type: ignore[no-untyped-def]
    from cyclonedx.model.license import LicenseExpression

    return [LicenseExpression(expression)] if expression else []


def render_cyclonedx(digests: Mapping[str, Digests], info: ReleaseInfo) -> str:
    """The CycloneDX 1.6 JSON text; raises SbomError when it does not validate against the schema."""
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    model = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=info.name,
        version=info.version,
        bom_ref=MODEL_REF,
        supplier=OrganizationalEntity(name=info.supplier) if info.supplier else None,
        licenses=_licenses(info.license),
        description="A machine-learning model release (weights, code, model card).",
    )
    files = []
    for path, d in digests.items():
        meta = info.files.get(path)
        files.append(
            Component(
                type=ComponentType.FILE,
                name=path,
                bom_ref=f"file:{path}",
                hashes=[HashType(alg=HashAlgorithm.SHA_1, content=d.sha1),
                        HashType(alg=HashAlgorithm.SHA_256, content=d.sha256)],
                licenses=_licenses(meta.license if meta else None),
            )
        )
    bom = Bom(components=files, metadata=BomMetaData(component=model, timestamp=created_at()))
    bom.register_dependency(model, files)
    data = json.loads(JsonV1Dot6(bom).output_as_string())
    data["metadata"]["component"]["modelCard"] = model_card(info)
    data["metadata"].setdefault("tools", {}).setdefault("components", []).append(
        {"type": "application", "name": "releasekit", "version": __version__}
    )
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for part in _slices(data):
        error = validator.validate_str(part)
        if error is not None:
            raise SbomError(f"the CycloneDX document does not validate against the 1.6 schema: {str(error)[:300]}")
    return text


def _slices(data: dict[str, Any]) -> list[str]:
    """The document itself when small, else complete BOMs of VALIDATE_SLICE file components each."""
    components = data.get("components", [])
    if len(components) <= VALIDATE_SLICE:
        return [json.dumps(data)]
    refs = [c["bom-ref"] for c in components]
    if len(set(refs)) != len(refs):
        raise SbomError("the CycloneDX document repeats a bom-ref")
    parts = []
    for start in range(0, len(components), VALIDATE_SLICE):
        chunk = components[start : start + VALIDATE_SLICE]
        inside = {c["bom-ref"] for c in chunk} | {MODEL_REF}
        dependencies = [
            {**d, "dependsOn": [r for r in d.get("dependsOn", []) if r in inside]}
            for d in data.get("dependencies", [])
            if d.get("ref") in inside
        ]
        parts.append(json.dumps({**data, "components": chunk, "dependencies": dependencies}))
    return parts
