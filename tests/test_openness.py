"""Openness rules RK701-RK705 and the `openness` report section (Model Openness Framework)."""

from __future__ import annotations

import pytest

from test_license_support import (
    FRONT_MATTER,
    card,
    check_json,
    findings,
    honest_release,
    license_text,
    safetensors_bytes,
)

from releasekit.openness.components import COMPONENTS, required_for

CLASS_III = {"data_card.md": "# Data card\n\nTiny corpus: 1k sentences of public-domain text.\n"}
TECH_REPORT = (
    'technical_report = "https://arxiv.org/abs/2401.00001"\n[openness.licenses]\ntechnical_report = "CC-BY-4.0"\n'
)
CLASS_II = {"eval/data/test.jsonl": '{"prompt": "1+1=", "answer": "2"}\n'}
CLASS_I = {
    "data/train.jsonl": '{"text": "hello"}\n',
    "scripts/preprocess.py": "# SPDX-License-Identifier: MIT\n",
    "checkpoints/step-1000/model.safetensors": safetensors_bytes(),
    "paper/paper.pdf": b"%PDF-1.4\n%%EOF\n",
}


def _toml(body: str) -> dict[str, str]:
    return {"releasekit.toml": "[openness]\n" + body}


def _section(result):
    return result.json()["sections"]["openness"]


def _component(section, component_id):
    return next(c for c in section["components"] if c["id"] == component_id)


def _run(make_release, run_cli, files):
    return check_json(run_cli, make_release(files))


def test_components_match_the_framework() -> None:
    assert len(COMPONENTS) == 17 and len({c.id for c in COMPONENTS}) == 17
    assert {c.id for c in required_for(3)} == {
        "model_architecture",
        "model_parameters",
        "model_card",
        "data_card",
        "technical_report",
        "evaluation_results",
    }
    assert len(required_for(2)) == 10 and len(required_for(1)) == 14


def test_honest_release_without_a_report_reaches_no_class(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release())
    section = _section(result)
    assert section["class"] is None
    assert section["next_class"] == {
        "class": 3,
        "class_name": "Class III - Open Model",
        "missing": ["technical_report"],
        "license_blocked": [],
    }
    missing = sorted(f["message"].split(" needs ")[1].split(" (")[0] for f in findings(result, "RK702"))
    assert missing == ["technical report"]
    # The card's `datasets:` metadata documents the data (a data card) and links the datasets.
    assert _component(section, "data_card")["card"] == ["README.md metadata datasets: example-org/tiny-corpus"]
    assert _component(section, "datasets")["card_links"] == ["https://huggingface.co/datasets/example-org/tiny-corpus"]
    assert all(f["severity"] == "info" for f in findings(result) if f["category"] == "openness")
    assert _component(section, "evaluation_results")["in_card"] is True  # from the card's model-index
    assert _component(section, "model_architecture")["files"] == ["modeling_tiny_moe.py"]
    assert _component(section, "model_parameters")["license"] == "MIT"


def test_complete_honest_release_raises_no_warning_or_error(make_release, run_cli) -> None:
    files = honest_release(**CLASS_III, **_toml(TECH_REPORT))
    result = _run(make_release, run_cli, files)
    assert [f for f in findings(result) if f["severity"] != "info"] == []
    assert _section(result)["class"] == 3


def test_class_iii_then_ii_then_i(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release(**CLASS_III, **_toml(TECH_REPORT)))
    [reached] = findings(result, "RK701")
    assert "Class III - Open Model reached" in reached["message"]
    assert _section(result)["next_class"]["missing"] == ["evaluation_data"]
    [needed] = findings(result, "RK702")
    assert "Class II - Open Tooling needs evaluation data" in needed["message"]
    assert "[openness] evaluation_data" in needed["message"]

    result = _run(make_release, run_cli, honest_release(**CLASS_III, **CLASS_II, **_toml(TECH_REPORT)))
    assert _section(result)["class"] == 2
    assert sorted(_section(result)["next_class"]["missing"]) == sorted(
        ["data_preprocessing_code", "intermediate_checkpoints", "research_paper"]
    )
    # The datasets the card links are there, but their license is not declared.
    assert _section(result)["next_class"]["license_blocked"] == ["datasets"]

    files = honest_release(**CLASS_III, **CLASS_II, **CLASS_I, **_toml(TECH_REPORT))
    result = _run(make_release, run_cli, files)
    section = _section(result)
    assert section["class"] == 1 and section["next_class"] is None and findings(result, "RK702") == []
    assert _component(section, "intermediate_checkpoints")["files"] == ["checkpoints/step-1000/model.safetensors"]
    assert _component(section, "model_parameters")["files"] == ["model.safetensors"]


