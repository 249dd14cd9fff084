"""A release cannot weaken its own audit (issue: fail closed).

Settings shipped inside the release may configure it, but never hide, downgrade or un-fail an
error of the pickle or engine rules; every report, in every format, lists what they asked for.
Each case carries a payload that is live under the ordinary loader (proved in a subprocess).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pickle_corpus.ops import call, glob, program
from releasekit import formats

MARKER = "PWNED_BY_RELEASE"
WEAKENINGS = {
    "ignore the category": 'ignore = ["pickle"]\n',
    "ignore the rule": 'ignore = ["RK201", "RK205"]\n',
    "select another category": 'select = ["license"]\n',
    "downgrade the rule": '[severity]\nRK201 = "info"\n',
    "never fail": 'fail-on = "never"\n',
    "all at once": 'select = ["hygiene"]\nignore = ["pickle", "engine"]\nfail-on = "never"\n[severity]\nRK201 = "info"\n',
}


def _payload(marker: Path) -> bytes:
    return program(call(glob("posix", "system"), f"touch {marker}"))


def _hostile(make_release, tmp_path: Path, settings: str, where: str = "releasekit.toml") -> Path:
    files = {"model.bin": _payload(tmp_path / MARKER), "README.md": "# model\n"}
    files[where] = settings if where == "releasekit.toml" else f"[tool.releasekit]\n{settings.replace('[severity]', '[tool.releasekit.severity]')}"
    return make_release(files)


def test_the_payload_is_live_under_pickle_load(make_release, tmp_path: Path) -> None:
    root = _hostile(make_release, tmp_path, WEAKENINGS["never fail"])
    code = f"import pickle; pickle.load(open({str(root / 'model.bin')!r}, 'rb'))"
    subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, timeout=60)
    assert (tmp_path / MARKER).exists(), "the test payload must really run code when loaded"


@pytest.mark.parametrize("where", ["releasekit.toml", "pyproject.toml"])
@pytest.mark.parametrize("name", sorted(WEAKENINGS))
def test_release_settings_cannot_switch_the_pickle_rules_off(make_release, run_cli, tmp_path, name, where) -> None:
    root = _hostile(make_release, tmp_path, WEAKENINGS[name], where)
    result = run_cli("check", root, "--format", "json")
    assert result.exit_code == 1, result
    report = result.json()
    assert any(f["rule"] == "RK201" and f["severity"] == "error" for f in report["findings"])
    assert report["summary"]["verdict"] == "fail"
    section = report["sections"]["settings"]
    assert section["file"] in ("releasekit.toml", "pyproject.toml [tool.releasekit]")
    assert section["from_release"], "the report names what the release asked for"
    assert section["refused"], "and what was refused"
    assert not (tmp_path / MARKER).exists(), "check must never load the pickle"


@pytest.mark.parametrize("fmt", formats.names())
def test_every_format_says_what_the_release_settings_asked(make_release, run_cli, tmp_path, fmt) -> None:
    root = _hostile(make_release, tmp_path, 'ignore = ["pickle", "RK604"]\n')
    (root / ".DS_Store").write_text("x")
    result = run_cli("check", root, "--format", fmt)
    assert result.exit_code == 1
    assert "RK604" in result.stdout and "ignore" in result.stdout, fmt


def test_other_weakenings_stay_allowed_and_are_listed(make_release, run_cli) -> None:
    root = make_release({"README.md": "# m\n", ".DS_Store": "x", "releasekit.toml": 'ignore = ["RK604"]\n'})
    report = run_cli("check", root, "--format", "json", "--select", "hygiene").json()
    assert not [f for f in report["findings"] if f["rule"] == "RK604"]
    assert report["sections"]["settings"]["from_release"] == {"ignore": ["RK604"]}


def test_command_line_and_config_are_trusted(make_release, run_cli, tmp_path) -> None:
    """The person running releasekit may decide what the release may not."""
    root = _hostile(make_release, tmp_path, "")
    assert run_cli("check", root, "--select", "pickle").exit_code == 1
    assert run_cli("check", root, "--select", "pickle", "--ignore", "RK201").exit_code == 0
    outside = tmp_path / "audit.toml"
    outside.write_text('select = ["pickle"]\nfail-on = "never"\n')
    assert run_cli("check", root, "--config", outside).exit_code == 0


def test_isolated_ignores_the_release_settings(make_release, run_cli) -> None:
    root = make_release({"README.md": "# m\n", ".DS_Store": "x", "releasekit.toml": 'ignore = ["RK604"]\n'})
    report = run_cli("check", root, "--format", "json", "--select", "hygiene", "--isolated").json()
    assert [f["rule"] for f in report["findings"] if f["path"] == ".DS_Store"] == ["RK604"]
    assert "settings" not in report["sections"]
    broken = make_release({"README.md": "# m\n", "releasekit.toml": "fail-on = ["}, name="broken")
    assert run_cli("check", broken).exit_code == 2
    assert run_cli("check", broken, "--isolated", "--select", "hygiene").exit_code == 0  # the file is not read


@pytest.mark.parametrize("args", [("--select", ""), ("--select", " , "), ("--select", "pickle", "--ignore", "pickle")])
def test_an_empty_selection_is_a_usage_error(make_release, run_cli, args) -> None:
    result = run_cli("check", make_release({"README.md": "x"}), *args)
    assert result.exit_code == 2 and "--select" in result.stderr or "--ignore" in result.stderr, result


def test_unreadable_and_special_files_are_reported_whatever_select_says(make_release, run_cli) -> None:
    import os

    root = make_release({"README.md": "x"})
    os.mkfifo(root / "pipe")
    report = run_cli("check", root, "--select", "weights", "--format", "json").json()
    assert [(f["rule"], f["path"]) for f in report["findings"] if f["category"] == "engine"] == [("RK003", "pipe")]
    assert report["summary"]["verdict"] == "fail"


def test_the_report_blames_the_release_only_for_what_its_file_chose(make_release, run_cli) -> None:
    root = make_release({"README.md": "# m\n", "releasekit.toml": 'fail-on = "warning"\n'})
    report = run_cli("check", root, "--format", "json", "--select", "hygiene").json()
    assert report["sections"]["settings"]["rules_switched_off"] == []
    assert report["sections"]["settings"]["from_release"] == {"fail-on": "warning"}


def test_isolated_ignores_the_release_suppressions_too(make_release, run_cli) -> None:
    toml = '[[ignore]]\npath = ".DS_Store"\nrules = ["RK604"]\nreason = "macOS"\n'
    root = make_release({"README.md": "# m\n", ".DS_Store": "x", "releasekit.toml": toml})
    suppressed = run_cli("check", root, "--format", "json", "--select", "hygiene").json()
    assert not [f for f in suppressed["findings"] if f["rule"] == "RK604"] and "suppressed" in suppressed["sections"]
    isolated = run_cli("check", root, "--format", "json", "--select", "hygiene", "--isolated").json()
    assert [f["rule"] for f in isolated["findings"] if f["path"] == ".DS_Store"] == ["RK604"]
