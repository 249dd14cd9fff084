"""Generate the model card and the GitHub README from the release itself (`releasekit card`).

Not to be confused with `releasekit.cardmeta`, which parses and validates an existing card.
Names load on first use (PEP 562): the settings model reads `cardgen.settings` at every `check`,
which must not pay for jinja2 and the templates.
"""

from __future__ import annotations

from releasekit import lazy

_EXPORTS = {"CardError": "facts", "render_github_readme": "render", "render_model_card": "render",
            "SETTINGS_TABLE": "settings"}

__all__ = ["SETTINGS_TABLE", "CardError", "render_github_readme", "render_model_card"]


__getattr__ = lazy.exports(__name__, {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()})
