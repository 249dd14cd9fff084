"""Baselines: adopt releasekit on an old release, gate only on new findings, list the fixed ones."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci_support import TOKEN, build_pickled

OTHER = "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"


def _errors(document: dict) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["path"]) for f in document["findings"] if f["severity"] == "error")


def test_round_trip_fails_on_exactly_the_new_finding_and_lists_the_fixed_one(run_cli, make_release,
                                                                            tmp_path: Path) -> None:
    root = make_release({"a.py": f"A = '{TOKEN}'\n", "b.py": f"B = '{OTHER}'\n"})
    baseline = tmp_path / "baseline.json"
    written = run_cli("check", root, "--write-baseline", baseline, "--format", "json")
    assert written.exit_code == 0, written  # judged against the baseline it just wrote
    recorded = json.loads(baseline.read_text())
    assert {("RK501", "a.py"), ("RK501", "b.py")} <= {(e["rule"], e["path"]) for e in recorded["findings"]}
    assert TOKEN not in baseline.read_text() and OTHER not in baseline.read_text()

    (root / "a.py").write_text(f"# a comment moves the finding down\n\nA = '{TOKEN}'\n")  # same finding, new line
    (root / "b.py").write_text("B = None\n")  # fixed
    (root / "c.py").write_text(f"C = '{TOKEN}'\n")  # new
    result = run_cli("check", root, "--baseline", baseline, "--format", "json")
    assert result.exit_code == 1
    document = result.json()
    assert _errors(document) == [("RK501", "c.py")]
    section = document["sections"]["baseline"]
    assert [(e["rule"], e["path"]) for e in section["fixed"]] == [("RK501", "b.py")]
    assert section["known"] >= 1 and section["file"] == str(baseline)
    text = run_cli("check", root, "--baseline", baseline).stdout
    assert "fixed: RK501 b.py" in text and "c.py" in text


def test_a_repeated_finding_beyond_the_baseline_count_is_new(run_cli, make_release, tmp_path: Path) -> None:
    tail = TOKEN[4:]
    same = [TOKEN, TOKEN[:4] + tail[::-1], TOKEN[:4] + tail[1:] + tail[0]]  # distinct, all shown "hf_Y…"
    root = make_release({"a.py": f"A = '{same[0]}'\nB = '{same[1]}'\n"})
    baseline = tmp_path / "b.json"
    assert run_cli("check", root, "--write-baseline", baseline, "--select", "secrets").exit_code == 0
    entries = json.loads(baseline.read_text())["findings"]
    assert len(entries) == 2 and entries[0]["fingerprint"] == entries[1]["fingerprint"]
    (root / "a.py").write_text(f"A = '{same[0]}'\nB = '{same[1]}'\nC = '{same[2]}'\n")
    result = run_cli("check", root, "--baseline", baseline, "--select", "secrets", "--format", "json")
    assert result.exit_code == 1
    assert [(f["rule"], f["line"]) for f in result.json()["findings"]] == [("RK501", 3)]


def test_a_baseline_inside_the_release_cannot_hide_a_pickle_payload(run_cli, tmp_path: Path) -> None:
    root = build_pickled(tmp_path / "release")
    inside, outside = root / ".releasekit-baseline.json", tmp_path / "outside.json"
    assert run_cli("check", root, "--write-baseline", outside).exit_code == 0  # the operator's choice
    assert run_cli("check", root, "--baseline", outside).exit_code == 0
    result = run_cli("check", root, "--write-baseline", inside, "--format", "json")
    assert result.exit_code == 1
    document = result.json()
    assert any(f["category"] == "pickle" and f["path"] == "extra.bin" for f in document["findings"])
    assert document["sections"]["baseline"]["protected"] >= 1


def test_a_bad_baseline_is_a_one_line_usage_error(run_cli, make_release, tmp_path: Path) -> None:
    root = make_release({"a.py": "x = 1\n"})
    for content, message in (("{", "baseline is not JSON"), ('{"x": 1}', "not a releasekit baseline"),
                             ('{"releasekit_baseline": 1, "findings": [{}]}', "entry 1 lacks")):
        path = tmp_path / "bad.json"
        path.write_text(content)
        result = run_cli("check", root, "--baseline", path)
        assert result.exit_code == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1
    missing = run_cli("check", root, "--baseline", tmp_path / "none.json")
    assert missing.exit_code == 2 and "baseline file not found" in missing.stderr
