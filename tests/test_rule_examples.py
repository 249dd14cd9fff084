"""Every rule has an example in docs/rule_examples/ (rendered in its generated page), and each
example really triggers its rule: `releasekit check --select RULE` on the built folder reports it."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.api import check
from releasekit.registry import all_rules
from scripts.gen_docs import load_rule_examples

EX = load_rule_examples()
BUILDABLE = sorted(rule for rule, example in EX.EXAMPLES.items() if isinstance(example, EX.Example))


def test_every_rule_has_an_example() -> None:
    registered = {rule.id for rule in all_rules()}
    missing = sorted(registered - set(EX.EXAMPLES))
    assert not missing, (f"rules without an example in docs/rule_examples/examples.py: {', '.join(missing)} "
                         "(add one: the files of a minimal release that triggers the rule)")
    stale = sorted(set(EX.EXAMPLES) - registered)
    assert not stale, f"examples of rules that no longer exist: {', '.join(stale)}"


def test_rules_without_an_example_say_why_and_are_few() -> None:
    """Only rules that report a bug or a machine condition may go without an example folder."""
    without = {rule: ex for rule, ex in EX.EXAMPLES.items() if isinstance(ex, EX.NoExample)}
    assert set(without) <= {"RK001", "RK002"}, sorted(without)
    assert all(len(ex.reason) > 40 for ex in without.values())


@pytest.mark.parametrize("rule", BUILDABLE)
def test_the_example_triggers_its_rule(rule: str, tmp_path: Path) -> None:
    example = EX.EXAMPLES[rule]
    root = EX.build(example, tmp_path / "release")
    report = check(root, select=",".join(filter(None, (rule, example.also_select))))
    assert rule in {f.rule for f in report.findings}, (
        f"docs/rule_examples: the {rule} example no longer triggers {rule}; got {[f.rule for f in report.findings]}")
