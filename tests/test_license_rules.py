"""License rules RK301-RK310 through `releasekit check`, a passing and a failing fixture each."""

from __future__ import annotations

from test_license_support import FRONT_MATTER, card, check_json, findings, honest_release, license_text

ERROR, WARNING, INFO = "error", "warning", "info"


def _card_with(license_lines: str) -> str:
    return card(FRONT_MATTER.replace("license: mit\n", license_lines))


def _run(make_release, run_cli, files):
    return check_json(run_cli, make_release(files))


def test_honest_release_has_no_license_finding(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release())
    assert [f for f in findings(result) if f["category"] == "license"] == []


def test_rk301_no_license_file(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release(LICENSE=None))
    [finding] = findings(result, "RK301")
    assert finding["severity"] == ERROR and finding["path"] == "."
    assert "LICENSE" in finding["message"]
    # The check gates: without --fail-on never the CLI exits 1.
    assert run_cli("check", make_release(honest_release(LICENSE=None)), "--select", "RK301").exit_code == 1


def test_rk301_license_only_in_a_subfolder_does_not_count(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release(LICENSE=None, **{"vendor/lib/LICENSE": license_text("MIT")}))
    [finding] = findings(result, "RK301")
    assert "vendor/lib/LICENSE" in finding["message"]


def test_rk301_empty_license_file(make_release, run_cli) -> None:
    [finding] = findings(_run(make_release, run_cli, honest_release(LICENSE="\n")), "RK301")
    assert finding["path"] == "LICENSE" and "empty" in finding["message"]


def test_rk302_custom_text_without_a_declared_license(make_release, run_cli) -> None:
    custom = "Weights may be looked at on Tuesdays only. All other use needs written permission.\n"
    no_license_card = card(FRONT_MATTER.replace("license: mit\n", ""))
    [finding] = findings(
        _run(make_release, run_cli, honest_release(LICENSE=custom, **{"README.md": no_license_card})), "RK302"
    )
    assert finding["severity"] == WARNING and finding["path"] == "LICENSE"
    # Declared honestly as a custom license: no RK302, no RK304.
    honest = _card_with("license: other\nlicense_name: tuesday-license\nlicense_link: LICENSE\n")
    result = _run(make_release, run_cli, honest_release(LICENSE=custom, **{"README.md": honest}))
    assert findings(result, "RK302") == [] and findings(result, "RK304") == []


def test_rk303_modified_mit_claimed_as_mit_is_an_error(make_release, run_cli) -> None:
    modified = license_text("MIT") + "\nThe Software shall not be used for commercial purposes.\n"
    result = _run(make_release, run_cli, honest_release(LICENSE=modified))
    [finding] = findings(result, "RK303")
    assert finding["severity"] == ERROR and finding["path"] == "LICENSE"
    assert "close to MIT" in finding["message"] and "commercial purposes" in finding["message"]
    assert findings(result, "RK304") == []  # one finding for one problem


def test_rk303_modified_text_declared_as_other_is_a_warning(make_release, run_cli) -> None:
    modified = license_text("MIT") + "\nThe Software shall not be used for commercial purposes.\n"
    other = _card_with("license: other\nlicense_name: mit-noncommercial\nlicense_link: LICENSE\n")
    [finding] = findings(_run(make_release, run_cli, honest_release(LICENSE=modified, **{"README.md": other})), "RK303")
    assert finding["severity"] == WARNING


def test_rk304_card_says_apache_beside_mit_text(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release(**{"README.md": _card_with("license: apache-2.0\n")}))
    [finding] = findings(result, "RK304")
    assert finding["severity"] == ERROR and finding["path"] == "README.md" and finding["line"] == 2
    assert "apache-2.0" in finding["message"] and "LICENSE is MIT" in finding["message"]


def test_rk304_agreeing_families_and_model_licenses(make_release, run_cli) -> None:
    agreeing = [
        ("license: bsd-3-clause\n", license_text("BSD-3-Clause-Regents")),
        ("license: bsd\n", license_text("BSD-3-Clause-Regents")),
        ("license: gpl-2.0\n", license_text("GPL-2.0-only")),
        (
            "license: llama3.1\n",
            "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n",
        ),
    ]
    for lines, text in agreeing:
        result = _run(make_release, run_cli, honest_release(LICENSE=text, **{"README.md": _card_with(lines)}))
        assert findings(result, "RK304") == [], lines
    mismatched = _run(make_release, run_cli, honest_release(**{"README.md": _card_with("license: llama3.1\n")}))
    assert len(findings(mismatched, "RK304")) == 1
    # A model license text whose title we do not know cannot be told apart: no verdict.
    untitled = "Acceptable use policy and community terms of the model.\nYou may use the model subject to ...\n"
    result = _run(
        make_release, run_cli, honest_release(LICENSE=untitled, **{"README.md": _card_with("license: gemma\n")})
    )
    assert findings(result, "RK304") == []


def test_rk305_other_needs_name_and_link(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release(**{"README.md": _card_with("license: other\n")}))
    messages = sorted(f["message"] for f in findings(result, "RK305"))
    assert len(messages) == 2 and "license_link" in messages[0] and "license_name" in messages[1]
    assert all(f["severity"] == WARNING for f in findings(result, "RK305"))


