"""Markdown for a pull-request comment or a job summary: the verdict first, then a table.

Names (paths, the release's folder) sit in code spans that stay code spans whatever they hold;
messages and section lines are prose with every Markdown and HTML character escaped, so nothing
a release controls can add a link, an image, a heading or a tag to the comment.
"""

from __future__ import annotations

from releasekit.findings import Severity
from releasekit.formats.registry import RenderOptions, formatter
from releasekit.formats.escape import md_code, md_text, neutralise_commands
from releasekit.report import Report

_ICON = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}


@formatter("markdown")
def render_markdown(report: Report, options: RenderOptions) -> str:
    verdict = "❌ **releasekit: FAIL**" if report.failed else "✅ **releasekit: PASS**"
    out = [f"## {verdict} — {md_code(report.release)}", "", md_text(report.summary_line()), ""]
    if report.findings:
        out += ["| Severity | Rule | Path | Message |", "| --- | --- | --- | --- |"]
        for f in sorted(report.findings, key=lambda f: (-f.severity.rank, f.path, f.line or 0, f.rule)):
            where = f"{f.path}:{f.line}" if f.line else f.path
            out.append(
                f"| {_ICON[f.severity]} | {md_code(f.rule, in_table=True)} | {md_code(where, in_table=True)} "
                f"| {md_text(f.message)} |"
            )
        out.append("")
    for section in report.sections.values():
        if section.lines:
            out += [f"### {md_text(section.title)}", ""]
            out += [f"- {md_text(line)}" for line in section.lines]
            out.append("")
    return neutralise_commands("\n".join(out))
