"""The rule and check registries.

A *rule* is what a user selects, ignores and reads about: a stable id (`RK101`), a name, a
category, a default severity and its documentation (what it finds, why it matters, how to fix).
A *check* is the code that runs: one function that walks the release once and may yield findings
for several related rules (one parse of a safetensors header serves a dozen structure rules).
Both register themselves on import, so a new rule is one module in `checks/` and nothing else.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from releasekit.findings import CATEGORIES, Finding, Severity

if TYPE_CHECKING:
    from releasekit.context import Context

#: The rule the engine reports when a check crashes (defined in checks/engine_rules.py).
CRASH_RULE = "RK001"
_RULES: dict[str, "Rule"] = {}
_CHECKS: dict[str, "Check"] = {}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Rule:
    """A registered rule. Create with `Rule.define(...)` at module level in `checks/`."""

    id: str
    name: str
    category: str
    severity: Severity
    summary: str
    doc: str

    @classmethod
    def define(
        cls,
        id: str,
        name: str,
        *,
        category: str,
        severity: Severity | str,
        summary: str,
        doc: str,
    ) -> "Rule":
        """Register a rule; a duplicate id or an unknown category is a programming error."""
        if category not in CATEGORIES:
            raise ValueError(f"rule {id}: unknown category {category!r}")
        if id in _RULES:
            raise ValueError(f"rule {id} is defined twice")
        rule = cls(
            id=id,
            name=name,
            category=category,
            severity=Severity(severity),
            summary=summary,
            doc=textwrap.dedent(doc).strip(),
        )
        _RULES[id] = rule
        return rule

    def finding(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this rule; the default severity unless the rule knows better."""
        return Finding(
            rule=self.id,
            category=self.category,
            severity=severity or self.severity,
            path=path,
            message=message,
            line=line,
        )


CheckFunction = Callable[["Context"], Iterable[Finding]]


@dataclasses.dataclass(frozen=True)
class Check:
    """A registered check: a function and the rules it may report."""

    name: str
    rules: tuple[Rule, ...]
    function: CheckFunction

    def run(self, ctx: "Context") -> Iterator[Finding]:
        yield from self.function(ctx)


def check(*rules: Rule) -> Callable[[CheckFunction], CheckFunction]:
    """Decorator registering a check function that reports findings of `rules`."""

    def register(function: CheckFunction) -> CheckFunction:
        name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"
        if name in _CHECKS:
            raise ValueError(f"check {name} is registered twice")
        if not rules:
            raise ValueError(f"check {name} declares no rules")
        _CHECKS[name] = Check(name=name, rules=tuple(rules), function=function)
        return function

    return register


#: Packages whose modules define rules and checks. Loaded by name, as plugins are: the registry
#: (and everything below it) never depends on the rules' code, only the other way round.
RULE_PACKAGES: tuple[str, ...] = ("releasekit.checks",)
_LOADED: set[str] = set()


def load_builtin_checks() -> None:
    """Import every module of each rule package once, which registers their rules and checks."""
    for name in RULE_PACKAGES:
        if name in _LOADED:
            continue
        package = importlib.import_module(name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if not info.name.startswith("_"):
                importlib.import_module(f"{name}.{info.name}")
        _LOADED.add(name)


def all_rules() -> list[Rule]:
    load_builtin_checks()
    return sorted(_RULES.values(), key=lambda r: r.id)


def get_rule(rule_id: str) -> Rule | None:
    load_builtin_checks()
    return _RULES.get(rule_id.upper())


def all_checks() -> list[Check]:
    load_builtin_checks()
    return sorted(_CHECKS.values(), key=lambda c: c.name)
