"""Run the registered checks over a release and build the report.

The engine never prints and never exits. A check that raises becomes an RK001 error finding that
names the check and its rules, and the run goes on: for an audit tool, "could not analyse" is
evidence, not noise.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

from releasekit.checks.engine_rules import RK001, RK002, RK003
from releasekit.config import Settings, build_settings
from releasekit.context import Context, Section
from releasekit.findings import Finding
from releasekit.registry import Check, all_checks
from releasekit.release import Release, walk
from releasekit.report import Report, scrub
from releasekit.secrets.redact import redact_secrets_in

log = logging.getLogger(__name__)


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
        log.debug("check %s crashed", check.name, exc_info=True)
        rules = ", ".join(sorted(declared))
        return [RK001.finding(".", f"check {check.name} ({rules}) crashed: {type(exc).__name__}: {exc}; "
                                   "the rules it runs were not applied, please report this")]
    undeclared = [f for f in findings if f.rule not in declared]
    if undeclared:
        return [RK001.finding(".", f"check {check.name} reported undeclared rule {undeclared[0].rule}")]
    return findings


def audit(release: Release, settings: Settings) -> Report:
    """Run every selected check over `release` and return the report."""
    ctx = Context(release, settings)
    findings: list[Finding] = []
    rules_run: set[str] = set()
    for check in selected_checks(settings):
        rules_run.update(r.id for r in check.rules if settings.is_selected(r.id, r.category))
        findings.extend(run_check(check, ctx))
    for path in release.unreadable:
        findings.append(RK002.finding(path, "cannot be read (permissions or I/O error); it was not audited"))
    for path, what in release.special:
        findings.append(RK003.finding(path, f"is {what}, not a file: remove it from the release (it was not opened)"))
    kept = [
        _apply_overrides(f, settings) for f in findings
        if f.rule == RK001.id or settings.is_selected(f.rule, f.category)
    ]
    kept = [dataclasses.replace(f, message=_clean(f.message, ctx), path=_clean(f.path, ctx)) for f in kept]
    sections = {
        name: dataclasses.replace(s, data=_clean_any(s.data, ctx), lines=tuple(_clean(line, ctx) for line in s.lines))
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
    )


def _clean(text: str, ctx: Context) -> str:
    """No secret reaches any output: the values checks registered, and (whatever was selected, so
    also under `--select license` when the secrets check never ran) anything the secret patterns
    recognise in what a rule quoted."""
    return redact_secrets_in(scrub(text, ctx.secrets))


def _clean_any(value: object, ctx: Context) -> object:
    if isinstance(value, str):
        return _clean(value, ctx)
    if isinstance(value, list | tuple):
        return [_clean_any(v, ctx) for v in value]
    if isinstance(value, dict):
        return {_clean(str(k), ctx): _clean_any(v, ctx) for k, v in value.items()}
    return value


def _apply_overrides(finding: Finding, settings: Settings) -> Finding:
    override = settings.severity.get(finding.rule)
    return dataclasses.replace(finding, severity=override) if override else finding


def check_path(path: str | os.PathLike[str], **options: str | None) -> Report:
    """Walk, configure and audit a release folder: the whole of `releasekit check` minus output."""
    release = walk(path)
    settings = build_settings(Path(release.root), **options)
    return audit(release, settings)


__all__ = ["Section", "audit", "check_path", "run_check", "selected_checks"]
