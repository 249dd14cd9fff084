"""The result of one `check` run: findings, sections and the verdict, ready for any formatter."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from typing import Any

from releasekit.findings import Finding, Severity

SCHEMA_VERSION = "1.0"
EXIT_CLEAN = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclasses.dataclass(frozen=True, kw_only=True)
class Section:
    """A structured part of the report beside the findings (for example, `openness`).

    `data` is JSON-serialisable and goes verbatim into JSON output; `lines` are the human summary
    the text and Markdown formats print under `title`.
    """

    name: str
    title: str
    data: Any
    lines: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class Report:
    release: str  # the folder's name
    root: str  # the absolute path, for tools that need to open files
    findings: tuple[Finding, ...]
    sections: Mapping[str, Section]
    fail_on: Severity | None
    files_checked: int
    rules_run: tuple[str, ...]
    # Categories whose errors fail the run whatever `fail_on` says: the release's own settings
    # chose `fail_on`, and they may not un-fail an error of the pickle or engine rules.
    protected: frozenset[str] = frozenset()
    format: str = "text"  # the output format the settings ask for (`format` in releasekit.toml)

    @property
    def counts(self) -> Counter[Severity]:
        return Counter(f.severity for f in self.findings)

    @property
    def failed(self) -> bool:
        if any(f.category in self.protected and f.severity is Severity.ERROR for f in self.findings):
            return True
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