def test_rk305_relative_link_must_exist(make_release, run_cli) -> None:
    broken = _card_with("license: other\nlicense_name: custom\nlicense_link: LICENSE.md\n")
    [finding] = findings(_run(make_release, run_cli, honest_release(**{"README.md": broken})), "RK305")
    assert finding["severity"] == ERROR and "LICENSE.md" in finding["message"]
    outside = _card_with("license: other\nlicense_name: custom\nlicense_link: ../LICENSE\n")
    assert len(findings(_run(make_release, run_cli, honest_release(**{"README.md": outside})), "RK305")) == 1
    for link in ("LICENSE", "./LICENSE", "blob/main/LICENSE", "https://example.org/license"):
        ok = _card_with(f"license: other\nlicense_name: custom\nlicense_link: {link}\n")
        assert findings(_run(make_release, run_cli, honest_release(**{"README.md": ok})), "RK305") == [], link


def test_rk306_invalid_spdx_header(make_release, run_cli) -> None:
    files = honest_release(
        **{
            "tools/a.py": "#!/usr/bin/env python\n# SPDX-License-Identifier: MIT AND (\n",
            "tools/b.py": "// SPDX-License-Identifier: Apache-2.0 OR MIT\n",
            "tools/c.py": "# SPDX-License-Identifier: LicenseRef-internal\n",
            "tools/d.c": "/* SPDX-License-Identifier: Foo-1.0 */\n",
        }
    )
    found = {f["path"]: f for f in findings(_run(make_release, run_cli, files), "RK306")}
    assert set(found) == {"tools/a.py", "tools/d.c"}
    assert found["tools/a.py"]["line"] == 2 and found["tools/a.py"]["severity"] == WARNING
    assert "Foo-1.0" in found["tools/d.c"]["message"]


def test_rk307_gpl_code_in_an_mit_release(make_release, run_cli) -> None:
    files = honest_release(
        **{
            "kernels/gpl.py": "# SPDX-License-Identifier: GPL-3.0-or-later\n",
            "kernels/dual.py": "# SPDX-License-Identifier: GPL-3.0-only OR MIT\n",
            "kernels/nc.py": "# SPDX-License-Identifier: CC-BY-NC-4.0\n",
        }
    )
    found = {f["path"]: f for f in findings(_run(make_release, run_cli, files), "RK307")}
    assert set(found) == {"kernels/gpl.py", "kernels/nc.py"}
    assert found["kernels/gpl.py"]["severity"] == ERROR and "GPL-3.0-or-later" in found["kernels/gpl.py"]["message"]
    assert "MIT" in found["kernels/gpl.py"]["message"]


def test_rk307_vendored_gpl_folder(make_release, run_cli) -> None:
    files = honest_release(
        **{"third_party/gplthing/COPYING": license_text("GPL-2.0-only"), "third_party/gplthing/x.py": "x = 1\n"}
    )
    [finding] = findings(_run(make_release, run_cli, files), "RK307")
    assert finding["path"] == "third_party/gplthing" and "GPL-2.0-only" in finding["message"]


def test_rk308_weak_copyleft(make_release, run_cli) -> None:
    files = honest_release(**{"third_party/lgpl/COPYING": license_text("LGPL-2.1-only")})
    result = _run(make_release, run_cli, files)
    [finding] = findings(result, "RK308")
    assert finding["severity"] == WARNING and "LGPL-2.1-only" in finding["message"]
    assert findings(result, "RK307") == []


def test_rk309_compatible_vendored_license_is_info(make_release, run_cli) -> None:
    files = honest_release(**{"third_party/bsd/LICENSE": license_text("BSD-3-Clause-Regents")})
    result = _run(make_release, run_cli, files)
    [finding] = findings(result, "RK309")
    assert finding["severity"] == INFO and "BSD-3-Clause" in finding["message"] and "compatible" in finding["message"]
    assert findings(result, "RK307") == [] and findings(result, "RK308") == []


def test_rk310_apache_release_must_carry_the_notice(make_release, run_cli) -> None:
    apache = {"LICENSE": license_text("Apache-2.0"), "README.md": _card_with("license: apache-2.0\n")}
    vendored = {
        "third_party/lib/NOTICE": "This product includes software developed at Example Corp.\n",
        "third_party/lib/impl.py": "x = 1\n",
    }
    [finding] = findings(_run(make_release, run_cli, honest_release(**apache, **vendored)), "RK310")
    assert finding["severity"] == WARNING and "third_party/lib/NOTICE" in finding["message"]
    with_root = honest_release(
        **apache, **vendored, NOTICE="Tiny MoE\nThis product includes software from Example Corp.\n"
    )
    assert findings(_run(make_release, run_cli, with_root), "RK310") == []
    mentions = {"src/a.py": "# Licensed to the ASF. See the NOTICE file distributed with this work.\n"}
    assert len(findings(_run(make_release, run_cli, honest_release(**apache, **mentions)), "RK310")) == 1
    # An MIT release has no NOTICE duty.
    assert findings(_run(make_release, run_cli, honest_release(**vendored)), "RK310") == []
