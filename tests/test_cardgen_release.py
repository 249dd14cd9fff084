"""`releasekit card` on the three acceptance releases: the bundled example, separate code and model
licenses, and DeepSeek-V3's layout. The written card passes releasekit's own card and license rules,
loads with huggingface_hub.ModelCard with its metadata intact, and its openness table says what the
openness rules' JSON section says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from cardgen_support import deepseek_v3_release, example_release, split_license_release
from huggingface_hub import ModelCard

from releasekit.cli.main import run

BUILDERS = {"example": example_release, "split-license": split_license_release, "deepseek-v3": deepseek_v3_release}


_BUILT: dict[str, Path] = {}


def _carded(name: str, tmp_path_factory) -> Path:
    """A release with its generated card written over whatever README.md it had (built once)."""
    if name not in _BUILT:
        root = BUILDERS[name](tmp_path_factory.mktemp("cardgen") / name)
        assert run(["card", str(root), "--force"]) == 0
        assert run(["card", str(root), "--github"]) == 0
        _BUILT[name] = root
    return _BUILT[name]


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def carded(request, tmp_path_factory) -> tuple[str, Path]:
    return request.param, _carded(request.param, tmp_path_factory)


def _check_json(run_cli, root: Path, select: str) -> dict:
    result = run_cli("check", root, "--select", select, "--format", "json", "--fail-on", "info")
    assert result.exit_code in (0, 1), result
    return result.json()


def test_card_passes_the_card_and_license_rules(carded, run_cli) -> None:
    _, root = carded
    report = _check_json(run_cli, root, "card,license")
    assert report["findings"] == [], report["findings"]


def test_card_loads_with_model_card_and_keeps_its_metadata(carded) -> None:
    name, root = carded
    text = (root / "README.md").read_text(encoding="utf-8")
    card = ModelCard.load(root / "README.md")
    front = yaml.safe_load(text.split("---\n")[1])
    assert card.data.to_dict() == front
    assert front["library_name"] == "transformers" and front["pipeline_tag"] == "text-generation"
    assert front["language"] == ["en"]
    assert {"moe", "mla", "fp8", "mtp", "deepseek_v3"} <= set(front["tags"])
    if name == "example":
        assert front["license"] == "mit" and "license_name" not in front
    else:  # the weights' license, which the Hub has no id for
        assert (front["license"], front["license_name"], front["license_link"]) == (
            "other", "deepseek-license", "LICENSE-MODEL")
        assert "the code under MIT" in text
    result = card.data.eval_results[0]
    assert (result.dataset_name, result.metric_type, result.metric_value) == (
        "Random baseline: sanity | check", "accuracy", 0.25)
    assert card.data.model_name == front["model-index"][0]["name"]


def _card_rows(text: str, heading: str) -> dict[str, list[str]]:
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| Component"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0].replace("\\", "")] = [c.replace("\\", "") for c in cells]
    return rows


@pytest.mark.parametrize("readme", ["README.md", "README.github.md"])
def test_openness_table_agrees_with_the_openness_rules(carded, run_cli, readme) -> None:
    _, root = carded
    section = _check_json(run_cli, root, "openness")["sections"]["openness"]
    text = (root / readme).read_text(encoding="utf-8")
    assert f"Class reached: **{section['class_name'] or 'none'}**" in text
    rows = _card_rows(text, "Openness")
    assert len(rows) == len(section["components"]) == 17
    for component in section["components"]:
        _name, _class, released, where, license_cell, counts = rows[component["name"]]
        assert released == ("yes" if component["present"] else "no"), component["id"]
        assert counts == ("yes" if component["counts"] else "no"), component["id"]
        if component["present"]:
            assert license_cell.startswith(component["license"] or "none"), (component["id"], license_cell)
            for path in component["files"][:3] + component["links"]:
                assert path in where, (component["id"], where)
        else:
            assert where == "-" and license_cell == "-"


def test_card_is_up_to_date_after_writing(carded) -> None:
    _, root = carded
    assert run(["card", str(root), "--check"]) == 0
    assert run(["card", str(root), "--github", "--check"]) == 0


def test_deepseek_v3_card_states_the_published_counts(tmp_path_factory) -> None:
    root = _carded("deepseek-v3", tmp_path_factory)
    text = (root / "README.md").read_text(encoding="utf-8")
    assert "671.0B total (671,026,419,200)" in text
    assert "37.6B (37,552,297,472) are activated per token: 8 of 256 routed experts in each of 58 MoE layers" in text
    assert "13.5B (13,463,426,304) more, counted separately" in text
    assert "per 128x128 block" in text
    assert "163 safetensors file(s)" in text and "<summary>The 163 shards</summary>" in text
    assert "| Context length | 163,840 |" in text