def test_research_paper_stands_in_for_the_technical_report(make_release, run_cli) -> None:
    files = honest_release(**CLASS_III, **{"paper/paper.pdf": b"%PDF-1.4\n"})
    assert _section(_run(make_release, run_cli, files))["class"] == 3


def test_rk703_weights_under_a_non_commercial_license(make_release, run_cli) -> None:
    files = honest_release(**CLASS_III, **_toml(TECH_REPORT + 'model_parameters = "CC-BY-NC-4.0"\n'))
    result = _run(make_release, run_cli, files)
    [finding] = [f for f in findings(result, "RK703") if "CC-BY-NC-4.0" in f["message"]]
    assert finding["severity"] == "info" and finding["path"] == "model.safetensors"
    assert "model parameters (final) (data)" in finding["message"] and "CC-BY-NC-4.0" in finding["message"]
    section = _section(result)
    assert section["class"] is None and section["next_class"]["license_blocked"] == ["model_parameters"]
    assert _component(section, "model_parameters")["license_status"] == "not-open"


def test_rk703_model_license_split_like_deepseek(make_release, run_cli) -> None:
    llama = "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n"
    files = honest_release(LICENSE=None, **{"LICENSE-CODE": license_text("MIT"), "LICENSE-MODEL": llama})
    result = _run(make_release, run_cli, files)
    section = _section(result)
    assert _component(section, "model_parameters")["license"] == "LicenseRef-llama3.1"
    assert _component(section, "training_code")["license"] == "MIT"
    [restricted] = [f for f in findings(result, "RK703") if "llama3.1" in f["message"]]
    assert restricted["path"] == "model.safetensors" and restricted["severity"] == "info"


def test_rk703_code_with_no_license(make_release, run_cli) -> None:
    no_license_card = card(FRONT_MATTER.replace("license: mit\n", ""))
    files = honest_release(LICENSE=None, **{"train/train.py": "print('train')\n", "README.md": no_license_card})
    result = _run(make_release, run_cli, files)
    unlicensed = {f["path"]: f["message"] for f in findings(result, "RK703")}
    assert "train/train.py" in unlicensed and "training code (code) has no license" in unlicensed["train/train.py"]


def test_rk703_linked_component_needs_a_declared_license(make_release, run_cli) -> None:
    files = honest_release(**_toml('datasets = ["https://huggingface.co/datasets/example-org/tiny-corpus"]\n'))
    result = _run(make_release, run_cli, files)
    [finding] = [f for f in findings(result, "RK703") if "datasets" in f["message"]]
    assert "[openness.licenses]" in finding["message"] and finding["path"] == "."
    declared = honest_release(
        **_toml(
            'datasets = ["https://huggingface.co/datasets/example-org/tiny-corpus"]\n'
            '[openness.licenses]\ndatasets = "ODC-By-1.0"\n'
        )
    )
    section = _section(_run(make_release, run_cli, declared))
    assert _component(section, "datasets")["license_status"] == "open"


def test_rk704_open_licenses_of_another_type_are_info(make_release, run_cli) -> None:
    result = _run(make_release, run_cli, honest_release())
    [finding] = findings(result, "RK704")
    assert finding["severity"] == "info" and "model parameters (final) (data) under MIT" in finding["message"]
    typed = honest_release(**_toml('[openness.licenses]\ndata = "CDLA-Permissive-2.0"\ndocument = "CC-BY-4.0"\n'))
    assert findings(_run(make_release, run_cli, typed), "RK704") == []


