"""The shipped word index of the SPDX texts (`licenses.spdxindex`) is the texts' own: rebuilt from
the snapshot it is identical, and the nearest texts it picks are those the texts themselves give,
for every text of the list and every license text the tests carry."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from releasekit.licenses import identify, spdxindex, spdxlist, texts
from scripts.gen_spdx_index import build

LICENSE_TEXTS = sorted((Path(__file__).parent / "licenses").glob("*.txt"))


def test_the_shipped_index_is_rebuilt_identically_from_the_snapshot() -> None:
    """Stale after a change to the snapshot, the marked-up texts or the tokeniser: run
    `scripts/gen_spdx_index.py`."""
    shipped = json.loads((resources.files("releasekit") / "data" / spdxindex.INDEX_FILE).read_text(encoding="ascii"))
    assert shipped == build()


def test_nearest_from_the_index_is_nearest_from_the_texts_on_every_list_text() -> None:
    for ref in spdxlist.references():
        words = texts.tokenize(ref.body)
        fast = spdxlist.nearest(words)
        assert fast == spdxlist.nearest_exhaustive(words), ref.license_id
        assert ref in fast or not fast, ref.license_id  # a list text is nearest to itself (or a twin)


@pytest.mark.parametrize("path", LICENSE_TEXTS, ids=lambda p: p.name)
def test_identification_is_the_same_through_the_exhaustive_search(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    for variant in (text, text.replace("the", "this"), " ".join(text.split()[: len(text.split()) * 2 // 3])):
        identify.identify.cache_clear()
        fast = identify.identify(variant)
        with monkeypatch.context() as patch:
            patch.setattr(spdxlist, "nearest", spdxlist.nearest_exhaustive)
            identify.identify.cache_clear()
            assert identify.identify(variant) == fast, path.name
    identify.identify.cache_clear()


def test_references_read_no_text_until_one_is_compared() -> None:
    spdxlist.references.cache_clear()
    spdxlist.snapshot.cache_clear()
    refs = spdxlist.references()
    assert spdxlist.snapshot.cache_info().currsize == 0
    assert len(refs) == len(spdxlist.list_entries())
    assert [(r.license_id, r.name, r.marked, r.part) for r in refs] == spdxlist.list_entries()


def test_a_plain_id_parses_and_is_of_the_kind_license_expression_says() -> None:
    from releasekit.licenses import spdx

    for license_id in sorted(spdx.PLAIN_IDS):
        assert spdx.parse(license_id) == spdx.parse_with_licensing(license_id), license_id
        assert spdx.parse(license_id).normalized == license_id
        assert spdx.kind_of_id(license_id) == spdx.kind_from_index(license_id), license_id
        assert spdx.leaves(license_id) == spdx._dnf(spdx.licensing().parse(license_id)) == [[license_id]]
    for near in ("mit", "MIT ", "Apache-2", "GPL-2.0", "MIT OR"):
        assert spdx.parse(near) == spdx.parse_with_licensing(near), near
