"""Generate the documentation pages that come from the code (`make docs-gen`).

- docs/rules.md: the rule table (between the markers), from the rule registry;
- docs/rules/RKnnn.md: one page per rule (what it finds, why it matters, how to fix);
- docs/settings.md: the settings reference, from releasekit/settings_model.py;
- docs/index.md: the site's home page, from README.md (links into docs/ rewritten), so they cannot drift.

`python scripts/gen_docs.py --check` exits 1 and names the stale pages; a test runs it, so a new
rule or setting cannot ship undocumented.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from releasekit import settings_model
from releasekit.registry import Rule, all_rules

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RULES_PAGE = DOCS / "rules.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"
_SECTION = re.compile(r"^(What it finds|Why it matters|How to fix|Example|Examples|Settings|Note|Notes):\s*", re.M)


def rules_table(rules: list[Rule]) -> str:
    lines = ["| Rule | Category | Severity | Name | What it finds |", "| --- | --- | --- | --- | --- |"]
    for rule in rules:
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| [`{rule.id}`](rules/{rule.id}.md) | {rule.category} | {rule.severity.value} | "
                     f"{rule.name} | {summary} |")
    return "\n".join(lines)


def render_rules_page(text: str, rules: list[Rule]) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{rules_table(rules)}\n{END}{tail}"


def rule_page(rule: Rule) -> str:
    """One rule's page: its documentation with each part as a heading (ruff's rule pages are the model)."""
    body = _SECTION.sub(lambda m: f"## {m.group(1)}\n\n", rule.doc)
    return (
        f"# {rule.id} {rule.name}\n\n"
        f"<!-- Generated from the rule registry by scripts/gen_docs.py; do not edit. -->\n\n"
        f"Category `{rule.category}` · default severity **{rule.severity.value}** · "
        f"`releasekit rules {rule.id}`\n\n"
        f"{rule.summary}\n\n{body.strip()}\n\n"
        f"## Turning it off\n\n"
        f"`--ignore {rule.id}`, or `ignore = [\"{rule.id}\"]` in releasekit.toml"
        + (" (settings inside the release cannot switch off pickle and engine rules)"
           if rule.category in ("pickle", "engine") else "")
        + f"; change its severity with `[severity] {rule.id} = \"warning\"`.\n"
    )


def load_rule_examples() -> ModuleType:
    """docs/rule_examples/examples.py: data beside the docs, not part of the installed package."""
    name = "releasekit_rule_examples"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DOCS / "rule_examples" / "examples.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


_DOCS_LINK = re.compile(r"\]\(docs/([^)]+)\)")


def index_page(readme: str) -> str:
    """The site's home: the README, with `docs/x.md` links made relative to docs/."""
    body = _DOCS_LINK.sub(r"](\1)", readme)
    title, _, rest = body.partition("\n")
    return f"{title}\n\n<!-- Generated from README.md by scripts/gen_docs.py; edit README.md. -->\n{rest}"


def expected_pages() -> dict[Path, str]:
    rules = all_rules()
    pages = {RULES_PAGE: render_rules_page(RULES_PAGE.read_text(encoding="utf-8"), rules)}
    for rule in rules:
        pages[DOCS / "rules" / f"{rule.id}.md"] = rule_page(rule)
    pages[DOCS / "settings.md"] = settings_model.reference_markdown()
    pages[DOCS / "index.md"] = index_page((ROOT / "README.md").read_text(encoding="utf-8"))
    return pages


def stale_pages() -> list[str]:
    """Pages that differ from what the code generates, and generated rule pages of removed rules."""
    pages = expected_pages()
    stale = [str(p.relative_to(ROOT)) for p, text in pages.items()
             if not p.is_file() or p.read_text(encoding="utf-8") != text]
    stale += [str(p.relative_to(ROOT)) for p in sorted((DOCS / "rules").glob("RK*.md")) if p not in pages]
    return stale


def main() -> int:
    if "--check" in sys.argv:
        stale = stale_pages()
        for path in stale:
            print(f"stale: {path} (run `make docs-gen`)")
        return 1 if stale else 0
    pages = expected_pages()
    (DOCS / "rules").mkdir(exist_ok=True)
    for path in sorted((DOCS / "rules").glob("RK*.md")):
        if path not in pages:
            path.unlink()
    for path, text in pages.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
