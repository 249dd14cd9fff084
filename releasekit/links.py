"""The project's public addresses, in one place (SARIF's informationUri, rule help links)."""

from __future__ import annotations

import functools
from typing import Any

_FALLBACK = "https://github.com/releasekit/releasekit"


@functools.cache
def homepage() -> str:
    """`[project.urls] Homepage` from the installed metadata, so the address has one source.

    Read on first use, not at import: importing `importlib.metadata` and finding the distribution
    costs ~15 ms, and only SARIF output needs the address (every `check` imports the formats).
    """
    from importlib import metadata

    try:
        for entry in metadata.metadata("releasekit").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip().lower() == "homepage" and url.strip():
                return url.strip()
    except metadata.PackageNotFoundError:
        pass
    return _FALLBACK


def __getattr__(name: str) -> Any:
    if name == "HOMEPAGE":  # `links.HOMEPAGE`, computed when first asked for
        return homepage()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def rule_help_uri(rule_id: str) -> str:
    """The documentation of one rule: its row in docs/rules.md, anchored by id."""
    return f"{homepage()}/blob/main/docs/rules.md#{rule_id.lower()}"
