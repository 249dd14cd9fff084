"""License text identification: real texts are recognised, modified ones are not, and we say how."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from test_license_support import license_text

from releasekit.licenses import compat, hub, spdx
from releasekit.licenses.identify import identify
from releasekit.licenses.texts import tokenize


def test_real_texts_are_identified() -> None:
    assert identify(license_text("MIT")).license_id == "MIT"
    assert identify(license_text("Apache-2.0")).license_id == "Apache-2.0"
    assert identify(license_text("BSD-3-Clause-Regents")).license_id == "BSD-3-Clause"
    # No marked-up text shipped for these: the SPDX list snapshot decides.
    gpl = identify(license_text("GPL-2.0-only"))
    assert (gpl.license_id, gpl.method) == ("GPL-2.0-only", "spdx-text")
    assert identify(license_text("LGPL-2.1-only")).license_id == "LGPL-2.1-only"


def test_apache_without_its_appendix_is_still_apache() -> None:
    # askalono alone calls this text "Pixar" (an Apache-2.0 derivative); the word diff knows better.
    text = license_text("Apache-2.0").split("END OF TERMS AND CONDITIONS")[0]
    assert identify(text).license_id == "Apache-2.0"


def test_title_and_copyright_variants_do_not_matter() -> None:
    body = license_text("MIT").split("\n", 3)[3]
    for title in ("The MIT License (MIT)", "MIT License", ""):
        text = f"{title}\n\nCopyright (c) 2019-2026 Someone <a@b.c>\nAll rights reserved.\n\n{body}"
        assert identify(text).license_id == "MIT", title


def test_mit_with_a_no_commercial_use_sentence_is_not_mit() -> None:
    text = license_text("MIT") + "\nThe Software may not be used for commercial purposes.\n"
    result = identify(text)
    assert result.license_id is None and result.modified and result.closest == "MIT"
    assert 'adds "The Software may not be used for commercial purposes"' in result.describe_differences()


def test_mit_with_a_removed_condition_is_not_mit() -> None:
    text = license_text("MIT").replace(
        "The above copyright notice and this permission notice shall be included in all\n"
        "copies or substantial portions of the Software.\n",
        "",
    )
    result = identify(text)
    # Without its one condition the text is the SPDX list's MIT-0 ("MIT No Attribution"), which it
    # is closer to than to MIT: either way it is not MIT, and a card claiming MIT is contradicted.
    assert result.license_id != "MIT"
    assert result.license_id == "MIT-0" or (result.modified and "copyright notice" in result.describe_differences())


def test_apache_with_a_changed_grant_is_not_apache() -> None:
    text = re.sub(
        r"perpetual,\s+worldwide,\s+non-exclusive,\s+no-charge,\s+royalty-free,\s+irrevocable",
        "worldwide, non-exclusive, revocable, non-commercial",
        license_text("Apache-2.0"),
        count=1,
    )
    result = identify(text)
    assert result.modified and result.closest == "Apache-2.0"
    described = result.describe_differences(5)
    assert "revocable" in described and "non-commercial" in described


def test_research_only_preamble_is_a_change() -> None:
    result = identify("This software is licensed for research use only.\n\n" + license_text("MIT"))
    assert result.modified and "research use only" in result.describe_differences()


def test_model_licenses_are_known_by_title() -> None:
    assert (
        identify(
            "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n...terms..."
        ).license_id
        == "LicenseRef-llama3.1"
    )
    assert (
        identify("DEEPSEEK LICENSE AGREEMENT\n\nVersion 1.0, 23 October 2023\n...").license_id
        == "LicenseRef-deepseek-license"
    )


def test_empty_and_unknown_texts() -> None:
    assert identify("  \n").method == "empty"
    unknown = identify("You may look at these weights on Tuesdays. Nothing else is allowed, ever.")
    assert unknown.license_id is None and not unknown.modified


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from([" ", "\n", "  ", "\n\n"]), min_size=1, max_size=4), st.booleans())
def test_reflowing_and_case_keep_mit_exact(separators: list[str], upper: bool) -> None:
    head, body = license_text("MIT").split("\n\n", 2)[:2], license_text("MIT").split("\n\n", 2)[2]
    words = body.split()
    reflowed = "".join(w + separators[i % len(separators)] for i, w in enumerate(words))
    text = "\n\n".join(head) + "\n\n" + (reflowed.upper() if upper else reflowed)
    assert identify(text).license_id == "MIT"


def test_wrapped_copyright_holders_line_is_license_text_not_a_notice() -> None:
    # "COPYRIGHT HOLDERS BE LIABLE" starting a line must not be dropped as a copyright notice.
    words = [t.word for t in tokenize("IN NO EVENT SHALL THE AUTHORS OR\nCOPYRIGHT HOLDERS BE LIABLE\n")]
    assert "holders" in words and "liable" in words
    assert [t.word for t in tokenize("Copyright 2024 ACME\nhello\n")] == ["hello"]


def test_hub_ids_map_to_spdx() -> None:
    assert hub.agrees("apache-2.0", "Apache-2.0") and not hub.agrees("apache-2.0", "MIT")
    assert hub.agrees("gpl-3.0", "GPL-3.0-or-later") and hub.agrees("bsd", "BSD-2-Clause")
    assert hub.agrees("cc-by-nc-4.0", "CC-BY-NC-4.0") and not hub.agrees("cc-by-4.0", "CC-BY-NC-4.0")
    assert hub.agrees("llama3.1", "LicenseRef-llama3.1") and not hub.agrees("llama3.1", "MIT")
    assert hub.agrees("other", "MIT") is None
    assert hub.agrees("other", "LicenseRef-deepseek-license", "deepseek-license") is True
    assert hub.to_spdx("apache-2.0") == "Apache-2.0" and hub.to_spdx("cc-by-sa-4.0") == "CC-BY-SA-4.0"
    assert hub.to_spdx("other", "my license") == "LicenseRef-my-license"


def test_spdx_expressions_and_compatibility() -> None:
    assert spdx.parse("Apache-2.0 OR MIT").error is None
    assert spdx.parse("GPL-2.0+").normalized == "GPL-2.0-or-later"
    assert spdx.parse("LicenseRef-custom").error is None
    assert "unknown" in (spdx.parse("Foo-1.0").error or "")
    assert "not a valid" in (spdx.parse("MIT AND (").error or "")
    assert compat.judge("MIT", "GPL-3.0-only").status == compat.INCOMPATIBLE
    assert compat.judge("MIT", "GPL-3.0-only OR MIT").status == compat.OK
    assert compat.judge("Apache-2.0", "MIT AND GPL-2.0-only").status == compat.INCOMPATIBLE
    assert compat.judge("Apache-2.0", "LGPL-2.1-only").status == compat.WEAK
    assert compat.judge("GPL-3.0-only", "MIT").status == compat.OK
    assert compat.judge("GPL-2.0-only", "Apache-2.0").status == compat.INCOMPATIBLE
    assert compat.judge("MIT", "CC-BY-NC-4.0").status == compat.INCOMPATIBLE
    assert compat.judge("LicenseRef-llama3.1", "GPL-2.0-only").status == compat.INCOMPATIBLE


def test_a_change_inside_a_lettered_clause_is_seen() -> None:
    # Apache-2.0 section 4 item "(c)" must not be mistaken for a "(c) 2024 ..." copyright line.
    text = license_text("Apache-2.0").replace(
        "(c) You must retain, in the Source form", "(c) You must remove, in the Source form"
    )
    result = identify(text)
    assert result.modified and result.describe_differences() == 'changes "retain" to "remove"'


def test_without_askalono_the_spdx_snapshot_still_identifies(monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_askalono(name, *args, **kwargs):
        if name == "askalono":
            raise ImportError("not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_askalono)
    identify.cache_clear()
    try:
        assert identify(license_text("MIT") + "\n").license_id == "MIT"
        gpl = identify(license_text("GPL-2.0-only") + "\n")
        assert (gpl.license_id, gpl.method) == ("GPL-2.0-only", "spdx-text")
        assert identify("Nothing in here is a license, only words.\n").method == "unknown"
    finally:
        identify.cache_clear()