def test_withheld_component_is_not_inferred(make_release, run_cli) -> None:
    files = honest_release(**{"data/train.jsonl": "{}\n"}, **_toml("datasets = false\n"))
    assert _component(_section(_run(make_release, run_cli, files)), "datasets")["present"] is False


def test_rk705_invalid_settings(make_release, run_cli) -> None:
    """What only the openness code can judge (a path that is missing, an SPDX expression, a license
    target that is no component) is an RK705 finding."""
    files = honest_release(
        **_toml('training_code = "missing/train"\n[openness.licenses]\ncode = "MIT AND ("\nweights = "MIT"\n')
    )
    messages = [f["message"] for f in findings(_run(make_release, run_cli, files), "RK705")]
    assert len(messages) == 3
    joined = "\n".join(messages)
    for part in ("`missing/train`", "code = 'MIT AND ('", "weights: not a component"):
        assert part in joined, part


@pytest.mark.parametrize(("toml", "expected"), [
    ('tech_report = "https://x"\n', "[openness]: unknown setting 'tech_report'"),
    ("datasets = 3\n", "[openness] datasets must be a URL or path, a list of them, or false"),
])
def test_malformed_openness_settings_are_usage_errors(make_release, run_cli, toml: str, expected: str) -> None:
    result = run_cli("check", make_release(honest_release(**_toml(toml))), "--select", "openness")
    assert result.exit_code == 2 and f"releasekit.toml: {expected}" in result.stderr, result


def test_section_in_every_format(make_release, run_cli) -> None:
    root = make_release(honest_release(**CLASS_III, **_toml(TECH_REPORT)))
    text = run_cli("check", root, "--select", "openness").stdout
    assert "Openness (Model Openness Framework)" in text and "Class reached: Class III - Open Model" in text
    assert "[x] Model parameters (Final) (data, class III): model.safetensors — MIT" in text
    markdown = run_cli("check", root, "--select", "openness", "--format", "markdown").stdout
    assert "### Openness (Model Openness Framework)" in markdown and "Next, Class II - Open Tooling" in markdown
    section = run_cli("check", root, "--select", "openness", "--format", "json").json()["sections"]["openness"]
    assert set(section) == {"schema_version", "framework", "class", "class_name", "next_class", "components"}
    assert [c["id"] for c in section["components"]] == [c.id for c in COMPONENTS]
    assert set(section["components"][0]) == {
        "id",
        "name",
        "class",
        "required",
        "type",
        "present",
        "files",
        "files_total",
        "links",
        "in_card",
        "card",
        "card_links",
        "license",
        "license_source",
        "license_status",
        "counts",
    }


def test_detection_by_names_and_folders(make_release, run_cli) -> None:
    files = honest_release(
        **{
            "generation_config.json": {"temperature": 0.6},
            "samples/chat-001.md": "User: hi\nModel: hello\n",
            "tests/test_model.py": "import torch\n\n\nclass Fake(torch.nn.Module):\n    pass\n",
            "src/blocks.py": (
                "# SPDX-License-Identifier: MIT\nfrom torch import nn\n\n\nclass Block(nn.Module):\n    pass\n"
            ),
            "trainer_state.json": {"global_step": 10},
            "requirements.txt": "torch\n",
        }
    )
    section = _section(_run(make_release, run_cli, files))
    assert _component(section, "sample_model_outputs")["files"] == ["samples/chat-001.md"]
    assert _component(section, "model_architecture")["files"] == ["modeling_tiny_moe.py", "src/blocks.py"]
    assert _component(section, "model_metadata")["files"] == ["trainer_state.json"]
    assert _component(section, "supporting_libraries")["files"] == ["requirements.txt"]


def test_declared_paths_stay_inside_the_release(make_release, run_cli) -> None:
    files = honest_release(
        **{"docs/report.md": "# Report\n"},
        **_toml('technical_report = "./docs/report.md"\ndata_card = "../outside.md"\n'),
    )
    result = _run(make_release, run_cli, files)
    assert _component(_section(result), "technical_report")["files"] == ["docs/report.md"]
    [finding] = findings(result, "RK705")
    assert "../outside.md" in finding["message"]


