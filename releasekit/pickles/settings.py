"""The `[pickle]` table of releasekit.toml, parsed into typed values and typed problems.

Only `allow` exists: dotted names of the release's own plain-data classes that its pickles may
import. Entries that can never be allowed (anything that runs code, imports by name or loads files,
see `allowlist.refusal`) are refused, so a release's own settings cannot switch the analysis off.
`releasekit.checks.pickle` turns the problems into RK207 findings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from releasekit.pickles.allowlist import refusal

SETTINGS_TABLE = {  # table [pickle] of releasekit.toml
    "allow": (list, [], "Dotted names of the release's own plain-data classes its pickles may import "
                        "(never anything that runs code, imports by name or loads files)."),
}


@dataclasses.dataclass(frozen=True)
class SettingProblem:
    """One thing wrong with the `[pickle]` table, as a one-line message."""

    message: str


@dataclasses.dataclass(frozen=True)
class PickleSettings:
    allow: tuple[str, ...] = ()
    problems: tuple[SettingProblem, ...] = ()


def parse_settings(section: Mapping[str, Any]) -> PickleSettings:
    """The valid `allow` entries and a problem for each unknown key, bad type or refused entry."""
    problems: list[SettingProblem] = []
    unknown = sorted(set(section) - set(SETTINGS_TABLE))
    if unknown:
        problems.append(SettingProblem(f"[pickle]: unknown setting(s) {', '.join(unknown)} (known: allow)"))
    raw = section.get("allow", [])
    if not isinstance(raw, list):
        problems.append(SettingProblem(f"[pickle] allow must be a list of dotted names, not {type(raw).__name__}"))
        return PickleSettings((), tuple(problems))
    allowed: list[str] = []
    for entry in raw:
        if not isinstance(entry, str):
            problems.append(SettingProblem(f"[pickle] allow: {entry!r} is not a string"))
            continue
        why = refusal(entry.strip())
        if why is not None:
            problems.append(SettingProblem(f"[pickle] allow: {entry!r} {why}; it stays disallowed"))
        else:
            allowed.append(entry.strip())
    return PickleSettings(tuple(allowed), tuple(problems))
