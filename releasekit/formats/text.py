"""Text for people: findings grouped by file, coloured on a terminal, the verdict last."""

from __future__ import annotations

import io

from releasekit.findings import Severity
from releasekit.formats import formatter
from releasekit.report import Report

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


@formatter("text")
def render_text(report: Report, color: bool) -> str:
    from rich.console import Console  # only text output needs rich: `--format json` never imports it
    from rich.markup import escape

    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
        width=10_000, highlight=False, emoji=False, soft_wrap=True,
    )
    for path, findings in report.by_path().items():
        console.print(f"[bold]{escape(path)}[/bold]")
        for f in findings:
            where = f":{f.line}" if f.line else ""
            console.print(
                f"  {escape(where + ' ' if where else '')}[{_STYLE[f.severity]}]{f.severity.value}[/] "
                f"[dim]{f.rule}[/dim] {escape(f.message)}"
            )
        console.print()
    for section in report.sections.values():
        if section.lines:
            console.print(f"[bold]{escape(section.title)}[/bold]")
            for line in section.lines:
                console.print(f"  {escape(line)}")
            console.print()
    style = "bold red" if report.failed else "bold green"
    console.print(f"[{style}]{escape(report.summary_line())}[/]")
    return buffer.getvalue()
