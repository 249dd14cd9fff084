"""Suppressions with a reason: inline and [[ignore]]; listed in the report; never pickle or engine."""

from __future__ import annotations

from pathlib import Path

from tests.ci_support import TOKEN, build_pickled

OTHER = "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"


def _rules(document: dict) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["path"]) for f in document["findings"] if f["severity"] != "info")


def test_inline_suppression_with_a_reason_hides_the_finding_and_lists_it(run_cli, make_release) -> None:
    root = make_release({"train.py": f"TOKEN = '{TOKEN}'  # releasekit: ignore[RK501] revoked token for tests\n"})
    result = run_cli("check", root, "--format", "json", "--select", "secrets")
    assert result.exit_code == 0, result
    document = result.json()
    assert _rules(document) == []
    assert document["sections"]["suppressed"] == [{
        "rule": "RK501", "path": "train.py", "line": 1, "severity": "error", "message": document["sections"][
            "suppressed"][0]["message"], "reason": "revoked token for tests", "suppressed_by": "train.py:1"}]
    assert TOKEN not in result.stdout
    for fmt in ("text", "markdown", "github"):
        assert "revoked token for tests" in run_cli("check", root, "--format", fmt, "--select", "secrets").stdout


def test_a_comment_on_its_own_line_covers_the_next_line_only(run_cli, make_release) -> None:
    root = make_release({"train.py": f"# releasekit: ignore[secrets] fixture\nA = '{TOKEN}'\n\nB = '{OTHER}'\n"})
    document = run_cli("check", root, "--format", "json", "--select", "secrets").json()
    assert [(f["rule"], f["line"]) for f in document["findings"]] == [("RK501", 4)]
    assert [s["line"] for s in document["sections"]["suppressed"]] == [2]


def test_a_suppression_without_a_reason_or_with_an_unknown_rule_is_a_warning(run_cli, make_release) -> None:
    root = make_release({"train.py": f"A = '{TOKEN}'  # releasekit: ignore[RK501]\nB = 1  # releasekit: ignore[RK9x] why\n"})
    result = run_cli("check", root, "--format", "json", "--select", "secrets", "--fail-on", "warning")
    assert result.exit_code == 1
    warnings = [(f["rule"], f["line"], f["message"]) for f in result.json()["findings"]]
    assert [(r, line) for r, line, _ in warnings] == [("RK010", 1), ("RK010", 2)]
    assert "no reason" in warnings[0][2] and "RK9x" in warnings[1][2]
    assert result.json()["sections"]["suppressed"][0]["reason"] == ""


def test_ignore_tables_in_releasekit_toml_suppress_by_path_and_category(run_cli, make_release) -> None:
    root = make_release({
        "tests/fixtures/a.py": f"A = '{TOKEN}'\n", "tests/fixtures/deep/b.py": f"B = '{TOKEN}'\n",
        "src/c.py": f"C = '{TOKEN}'\n",
        "releasekit.toml": '[[ignore]]\npath = "tests/fixtures/**"\nrules = ["secrets"]\nreason = "synthetic"\n'
                           '\n[[ignore]]\npath = ["nothing/*"]\nrules = ["RK603"]\n',
    })
    document = run_cli("check", root, "--format", "json", "--select", "secrets").json()
    assert _rules(document) == [("RK010", "releasekit.toml"), ("RK501", "src/c.py")]
    assert {(s["path"], s["reason"], s["suppressed_by"]) for s in document["sections"]["suppressed"]} == {
        ("tests/fixtures/a.py", "synthetic", "releasekit.toml [[ignore]] 1"),
        ("tests/fixtures/deep/b.py", "synthetic", "releasekit.toml [[ignore]] 1")}


def test_suppressions_inside_the_release_never_hide_pickle_or_engine_findings(run_cli, tmp_path: Path) -> None:
    root = build_pickled(tmp_path / "release")
    (root / "releasekit.toml").write_text(
        '[[ignore]]\npath = "**"\nrules = ["pickle", "engine", "RK201"]\nreason = "trust me"\n')
    result = run_cli("check", root, "--format", "json")
    assert result.exit_code == 1
    document = result.json()
    assert any(f["category"] == "pickle" and f["path"] == "extra.bin" and f["severity"] == "error"
               for f in document["findings"])
    refused = [f for f in document["findings"] if f["rule"] == "RK011"]
    assert refused and "may not hide" in refused[0]["message"] and refused[0]["path"] == "releasekit.toml"
    assert "suppressed" not in document["sections"] or all(
        s["rule"][:3] not in ("RK2", "RK0") for s in document["sections"]["suppressed"])


def test_selector_ignore_lists_still_work_beside_suppressions(run_cli, make_release) -> None:
    root = make_release({"a.py": f"A = '{TOKEN}'\n", "releasekit.toml": 'ignore = ["RK501"]\n'})
    assert not [f for f in run_cli("check", root, "--format", "json").json()["findings"] if f["rule"] == "RK501"]


def test_a_malformed_ignore_table_is_a_one_line_usage_error(run_cli, make_release) -> None:
    for body, message in (('rules = ["RK501"]\nreason = "x"', "`path` must be"),
                          ('path = "a"\nreason = "x"', "`rules` must be"),
                          ('path = "a"\nrules = ["RK501"]\nwhy = "x"', "unknown key(s) why")):
        root = make_release({"a.py": "x = 1\n", "releasekit.toml": f"[[ignore]]\n{body}\n"})
        result = run_cli("check", root)
        assert result.exit_code == 2 and message in result.stderr, result
        assert "releasekit.toml [[ignore]] 1" in result.stderr
