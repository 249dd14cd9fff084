"""The `[secrets]` table of `releasekit.toml`, validated; plus helpers the hygiene table shares.

A bad value is reported (by the category's settings rule) and replaced by its default, so a typo
fails the run loudly instead of silently scanning less.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # a tokenizer.json is 5 to 35 MB; a dataset shard is larger
DEFAULT_NOTEBOOK_MAX_BYTES = 64 * 1024 * 1024  # notebooks carry base64 images, which are skipped


@dataclasses.dataclass(frozen=True)
class ScanSettings:
    max_bytes: int = DEFAULT_MAX_BYTES
    notebook_max_bytes: int = DEFAULT_NOTEBOOK_MAX_BYTES
    exclude: tuple[str, ...] = ()


def positive_int(table: Mapping[str, Any], key: str, default: int, section: str, problems: list[str]) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        problems.append(f"[{section}] {key} must be a positive integer, not {value!r}; using {default}")
        return default
    return value


def glob_list(table: Mapping[str, Any], key: str, section: str, problems: list[str]) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"[{section}] {key} must be a list of path patterns, not {value!r}; ignoring it")
        return ()
    return tuple(value)


def unknown_keys(table: Mapping[str, Any], known: Iterable[str], section: str) -> list[str]:
    extra = sorted(set(table) - set(known))
    if not extra:
        return []
    return [f"[{section}] has unknown setting(s) {', '.join(extra)} (known: {', '.join(sorted(known))})"]


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    """fnmatch-style patterns against a release path; `*` also crosses `/`, `dir/` names a folder."""
    for pattern in patterns:
        if pattern.endswith("/") and (path.startswith(pattern) or path == pattern[:-1]):
            return True
        if fnmatch.fnmatchcase(path, pattern):
            return True
    return False


def parse_scan_settings(table: Mapping[str, Any]) -> tuple[ScanSettings, list[str]]:
    """The scan settings and a list of problems (each one line) with the table."""
    problems = unknown_keys(table, ("max-bytes", "notebook-max-bytes", "exclude"), "secrets")
    settings = ScanSettings(
        max_bytes=positive_int(table, "max-bytes", DEFAULT_MAX_BYTES, "secrets", problems),
        notebook_max_bytes=positive_int(table, "notebook-max-bytes", DEFAULT_NOTEBOOK_MAX_BYTES, "secrets", problems),
        exclude=glob_list(table, "exclude", "secrets", problems),
    )
    return settings, problems
