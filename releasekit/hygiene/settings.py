"""The `[hygiene]` table of `releasekit.toml` (validated by `releasekit.settings_model`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from releasekit.hygiene.limits import HUB_MAX_FILES, HUB_MAX_FOLDER_ENTRIES
from releasekit.secrets.settings import patterns

DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # prefix of a text file searched for local paths


@dataclasses.dataclass(frozen=True)
class HygieneSettings:
    max_files: int = HUB_MAX_FILES
    max_folder_entries: int = HUB_MAX_FOLDER_ENTRIES
    exclude: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES


def parse_hygiene_settings(table: Mapping[str, Any]) -> HygieneSettings:
    """The settings from a `[hygiene]` table already validated by `releasekit.settings_model`."""
    return HygieneSettings(
        max_files=table.get("max-files", HUB_MAX_FILES),
        max_folder_entries=table.get("max-folder-entries", HUB_MAX_FOLDER_ENTRIES),
        exclude=patterns(table.get("exclude", [])),
    )
