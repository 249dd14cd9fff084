"""Generate the documentation pages that come from the code (`make docs-gen`).

- docs/rules.md: the rule table (between the markers), from the rule registry;
- docs/rules/RKnnn.md: one page per rule (what it finds, why it matters, how to fix, and an example
  from docs/rule_examples/ with what the rule prints on it);
- docs/settings.md: the settings reference, from releasekit/settings_model.py;
- docs/index.md: the site's home page, from README.md (links into docs/ rewritten), so they cannot drift.

`python scripts/gen_docs.py --check` exits 1 and names the stale pages; a test runs it, so a new
rule or setting cannot ship undocumented.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tempfile
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

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
        f"{example_section(rule)}"
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


_MAX_LINES = 14
_MAX_FINDINGS = 6


def _fenced(text: str, lang: str = "text") -> str:
    fence = "~~~~" if "```" in text else "```"
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}\n"


def _shown(name: str, text: str) -> str:
    """A text file as the page shows it: secrets redacted as releasekit prints them, long files cut."""
    from releasekit.secrets.redact import preview
    from releasekit.secrets.scanner import find_secrets

    for match in sorted(find_secrets(text, dotenv=PurePosixPath(name).name.startswith(".env")),
                        key=lambda m: m.start, reverse=True):
        shown = preview(match.value, revealable=match.revealable)
        if match.end < len(text) and text[match.end] != "\n":
            shown += "\n"
        text = text[: match.start] + shown + text[match.end:]
    lines = text.splitlines()
    if len(lines) > _MAX_LINES:
        lines = [*lines[:_MAX_LINES], f"... ({len(lines) - _MAX_LINES} more lines)"]
    return "\n".join(lines) if lines else "(empty)"


def _example_steps(ex: Any, mod: ModuleType) -> list[str]:
    steps = [f"- delete `{name}`" for name in ex.remove]
    for key, value in ex.config.items():
        steps.append(f"- in `config.json`, remove `{key}`" if value is None
                     else f"- in `config.json`, set `\"{key}\": {json.dumps(value)}`")
    for name, content in ex.files.items():
        verb = "replace" if ex.base and name in _base_files() else "add"
        if isinstance(content, mod.Binary):
            steps.append(f"- {verb} `{name}`: {content.description}")
        elif isinstance(content, mod.LicenseText):
            steps.append(f"- {verb} `{name}` with the standard text of {content.spdx}"
                         + (f", with this added:\n\n{_indent(_fenced(content.extra.strip()))}" if content.extra else ""))
        else:
            text = json.dumps(content, indent=2) if isinstance(content, dict) else content
            lang = "json" if isinstance(content, dict) else "text"
            steps.append(f"- {verb} `{name}`:\n\n{_indent(_fenced(_shown(name, text), lang))}")
    steps += [f"- make `{name}` a symlink to `{target}`" for name, target in ex.symlinks.items()]
    steps += [f"- create `{name}`, a named pipe (`mkfifo`)" for name in ex.fifos]
    steps += [f"- create `{name}`, a file of {size:,} bytes" for name, size in ex.sparse.items()]
    return steps


_BASE: list[frozenset[str]] = []


def _base_files() -> frozenset[str]:
    """The paths of the bundled example release (built once)."""
    if not _BASE:
        from releasekit.example import build_example

        with tempfile.TemporaryDirectory() as tmp:
            root = build_example(Path(tmp) / "example")
            _BASE.append(frozenset(p.relative_to(root).as_posix() for p in root.rglob("*")))
    return _BASE[0]


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line else "" for line in text.rstrip("\n").split("\n"))


def example_section(rule: Rule) -> str:
    """The rule's example from docs/rule_examples/: the files, then what the rule prints on them."""
    mod = load_rule_examples()
    ex = mod.EXAMPLES.get(rule.id)
    if ex is None:
        return ""
    if isinstance(ex, mod.NoExample):
        return f"## Example\n\nNo example folder: {ex.reason}\n\n"
    from releasekit.api import check

    select = ",".join(filter(None, (rule.id, ex.also_select)))
    with tempfile.TemporaryDirectory() as tmp:
        report = check(mod.build(ex, Path(tmp) / "my-release"), select=select)
    hits = [f for f in report.findings if f.rule == rule.id]
    printed = [f"{f.path}{':' + str(f.line) if f.line else ''}: {f.severity.value} {f.rule} {f.message}"
               for f in hits[:_MAX_FINDINGS]]
    if len(hits) > _MAX_FINDINGS:
        printed.append(f"... and {len(hits) - _MAX_FINDINGS} more {rule.id} findings")
    start = ("Start from the bundled example release (`python -m releasekit.example my-release`, which "
             "passes), then:" if ex.base else "A folder `my-release` with:")
    steps = _example_steps(ex, mod)
    intro = f"{ex.note}\n\n" if ex.note else ""
    if steps:
        files = f"{start}\n\n" + "\n".join(steps) + "\n\n"
    else:
        files = "Build the bundled example release (`python -m releasekit.example my-release`) and check it as it is.\n\n"
    return (f"## Example\n\n{intro}{files}"
            f"`releasekit check my-release --select {select}` reports:\n\n{_fenced(chr(10).join(printed))}\n")


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
