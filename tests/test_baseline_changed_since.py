"""`check --changed-since REF`: changed files, plus whole-release rules whose inputs changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.example import build_example
from tests.ci_support import TOKEN, commit_all, git, init_repo

OTHER = "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"


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, str]:
    """(repository, release in a subfolder of it, the base commit); the base has an old problem."""
    repo = init_repo(tmp_path / "repo")
    root = build_example(repo / "models" / "v1")
    (root / "train" / "old.py").write_text(f"OLD = '{TOKEN}'\n")
    return repo, root, commit_all(repo, "base")


def test_only_changed_files_are_checked_and_the_report_says_what_was_skipped(run_cli, repo) -> None:
    _, root, base = repo
    (root / "train" / "new.py").write_text(f"NEW = '{OTHER}'\n")  # untracked counts as changed
    result = run_cli("check", root, "--changed-since", base, "--format", "json")
    assert result.exit_code == 1
    document = result.json()
    assert [(f["rule"], f["path"]) for f in document["findings"] if f["severity"] == "error"] == [
        ("RK501", "train/new.py")]  # the old token in an unchanged file is not reported
    note = document["sections"]["changed-since"]
    assert note["checked_files"] == ["train/new.py"] and note["skipped_files"] == sum(p.is_file() for p in root.rglob("*")) - 1
    assert {"weights", "card"} <= set(note["skipped_rules"])
    assert "license" in note["whole_release_rules_run"]  # code changed: code licenses are judged again
    assert document["summary"]["files"] == 1
    text = run_cli("check", root, "--changed-since", base).stdout
    assert "skipped weights rules: none of their inputs" in text and "unchanged file(s) were skipped" in text


def test_a_changed_card_runs_the_card_rules_on_the_whole_release(run_cli, repo) -> None:
    repo_dir, root, base = repo
    card = root / "README.md"
    card.write_text(card.read_text().replace("license: mit", "license: not-a-license"))
    commit_all(repo_dir, "card")
    document = run_cli("check", root, "--changed-since", base, "--format", "json").json()
    assert "card" in document["sections"]["changed-since"]["whole_release_rules_run"]
    assert any(f["category"] == "card" and f["severity"] == "error" for f in document["findings"])
    assert not any(f["path"] == "train/old.py" for f in document["findings"])


def test_a_settings_change_checks_everything(run_cli, repo) -> None:
    _, root, base = repo
    (root / "releasekit.toml").write_text('fail-on = "error"\n')
    document = run_cli("check", root, "--changed-since", base, "--format", "json").json()
    assert document["sections"]["changed-since"]["full"] is True
    assert any(f["path"] == "train/old.py" for f in document["findings"])


def test_unchanged_baseline_entries_are_not_called_fixed(run_cli, repo, tmp_path: Path) -> None:
    _, root, base = repo
    baseline = tmp_path / "baseline.json"
    assert run_cli("check", root, "--write-baseline", baseline).exit_code == 0
    (root / "train" / "new.py").write_text("x = 1\n")
    document = run_cli("check", root, "--changed-since", base, "--baseline", baseline, "--format", "json").json()
    assert document["sections"]["baseline"]["fixed"] == []


def test_bad_refs_and_folders_outside_git_are_one_line_errors(run_cli, repo, make_release) -> None:
    _, root, _ = repo
    for ref, message in (("no-such-ref", "git rev-parse failed"), ("--output=x", "is not a git ref")):
        result = run_cli("check", root, "--changed-since", ref)
        assert result.exit_code == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1, result
    outside = make_release({"a.py": "x = 1\n"})
    result = run_cli("check", outside, "--changed-since", "HEAD")
    assert result.exit_code == 2 and "not inside a git work tree" in result.stderr


def test_committed_and_staged_changes_both_count(run_cli, repo) -> None:
    repo_dir, root, base = repo
    (root / "train" / "committed.py").write_text(f"A = '{OTHER}'\n")
    commit_all(repo_dir, "add")
    (root / "inference" / "staged.py").write_text(f"B = '{OTHER}'\n")
    git(repo_dir, "add", "-A")
    document = run_cli("check", root, "--changed-since", base, "--format", "json").json()
    assert {f["path"] for f in document["findings"] if f["rule"] == "RK501"} == {"train/committed.py",
                                                                                 "inference/staged.py"}
