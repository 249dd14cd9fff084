"""Every setting releasekit reads from `releasekit.toml` / `[tool.releasekit]`, declared in one place.

Each table lists its keys with a kind (what values it takes), a default and one line of
documentation. `validate_table()` checks a raw table against this model: an unknown key or a value
of the wrong kind is a `UsageError` that names the file and the key (one policy for every table,
so a typo can never make a check scan less in silence). `docs/settings.md` is generated from
`TABLES` by `scripts/gen_docs.py`; a test fails when it is stale.

What needs a library or a registry to judge (an SPDX expression, a pickle global that may never
be allowed, a rule id) is handed in or stays with the code that owns it; the shape is checked here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any

from releasekit.errors import UsageError

SEVERITIES = ("error", "warning", "info")
FAIL_ON = (*SEVERITIES, "never")


@dataclasses.dataclass(frozen=True)
class Kind:
    """What values a key takes: a label for messages and docs, and a test returning a problem or None."""

    label: str
    problem: Callable[[Any], str | None]


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _positive_int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else "must be a positive integer"


def _strings(value: Any) -> str | None:
    if isinstance(value, str):
        value = [value]
    ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
    return None if ok else "must be a string or a list of non-empty strings"


def _string_table(value: Any) -> str | None:
    ok = isinstance(value, dict) and all(isinstance(v, str) and v.strip() for v in value.values())
    return None if ok else 'must be a table of name = "string"'


def _location(value: Any) -> str | None:
    if value is False:
        return None
    return None if _strings(value) is None else "must be a URL or path, a list of them, or false"


def _one_of(*choices: str) -> Kind:
    def problem(value: Any) -> str | None:
        ok = isinstance(value, str) and value.strip().lower() in choices
        return None if ok else f"must be one of {', '.join(choices)}"

    return Kind(" | ".join(f'"{c}"' for c in choices), problem)


def array_of_tables(*required: str) -> Kind:
    def problem(value: Any) -> str | None:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return "must be an array of tables ([[...]])"
        for entry in value:
            missing = [k for k in required if k not in entry]
            if missing:
                return f"each entry needs {', '.join(missing)}"
        return None

    return Kind("array of tables", problem)


def is_suppression_list(value: object) -> bool:
    """`[[ignore]]` tables (per-path suppressions), as opposed to `ignore = [...]` selectors."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _ignore(value: Any) -> str | None:
    if is_suppression_list(value):
        return None  # each entry's keys (SUPPRESSION_KEYS) are checked by releasekit.suppressions
    return None if _strings(value) is None else "must be rule ids or categories, or [[ignore]] tables"


STRING = Kind("string", _string)
BOOLEAN = Kind("boolean", _boolean)
POSITIVE_INT = Kind("positive integer", _positive_int)
STRINGS = Kind("string or list of strings", _strings)
STRING_TABLE = Kind('table of name = "string"', _string_table)
LOCATION = Kind("URL or path, list of them, or false", _location)
SELECTORS = Kind("rule ids or categories (string, comma-separated, or list)", _strings)
SEVERITY = _one_of(*SEVERITIES)
IGNORE = Kind("rule ids or categories, or [[ignore]] tables (below)", _ignore)


@dataclasses.dataclass(frozen=True)
class Key:
    name: str
    kind: Kind
    default: Any
    doc: str


#: The keys of each `[[ignore]]` entry: a per-path suppression with its reason (releasekit.suppressions).
SUPPRESSION_KEYS: tuple[Key, ...] = (
    Key("path", STRINGS, None, "Release path or glob (`*`, `**`, `?`) whose findings are suppressed; a list is allowed."),
    Key("rules", STRINGS, None, "Rule ids (`RK501`) or categories (`secrets`) to suppress there."),
    Key("reason", STRING, None, "Why this is safe to hide; listed in every report (a missing reason is warning RK010)."),
)


@dataclasses.dataclass(frozen=True)
class Table:
    """One table of the settings file; `name` is "" for the top level."""

    name: str
    doc: str
    keys: tuple[Key, ...]
    # A table of rule id = value (the keys are rule ids, checked against the registry).
    rule_keyed: Kind | None = None
    subtables: tuple[str, ...] = ()

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)

    @property
    def title(self) -> str:
        return f"[{self.name}]" if self.name else "top level"


def _openness_keys() -> tuple[Key, ...]:
    from releasekit.openness.components import COMPONENTS

    keys = [Key(c.id, LOCATION, None, f"Where the {c.name.lower()} is published ({c.description}); false: withheld.")
            for c in COMPONENTS]
    return tuple(keys)


