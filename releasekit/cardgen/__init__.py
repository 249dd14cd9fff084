"""Generate the model card and the GitHub README from the release itself (`releasekit card`).

Not to be confused with `releasekit.cardmeta`, which parses and validates an existing card.
Names load on first use (PEP 562): the settings model reads `cardgen.settings` at every `check`,
which must not pay for jinja2 and the templates.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {"CardError": "facts", "render_github_readme": "render", "render_model_card": "render",
            "SETTINGS_TABLE": "settings"}

__all__ = ["SETTINGS_TABLE", "CardError", "render_github_readme", "render_model_card"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'releasekit.cardgen' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"releasekit.cardgen.{module}"), name)
    globals()[name] = value
    return value
