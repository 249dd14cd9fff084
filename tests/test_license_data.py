"""The dated data files: each says where it came from, and holds what the rules rely on."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from releasekit.cardmeta import hubdata
from releasekit.licenses import hub, spdx, texts
from releasekit.openness import licensing

DATA = resources.files("releasekit") / "data"
SNAPSHOTS = [
    hub.HUB_LICENSES_FILE,
    hubdata.PIPELINE_TAGS_FILE,
    hubdata.LIBRARIES_FILE,
    hubdata.LANGUAGES_FILE,
    spdx.SPDX_FLAGS_FILE,
    licensing.MOF_LICENSES_FILE,
]


@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot_records_its_source_and_date(name: str) -> None:
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    assert data["source"].startswith(("http", "SPDX", "Model Openness Tool"))
    assert len(data["commit"]) == 40 and data["retrieved"] == "2026-11-25"
    assert data["snapshot_date"][:7] in name, "the file name carries the snapshot's month"


def test_hub_lists_hold_what_cards_use() -> None:
    ids = hub.hub_license_ids()
    assert {"apache-2.0", "mit", "llama3.1", "gemma", "other", "cc-by-nc-4.0", "openmdw-1.0"} <= ids
    assert "deepseek" not in ids  # DeepSeek's own cards say `license: other`
    assert {"text-generation", "image-text-to-text", "feature-extraction"} <= hubdata.pipeline_tags()
    assert {"transformers", "diffusers", "sentence-transformers"} <= hubdata.libraries()
    assert {"en", "fr", "zh", "fra", "yue"} <= hubdata.languages()


def test_every_hub_license_maps_somewhere() -> None:
    for hub_id in hub.hub_license_ids():
        assert hub.to_spdx(hub_id)


@pytest.mark.parametrize("license_id", texts.CANONICAL_IDS)
def test_canonical_texts_name_their_source(license_id: str) -> None:
    reference = texts.canonical(license_id)
    assert "spdx" in reference.source.lower() and len(reference.tokens) > 50


def test_spdx_flags() -> None:
    assert spdx.is_osi("MIT") and spdx.is_osi("Apache-2.0") and spdx.is_osi("GPL-3.0-only")
    assert not spdx.is_osi("CC-BY-NC-4.0")
    assert licensing.is_open("CDLA-Permissive-2.0") and not licensing.is_open("CC-BY-NC-4.0")
    assert licensing.assess("MIT", "data") == licensing.OPEN_OTHER_TYPE
    assert licensing.assess("CC-BY-4.0", "document") == licensing.OPEN
    assert licensing.assess("LicenseRef-llama3.1", "data") == licensing.NOT_OPEN
    assert licensing.assess(None, "code") == licensing.UNLICENSED
