"""Rules about suppressions themselves (`releasekit.suppressions` reports them, not a check)."""

from releasekit.findings import Severity
from releasekit.registry import Rule

RK010 = Rule.define(
    "RK010", "suppression-incomplete", category="engine", severity=Severity.WARNING,
    summary="A suppression gives no reason, or names no rule releasekit knows.",
    doc="""
    What it finds: an inline `releasekit: ignore[...]` comment or an `[[ignore]]` entry of
    releasekit.toml without a reason, or naming a rule id or category that does not exist.

    Why it matters: a suppression hides a finding from every report and from the verdict; the
    next reader of the release (a reviewer, an auditor, you in six months) needs to know why it
    was safe to hide. A suppression naming an unknown rule hides nothing and is likely a typo.

    How to fix: write the reason after the bracket (`# releasekit: ignore[RK501] test fixture,
    revoked token`) or as `reason = "..."` in the `[[ignore]]` entry; `releasekit rules` lists
    the rule ids and categories.
    """,
)

RK011 = Rule.define(
    "RK011", "suppression-refused", category="engine", severity=Severity.WARNING,
    summary="A suppression from inside the release tried to hide a pickle or engine finding.",
    doc="""
    What it finds: an inline comment or an `[[ignore]]` entry of the release's own settings that
    matches a finding of the pickle rules (RK2xx) or the engine rules (RK0xx). The suppression
    was not applied: the finding is still reported and still counts for the verdict.

    Why it matters: these findings say that loading the release can run code, or that part of
    it could not be audited. A release must not be able to switch off its own audit, so nothing
    shipped inside it can hide them.

    How to fix: fix the finding (convert the pickle to safetensors, remove the file). When you
    audit a release you trust by other means, decide outside the release: `--ignore` on the
    command line, or a `--baseline` file kept outside the release folder.
    """,
)
