"""The Hub's lists a card's metadata is checked against, from dated snapshots in `data/`.

Each file records where it came from (repository, path, commit and its date); see
docs/readme/license-card-openness.md for how to refresh them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from releasekit import datafiles

PIPELINE_TAGS_FILE = "hub_pipeline_tags-2025-12.json"
LIBRARIES_FILE = "hub_libraries-2026-08.json"
LANGUAGES_FILE = "hub_languages-2026-07.json"


def _load(name: str) -> dict[str, Any]:
    return json.loads(datafiles.read_text(name))  # type: ignore[no-any-return]


@functools.cache
def pipeline_tags() -> frozenset[str]:
    return frozenset(_load(PIPELINE_TAGS_FILE)["pipeline_tags"])


@functools.cache
def libraries() -> frozenset[str]:
    return frozenset(_load(LIBRARIES_FILE)["libraries"])


@functools.cache
def languages() -> frozenset[str]:
    data = _load(LANGUAGES_FILE)
    return frozenset(data["iso_639_1"]) | frozenset(data["iso_639_3"])