REPORT_CARD_BODY = """
# Tiny MoE

Read the [technical report](https://arxiv.org/abs/2401.00001) for details.

## Training Data

Pre-trained on 2T tokens of [Tiny Corpus](https://huggingface.co/datasets/example-org/tiny-corpus), a
deduplicated mix of web pages, code and papers in English.

## Evaluation Results

| Benchmark | Tiny MoE |
|-----------|----------|
| MMLU      | 25.1     |

## Citation

```bibtex
@misc{tinymoe, title={Tiny MoE}, eprint={2401.00002}, archivePrefix={arXiv}}
```
"""


def test_the_card_documents_report_results_and_data(make_release, run_cli) -> None:
    no_meta = FRONT_MATTER.replace("datasets:\n- example-org/tiny-corpus\n", "")
    no_index = no_meta.split("model-index:")[0] + "---\n"
    files = honest_release(**{"README.md": card(no_index, REPORT_CARD_BODY)})
    section = _section(_run(make_release, run_cli, files))
    report = _component(section, "technical_report")
    assert report["card_links"] == ["https://arxiv.org/abs/2401.00001"]
    assert report["license_status"] == "linked-license-undeclared" and report["counts"] is True
    assert _component(section, "research_paper")["card_links"] == ["https://arxiv.org/abs/2401.00002"]
    assert _component(section, "evaluation_results")["card"] == ["README.md § Evaluation Results (table)"]
    assert _component(section, "data_card")["card"] == ["README.md § Training Data"]
    assert _component(section, "data_card")["license"] == "MIT"  # the card's own terms
    assert section["class"] == 3


def test_a_section_without_a_table_or_naming_no_data_is_not_evidence(make_release, run_cli) -> None:
    body = "# Tiny\n\n## Evaluation\n\nComing soon.\n\n## Training data\n\nTBD.\n"
    no_meta = FRONT_MATTER.replace("datasets:\n- example-org/tiny-corpus\n", "").split("model-index:")[0] + "---\n"
    section = _section(_run(make_release, run_cli, honest_release(**{"README.md": card(no_meta, body)})))
    assert not _component(section, "evaluation_results")["present"]
    assert not _component(section, "data_card")["present"]


def test_eval_results_folder_and_requirements_and_code_named_like_metadata(make_release, run_cli) -> None:
    files = honest_release(
        **{
            ".eval_results/mmlu.yaml": "score: 0.25\n",
            "requirements.txt": "torch>=2.4\ntransformers\n",
            "train/args.py": "# SPDX-License-Identifier: MIT\nimport argparse\n",
        }
    )
    result = _run(make_release, run_cli, files)
    section = _section(result)
    assert ".eval_results/mmlu.yaml" in _component(section, "evaluation_results")["files"]
    libraries = _component(section, "supporting_libraries")
    assert libraries["files"] == ["requirements.txt"] and libraries["license"] is None
    assert libraries["license_status"] == "third-party"
    assert "train/args.py" not in _component(section, "model_metadata")["files"]
    assert not [f for f in findings(result, "RK703") if "supporting" in f["message"]]


def test_one_license_fact_is_one_finding(make_release, run_cli) -> None:
    llama = "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n"
    files = honest_release(
        LICENSE=llama,
        **{
            "README.md": card(FRONT_MATTER.replace("license: mit", "license: llama3.1")),
            "checkpoints/step-1000/model.safetensors": safetensors_bytes(),
        },
    )
    result = _run(make_release, run_cli, files)
    restricted = [f for f in findings(result, "RK703") if "not an open license" in f["message"]]
    assert len(restricted) == 1
    message = restricted[0]["message"]
    assert "model parameters (final) (data)" in message and "model parameters (intermediate) (data)" in message
    assert message.count("LicenseRef-llama3.1") == 1


def test_a_training_config_yaml_is_model_metadata(make_release, run_cli) -> None:
    files = honest_release(**{"configs/pretrain-7b.yaml": "optimizer:\n  lr: 3.0e-4\n"})
    section = _section(_run(make_release, run_cli, files))
    assert _component(section, "model_metadata")["files"] == ["configs/pretrain-7b.yaml"]
