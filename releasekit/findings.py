"""Findings: the one result type every rule produces and every formatter consumes.

A flat, sorted list of frozen findings (not one attribute per category) lets a new rule arrive
without touching any output format.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


#: The areas a rule belongs to; `--select`/`--ignore` take these as well as rule ids.
CATEGORIES: tuple[str, ...] = (
    "engine",
    "weights",
    "pickle",
    "license",
    "card",
    "secrets",
    "hygiene",
    "openness",
)


class Severity(str, enum.Enum):
    """How bad a finding is; ordered so that `--fail-on` can compare them."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose one of {choices})") from None

    def __str__(self) -> str:  # so f-strings print "error", not "Severity.ERROR"
        return self.value


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem (or fact) about one path of the release.

    `path` is relative to the release root, POSIX style; "." names the release as a whole.
    `message` is one line that names the problem and the fix.
    """

    rule: str
    category: str
    severity: Severity
    path: str
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        # One line, always: formatters and grep-based CI scripts rely on it.
        if "\n" in self.message or "\r" in self.message:
            object.__setattr__(self, "message", " ".join(self.message.split()))

    def fingerprint(self) -> str:
        """A stable id without the line number, so baselines survive code moving around."""
        import hashlib  # OpenSSL's module costs ~3 ms of start-up; only JSON, SARIF and baselines ask

        key = "\0".join((self.rule, self.path, self.message))
        return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line or 0, -self.severity.rank, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape of a finding (documented in the README; keep it stable)."""
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
            "line": self.line,
        }
