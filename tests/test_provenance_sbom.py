"""SBOMs of the example release: SPDX valid under spdx-tools' validator, CycloneDX valid under its schema."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from releasekit.example import build_example
from releasekit.provenance import build_cyclonedx, build_spdx
from tests.test_license_support import license_text


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def example(tmp_path) -> Path:
    root = build_example(tmp_path / "example")
    (root / "vendor" / "fastops").mkdir(parents=True)
    (root / "vendor" / "fastops" / "LICENSE").write_text(license_text("Apache-2.0"))
    (root / "vendor" / "fastops" / "ops.py").write_text("def op():\n    return 1\n")
    (root / "tools").mkdir()
    (root / "tools" / "bench.py").write_text("# SPDX-License-Identifier: BSD-3-Clause\nprint(1)\n")
    (root / "releasekit.toml").write_text(
        '[provenance]\nsupplier = "Example Lab"\ndownload_location = "https://huggingface.co/example-lab/tiny"\n'
        'version = "1.0"\n'
    )
    return root


def _spdx(run_cli, root: Path, out: Path):
    result = run_cli("sbom", root, "-o", out)
    assert result.exit_code == 0, result
    document = parse_file(str(out))
    assert validate_full_spdx_document(document) == []
    return document, json.loads(out.read_text())


def test_spdx_validates_and_describes_the_release(example, tmp_path, run_cli):
    document, raw = _spdx(run_cli, example, tmp_path / "release.spdx.json")
    assert raw["spdxVersion"] == "SPDX-2.3"
    (package,) = document.packages
    assert package.name == "example" and package.version == "1.0"
    assert package.supplier.name == "Example Lab"
    assert package.download_location == "https://huggingface.co/example-lab/tiny"
    assert str(package.license_concluded) == "MIT" and str(package.license_declared) == "MIT"
    files = {f.name: f for f in document.files}
    on_disk = sorted(p.relative_to(example).as_posix() for p in example.rglob("*") if p.is_file())
    assert sorted(n.removeprefix("./") for n in files) == on_disk
    for f in document.files:
        algorithms = {c.algorithm.name for c in f.checksums}
        assert algorithms == {"SHA1", "SHA256"}
        assert f.file_types
    licenses = {name: str(f.license_concluded) for name, f in files.items()}
    assert licenses["./tools/bench.py"] == "BSD-3-Clause"  # its SPDX header
    assert licenses["./vendor/fastops/ops.py"] == "Apache-2.0"  # the nested license file
    assert licenses["./model-00001-of-00002.safetensors"] == "MIT"  # the weights' (release) license
    assert files["./model-00001-of-00002.safetensors"].file_types[0].name == "BINARY"
    assert files["./inference/model.py"].file_types[0].name == "SOURCE"
    by_type = {}
    for r in document.relationships:
        by_type.setdefault(r.relationship_type.name, []).append((r.spdx_element_id, r.related_spdx_element_id))
    ids = {f.spdx_id: f.name for f in document.files}
    assert {ids[b] for a, b in by_type["CONTAINS"] if a == package.spdx_id} == set(files)
    card_id = files["./README.md"].spdx_id
    described = {ids[a] for a, b in by_type["DESCRIBED_BY"] if b == card_id}
    assert described == {"./model-00001-of-00002.safetensors", "./model-00002-of-00002.safetensors"}
    assert ("SPDXRef-DOCUMENT", package.spdx_id) in by_type["DESCRIBES"]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum is not installed")
def test_every_spdx_sha256_equals_sha256sum(example, tmp_path, run_cli):
    document, _ = _spdx(run_cli, example, tmp_path / "release.spdx.json")
    names = [f.name for f in document.files]
    out = subprocess.run(["sha256sum", *names], cwd=example, capture_output=True, text=True, check=True).stdout
    real = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in out.splitlines()}
    for f in document.files:
        assert [c.value for c in f.checksums if c.algorithm.name == "SHA256"] == [real[f.name]]


def test_model_license_refs_are_declared(tmp_path, run_cli):
    root = build_example(tmp_path / "llama")
    (root / "LICENSE").unlink()
    card = (root / "README.md").read_text().replace("license: mit", "license: llama3.1")
    (root / "README.md").write_text(card)
    document, raw = _spdx(run_cli, root, tmp_path / "llama.spdx.json")
    ref = str(document.packages[0].license_concluded)
    assert ref.startswith("LicenseRef-")
    assert [e["licenseId"] for e in raw["hasExtractedLicensingInfos"]] == [ref]


def test_spdx_api_matches_the_command(example):
    raw = json.loads(build_spdx(example))
    assert raw["packages"][0]["licenseConcluded"] == "MIT"
    assert not any(f["fileName"].endswith("release.spdx.json") for f in raw["files"])


def test_cyclonedx_ml_bom_validates_against_the_schema(example, tmp_path, run_cli):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    out = tmp_path / "release.cdx.json"
    result = run_cli("sbom", example, "--format", "cyclonedx", "-o", out)
    assert result.exit_code == 0, result
    text = out.read_text()
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    assert validator.validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model" and model["supplier"]["name"] == "Example Lab"
    card = model["modelCard"]
    assert card["modelParameters"]["task"] == "text-generation"
    assert card["modelParameters"]["modelArchitecture"] == "DeepseekV3ForCausalLM"
    assert "meaningless text" in card["considerations"]["technicalLimitations"][0]
    assert "random" in card["considerations"]["useCases"][0]
    files = {c["name"]: c for c in bom["components"] if c["type"] == "file"}
    assert {h["alg"] for h in files["model-00001-of-00002.safetensors"]["hashes"]} == {"SHA-1", "SHA-256"}
    assert files["tools/bench.py"]["licenses"] == [{"expression": "BSD-3-Clause"}]
    # The schema check covers the model card we add: a wrong field type is caught.
    card["modelParameters"]["datasets"] = "not-a-list"
    assert validator.validate_str(json.dumps(bom)) is not None


def test_cyclonedx_api(example):
    bom = json.loads(build_cyclonedx(example))
    assert len([c for c in bom["components"] if c["type"] == "file"]) == len(
        [p for p in example.rglob("*") if p.is_file()]
    )


def test_sbom_to_standard_output(example, run_cli):
    result = run_cli("sbom", example, "-o", "-")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["spdxVersion"] == "SPDX-2.3"
    assert not (example / "release.spdx.json").exists()


def test_large_boms_are_validated_in_complete_slices(example, monkeypatch):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from releasekit.provenance import cyclonedx_doc

    monkeypatch.setattr(cyclonedx_doc, "VALIDATE_SLICE", 4)
    bom = json.loads(build_cyclonedx(example))
    parts = cyclonedx_doc._slices(bom)
    assert len(parts) == -(-len(bom["components"]) // 4)
    seen = [c["name"] for part in parts for c in json.loads(part)["components"]]
    assert seen == [c["name"] for c in bom["components"]]  # every component validated once
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    assert all(validator.validate_str(part) is None for part in parts)
    bom["components"][-1]["hashes"][0]["alg"] = "CRC-32"  # not a CycloneDX hash algorithm
    assert validator.validate_str(cyclonedx_doc._slices(bom)[-1]) is not None


def test_large_spdx_documents_are_validated_in_complete_slices(example, monkeypatch):
    from spdx_tools.spdx.model import Checksum, ChecksumAlgorithm

    from releasekit.provenance import api, spdx_doc

    monkeypatch.setattr(spdx_doc, "VALIDATE_SLICE", 3)
    root, digests, info = api._prepare(example, [], None, True)
    document = spdx_doc.build_document(root, digests, info)
    assert spdx_doc.validate_document(document) == []
    assert validate_full_spdx_document(document) == []  # the same verdict as one pass
    document.files[-1].checksums = [Checksum(ChecksumAlgorithm.SHA1, "not-hex")]
    assert spdx_doc.validate_document(document)
    document = spdx_doc.build_document(root, digests, info)
    document.files[-1].spdx_id = document.files[0].spdx_id
    assert spdx_doc.validate_document(document) == ["two files share an SPDX id"]
