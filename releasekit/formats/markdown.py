"""Markdown for a pull-request comment: the verdict first, then a table of findings."""

from __future__ import annotations

from releasekit.findings import Severity
from releasekit.formats import formatter
from releasekit.report import Report

_ICON = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


@formatter("markdown")
def render_markdown(report: Report, color: bool) -> str:
    verdict = "❌ **releasekit: FAIL**" if report.failed else "✅ **releasekit: PASS**"
    out = [f"## {verdict} — `{_cell(report.release)}`", "", report.summary_line(), ""]
    if report.findings:
        out += ["| Severity | Rule | Path | Message |", "| --- | --- | --- | --- |"]
        for f in sorted(report.findings, key=lambda f: (-f.severity.rank, f.path, f.line or 0, f.rule)):
            where = f"{f.path}:{f.line}" if f.line else f.path
            out.append(f"| {_ICON[f.severity]} | `{f.rule}` | `{_cell(where)}` | {_cell(f.message)} |")
        out.append("")
    for section in report.sections.values():
        if section.lines:
            out += [f"### {_cell(section.title)}", ""]
            out += [f"- {_cell(line)}" for line in section.lines]
            out.append("")
    return "\n".join(out)
