"""The `[secrets]` table of `releasekit.toml` (validated by `releasekit.settings_model`), and path matching.

A bad value never reaches here: the settings model refuses it as a usage error naming the file
and the key, so a typo fails the run loudly instead of silently scanning less.
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


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    """fnmatch-style patterns against a release path; `*` also crosses `/`, `dir/` names a folder."""
    for pattern in patterns:
        if pattern.endswith("/") and (path.startswith(pattern) or path == pattern[:-1]):
            return True
        if fnmatch.fnmatchcase(path, pattern):
            return True
    return False


def patterns(value: str | list[str]) -> tuple[str, ...]:
    """An `exclude` value (a pattern or a list of them) as a tuple."""
    return (value,) if isinstance(value, str) else tuple(value)


def parse_scan_settings(table: Mapping[str, Any]) -> ScanSettings:
    """The scan settings from a `[secrets]` table already validated by `releasekit.settings_model`."""
    return ScanSettings(
        max_bytes=table.get("max-bytes", DEFAULT_MAX_BYTES),
        notebook_max_bytes=table.get("notebook-max-bytes", DEFAULT_NOTEBOOK_MAX_BYTES),
        exclude=patterns(table.get("exclude", [])),
    )
