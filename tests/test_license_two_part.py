"""Releases with a code license and a model license, header-only licenses, broken SPDX headers."""

from __future__ import annotations

from test_license_spdx_list import APACHE_HEADER
from test_license_support import FRONT_MATTER, card, check_json, findings, honest_release, license_text

DEEPSEEK_MODEL_LICENSE = (
    "DEEPSEEK LICENSE AGREEMENT\n\nVersion 1.0, 23 October 2023\n\nCopyright (c) 2023 DeepSeek\n\n"
    "Section I: PREAMBLE\n\nYou agree not to use the Model or Derivatives of the Model for military use.\n"
)


def _two_part(card_license: str, **extra: object) -> dict[str, object]:
    return honest_release(
        LICENSE=None,
        **{
            "LICENSE-CODE": license_text("MIT"),
            "LICENSE-MODEL": DEEPSEEK_MODEL_LICENSE,
            "README.md": card(FRONT_MATTER.replace("license: mit\n", card_license)),
        },
        **extra,
    )


def test_card_naming_the_code_license_is_a_mismatch_with_the_weights(make_release, run_cli) -> None:
    result = check_json(run_cli, make_release(_two_part("license: mit\n")))
    [finding] = findings(result, "RK304")
    assert finding["severity"] == "error"
    message = finding["message"]
    assert "LICENSE-CODE" in message and "LICENSE-MODEL is LicenseRef-deepseek-license" in message
    assert "license_name: deepseek-license" in message


def test_card_naming_the_weights_license_passes_and_code_is_judged_by_the_code_license(make_release, run_cli) -> None:
    files = _two_part(
        "license: other\nlicense_name: deepseek-license\nlicense_link: LICENSE-MODEL\n",
        **{"kernels/gpl.py": "# SPDX-License-Identifier: GPL-3.0-only\n"},
    )
    result = check_json(run_cli, make_release(files))
    rules = {f["rule"] for f in findings(result) if f["category"] == "license"}
    assert "RK304" not in rules and "RK302" not in rules
    [gpl] = findings(result, "RK307")
    assert "under MIT (LICENSE-CODE)" in gpl["message"]


def test_license_name_of_another_model_license_is_a_mismatch(make_release, run_cli) -> None:
    files = _two_part("license: other\nlicense_name: qwen\nlicense_link: LICENSE-MODEL\n")
    [finding] = findings(check_json(run_cli, make_release(files)), "RK304")
    assert "license_name: qwen" in finding["message"] and "LicenseRef-deepseek-license" in finding["message"]


def test_header_only_apache_is_a_warning(make_release, run_cli) -> None:
    files = honest_release(LICENSE=APACHE_HEADER, **{"README.md": card(FRONT_MATTER.replace("mit", "apache-2.0", 1))})
    result = check_json(run_cli, make_release(files))
    [finding] = findings(result, "RK311")
    assert finding["severity"] == "warning" and finding["path"] == "LICENSE"
    assert not findings(result, "RK304") and not findings(result, "RK302")


def test_dangling_operator_in_an_spdx_header_is_rk306_not_a_crash(make_release, run_cli) -> None:
    files = honest_release(**{"tools/a.py": "# SPDX-License-Identifier: Apache-2.0 OR\nimport os\n"})
    result = run_cli("check", make_release(files), "--format", "json", "--fail-on", "never")
    data = result.json()
    assert not [f for f in data["findings"] if f["rule"] == "RK001"]
    [finding] = [f for f in data["findings"] if f["rule"] == "RK306"]
    assert finding["path"] == "tools/a.py" and "Apache-2.0 OR" in finding["message"]


def test_markdown_mit_license_passes_with_an_mit_card(make_release, run_cli) -> None:
    body = license_text("MIT").split("\n\n", 2)[2]
    markdown = "# MIT License\n\n**Copyright (c) 2024 Example Labs**\n\n" + body
    result = check_json(run_cli, make_release(honest_release(LICENSE=None, **{"LICENSE.md": markdown})))
    assert [f for f in findings(result) if f["category"] == "license"] == []
