"""Results of a smoke run and their text and JSON renderings. No torch, no printing.

A case passes when every one of its checks passes. A negative control (a deliberately broken
kernel variant) passes when at least one of its checks *fails* and nothing crashed: it proves the
comparison can tell a wrong kernel from a right one on this machine.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

JSON_VERSION = 1
EXIT_OK, EXIT_FAILED = 0, 1


@dataclasses.dataclass(frozen=True)
class Check:
    """One comparison: `rel_diff` and `max_abs` are None when the shapes differ."""

    name: str
    rel_diff: float | None
    max_abs: float | None
    tolerance: float
    passed: bool
    note: str | None = None

    def text(self, *, expected_to_differ: bool = False) -> str:
        """The comparison in one phrase; a control's check that differs is what it is for, not a failure."""
        if self.rel_diff is None:
            return f"{self.name} {self.note}"
        mark = "<" if self.rel_diff < self.tolerance else ">="
        text = f"{self.name} rel {self.rel_diff:.1e} {mark} {self.tolerance:.0e} abs {self.max_abs:.1e}"
        if not self.passed:
            text += (" differs" if expected_to_differ else " FAIL") + (f": {self.note}" if self.note else "")
        return text


@dataclasses.dataclass(frozen=True)
class CaseResult:
    name: str
    kind: str  # "mla" or "gemm"
    label: str
    checks: tuple[Check, ...]
    expect_fail: bool = False
    error: str | None = None
    seconds: float = 0.0
    detail: str | None = None  # e.g. which wrong scale a control used

    @property
    def caught(self) -> bool:
        """For a control: the comparison flagged it (a check failed, without a crash)."""
        return self.error is None and any(not c.passed for c in self.checks)

    @property
    def passed(self) -> bool:
        if self.expect_fail:
            return self.caught
        return self.error is None and bool(self.checks) and all(c.passed for c in self.checks)

    def line(self) -> str:
        if self.expect_fail:  # a control is caught or missed; "PASS ... FAIL" on one line read as a contradiction
            verdict = "CAUGHT" if self.passed else "MISSED"
        else:
            verdict = "PASS" if self.passed else "FAIL"
        what = "control" if self.expect_fail else self.kind
        head = f"{verdict} {what:<7} {self.name} {self.label}"
        if self.detail:
            head += f" ({self.detail})"
        if self.error:
            return f"{head} | error: {self.error}"
        body = " | ".join(c.text(expected_to_differ=self.expect_fail) for c in self.checks)
        if self.expect_fail and not self.caught:
            body = "NOT CAUGHT, the harness cannot tell it from a correct kernel: " + body
        return f"{head} | {body}"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["passed"] = self.passed
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseResult:
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        values["checks"] = tuple(Check(**c) for c in data.get("checks", ()))
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class SmokeReport:
    device: str
    mode: str  # how the kernels ran: GPU dtypes, or the interpreter's fp32 path
    shape_source: str
    shape_summary: str
    softmax_scale: float
    scale_note: str
    notes: tuple[str, ...]
    results: tuple[CaseResult, ...]

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failures or not self.results else EXIT_OK

    def header_lines(self) -> list[str]:
        return header_lines(self.device, self.mode, self.shape_source, self.shape_summary, self.softmax_scale,
                            self.scale_note, self.notes)

    def summary_line(self) -> str:
        controls = [r for r in self.results if r.expect_fail]
        cases = [r for r in self.results if not r.expect_fail]
        failed = len(self.failures)
        verdict = "FAILED" if failed or not self.results else "passed"
        return (f"smoke {verdict}: {sum(r.passed for r in cases)}/{len(cases)} cases passed, "
                f"{sum(r.passed for r in controls)}/{len(controls)} negative controls caught")

    def text(self) -> str:
        lines = self.header_lines() + [r.line() for r in self.results] + [self.summary_line()]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        data = {
            "version": JSON_VERSION,
            "device": self.device,
            "mode": self.mode,
            "shape": {"source": self.shape_source, "summary": self.shape_summary,
                      "softmax_scale": self.softmax_scale, "softmax_scale_derivation": self.scale_note},
            "notes": list(self.notes),
            "cases": [r.to_json() for r in self.results],
            "summary": {"passed": self.exit_code == EXIT_OK, "cases": len(self.results),
                        "failed": [r.name for r in self.failures]},
        }
        return json.dumps(data, indent=2) + "\n"


def header_lines(device: str, mode: str, source: str, summary: str, scale: float, scale_note: str,
                 notes: Iterable[str]) -> list[str]:
    lines = [f"releasekit smoke on {device}: {mode}",
             f"shapes from {source}: {summary}",
             f"softmax scale {scale:.6g} = {scale_note}"]
    lines += [f"note: {n}" for n in notes]
    return lines
