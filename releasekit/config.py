"""Settings for a run: command-line options over `releasekit.toml` over defaults.

The release may carry its own settings in `releasekit.toml` or in `[tool.releasekit]` of a
`pyproject.toml` at its root. Top-level keys are the engine's; each category may have a table of
its own (`[pickle]`, `[openness]`, ...) which the checks of that category read through
`Settings.section()`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from releasekit.errors import UsageError
from releasekit.findings import Severity
from releasekit.registry import CATEGORIES, all_rules

CONFIG_FILE = "releasekit.toml"
ENGINE_KEYS = frozenset({"select", "ignore", "fail-on", "format", "severity"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """What to run and how to judge it."""

    select: frozenset[str] = frozenset()  # rule ids or categories; empty means everything
    ignore: frozenset[str] = frozenset()
    fail_on: Severity | None = Severity.ERROR  # None means never fail
    format: str = "text"
    severity: Mapping[str, Severity] = dataclasses.field(default_factory=dict)  # per-rule override
    sections: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    source: str | None = None  # the file the settings came from, for messages

    def section(self, name: str) -> Mapping[str, Any]:
        """The settings table of one category (empty when the file has none)."""
        return self.sections.get(name, {})

    def is_selected(self, rule_id: str, category: str) -> bool:
        if rule_id in self.ignore or category in self.ignore:
            return False
        if not self.select:
            return True
        return rule_id in self.select or category in self.select


def parse_selectors(value: str | Iterable[str] | None, origin: str) -> frozenset[str]:
    """`"weights,RK104"` or `["weights", "RK104"]` -> validated ids and categories."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else list(value)
    known_ids = {r.id for r in all_rules()}
    out: set[str] = set()
    for raw in items:
        if not isinstance(raw, str):
            raise UsageError(f"{origin}: selectors must be strings, got {raw!r}")
        item = raw.strip()
        if not item:
            continue
        if item.lower() in CATEGORIES:
            out.add(item.lower())
        elif item.upper() in known_ids:
            out.add(item.upper())
        else:
            raise UsageError(
                f"{origin}: unknown rule or category {item!r} "
                f"(categories: {', '.join(CATEGORIES)}; `releasekit rules` lists the rules)"
            )
    return frozenset(out)


def parse_fail_on(value: str, origin: str) -> Severity | None:
    text = str(value).strip().lower()
    if text == "never":
        return None
    try:
        return Severity.parse(text)
    except ValueError:
        raise UsageError(f"{origin}: fail-on must be error, warning, info or never, not {value!r}") from None


def load_file_settings(root: Path) -> tuple[dict[str, Any], str | None]:
    """The raw settings table from the release, and the file it came from."""
    toml_path = root / CONFIG_FILE
    if toml_path.is_file() and not toml_path.is_symlink():
        return _read_toml(toml_path, CONFIG_FILE), CONFIG_FILE
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and not pyproject.is_symlink():
        table = _read_toml(pyproject, "pyproject.toml").get("tool", {}).get("releasekit")
        if table is not None:
            if not isinstance(table, dict):
                raise UsageError("pyproject.toml: [tool.releasekit] must be a table")
            return table, "pyproject.toml [tool.releasekit]"
    return {}, None


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{label}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{label}: cannot be read: {exc}") from None


def build_settings(
    root: Path,
    *,
    select: str | None = None,
    ignore: str | None = None,
    fail_on: str | None = None,
    format: str | None = None,
) -> Settings:
    """Merge command-line options (None when not given) over the release's settings file."""
    table, source = load_file_settings(root)
    origin = source or "settings"
    unknown = set(table) - ENGINE_KEYS - set(CATEGORIES)
    if unknown:
        raise UsageError(
            f"{origin}: unknown setting(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(ENGINE_KEYS))}, or a table per category)"
        )
    sections: dict[str, Mapping[str, Any]] = {}
    for name in CATEGORIES:
        if name in table:
            if not isinstance(table[name], dict):
                raise UsageError(f"{origin}: [{name}] must be a table")
            sections[name] = table[name]
    severities: dict[str, Severity] = {}
    raw_sev = table.get("severity", {})
    if not isinstance(raw_sev, dict):
        raise UsageError(f"{origin}: [severity] must be a table of rule id = severity")
    known_ids = {r.id for r in all_rules()}
    for rule_id, level in raw_sev.items():
        if rule_id.upper() not in known_ids:
            raise UsageError(f"{origin}: [severity] names unknown rule {rule_id!r}")
        try:
            severities[rule_id.upper()] = Severity.parse(str(level))
        except ValueError as exc:
            raise UsageError(f"{origin}: [severity] {rule_id}: {exc}") from None
    fail_value = fail_on if fail_on is not None else table.get("fail-on", "error")
    format_value = format if format is not None else table.get("format", "text")
    return Settings(
        select=parse_selectors(select if select is not None else table.get("select"), "--select" if select is not None else origin),
        ignore=parse_selectors(ignore if ignore is not None else _ignore_selectors(table), "--ignore" if ignore is not None else origin),
        fail_on=parse_fail_on(fail_value, "--fail-on" if fail_on is not None else origin),
        format=str(format_value),
        severity=severities,
        sections=sections,
        source=source,
    )


def _ignore_selectors(table: Mapping[str, Any]) -> Any:
    """`ignore = [...]` selects rules to skip; `[[ignore]]` tables are suppressions (releasekit.suppressions)."""
    value = table.get("ignore")
    return None if isinstance(value, list) and value and all(isinstance(v, dict) for v in value) else value