def _declared(declaration: Mapping[str, tuple[Any, Any, str]], tables_of: Mapping[str, Kind] | None = None
              ) -> tuple[Key, ...]:
    """Keys from a command's own declaration (`{key: (type, default, doc)}`): the command keeps the
    semantic checks (a URL, an evaluation entry); the shape is checked here with everything else."""
    kinds = {str: STRING, list: STRINGS, bool: BOOLEAN, int: POSITIVE_INT}
    out = []
    for name, (kind, default, doc) in declaration.items():
        chosen = (tables_of or {}).get(name) or kinds.get(kind, STRING)
        out.append(Key(name, chosen, default if default not in ([], None) else None, doc))
    return tuple(out)


def _tables() -> tuple[Table, ...]:
    from releasekit.cardgen.settings import SETTINGS_TABLE as CARD
    from releasekit.provenance.settings import SETTINGS_TABLE as PROVENANCE
    from releasekit.publish.settings import SETTINGS_TABLE as PUBLISH
    from releasekit.hygiene.limits import HUB_MAX_FILES, HUB_MAX_FOLDER_ENTRIES
    from releasekit.secrets.settings import DEFAULT_MAX_BYTES, DEFAULT_NOTEBOOK_MAX_BYTES

    return (
        Table("", "What `check` runs and how it judges. Command-line options win over these.", (
            Key("select", SELECTORS, [], "Rule ids or categories to run (default: every rule)."),
            Key("ignore", IGNORE, [], "Rule ids or categories to skip; or `[[ignore]]` tables that suppress "
                                      "findings per path, with a reason (never pickle or engine findings)."),
            Key("fail-on", _one_of(*FAIL_ON), "error", "Exit 1 when a finding is at or above this severity."),
            Key("format", STRING, "text", "Output format: text, json, sarif or markdown."),
        ), subtables=("severity",)),
        Table("severity", "Per-rule severity overrides: `RK115 = \"error\"`.", (), rule_keyed=SEVERITY),
        Table("pickle", "The pickle analyser's allowlist extension.", (
            Key("allow", STRINGS, [], "Your own plain-data classes, by full dotted name (`mylab.train.State`); "
                                      "names that can run code are refused (RK207)."),
        )),
        Table("secrets", "What the secret scanner reads.", (
            Key("max-bytes", POSITIVE_INT, DEFAULT_MAX_BYTES, "Bytes of a text file to scan."),
            Key("notebook-max-bytes", POSITIVE_INT, DEFAULT_NOTEBOOK_MAX_BYTES, "Bytes of a notebook to read and parse."),
            Key("exclude", STRINGS, [], "Paths not scanned: fnmatch patterns (`*` crosses `/`), or a folder ending in `/`."),
        )),
        Table("hygiene", "Limits and exclusions of the hygiene rules.", (
            Key("max-files", POSITIVE_INT, HUB_MAX_FILES, "Files per release before RK609."),
            Key("max-folder-entries", POSITIVE_INT, HUB_MAX_FOLDER_ENTRIES, "Entries per folder before RK608."),
            Key("exclude", STRINGS, [], "Paths the junk, core-dump, empty-file, git and local-path rules skip."),
        )),
        Table("openness", "Where Model Openness Framework components live outside the release.",
              _openness_keys(), subtables=("openness.licenses",)),
        Table("openness.licenses", "The license of a component or of a content type (code, data, document): "
                                   "`model_parameters = \"CDLA-Permissive-2.0\"`.", (), rule_keyed=STRING),
        Table("card", "What the files cannot tell the model card (`releasekit card`; see docs/card.md, "
                      "`releasekit card --init` writes a commented skeleton).",
              _declared(CARD, {"evaluation": array_of_tables("benchmark", "dataset", "metric", "value")})),
        Table("provenance", "How `releasekit sbom` names the release (see docs/provenance.md).", _declared(PROVENANCE)),
        Table("publish", "Where `releasekit publish` ships the release (see docs/publish.md).", _declared(PUBLISH)),
    )


_CACHE: list[tuple[Table, ...]] = []


def tables() -> tuple[Table, ...]:
    """Every table, in the order the settings reference lists them."""
    if not _CACHE:
        _CACHE.append(_tables())
    return _CACHE[0]


def table(name: str) -> Table | None:
    return next((t for t in tables() if t.name == name), None)


def _fail(origin: str, where: str, message: str) -> UsageError:
    return UsageError(f"{origin}: {where} {message}")


