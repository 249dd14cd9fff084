"""`releasekit rules [ID]`: list the rules, or print one rule's documentation."""

from __future__ import annotations

import json

import click

from releasekit.errors import UsageError
from releasekit.findings import CATEGORIES
from releasekit.registry import all_rules, get_rule


@click.command("rules")
@click.argument("rule", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_command(rule: str | None, fmt: str) -> None:
    """List every rule, the rules of a category, or one rule's documentation.

    RULE is a rule id (RK131), a rule name (fp8-scale-shape) or a category (weights).
    """
    rules = all_rules()
    if rule is not None:
        wanted = rule.strip()
        found = get_rule(wanted) or next((r for r in rules if r.name == wanted.lower()), None)
        if found is None and wanted.lower() not in CATEGORIES:
            raise UsageError(f"no rule or category {wanted!r}; `releasekit rules` lists them "
                             f"(categories: {', '.join(CATEGORIES)})")
        if found is not None:
            if fmt == "json":
                click.echo(json.dumps(_as_dict(found), indent=2))
            else:
                click.echo(f"{found.id} {found.name} [{found.category}, {found.severity.value}]\n\n"
                           f"{found.summary}\n\n{found.doc}")
            return
        rules = [r for r in rules if r.category == wanted.lower()]
    if fmt == "json":
        click.echo(json.dumps([_as_dict(r) for r in rules], indent=2))
        return
    for r in rules:
        click.echo(f"{r.id}  {r.category:<9} {r.severity.value:<8} {r.name}: {r.summary}")


def _as_dict(rule) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"id": rule.id, "name": rule.name, "category": rule.category,
            "severity": rule.severity.value, "summary": rule.summary, "doc": rule.doc}
