"""Settings for a run: command-line options over `--config FILE` over the release's own file.

The release may carry its own settings in `releasekit.toml` or in `[tool.releasekit]` of a
`pyproject.toml` at its root; `--isolated` ignores them (auditing someone else's release), and
`--config FILE` reads settings from outside the release. What each table may hold is declared in
`settings_model.py`, which validates it; this module merges the sources and remembers which values
came from the release itself, because those are the release's own word about its audit: they may
never hide, downgrade or un-fail an error of the `pickle` or `engine` rules (`Settings.is_selected`,
`Settings.severity_for`, and the report's `protected` categories enforce it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from releasekit import settings_model
from releasekit.errors import UsageError
from releasekit.findings import CATEGORIES, Severity

CONFIG_FILE = "releasekit.toml"
#: Categories whose errors the release's own settings can never hide, downgrade or un-fail.
PROTECTED = frozenset({"engine", "pickle"})
ENGINE_KEYS = ("select", "ignore", "fail-on", "format", "severity")


class RuleLike(Protocol):
    id: str
    category: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """What to run and how to judge it, and which parts of that the release itself asked for."""

    select: frozenset[str] = frozenset()  # rule ids or categories; empty means everything
    ignore: frozenset[str] = frozenset()
    fail_on: Severity | None = Severity.ERROR  # None means never fail
    format: str = "text"
    severity: Mapping[str, Severity] = dataclasses.field(default_factory=dict)  # per-rule override
    sections: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    source: str | None = None  # the release's own settings file, when one was read
    # Top-level keys and tables whose value came from the release's own file (untrusted), and that
    # file's table verbatim, so every report can say what the release asked for.
    from_release: frozenset[str] = frozenset()
    release_table: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    isolated: bool = False

    def section(self, name: str) -> Mapping[str, Any]:
        """The settings table of one category (empty when no file has one)."""
        return self.sections.get(name, {})

    def is_selected(self, rule_id: str, category: str) -> bool:
        """Whether a rule runs. The release's own select/ignore never switch off a protected rule;
        engine rules (the audit's own failures: a crash, an unreadable file) run whatever select says."""
        trusted_ignore = "ignore" not in self.from_release
        trusted_select = "select" not in self.from_release
        ignored = rule_id in self.ignore or category in self.ignore
        if ignored and (trusted_ignore or category not in PROTECTED):
            return False
        if category == "engine" or not self.select:
            return True
        if rule_id in self.select or category in self.select:
            return True
        return category in PROTECTED and not trusted_select

    def severity_for(self, rule_id: str, category: str, default: Severity) -> tuple[Severity, bool]:
        """The severity a finding gets, and whether an override from the release was refused."""
        override = self.severity.get(rule_id)
        if override is None or override is default:
            return default, False
        if "severity" in self.from_release and category in PROTECTED and override.rank < default.rank:
            return default, True
        return override, False

    @property
    def protected_failures(self) -> frozenset[str]:
        """Categories whose errors fail the run whatever `fail-on` says (it came from the release)."""
        return PROTECTED if "fail-on" in self.from_release else frozenset()


def parse_selectors(
    value: str | Iterable[str] | None, origin: str, rules: Collection[RuleLike]
) -> frozenset[str]:
    """`"weights,RK104"` or `["weights", "RK104"]` -> validated ids and categories."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else list(value)
    known_ids = {r.id for r in rules}
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
    if not out:
        raise UsageError(f"{origin}: an empty selection; name rule ids or categories, or leave the option out")
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
        table = _tool_table(pyproject, "pyproject.toml")
        if table is not None:
            return table, "pyproject.toml [tool.releasekit]"
    return {}, None


def read_settings_file(path: Path, label: str | None = None) -> dict[str, Any]:
    """A settings file: a releasekit.toml, or a pyproject.toml whose [tool.releasekit] is used."""
    label = label or str(path)
    if path.name == "pyproject.toml":
        return _tool_table(path, label) or {}
    return _read_toml(path, label)


def _tool_table(pyproject: Path, label: str) -> dict[str, Any] | None:
    """`[tool.releasekit]` of a pyproject.toml, or None when it has none."""
    table = _read_toml(pyproject, label).get("tool", {}).get("releasekit")
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"{label}: [tool.releasekit] must be a table")
    return table


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:  # imported here: most releases have no settings file, and start-up is paid on every run
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{label}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{label}: cannot be read: {exc.strerror or exc}") from None


def build_settings(
    root: Path,
    *,
    rules: Collection[RuleLike],
    select: str | None = None,
    ignore: str | None = None,
    fail_on: str | None = None,
    format: str | None = None,
    isolated: bool = False,
    config: Path | None = None,
) -> Settings:
    """Merge command-line options (None when not given) over `config` over the release's file.

    `rules` are the registered rules (handed in, so that settings never reach up into the registry).
    """
    rule_ids = {r.id for r in rules}
    release_raw, source = ({}, None) if isolated else load_file_settings(root)
    release = settings_model.validate_document(release_raw, source or "settings", rule_ids=rule_ids,
                                               categories=CATEGORIES)
    trusted_raw = read_settings_file(config) if config is not None else {}
    trusted_origin = str(config) if config is not None else "settings"
    trusted = settings_model.validate_document(trusted_raw, trusted_origin, rule_ids=rule_ids, categories=CATEGORIES)
    from_release: set[str] = set()

    def pick(key: str, cli_value: Any, default: Any) -> tuple[Any, str]:
        if cli_value is not None:
            return cli_value, f"--{key}"
        if key in trusted_raw:
            return trusted[key], trusted_origin
        if key in release_raw:
            from_release.add(key)
            return release[key], source or "settings"
        return default, "default"

    select_value, select_origin = pick("select", select, None)
    ignore_value, ignore_origin = pick("ignore", ignore, None)
    if settings_model.is_suppression_list(ignore_value):
        ignore_value = None  # [[ignore]] tables suppress findings per path (releasekit.suppressions)
    fail_value, fail_origin = pick("fail-on", fail_on, "error")
    format_value, _ = pick("format", format, "text")
    severity_raw, _ = pick("severity", None, {})
    severities = {rule_id: Severity.parse(str(level)) for rule_id, level in severity_raw.items()}

    sections: dict[str, Mapping[str, Any]] = {}
    for name in (t.name for t in settings_model.tables() if t.name and "." not in t.name and t.name != "severity"):
        if name in trusted_raw:
            sections[name] = trusted[name]
        elif name in release_raw:
            sections[name] = release[name]
            from_release.add(name)
        else:
            sections[name] = trusted[name]  # the model's defaults
    settings = Settings(
        select=parse_selectors(select_value, select_origin, rules),
        ignore=parse_selectors(ignore_value, ignore_origin, rules) if ignore_value is not None else frozenset(),
        fail_on=parse_fail_on(fail_value, fail_origin),
        format=str(format_value),
        severity=severities,
        sections=sections,
        source=source,
        from_release=frozenset(from_release),
        release_table=release_raw,
        isolated=isolated,
    )
    named = settings.select | settings.ignore
    if not any(settings.is_selected(r.id, r.category) for r in rules
               if r.category != "engine" or r.id in named or r.category in named):
        raise UsageError(f"{select_origin if select_value is not None else ignore_origin}: "
                         "the selection leaves no rule to run (check --select and --ignore)")
    return settings
