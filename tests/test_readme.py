"""The README documents what ships: every rule, the two commands, the JSON schema."""

from __future__ import annotations

import re
from pathlib import Path

from releasekit.registry import all_rules
from scripts.gen_docs import RULES_PAGE, stale_pages

ROOT = Path(__file__).resolve().parent.parent
RULES = RULES_PAGE.read_text(encoding="utf-8")
TEXT = (ROOT / "README.md").read_text(encoding="utf-8")
SCHEMA_PAGE = (ROOT / "docs" / "json-schema.md").read_text(encoding="utf-8")


def test_generated_pages_match_the_code() -> None:
    """The rule table, the per-rule pages and the settings reference are generated; none may be stale."""
    assert stale_pages() == [], "generated docs are stale: run `make docs-gen`"
    for rule in all_rules():
        assert f"| [`{rule.id}`](rules/{rule.id}.md) |" in RULES


def test_the_two_commands_come_first_and_ci_runs_the_test_command() -> None:
    first_section = TEXT.split("\n## ", 2)[1]
    assert "make demo" in first_section and "make test" in first_section
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_json_schema_fields_are_documented() -> None:
    for field in ('"schema_version"', '"release"', '"findings"', '"summary"', '"sections"', '"rule"', '"category"',
                  '"severity"', '"path"', '"message"', '"line"'):
        assert field in SCHEMA_PAGE, field


def test_every_json_field_and_section_is_documented(make_release) -> None:
    """Each key the JSON report really has (top level, finding, summary, section) has a row or a heading."""
    from releasekit.api import check

    token = "hf" + "_" + "kFqZbWtNcRvXyLpMdJsAoEiUgHtQwBzVnK"  # assembled: no credential-shaped literal here
    root = make_release({"train/x.py": f'T = "{token}"\n', "x.pkl": b"\x80\x04K\x01."})
    doc = check(root).to_dict()
    keys = set(doc) | set(doc["summary"]) | {k for f in doc["findings"] for k in f}
    for key in sorted(keys):
        assert f"`{key}`" in SCHEMA_PAGE, key
    for name in doc["sections"]:
        assert f"### `{name}`" in SCHEMA_PAGE, name
    for name in ("settings", "suppressed", "baseline", "changed-since"):
        assert f"### `{name}`" in SCHEMA_PAGE, name


def test_every_dependency_has_a_row_saying_why() -> None:
    """docs/design.md explains each dependency, core and every extra: a new one needs its row."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"]) + [d for extra in project["optional-dependencies"].values() for d in extra]
    names = {re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0].lower() for spec in specs}
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    rows = {name.strip().lower() for line in design.splitlines() if line.startswith("| ")
            for name in line.split("|")[1].split(",")}
    rows = {re.split(r"\[", r)[0] for r in rows}
    assert not sorted(names - rows), f"add a row to the table in docs/design.md for: {sorted(names - rows)}"
