"""The engine: a crashing check becomes a finding, selection and severity overrides apply."""

from __future__ import annotations

from pathlib import Path

from releasekit.config import Settings
from releasekit.engine import audit, run_check
from releasekit.findings import Severity
from releasekit.registry import Check, all_rules
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


def test_unreadable_path_is_an_error_finding(make_release, monkeypatch) -> None:
    import os

    root = make_release({"a/b.txt": "x"})
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p: (_ for _ in ()).throw(PermissionError(13, "denied"))
                        if Path(p).name == "a" else real_scandir(p))
    report = audit(walk(root), Settings())
    assert [(f.rule, f.path, f.severity) for f in report.findings if f.rule == "RK002"] == [("RK002", "a", Severity.ERROR)]
    assert report.exit_code == 1


def _check_with(function, rule_id: str = "RK101") -> Check:
    rule = next(r for r in all_rules() if r.id == rule_id)
    return Check(name="test.fake", rules=(rule,), function=function)


def test_a_check_may_only_report_its_declared_rules(make_release) -> None:
    other = next(r for r in all_rules() if r.id == "RK102")
    findings = run_check(_check_with(lambda ctx: [other.finding("x", "y")]), None)  # type: ignore[arg-type]
    assert [f.rule for f in findings] == ["RK001"]
    assert "undeclared rule RK102" in findings[0].message


def test_unselected_checks_do_not_run(make_release, monkeypatch) -> None:
    from releasekit import engine

    ran: list[str] = []
    fake = _check_with(lambda ctx: ran.append("ran") or [])
    monkeypatch.setattr(engine, "all_checks", lambda: [fake])
    root = make_release({"README.md": "x"})
    audit(walk(root), Settings(select=frozenset({"RK105"})))
    assert ran == []
    audit(walk(root), Settings(select=frozenset({"weights"})))
    assert ran == ["ran"]


def test_registered_secrets_are_scrubbed_from_findings_and_sections(make_release, monkeypatch) -> None:
    from releasekit import engine, formats
    from releasekit.context import Section

    secret = "hf_" + "Zq8" * 11  # assembled at runtime: no literal token in the source
    rule = next(r for r in all_rules() if r.id == "RK101")

    def leaky(ctx):
        ctx.register_secret(secret)
        ctx.add_section(Section(name="demo", title="Demo", data={"note": f"saw {secret}"}, lines=(f"saw {secret}",)))
        yield rule.finding(f"dir-{secret}/f", f"the value {secret} leaked")

    monkeypatch.setattr(engine, "all_checks", lambda: [_check_with(leaky)])
    report = audit(walk(make_release({"README.md": "x"})), Settings())
    for name in formats.names():
        text = formats.render(report, name)
        assert secret not in text, name
        assert "hf_Z…[redacted]" in text, name


def test_severity_override_and_sections_reach_every_format(make_release, monkeypatch) -> None:
    from releasekit import engine, formats
    from releasekit.context import Section

    rule = next(r for r in all_rules() if r.id == "RK101")

    def with_section(ctx):
        ctx.add_section(Section(name="openness", title="Openness", data={"class": "III"}, lines=("Class III reached",)))
        yield rule.finding("m.safetensors", "broken")

    monkeypatch.setattr(engine, "all_checks", lambda: [_check_with(with_section)])
    settings = Settings(severity={"RK101": Severity.WARNING})
    report = audit(walk(make_release({"README.md": "x"})), settings)
    assert [f.severity for f in report.findings] == [Severity.WARNING]
    assert report.exit_code == 0
    assert report.to_dict()["sections"] == {"openness": {"class": "III"}}
    for name in ("text", "markdown"):
        assert "Class III reached" in formats.render(report, name)
    assert '"class": "III"' in formats.render(report, "sarif")


def test_secrets_quoted_by_any_rule_are_redacted_even_when_the_secrets_check_did_not_run(make_release, monkeypatch) -> None:
    """`--select license` skips the secrets check; a rule quoting a token must still not leak it."""
    from releasekit import engine, formats

    import random
    import string

    token = "hf_" + "".join(random.Random(7).choices(string.ascii_letters, k=34))  # built at runtime
    rule = next(r for r in all_rules() if r.id == "RK101")

    def quoting(ctx):
        yield rule.finding("README.md", f"the card says: token={token}")

    monkeypatch.setattr(engine, "all_checks", lambda: [_check_with(quoting)])
    report = audit(walk(make_release({"README.md": "x"})), Settings(select=frozenset({"weights"})))
    for name in formats.names():
        assert token not in formats.render(report, name), name
    assert token[:4] + "…[redacted]" in report.findings[0].message