def validate_document(
    raw: Mapping[str, Any],
    origin: str,
    *,
    rule_ids: Collection[str],
    categories: Collection[str],
) -> dict[str, Any]:
    """Check a whole settings document against the model; return it with every default filled in.

    `rule_ids` and `categories` are handed in (the engine knows the registry; this module must not
    import it). Raises `UsageError` naming `origin` and the key for the first problem found.
    """
    out: dict[str, Any] = {}
    for t in tables():
        values = _validate_table(t, _lookup(raw, t.name, origin), origin, rule_ids, categories)
        if not t.name:
            out.update(values)
            continue
        *parents, leaf = t.name.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = {**node.get(leaf, {}), **values}
    return out


def _lookup(raw: Mapping[str, Any], dotted: str, origin: str) -> Mapping[str, Any]:
    if not dotted:
        return raw
    node: Any = raw
    for part in dotted.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
        if not isinstance(node, dict):
            raise _fail(origin, f"[{dotted}]", "must be a table")
    return node


def _validate_table(
    t: Table, raw: Mapping[str, Any], origin: str, rule_ids: Collection[str], categories: Collection[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    children = {s.split(".")[-1] for s in t.subtables}
    for name, value in raw.items():
        if t.name == "" and (name in children or table(name) is not None):
            continue  # a table of its own, validated on its own
        if name in children:
            continue
        if t.rule_keyed is not None:
            if t.name == "severity" and name.upper() not in rule_ids:
                raise _fail(origin, f"[{t.name}]", f"names unknown rule {name!r} (`releasekit rules` lists them)")
            problem = t.rule_keyed.problem(value)
            if problem:
                raise _fail(origin, f"[{t.name}] {name}", problem)
            values[name.upper() if t.name == "severity" else name] = value
            continue
        key = t.key(name)
        if key is None:
            tops = [x.name for x in tables() if x.name and "." not in x.name] if not t.name else list(children)
            known = ", ".join(sorted([k.name for k in t.keys] + tops)) or "none"
            raise _fail(origin, f"{t.title}:", f"unknown setting {name!r} (known: {known})")
        problem = key.kind.problem(value)
        if problem:
            raise _fail(origin, f"{t.title} {name}", f"{problem}, not {value!r}")
        if key.kind is SELECTORS or (key.kind is IGNORE and _strings(value) is None):
            _check_selectors(value, origin, f"{t.title} {name}", rule_ids, categories)
        values[name] = value
    if not t.name:
        return values  # the engine's keys: config.py merges them with the command line and notes their source
    return {**{k.name: k.default for k in t.keys if k.default is not None}, **values}


def _check_selectors(
    value: Any, origin: str, where: str, rule_ids: Collection[str], categories: Collection[str]
) -> None:
    items = value.split(",") if isinstance(value, str) else value
    for item in items:
        text = item.strip()
        if text and text.lower() not in categories and text.upper() not in rule_ids:
            raise _fail(origin, where, f"names unknown rule or category {text!r} "
                                       f"(categories: {', '.join(categories)}; `releasekit rules` lists the rules)")


def reference_markdown() -> str:
    """The settings reference page (docs/settings.md), generated from the model."""
    lines = [
        "# Settings reference",
        "",
        "<!-- Generated from releasekit/settings_model.py by scripts/gen_docs.py; do not edit. -->",
        "",
        "Settings live in the release, in `releasekit.toml` or in `[tool.releasekit]` of a `pyproject.toml`",
        "at its root, or outside it in a file named by `--config FILE`. Command-line options win over",
        "`--config`, which wins over the release's own file; `--isolated` ignores the release's file.",
        "An unknown key or a value of the wrong kind is a usage error (exit 2) naming the file and the key.",
        "Settings read from inside the release can never hide, downgrade or un-fail an error of the",
        "`pickle` or `engine` rules; every report lists what the release's settings switched off.",
        "",
    ]
    for t in tables():
        lines += [f"## {t.title if t.name else 'Top level'}", "", t.doc, ""]
        if t.rule_keyed is not None:
            lines += [f"Keys: {'rule ids' if t.name == 'severity' else 'names'}; values: {t.rule_keyed.label}.", ""]
        if t.keys:
            lines += ["| Key | Takes | Default | Meaning |", "| --- | --- | --- | --- |"]
            for k in t.keys:
                default = "—" if k.default is None else f"`{_toml(k.default)}`"
                lines.append(f"| `{k.name}` | {k.kind.label.replace('|', '/')} | {default} | {k.doc} |")
            lines.append("")
        if not t.name:
            lines += ["### `[[ignore]]` entries", "",
                      "Each entry suppresses findings on some paths and says why; the report lists them all. "
                      "Inline, a `releasekit: ignore[RK123] reason` comment in a text file does the same for "
                      "that file.", "",
                      "| Key | Takes | Meaning |", "| --- | --- | --- |"]
            lines += [f"| `{k.name}` | {k.kind.label} | {k.doc} |" for k in SUPPRESSION_KEYS]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)
