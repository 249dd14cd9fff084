"""Suppressions with a reason: inline comments and `[[ignore]]` entries of releasekit.toml.

A lab adopting releasekit has findings it has judged and accepted (a test fixture with a fake
token, a vendored file under another license). It says so next to the finding:

    TOKEN = "hf_fake..."  # releasekit: ignore[RK501] revoked token used by the tests

or for many files at once in releasekit.toml:

    [[ignore]]
    path = "tests/fixtures/**"
    rules = ["secrets", "RK603"]
    reason = "synthetic fixtures, no real credentials"

Every suppressed finding is listed in the report's `suppressed` section (rule, path, reason,
where the suppression is), so hiding is never silent. A suppression without a reason, or naming
no known rule, is itself a warning (RK010). Both kinds live inside the release, so they may never
hide a pickle (RK2xx) or engine (RK0xx) finding: those stay, and RK011 names the attempt.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from releasekit.config import PROTECTED
from releasekit.context import Section
from releasekit.errors import UsageError
from releasekit.findings import Finding
from releasekit.globs import glob_match
from releasekit.registry import CATEGORIES, Rule, get_rule
from releasekit.report import Report
from releasekit.secrets.redact import redact_secrets_in
from releasekit.settings_model import SUPPRESSION_KEYS, is_suppression_list

# The keys of an [[ignore]] entry are declared with every other setting (settings_model).
SETTINGS_TABLE = {k.name: k for k in SUPPRESSION_KEYS}
# Findings no setting from inside the release may hide: pickle and engine rules.
PROTECTED_CATEGORIES = PROTECTED
INLINE = re.compile(r"releasekit:\s*ignore\[([^\]\n]*)\]([^\n]*)")
_COMMENT_CLOSERS = ("-->", "*/", "#}", "%>")
_COMMENT_ONLY = re.compile(r"^\s*(#|//|--|;|<!--|/\*|%|\{#|\*)")
INLINE_READ_LIMIT = 4 * 1024 * 1024  # bytes of a file searched for inline comments
_BINARY_SUFFIXES = frozenset({".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".npy",
                              ".npz", ".gguf", ".onnx", ".h5", ".zip", ".gz", ".tar"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Suppression:
    """One suppression: which findings it covers, why, and where it was written."""

    selectors: frozenset[str]  # rule ids and categories
    reason: str
    source: str  # "releasekit.toml [[ignore]] 2" or "train.py:14"
    path_globs: tuple[str, ...] = ()  # for [[ignore]] entries
    file: str | None = None  # for inline comments: the file, and the lines it covers
    lines: frozenset[int] = frozenset()

    def covers(self, finding: Finding) -> bool:
        if finding.rule not in self.selectors and finding.category not in self.selectors:
            return False
        if self.file is not None:
            return finding.path == self.file and (finding.line is None or finding.line in self.lines)
        return any(glob_match(g, finding.path) for g in self.path_globs)


def _rule(rule_id: str) -> Rule:
    """A rule of checks/suppression_rules.py, through the registry (libraries never import checks/)."""
    rule = get_rule(rule_id)
    assert rule is not None, f"{rule_id} is registered with the builtin checks"
    return rule


def _selectors(raw: Iterable[object]) -> tuple[frozenset[str], list[str]]:
    """(known ids and categories, unknown items)."""
    known: set[str] = set()
    unknown: list[str] = []
    for item in raw:
        text = str(item).strip()
        if text.lower() in CATEGORIES:
            known.add(text.lower())
        elif get_rule(text) is not None:
            known.add(text.upper())
        elif text:
            unknown.append(redact_secrets_in(text))  # quoted back in RK010: never a secret
    return frozenset(known), unknown


def from_settings(value: object, origin: str) -> tuple[list[Suppression], list[Finding]]:
    """The `[[ignore]]` entries of a settings table; a malformed entry is a usage error."""
    RK010 = _rule("RK010")

    if value is None or not is_suppression_list(value):
        return [], []
    out: list[Suppression] = []
    problems: list[Finding] = []
    config_file = origin.split(" ", 1)[0]
    for number, entry in enumerate(value, start=1):  # type: ignore[arg-type]
        where = f"{origin} [[ignore]] {number}"
        unknown_keys = set(entry) - set(SETTINGS_TABLE)
        if unknown_keys:
            raise UsageError(f"{where}: unknown key(s) {', '.join(sorted(unknown_keys))} (known: path, rules, reason)")
        paths = entry.get("path")
        paths = [paths] if isinstance(paths, str) else paths
        if not paths or not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            raise UsageError(f"{where}: `path` must be a path or glob, or a list of them")
        rules = entry.get("rules")
        if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
            raise UsageError(f"{where}: `rules` must be a non-empty list of rule ids or categories")
        reason = entry.get("reason", "")
        if not isinstance(reason, str):
            raise UsageError(f"{where}: `reason` must be a string")
        selectors, unknown = _selectors(rules)
        if unknown:
            problems.append(RK010.finding(config_file, f"{where} names unknown rule(s) {', '.join(unknown)}; "
                                                       "`releasekit rules` lists them"))
        if not reason.strip():
            problems.append(RK010.finding(config_file, f"{where} has no reason: add reason = \"...\" saying why "
                                                       "these findings are safe to hide"))
        out.append(Suppression(selectors=selectors, reason=redact_secrets_in(reason.strip()), source=where, path_globs=tuple(paths)))
    return out, problems


def _read_text(root: Path, path: str) -> str | None:
    """A regular file of the release as text, or None (links, binaries and unreadable files)."""
    if Path(path).suffix.lower() in _BINARY_SUFFIXES:
        return None
    full = root / path
    try:
        if not stat.S_ISREG(os.lstat(full).st_mode):
            return None
        with open(full, "rb") as handle:
            data = handle.read(INLINE_READ_LIMIT)
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def inline(root: Path, paths: Iterable[str]) -> tuple[list[Suppression], list[Finding]]:
    """The inline `releasekit: ignore[...] reason` comments of the given release files.

    A comment covers findings on its own line; a comment alone on its line also covers the
    next line; findings of the file without a line are covered by a comment anywhere in it.
    """
    RK010 = _rule("RK010")

    out: list[Suppression] = []
    problems: list[Finding] = []
    for path in sorted(set(paths)):
        if path in ("", "."):
            continue
        text = _read_text(root, path)
        if text is None or "releasekit:" not in text:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for match in INLINE.finditer(line):
                reason = redact_secrets_in(match.group(2).strip())
                for closer in _COMMENT_CLOSERS:
                    reason = reason.removesuffix(closer).strip()
                selectors, unknown = _selectors(match.group(1).split(","))
                source = f"{path}:{number}"
                if unknown or not selectors:
                    what = ", ".join(unknown) or "no rule"
                    problems.append(RK010.finding(path, f"inline suppression names unknown rule(s) {what}",
                                                  line=number))
                if not reason:
                    problems.append(RK010.finding(path, "inline suppression has no reason: write why after the "
                                                        "bracket, `releasekit: ignore[RK123] reason`", line=number))
                lines = {number, number + 1} if _COMMENT_ONLY.match(line) else {number}
                out.append(Suppression(selectors=selectors, reason=reason, source=source, file=path,
                                       lines=frozenset(lines)))
    return out, problems


def apply_suppressions(
    findings: Sequence[Finding], suppressions: Sequence[Suppression]
) -> tuple[list[Finding], list[tuple[Finding, Suppression]], list[Finding]]:
    """(kept findings, (suppressed finding, by what) pairs, RK011 refusals).

    Findings of the protected categories are always kept; a suppression covering one is refused.
    """
    RK011 = _rule("RK011")

    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    refused: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        match = next((s for s in suppressions if s.covers(finding)), None)
        if match is None:
            kept.append(finding)
        elif finding.category in PROTECTED_CATEGORIES:
            kept.append(finding)
            anchor, line = (match.file, min(match.lines)) if match.file else (match.source.split(" ", 1)[0], None)
            refused.setdefault((match.source, finding.rule), RK011.finding(
                anchor, f"{match.source} may not hide {finding.rule} ({finding.category}) on {finding.path}: "
                        "pickle and engine findings cannot be suppressed from inside the release", line=line))
        else:
            suppressed.append((finding, match))
    return kept, suppressed, list(refused.values())


def suppressed_section(suppressed: Sequence[tuple[Finding, Suppression]]) -> Section:
    data = [
        {"rule": f.rule, "path": f.path, "line": f.line, "severity": f.severity.value, "message": f.message,
         "reason": s.reason, "suppressed_by": s.source}
        for f, s in suppressed
    ]
    lines = tuple(
        f"{f.rule} {f.path}{':' + str(f.line) if f.line else ''} ({f.severity.value}): "
        f"{s.reason or 'no reason given'} [{s.source}]"
        for f, s in suppressed
    )
    title = f"Suppressed ({len(suppressed)} finding(s) hidden by suppressions in the release)"
    return Section(name="suppressed", title=title, data=data, lines=lines)


def suppress_report(report: Report, settings_table: Mapping[str, Any] | None, settings_source: str | None) -> Report:
    """The report with the release's suppressions applied and listed (`--isolated` never calls this:
    both kinds are settings shipped inside the release)."""
    root = Path(report.root)
    configured, problems = from_settings((settings_table or {}).get("ignore"), settings_source or "settings")
    written, inline_problems = inline(root, (f.path for f in report.findings))
    suppressions = configured + written
    if not suppressions and not problems and not inline_problems:
        return report
    kept, suppressed, refused = apply_suppressions(report.findings, suppressions)
    findings = sorted(set(kept + problems + inline_problems + refused), key=Finding.sort_key)
    sections = dict(report.sections)
    if suppressed:
        sections["suppressed"] = suppressed_section(suppressed)
    return dataclasses.replace(report, findings=tuple(findings), sections=sections)


__all__ = ["PROTECTED_CATEGORIES", "SETTINGS_TABLE", "Suppression", "apply_suppressions", "from_settings", "inline",
           "is_suppression_list", "suppress_report"]
