"""`releasekit check` and `releasekit rules` as a user and a CI job drive them."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from releasekit import formats
from releasekit.formats.registry import _FORMATTERS
from releasekit.example import build_example
from tests.builders import safetensors_bytes


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example(tmp_path_factory.mktemp("ex") / "example")


EXAMPLE_DATA = Path(__file__).resolve().parent.parent / "releasekit" / "data" / "example"


@pytest.fixture
def broken(make_release) -> Path:
    """An otherwise complete release with one error (truncated shard) and one warning (stray shard)."""
    good = safetensors_bytes([("w", "F32", [4])])
    root = make_release({"model.safetensors": good[:-4], "config.json": {"model_type": "deepseek_v3"},
                         "LICENSE": (EXAMPLE_DATA / "LICENSE").read_text(),
                         "README.md": (EXAMPLE_DATA / "README.md").read_text()})
    (root / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": 16},
                                                                      "weight_map": {"w": "model.safetensors"}}))
    (root / "extra.safetensors").write_bytes(safetensors_bytes([("v", "F32", [1])]))
    return root


def test_clean_release_exits_0(run_cli, example_dir: Path) -> None:
    result = run_cli("check", example_dir)
    assert result.exit_code == 0, result
    assert result.stdout.strip().splitlines()[-1].startswith("PASS: 0 error(s), 0 warning(s)")


def test_error_exits_1_and_text_groups_by_file(run_cli, broken: Path) -> None:
    result = run_cli("check", broken)
    assert result.exit_code == 1, result
    lines = result.stdout.splitlines()
    assert "model.safetensors" in lines
    at = lines.index("model.safetensors")
    assert "RK105" in lines[at + 1] and lines[at + 1].startswith("  error")
    assert lines[-1].startswith("FAIL: 1 error(s), 1 warning(s)")
    assert "\x1b[" not in result.stdout  # no colour when not on a terminal


def test_fail_on_thresholds(run_cli, broken: Path) -> None:
    assert run_cli("check", broken, "--fail-on", "never").exit_code == 0
    assert run_cli("check", broken, "--ignore", "RK105").exit_code == 0
    assert run_cli("check", broken, "--ignore", "RK105", "--fail-on", "warning").exit_code == 1


def test_select_and_ignore_by_category_and_id(run_cli, broken: Path) -> None:
    only = run_cli("check", broken, "--select", "RK115", "--format", "json").json()
    assert {f["rule"] for f in only["findings"]} == {"RK115"}
    none = run_cli("check", broken, "--ignore", "weights", "--format", "json").json()
    assert not [f for f in none["findings"] if f["severity"] != "info"] and none["summary"]["verdict"] == "pass"


def test_json_schema_is_the_documented_one(run_cli, broken: Path) -> None:
    result = run_cli("check", broken, "--format", "json")
    document = result.json()
    assert result.exit_code == 1
    assert set(document) == {"schema_version", "release", "findings", "summary", "sections"}
    assert document["schema_version"] == "1.0"
    assert document["release"] == broken.name
    for finding in document["findings"]:
        assert set(finding) == {"rule", "category", "severity", "path", "message", "line"}
        assert finding["severity"] in {"error", "warning", "info"}
        assert not finding["path"].startswith("/")
    summary = document["summary"]
    assert summary == {"errors": 1, "warnings": 1, "info": summary["info"], "files": 6,
                       "rules_run": summary["rules_run"], "fail_on": "error", "verdict": "fail"}
    assert summary["info"] == sum(f["severity"] == "info" for f in document["findings"])


def test_sarif_is_sarif_2_1_0_with_rules_and_locations(run_cli, broken: Path) -> None:
    document = run_cli("check", broken, "--format", "sarif").json()
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "RK105" in rule_ids
    result = next(r for r in run["results"] if r["ruleId"] == "RK105")
    assert result["level"] == "error"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "RK105"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "model.safetensors"
    assert len(result["partialFingerprints"]["releasekit/v1"]) == 16


def test_markdown_for_a_pull_request_comment(run_cli, broken: Path) -> None:
    text = run_cli("check", broken, "--format", "markdown").stdout
    assert text.startswith("## ❌ **releasekit: FAIL**")
    assert "| ❌ error | `RK105` | `model.safetensors` |" in text


def test_every_format_renders_every_report(run_cli, broken: Path, example_dir: Path) -> None:
    """Exhaustive: a new format that is registered but broken fails here."""
    assert formats.names() == ["github", "json", "markdown", "sarif", "text"]
    for name, module in formats.MODULES.items():  # each is registered by the module listed for it
        importlib.import_module(f"releasekit.formats.{module}")
        assert _FORMATTERS[name].__module__ == f"releasekit.formats.{module}", name
    assert sorted(_FORMATTERS) == formats.names()
    for name in formats.names():
        for root in (broken, example_dir):
            result = run_cli("check", root, "--format", name)
            assert result.exit_code in (0, 1) and result.stdout.strip(), (name, root)


def test_output_file_is_written_and_summary_goes_to_stderr(run_cli, broken: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run_cli("check", broken, "--format", "json", "--output", out)
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(out.read_text())["summary"]["errors"] == 1
    assert "FAIL" in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []  # no temp file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "/nonexistent/release"], "no such file or directory"),
        (["check", "--select", "bogus", "."], "unknown rule or category 'bogus'"),
        (["check", "--fail-on", "fatal", "."], "Invalid value for '--fail-on'"),
        (["rules", "RK999"], "no rule or category 'RK999'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(run_cli, args: list[str], message: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_file_is_not_a_release_folder(run_cli, tmp_path: Path) -> None:
    f = tmp_path / "model.safetensors"
    f.write_bytes(b"x")
    result = run_cli("check", f)
    assert result.exit_code == 2 and "not a folder" in result.stderr


def test_settings_from_releasekit_toml(run_cli, broken: Path) -> None:
    (broken / "releasekit.toml").write_text('ignore = ["RK105"]\nfail-on = "warning"\nformat = "json"\n')
    result = run_cli("check", broken)
    assert result.exit_code == 1  # the warning now fails
    assert {f["rule"] for f in result.json()["findings"] if f["severity"] != "info"} == {"RK115"}
    # Command-line options win over the file.
    assert run_cli("check", broken, "--fail-on", "error").exit_code == 0


def test_settings_from_pyproject_and_severity_overrides(run_cli, broken: Path) -> None:
    (broken / "pyproject.toml").write_text('[tool.releasekit]\nfail-on = "error"\n\n[tool.releasekit.severity]\nRK115 = "error"\n')
    document = run_cli("check", broken, "--format", "json").json()
    assert {(f["rule"], f["severity"]) for f in document["findings"] if f["category"] == "weights"} == {
        ("RK105", "error"), ("RK115", "error")}


@pytest.mark.parametrize(
    ("content", "message"),
    [("fail-on = [", "releasekit.toml: not valid TOML"), ("colour = true", "unknown setting 'colour'"),
     ('select = ["nope"]', "unknown rule or category 'nope'"), ('[severity]\nRK105 = "fatal"', "[severity] RK105 must be one of error, warning, info"),
     ('[severity]\nRK999 = "error"', "unknown rule 'RK999'"), ('format = "xml"', "unknown format 'xml'")],
)
def test_bad_settings_file_is_a_usage_error(run_cli, broken: Path, content: str, message: str) -> None:
    (broken / "releasekit.toml").write_text(content)
    result = run_cli("check", broken)
    assert result.exit_code == 2 and message in result.stderr, result


def test_rules_lists_and_documents(run_cli) -> None:
    listing = run_cli("rules")
    assert listing.exit_code == 0
    assert any(line.startswith("RK101  weights") for line in listing.stdout.splitlines())
    one = run_cli("rules", "rk131")
    assert one.exit_code == 0
    for heading in ("What it finds", "Why it matters", "How to fix"):
        assert heading in one.stdout
    as_json = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {"id", "name", "category", "severity", "summary", "doc"} <= set(as_json[0])


def test_rules_takes_a_category_or_a_name(run_cli) -> None:
    weights = run_cli("rules", "weights")
    ids = [line.split()[0] for line in weights.stdout.splitlines()]
    assert weights.exit_code == 0 and ids and all(i.startswith("RK1") for i in ids)
    by_name = run_cli("rules", "safetensors-header")
    assert by_name.exit_code == 0 and by_name.stdout.startswith("RK101 safetensors-header")
    unknown = run_cli("rules", "nope")
    assert unknown.exit_code == 2 and len(unknown.stderr.strip().splitlines()) == 1


def test_console_script_end_to_end(broken: Path) -> None:
    """The installed entry point, in a real process: exit code and no traceback."""
    exe = Path(sys.executable).with_name("releasekit")
    assert exe.exists()
    proc = subprocess.run([str(exe), "check", str(broken), "--format", "json"], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=120)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]["errors"] == 1
    bad = subprocess.run([str(exe), "check", str(broken / "nope")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_text_is_coloured_on_request(run_cli, broken: Path) -> None:
    assert "\x1b[" in run_cli("check", broken, "--color").stdout


def test_progress_reaches_the_api_callback_and_the_terminal(make_release, capsys, monkeypatch) -> None:
    import releasekit
    from releasekit.cli import check as check_cli

    root = make_release({"README.md": "# m\n"})
    seen: list[tuple[str, int, int]] = []
    releasekit.check(root, progress=lambda name, done, total: seen.append((name, done, total)))
    assert seen and seen[-1][1] == seen[-1][2] - 1 and len({total for _, _, total in seen}) == 1
    monkeypatch.setattr(check_cli, "PROGRESS_AFTER_S", 0.0)  # a slow run: the display appears
    update = check_cli._progress()
    update("weights_structure.check", 0, 2)
    update("secrets.scan", 1, 2)
    err = capsys.readouterr().err
    assert "checking 1/2: weights_structure.check" in err and "checking 2/2" in err and err.endswith("\r")


def test_the_console_script_flushes_everything_and_survives_a_closed_pipe(example_dir: Path) -> None:
    """main() skips the interpreter's teardown when nothing needs it: the whole report still
    arrives, and a reader that closes the pipe early (`| head`) gets exit 1, never a traceback."""
    exe = Path(sys.executable).with_name("releasekit")
    whole = subprocess.run([str(exe), "check", str(example_dir), "--format", "json"], capture_output=True,
                           text=True, timeout=120)
    assert whole.returncode == 0 and json.loads(whole.stdout)["summary"]["errors"] == 0
    head = subprocess.run(f"'{exe}' check '{example_dir}' --format json | head -c 10; exit ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert head.stdout == whole.stdout[:10]
    assert head.returncode in (0, 1) and "Traceback" not in head.stderr


def test_exit_handlers_still_run_when_something_registered_one(example_dir: Path) -> None:
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
              "from releasekit.cli.main import main\n"
              f"sys.argv = ['releasekit', 'check', {str(example_dir)!r}, '--format', 'json']\n"
              "main()\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "handler ran" in proc.stderr
