"""The result of one `check` run: findings, sections and the verdict, ready for any formatter."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from releasekit.context import Section
from releasekit.findings import Finding, Severity

SCHEMA_VERSION = "1.0"
EXIT_CLEAN = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclasses.dataclass(frozen=True, kw_only=True)
class Report:
    release: str  # the folder's name
    root: str  # the absolute path, for tools that need to open files
    findings: tuple[Finding, ...]
    sections: Mapping[str, Section]
    fail_on: Severity | None
    files_checked: int
    rules_run: tuple[str, ...]

    @property
    def counts(self) -> Counter[Severity]:
        return Counter(f.severity for f in self.findings)

    @property
    def failed(self) -> bool:
        if self.fail_on is None:
            return False
        return any(f.severity.rank >= self.fail_on.rank for f in self.findings)

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed else EXIT_CLEAN

    def summary(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "errors": counts[Severity.ERROR],
            "warnings": counts[Severity.WARNING],
            "info": counts[Severity.INFO],
            "files": self.files_checked,
            "rules_run": len(self.rules_run),
            "fail_on": self.fail_on.value if self.fail_on else "never",
            "verdict": "fail" if self.failed else "pass",
        }

    def summary_line(self) -> str:
        s = self.summary()
        verdict = "FAIL" if self.failed else "PASS"
        return (
            f"{verdict}: {s['errors']} error(s), {s['warnings']} warning(s), {s['info']} info "
            f"in {s['files']} file(s), {s['rules_run']} rules (fail on {s['fail_on']})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The public JSON document (schema documented in the README)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "release": self.release,
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary(),
            "sections": {name: s.data for name, s in sorted(self.sections.items())},
        }

    def by_path(self) -> dict[str, list[Finding]]:
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.path, []).append(finding)
        return grouped


REDACTED_KEEP = 4


def redact_value(secret: str) -> str:
    """How a secret is shown anywhere: its first four characters, then a fixed mask."""
    return secret[:REDACTED_KEEP] + "…[redacted]"


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, redact_value(secret))
    return text
