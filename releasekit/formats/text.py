"""Text for people: findings grouped by file, coloured on a terminal, the verdict last.

Release text is made printable (no newline, ANSI escape or bidi override survives) and rich
markup is escaped; a final pass makes sure no line can pass for a GitHub workflow command when
this output lands in a CI log.
"""

from __future__ import annotations

import io

from releasekit.findings import Severity
from releasekit.formats.registry import RenderOptions, formatter
from releasekit.formats.escape import neutralise_commands, printable
from releasekit.report import Report

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _safe(text: str) -> str:
    from rich.markup import escape

    return escape(printable(text))


@formatter("text")
def render_text(report: Report, options: RenderOptions) -> str:
    from rich.console import Console  # only text output needs rich: `--format json` never imports it
    from rich.markup import escape

    color = options.color
    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
        width=10_000, highlight=False, emoji=False, soft_wrap=True, markup=True,
    )
    for path, findings in report.by_path().items():
        console.print(f"[bold]{_safe(path)}[/bold]")
        for f in findings:
            where = f":{f.line}" if f.line else ""
            console.print(
                f"  {escape(where + ' ' if where else '')}[{_STYLE[f.severity]}]{f.severity.value}[/] "
                f"[dim]{f.rule}[/dim] {_safe(f.message)}"
            )
        console.print()
    for section in report.sections.values():
        if section.lines:
            console.print(f"[bold]{_safe(section.title)}[/bold]")
            for line in section.lines:
                console.print(f"  {_safe(line)}")
            console.print()
    style = "bold red" if report.failed else "bold green"
    console.print(f"[{style}]{_safe(report.summary_line())}[/]")
    return neutralise_commands(buffer.getvalue())
