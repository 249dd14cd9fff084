"""SARIF that GitHub code scanning accepts: schema-valid, placed in the repository, stable."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from releasekit import __version__, formats
from releasekit.engine import check_path
from releasekit.example import build_example
from releasekit.links import HOMEPAGE
from releasekit.registry import all_rules
from tests.builders import safetensors_bytes
from tests.ci_support import EXAMPLE_DATA, TOKEN, build_hostile, build_pickled, init_repo

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _broken(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "model.safetensors").write_bytes(safetensors_bytes([("w", "F32", [4])])[:-4])
    (root / "config.json").write_text('{"model_type": "deepseek_v3"}')
    (root / "shards").mkdir()
    for i in (1, 3):  # numbered shards without an index: a finding about the folder
        (root / "shards" / f"model-0000{i}-of-00003.safetensors").write_bytes(safetensors_bytes([(f"t{i}", "F32", [1])]))
    return root


def _secret_only(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "train.py").write_text(f"\n\nTOKEN = '{TOKEN}'\n")
    return root


FIXTURES = {"example": build_example, "broken": _broken, "hostile": build_hostile, "pickled": build_pickled,
            "secret-only": _secret_only}


def _sarif(root: Path, repo_root: Path | None = None) -> dict:
    return json.loads(formats.render(check_path(root), "sarif", repo_root=repo_root))


def _uris(run: dict) -> list[str]:
    return [unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in run["results"]]


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_sarif_validates_against_the_schema_for_every_fixture(fixture: str, tmp_path: Path) -> None:
    root = FIXTURES[fixture](tmp_path / "release")
    document = _sarif(root)
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    run = document["runs"][0]
    assert run["results"], "every fixture has findings, so results are validated too"
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri and not uri.startswith("/") and uri not in (".", "") and not uri.endswith("/")
        assert (root / unquote(uri)).is_file(), uri  # a real file to show it on, never a folder


def test_driver_names_the_real_tool_and_documents_every_rule(tmp_path: Path) -> None:
    driver = _sarif(build_example(tmp_path / "release"))["runs"][0]["tool"]["driver"]
    assert driver["version"] == __version__ and driver["informationUri"] == HOMEPAGE
    assert "placeholder" not in HOMEPAGE
    assert [r["id"] for r in driver["rules"]] == [r.id for r in all_rules()]
    for rule in driver["rules"]:
        assert "Why it matters" in rule["help"]["text"]
        assert rule["helpUri"].startswith(HOMEPAGE) and rule["helpUri"].endswith("#" + rule["id"].lower())


def test_paths_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    root = _broken(repo / "models" / "v1")
    run = _sarif(root)["runs"][0]
    assert "models/v1/model.safetensors" in _uris(run)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    explicit = _sarif(root, repo_root=repo / "models")["runs"][0]
    assert "v1/model.safetensors" in _uris(explicit)


def test_whole_release_and_folder_findings_sit_on_the_card_or_config(tmp_path: Path) -> None:
    root = _broken(tmp_path / "release")
    results = _sarif(root)["runs"][0]["results"]
    folder = [r for r in results if r["properties"]["releasePath"] == "shards"]
    assert folder and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "config.json"
                          for r in folder)  # no card in this release: the config stands for it
    assert folder[0]["message"]["text"].startswith("shards/: ")
    whole = [r for r in results if r["properties"]["releasePath"] == "."]
    assert whole and all(r["properties"]["scope"] == "release" and "region" not in r["locations"][0]["physicalLocation"]
                         for r in whole)
    (root / "README.md").write_text((EXAMPLE_DATA / "README.md").read_text())
    results = _sarif(root)["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results
            if r["properties"]["releasePath"] == "."} == {"README.md"}


def test_partial_fingerprints_ignore_line_numbers(tmp_path: Path) -> None:
    root = _secret_only(tmp_path / "release")

    def secret_result() -> dict:
        return next(r for r in _sarif(root)["runs"][0]["results"] if r["ruleId"] == "RK501")

    before = secret_result()
    (root / "train.py").write_text(f"# moved\n# down\n\n\nTOKEN = '{TOKEN}'\n")
    after = secret_result()
    assert before["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert after["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert before["partialFingerprints"] == after["partialFingerprints"]
    assert TOKEN not in json.dumps(after)
