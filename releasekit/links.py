"""The project's public addresses, in one place (SARIF's informationUri, rule help links)."""

from __future__ import annotations

from importlib import metadata

_FALLBACK = "https://github.com/releasekit/releasekit"


def _homepage() -> str:
    """`[project.urls] Homepage` from the installed metadata, so the address has one source."""
    try:
        for entry in metadata.metadata("releasekit").get_all("Project-URL") or []:
            label, _, url = entry.partition(",")
            if label.strip().lower() == "homepage" and url.strip():
                return url.strip()
    except metadata.PackageNotFoundError:
        pass
    return _FALLBACK


HOMEPAGE = _homepage()


def rule_help_uri(rule_id: str) -> str:
    """The documentation of one rule: its row in docs/rules.md, anchored by id."""
    return f"{HOMEPAGE}/blob/main/docs/rules.md#{rule_id.lower()}"
