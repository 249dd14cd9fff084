"""Turn a `ScanResult` into findings of the RK2xx rules (defined in `releasekit.checks.pickle`)."""

from __future__ import annotations

from releasekit.findings import Finding, Severity
from releasekit.pickles.problems import Kind
from releasekit.pickles.scanner import ScanResult

#: Problem findings per file; the rest are counted in one last finding (a hostile file can hold
#: thousands of them, and the first few say everything needed: do not load it).
MAX_PROBLEM_FINDINGS = 25

_FIX = {
    Kind.UNRESOLVED: "do not load it",
    Kind.MALFORMED: "do not load it; re-export it from its source (or as safetensors)",
    Kind.ARCHIVE: "do not load it; re-create the archive (torch.save writes a consistent one)",
}


def to_findings(result: ScanResult) -> list[Finding]:
    from releasekit.checks import pickle as rules  # the rules live with the check; imported lazily

    rule_of = {Kind.UNRESOLVED: rules.RK202, Kind.MALFORMED: rules.RK203, Kind.ARCHIVE: rules.RK204}
    path = result.path
    findings: list[Finding] = []
    for unit in result.units:
        where = f"{unit.label}: " if unit.label else ""
        for use in sorted(unit.imports.values(), key=lambda u: u.first_pos):
            if use.status is not None:
                continue
            verb = "imports and calls" if use.called else "imports"
            times = f", {use.count} times" if use.count > 1 else ""
            findings.append(rules.RK201.finding(
                path, f"{where}{verb} {use.name} (first at byte {use.first_pos:,}{times}), which is not on the "
                      "allowlist of plain tensor data: loading this file can run code, so do not load it (if "
                      f"{use.name} is your own plain-data class, add it to [pickle] allow in releasekit.toml)"))
    seen: set[str] = set()
    shown = 0
    hidden = 0
    for problem in result.problems:
        text = problem.message + problem.where()
        if text in seen:
            continue
        seen.add(text)
        if shown >= MAX_PROBLEM_FINDINGS:
            hidden += 1
            continue
        shown += 1
        findings.append(rule_of[problem.kind].finding(path, f"{text}; {_FIX[problem.kind]}"))
    if hidden:
        findings.append(rules.RK203.finding(path, f"{hidden} more problem(s) not listed; do not load it"))
    if result.units and not any(f.severity is Severity.ERROR for f in findings):
        names = sorted(result.imports)
        listed = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        count = len(result.units)
        findings.append(rules.RK205.finding(
            path, f"{result.format} with {count} pickle{'s' if count > 1 else ''} whose every callable is on the "
                  f"allowlist ({listed or 'no callables at all'}): safe to load by static analysis, but convert it to "
                  "safetensors (`releasekit convert`) so nobody has to trust a pickle"))
    user = sorted(name for name, use in result.imports.items() if use.status == "user")
    if user:
        findings.append(rules.RK206.finding(
            path, f"uses {', '.join(user)}, allowed only by the [pickle] allow extension in releasekit.toml, not by "
                  "releasekit's own allowlist: make sure these classes hold plain data"))
    return findings
