"""`releasekit rules [ID]`: list the rules, or print one rule's documentation."""

from __future__ import annotations

import json

import click

from releasekit.errors import UsageError
from releasekit.registry import all_rules, get_rule


@click.command("rules")
@click.argument("rule_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules_command(rule_id: str | None, fmt: str) -> None:
    """List every rule, or print the documentation of RULE_ID."""
    if rule_id is not None:
        rule = get_rule(rule_id)
        if rule is None:
            raise UsageError(f"unknown rule {rule_id!r}; `releasekit rules` lists them")
        if fmt == "json":
            click.echo(json.dumps(_as_dict(rule), indent=2))
        else:
            click.echo(f"{rule.id} {rule.name} [{rule.category}, {rule.severity.value}]\n\n{rule.summary}\n\n{rule.doc}")
        return
    rules = all_rules()
    if fmt == "json":
        click.echo(json.dumps([_as_dict(r) for r in rules], indent=2))
        return
    for r in rules:
        click.echo(f"{r.id}  {r.category:<9} {r.severity.value:<8} {r.name}: {r.summary}")


def _as_dict(rule) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"id": rule.id, "name": rule.name, "category": rule.category,
            "severity": rule.severity.value, "summary": rule.summary, "doc": rule.doc}
