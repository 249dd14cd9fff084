"""The engine: a crashing check becomes a finding, selection and severity overrides apply."""

from __future__ import annotations

from pathlib import Path

from releasekit.config import Settings
from releasekit.engine import audit, run_check
from releasekit.findings import Severity
from releasekit.registry import Check, Rule, all_rules
from releasekit.release import walk


def test_crashing_check_becomes_error_finding_naming_its_rules(make_release) -> None:
    root = make_release({"README.md": "hi"})
    rule = next(r for r in all_rules() if r.id == "RK002")

    def explode(ctx):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    findings = run_check(Check(name="test.explode", rules=(rule,), function=explode), None)  # type: ignore[arg-type]
    assert len(findings) == 1
    assert findings[0].rule == "RK001"
    assert findings[0].severity is Severity.ERROR
    assert "test.explode" in findings[0].message and "RK002" in findings[0].message and "boom" in findings[0].message
    assert root.exists()


def test_rule_ids_are_unique_and_documented() -> None:
    rules = all_rules()
    assert len({r.id for r in rules}) == len(rules)
    for r in rules:
        assert r.id.startswith("RK") and len(r.id) == 5, r.id
        for part in ("What it finds", "Why it matters", "How to fix"):
            assert part in r.doc, f"{r.id} doc lacks '{part}'"


def test_unreadable_file_is_reported(make_release, tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        # root reads everything; simulate by making the walk see an unreadable folder name instead
        root = make_release({"a/b.txt": "x"})
        release = walk(root)
        release = type(release)(release.root, release.files, release.directories, release.pruned, ("a",))
    else:
        root = make_release({"a/b.txt": "x"})
        (root / "a").chmod(0)
        release = walk(root)
    report = audit(release, Settings())
    assert any(f.rule == "RK002" and f.path == "a" for f in report.findings)
