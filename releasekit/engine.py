"""Run the registered checks over a release and build the report.

The engine never prints and never exits. A check that raises becomes an error finding of the
crash rule that names the check and its rules, and the run goes on: for an audit tool, "could not
analyse" is evidence, not noise. The engine knows rules only through the registry; it imports no
rule module.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from releasekit import lanes
from releasekit.config import Settings, build_settings
from releasekit.context import Context
from releasekit.findings import Finding
from releasekit.registry import CRASH_RULE, Check, Rule, all_checks, all_rules, get_rule
from releasekit.release import Release, walk
from releasekit.report import Report, Section
from releasekit.secrets.redact import clean_any, memoised_clean

#: Called with (check name, checks done, checks in all) as the run goes, for a progress display.
Progress = Callable[[str, int, int], None]


def selected_checks(settings: Settings) -> list[Check]:
    """The checks with at least one selected rule."""
    return [
        c for c in all_checks()
        if any(settings.is_selected(r.id, r.category) for r in c.rules)
    ]


def run_check(check: Check, ctx: Context) -> list[Finding]:
    """Run one check; a crash becomes a finding instead of a traceback."""
    declared = {r.id for r in check.rules}
    try:
        findings = list(check.run(ctx))
    except Exception as exc:  # noqa: BLE001 - any crash in a check is reported, never raised
        import logging  # only a crash logs (its traceback, for RELEASEKIT_DEBUG)

        logging.getLogger(__name__).debug("check %s crashed", check.name, exc_info=True)
        return [crash_finding(check, f"crashed: {type(exc).__name__}: {exc}")]
    undeclared = [f for f in findings if f.rule not in declared]
    if undeclared:
        crash = get_rule(CRASH_RULE)
        assert crash is not None, "the crash rule is registered with the builtin checks"
        return [crash.finding(".", f"check {check.name} reported undeclared rule {undeclared[0].rule}")]
    return findings


def crash_finding(check: Check, why: str) -> Finding:
    """The crash rule's finding for a check that did not run to the end: its rules were not applied."""
    crash = get_rule(CRASH_RULE)
    assert crash is not None, "the crash rule is registered with the builtin checks"
    rules = ", ".join(sorted(r.id for r in check.rules))
    return crash.finding(".", f"check {check.name} ({rules}) {why}; the rules it runs were not applied, "
                              "please report this")


def audit(release: Release, settings: Settings, *, progress: Progress | None = None, jobs: int | None = None) -> Report:
    """Run every selected check over `release` and return the report."""
    ctx = Context(release, settings)
    findings: list[Finding] = []
    rules_run: set[str] = set()
    checks = selected_checks(settings)
    for check in checks:
        rules_run.update(r.id for r in check.rules if settings.is_selected(r.id, r.category))
    both = None
    if lanes.worth_forking(release, checks, jobs):
        both = lanes.run_two_lanes(ctx, checks, run_check, crash_finding, progress)
    if both is not None:
        for check_findings, check_sections in both:
            findings.extend(check_findings)
            for section in check_sections:  # in check order, as a sequential run adds them
                ctx.sections.pop(section.name, None)
                ctx.add_section(section)
    else:
        for done, check in enumerate(checks):
            if progress is not None:
                progress(check.name, done, len(checks))
            findings.extend(run_check(check, ctx))
    kept: list[Finding] = []
    refused: set[str] = set()
    for finding in findings:
        if finding.rule != CRASH_RULE and not settings.is_selected(finding.rule, finding.category):
            continue
        severity, was_refused = settings.severity_for(finding.rule, finding.category, finding.severity)
        if was_refused:
            refused.add(finding.rule)
        kept.append(dataclasses.replace(finding, severity=severity))
    secrets = ctx.secrets
    clean = memoised_clean(secrets)
    kept = [dataclasses.replace(f, message=clean(f.message), path=clean(f.path)) for f in kept]
    if settings.from_release:
        ctx.add_section(settings_section(settings, all_rules(), refused))
    sections = {
        name: dataclasses.replace(s, data=clean_any(s.data, clean), lines=tuple(clean(line) for line in s.lines))
        for name, s in ctx.sections.items()
    }
    unique = sorted(set(kept), key=Finding.sort_key)
    return Report(
        release=release.name,
        root=str(release.root),
        findings=tuple(unique),
        sections=sections,
        fail_on=settings.fail_on,
        files_checked=len(release.files),
        rules_run=tuple(sorted(rules_run)),
        protected=settings.protected_failures,
        format=settings.format,
    )


def settings_section(settings: Settings, rules: Iterable[Rule], refused_severity: Iterable[str]) -> Section:
    """What the release's own settings asked for, what that switched off, and what was refused.

    Every report carries it (in every format) when the release has a settings file that set
    anything: a reviewer must see that the release configured its own audit.
    """
    rules = list(rules)
    refused_severity = set(refused_severity)
    asked = {key: settings.release_table[key] for key in sorted(settings.from_release)}
    chose = {"select", "ignore"} & settings.from_release  # the selection is the release's own only then
    off = sorted(r.id for r in rules if not settings.is_selected(r.id, r.category)) if chose else []
    # Kept on: what the same selection would switch off if it came from the command line.
    as_if_trusted = dataclasses.replace(settings, from_release=frozenset())
    kept_on = sorted(r.id for r in rules
                     if settings.is_selected(r.id, r.category) and not as_if_trusted.is_selected(r.id, r.category))
    lowered = sorted(
        f"{rule_id} -> {level.value}" for rule_id, level in settings.severity.items()
        if "severity" in settings.from_release and rule_id not in refused_severity
    )
    refused = sorted(
        [f"{rid} kept on (pickle and engine rules always run)" for rid in kept_on]
        + [f"{rid}: a lower severity is not applied to a pickle or engine rule" for rid in sorted(refused_severity)]
        + (["fail-on: pickle and engine errors fail the run whatever fail-on says"]
           if "fail-on" in settings.from_release else [])
    )
    data = {
        "file": settings.source,
        "from_release": asked,
        "rules_switched_off": off,
        "severity_overrides": lowered,
        "refused": refused,
    }
    lines = [f"{settings.source} (inside the release) sets: "
             + "; ".join(f"{key} = {json.dumps(value, sort_keys=True)}" for key, value in asked.items())]
    if off:
        lines.append(f"rules switched off by it: {_compact(off)}")
    if lowered:
        lines.append(f"severities it changed: {', '.join(lowered)}")
    lines += [f"refused: {item}" for item in refused]
    lines.append("use --isolated to audit without the release's own settings")
    return Section(name="settings", title="Settings from the release", data=data, lines=tuple(lines))


def _compact(ids: list[str], most: int = 12) -> str:
    return ", ".join(ids[:most]) + (f" and {len(ids) - most} more" if len(ids) > most else "")


def check_path(
    path: str | os.PathLike[str],
    *,
    select: str | None = None,
    ignore: str | None = None,
    fail_on: str | None = None,
    format: str | None = None,
    isolated: bool = False,
    config: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Walk, configure and audit a release folder: the whole of `releasekit check` minus output."""
    release = walk(path)
    settings = build_settings(
        Path(release.root), rules=all_rules(), select=select, ignore=ignore, fail_on=fail_on, format=format,
        isolated=isolated, config=Path(config) if config is not None else None,
    )
    return audit(release, settings, progress=progress)


__all__ = ["Section", "audit", "check_path", "crash_finding", "run_check", "selected_checks", "settings_section"]
