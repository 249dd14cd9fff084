"""The `[hygiene]` table of `releasekit.toml`, validated (bad values fall back to defaults)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from releasekit.hygiene.limits import HUB_MAX_FILES, HUB_MAX_FOLDER_ENTRIES
from releasekit.secrets.settings import glob_list, positive_int, unknown_keys

DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # prefix of a text file searched for local paths


@dataclasses.dataclass(frozen=True)
class HygieneSettings:
    max_files: int = HUB_MAX_FILES
    max_folder_entries: int = HUB_MAX_FOLDER_ENTRIES
    exclude: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES


def parse_hygiene_settings(table: Mapping[str, Any]) -> tuple[HygieneSettings, list[str]]:
    problems = unknown_keys(table, ("max-files", "max-folder-entries", "exclude"), "hygiene")
    settings = HygieneSettings(
        max_files=positive_int(table, "max-files", HUB_MAX_FILES, "hygiene", problems),
        max_folder_entries=positive_int(table, "max-folder-entries", HUB_MAX_FOLDER_ENTRIES, "hygiene", problems),
        exclude=glob_list(table, "exclude", "hygiene", problems),
    )
    return settings, problems
