"""GitHub Actions workflow commands: one annotation per finding, shown inline on a pull request.

`::error file=PATH,line=N,title=RK123 name::MESSAGE` (warning for warnings, notice for info).
Paths are relative to the repository root like SARIF's; findings about the whole release are
attached to its card. Release text is escaped as the runner decodes it (`%`, CR and LF in the
message; also `:` and `,` in properties), so one finding is always exactly one command; the
sections and the verdict follow as plain lines that cannot pass for a command.
"""

from __future__ import annotations

from pathlib import Path

from releasekit.findings import Severity
from releasekit.formats.registry import RenderOptions, formatter
from releasekit.formats.escape import github_data, github_property, neutralise_commands, printable
from releasekit.formats.locations import place, resolve_repo_root
from releasekit.report import Report

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


@formatter("github")
def render_github(report: Report, options: RenderOptions) -> str:
    root = Path(report.root)
    repo_root = resolve_repo_root(root, options.repo_root)
    commands: list[str] = []
    for f in report.findings:
        file, moved = place(root, f, repo_root)
        message = f.message if not moved or f.path in ("", ".") else f"{f.path}/: {f.message}"
        properties = [f"file={github_property(file)}"]
        if f.line and not moved:
            properties.append(f"line={f.line}")
        properties.append(f"title={github_property(f'{f.rule} ({f.category})')}")
        commands.append(f"::{COMMAND[f.severity]} {','.join(properties)}::{github_data(message)}")
    plain: list[str] = []
    for section in report.sections.values():
        if section.lines:
            plain.append(printable(section.title))
            plain += [f"  {printable(line)}" for line in section.lines]
    plain.append(printable(report.summary_line()))
    return "\n".join(commands + [neutralise_commands("\n".join(plain))]) + "\n"
