"""Regenerate the rule table in docs/rules.md from the rule registry (`make readme-rules`).

A test fails when the table and the registry disagree, so a new rule cannot ship
undocumented.
"""

from __future__ import annotations

import sys
from pathlib import Path

from releasekit.registry import all_rules

README = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rules_table() -> str:
    lines = ["| Rule | Category | Severity | Name | What it finds |", "| --- | --- | --- | --- | --- |"]
    for rule in all_rules():
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| `{rule.id}` | {rule.category} | {rule.severity.value} | {rule.name} | {summary} |")
    return "\n".join(lines)


def render(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{rules_table()}\n{END}{tail}"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    updated = render(text)
    if "--check" in sys.argv:
        return 0 if updated == text else 1
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
