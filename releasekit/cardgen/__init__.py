"""Generate the model card and the GitHub README from the release itself (`releasekit card`).

Not to be confused with `releasekit.cardmeta`, which parses and validates an existing card.
"""

from __future__ import annotations

from releasekit.cardgen.facts import CardError
from releasekit.cardgen.render import render_github_readme, render_model_card
from releasekit.cardgen.settings import SETTINGS_TABLE

__all__ = ["SETTINGS_TABLE", "CardError", "render_github_readme", "render_model_card"]
