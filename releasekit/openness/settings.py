"""The `[openness]` table of releasekit.toml: where components live outside the release, and licenses.

    [openness]
    technical_report = "https://arxiv.org/abs/2412.19437"
    datasets = ["https://huggingface.co/datasets/org/corpus", "data/"]
    training_code = "https://github.com/org/model/tree/main/train"

    [openness.licenses]
    model_parameters = "CDLA-Permissive-2.0"   # one component
    technical_report = "CC-BY-4.0"
    document = "CC-BY-4.0"                      # every document component without its own entry

Each component key (see `components.py`) takes a URL, a path inside the release, or a list of
them; `false` declares a component deliberately not released (it then stays missing and nothing
is inferred from files). License values are SPDX expressions.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from releasekit.licenses import spdx
from releasekit.openness.components import BY_ID, CONTENT_TYPES


# Table [openness] of releasekit.toml, for the lead's settings model. Each component key also
# takes a single string, or `false` (deliberately not released); validated by `parse_settings`.
SETTINGS_TABLE = {
    **{
        c.id: (list, [], f"Where the {c.name.lower()} is when it is not a file of the release: URLs or paths.")
        for c in BY_ID.values()
    },
    "licenses": (dict, {}, "SPDX expression per component id or content type (code, data, document)."),
}


@dataclasses.dataclass(frozen=True)
class OpennessSettings:
    locations: Mapping[str, tuple[str, ...]]  # component id -> declared URLs or paths
    withheld: frozenset[str]  # components declared `false`
    licenses: Mapping[str, str]  # component id or content type -> SPDX expression (normalised)
    problems: tuple[str, ...]  # what is wrong with the table, one message each


def parse_settings(table: Mapping[str, Any]) -> OpennessSettings:
    locations: dict[str, tuple[str, ...]] = {}
    withheld: set[str] = set()
    licenses: dict[str, str] = {}
    problems: list[str] = []
    known = ", ".join(BY_ID)
    for key, value in table.items():
        if key == "licenses":
            if not isinstance(value, dict):
                problems.append('[openness.licenses] must be a table of component or type = "SPDX expression"')
                continue
            for target, expression in value.items():
                if target not in BY_ID and target not in CONTENT_TYPES:
                    problems.append(
                        f"[openness.licenses] {target}: not a component ({known}) nor a type "
                        f"({', '.join(CONTENT_TYPES)})"
                    )
                elif not isinstance(expression, str):
                    problems.append(f"[openness.licenses] {target}: must be an SPDX expression string")
                else:
                    parsed = spdx.parse(expression)
                    if parsed.error:
                        problems.append(f"[openness.licenses] {target} = {expression!r}: {parsed.error}")
                    else:
                        licenses[target] = parsed.normalized or expression
            continue
        if key not in BY_ID:
            problems.append(f"[openness] {key}: unknown component (known: {known}, and the [openness.licenses] table)")
            continue
        if value is False:
            withheld.add(key)
        elif isinstance(value, str) and value.strip():
            locations[key] = (value.strip(),)
        elif isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            locations[key] = tuple(v.strip() for v in value)
        else:
            problems.append(f"[openness] {key}: must be a URL or path, a list of them, or false")
    return OpennessSettings(locations, frozenset(withheld), licenses, tuple(problems))


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def is_url(location: str) -> bool:
    return bool(_URL.match(location))


def release_path(location: str) -> str | None:
    """A declared location as a path relative to the release root; None for URLs and paths that leave it."""
    if is_url(location):
        return None
    path = posixpath.normpath(location.strip().replace("\\", "/")).lstrip("/") if location.strip() else ""
    if not path or path == "." or path == ".." or path.startswith("../"):
        return None
    return path
