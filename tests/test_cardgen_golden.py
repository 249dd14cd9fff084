"""Golden files: the model card and the GitHub README generated for the bundled example.

A change to the templates or the facts shows up here as a diff to review. Refresh the files with

    RELEASEKIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_cardgen_golden.py

and commit them with the change that explains them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cardgen_support import example_release

from releasekit.cardgen import render_github_readme, render_model_card

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RELEASEKIT_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize(("render", "golden"), [(render_model_card, "card-example.README.md"),
                                                (render_github_readme, "card-example.README.github.md")])
def test_example_matches_golden(tmp_path: Path, render, golden: str) -> None:
    text = render(example_release(tmp_path / "example"))
    path = GOLDEN / golden
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{golden} changed: review the diff, then refresh it (see this module's docstring)"
