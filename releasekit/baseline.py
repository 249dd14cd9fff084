"""Baselines: adopt releasekit on an old release without fixing everything first.

`check --write-baseline FILE` records today's findings by fingerprint (rule, path and message;
no line number, so edits elsewhere in a file do not make old findings new). `check --baseline
FILE` then hides the findings the baseline knows, gates only on new ones, and lists the baseline
entries that no longer occur ("fixed"), so the file can shrink as the release improves.

A baseline stored inside the release folder is a setting the release controls: like any such
setting it never hides a pickle (RK2xx) or engine (RK0xx) finding. One kept outside (chosen by
whoever runs the audit) may.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from releasekit import __version__
from releasekit.context import Section
from releasekit.errors import UsageError
from releasekit.findings import Finding
from releasekit.fsutil import write_atomic
from releasekit.report import Report
from releasekit.suppressions import PROTECTED_CATEGORIES

FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class Entry:
    fingerprint: str
    rule: str
    path: str
    severity: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Baseline:
    entries: tuple[Entry, ...]
    source: str  # the file, for messages


def entry_of(finding: Finding) -> Entry:
    return Entry(fingerprint=finding.fingerprint(), rule=finding.rule, path=finding.path,
                 severity=finding.severity.value, message=finding.message)


def document(report: Report) -> dict[str, Any]:
    entries = [entry_of(f).to_dict() for f in report.findings]
    return {"releasekit_baseline": FORMAT_VERSION, "releasekit_version": __version__, "release": report.release,
            "findings": sorted(entries, key=lambda e: (e["path"], e["rule"], e["fingerprint"]))}


def write_baseline(report: Report, path: Path) -> Baseline:
    """Record every finding of `report` in `path` (atomically) and return it as a Baseline."""
    doc = document(report)
    write_atomic(path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return _parse(doc, str(path))


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; anything unexpected is a one-line usage error naming the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: baseline file not found (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: baseline cannot be read: {exc}") from None
    except ValueError as exc:
        raise UsageError(f"{path}: baseline is not JSON: {exc}") from None
    return _parse(raw, str(path))


def _parse(raw: object, source: str) -> Baseline:
    if not isinstance(raw, dict) or raw.get("releasekit_baseline") != FORMAT_VERSION:
        raise UsageError(f"{source}: not a releasekit baseline (version {FORMAT_VERSION}); write one with "
                         "--write-baseline")
    items = raw.get("findings")
    if not isinstance(items, list):
        raise UsageError(f"{source}: baseline has no findings list")
    entries = []
    for number, item in enumerate(items, start=1):
        try:
            entries.append(Entry(**{k: str(item[k]) for k in ("fingerprint", "rule", "path", "severity", "message")}))
        except (KeyError, TypeError):
            raise UsageError(f"{source}: baseline entry {number} lacks fingerprint, rule, path, severity or message") \
                from None
    return Baseline(entries=tuple(entries), source=source)


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` lies in `folder` (after resolving links): then the release controls it."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def apply_baseline(report: Report, baseline: Baseline, *, protect: bool = False,
                   in_scope: Callable[[Entry], bool] | None = None) -> tuple[Report, list[Entry]]:
    """(the report with known findings hidden and a `baseline` section, the fixed entries).

    Matching counts occurrences: a baseline holding a finding once hides it once, so a second
    identical finding is new. `protect` keeps pickle and engine findings whatever the baseline
    says (for a baseline that lives inside the release). `in_scope` says which entries this run
    could have seen again (with --changed-since, entries of unchecked files are not "fixed").
    """
    remaining = Counter(e.fingerprint for e in baseline.entries)
    kept: list[Finding] = []
    known = 0
    protected = 0
    for finding in report.findings:
        fp = finding.fingerprint()
        if remaining[fp] <= 0:
            kept.append(finding)
            continue
        remaining[fp] -= 1
        if protect and finding.category in PROTECTED_CATEGORIES:
            kept.append(finding)
            protected += 1
        else:
            known += 1
    fixed: list[Entry] = []
    for entry in baseline.entries:
        if remaining[entry.fingerprint] > 0 and (in_scope is None or in_scope(entry)):
            remaining[entry.fingerprint] -= 1
            fixed.append(entry)
    lines = [f"{known} known finding(s) hidden by baseline {baseline.source}; {len(kept)} finding(s) are new "
             "or not baselined"]
    if protected:
        lines.append(f"{protected} pickle or engine finding(s) kept: a baseline inside the release cannot hide them")
    lines += [f"fixed: {e.rule} {e.path} ({e.severity}): {e.message}" for e in fixed]
    section = Section(
        name="baseline", title="Baseline",
        data={"file": baseline.source, "known": known, "new": len(kept), "protected": protected,
              "fixed": [e.to_dict() for e in fixed]},
        lines=tuple(lines),
    )
    sections = {**report.sections, "baseline": section}
    return dataclasses.replace(report, findings=tuple(kept), sections=sections), fixed
