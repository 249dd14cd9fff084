"""`releasekit card`: writing, --force, --diff, --check, --init, --output, --template-dir, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from cardgen_support import CARD_TOML, example_release

from releasekit.cardgen.settings import EVALUATION_KEYS, SETTINGS_TABLE, parse_card_settings, skeleton
from releasekit.errors import UsageError


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return example_release(tmp_path / "example")


def test_existing_card_is_kept_without_force(example: Path, run_cli) -> None:
    before = (example / "README.md").read_bytes()
    result = run_cli("card", example)
    assert result.exit_code == 2
    assert "README.md: exists and differs from the generated card" in result.stderr and "--force" in result.stderr
    assert (example / "README.md").read_bytes() == before


def test_diff_and_check_write_nothing(example: Path, run_cli) -> None:
    before = (example / "README.md").read_bytes()
    diff = run_cli("card", example, "--diff")
    assert diff.exit_code == 0
    assert diff.stdout.startswith(f"--- {example / 'README.md'} (on disk)")
    assert "+## Openness" in diff.stdout and "-# Tiny-MLA-MoE (example release)" in diff.stdout
    check = run_cli("card", example, "--check")
    assert check.exit_code == 1 and "differs" in check.stderr
    assert (example / "README.md").read_bytes() == before
    assert run_cli("card", example, "--force").exit_code == 0
    assert run_cli("card", example, "--check").exit_code == 0
    assert run_cli("card", example, "--diff").stdout == ""
    # an edit by hand is caught by --check (CI)
    (example / "README.md").write_text((example / "README.md").read_text() + "\nhand edit\n")
    assert run_cli("card", example, "--check").exit_code == 1


def test_github_readme_and_output(example: Path, tmp_path: Path, run_cli) -> None:
    assert run_cli("card", example, "--github").exit_code == 0
    text = (example / "README.github.md").read_text()
    assert not text.startswith("---") and "## Quick start" in text
    out = tmp_path / "elsewhere.md"
    assert run_cli("card", example, "--github", "--output", out).exit_code == 0
    assert out.read_text() == text
    assert run_cli("card", example, "--github", "--check").exit_code == 0


def test_write_is_atomic_and_leaves_no_temporary_file(example: Path, run_cli) -> None:
    (example / "README.md").unlink()
    assert run_cli("card", example).exit_code == 0
    assert not [p for p in example.iterdir() if p.name.endswith(".tmp")]


def test_card_never_writes_through_a_symlink(example: Path, tmp_path: Path, run_cli) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("mine\n")
    (example / "README.md").unlink()
    (example / "README.md").symlink_to(outside)
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2 and "not a regular file" in result.stderr
    assert outside.read_text() == "mine\n"


def test_init_writes_a_skeleton_with_every_key(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "bare"
    root.mkdir()
    (root / "releasekit.toml").write_text('fail-on = "warning"\n')
    result = run_cli("card", root, "--init")
    assert result.exit_code == 0, result
    text = (root / "releasekit.toml").read_text()
    assert text.startswith('fail-on = "warning"\n')  # the user's settings are kept
    parsed = tomllib.loads(text)
    assert parsed["fail-on"] == "warning" and parsed["card"] == {}
    assert "# [[card.evaluation]]" in text
    for key in [k for k in SETTINGS_TABLE if k != "evaluation"] + list(EVALUATION_KEYS):
        assert f"# {key} = " in text, key
    again = run_cli("card", root, "--init")
    assert again.exit_code == 2 and "already has a [card] table" in again.stderr


def test_init_refuses_to_shadow_pyproject_settings(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "py"
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.releasekit]\nfail-on = "warning"\n')
    result = run_cli("card", root, "--init")
    assert result.exit_code == 2 and "[tool.releasekit.card]" in result.stderr
    assert not (root / "releasekit.toml").exists()


def test_skeleton_parses_and_validates() -> None:
    assert parse_card_settings(tomllib.loads(skeleton())["card"], "releasekit.toml")["evaluation"] == []


@pytest.mark.parametrize(("table", "message"), [
    ('[card]\nnmae = "x"\n', "releasekit.toml: [card] unknown key 'nmae'"),
    ("[card]\nname = 3\n", "releasekit.toml: [card] name must be a string, not int"),
    ("[card]\ndatasets = [1]\n", "releasekit.toml: [card] datasets must be a list of non-empty strings"),
    ('[card]\npaper = "arxiv.org/abs/1"\n', "releasekit.toml: [card] paper must be an http(s) URL"),
    ('[card]\nhub_repo = "https://huggingface.co/x/y"\n', "releasekit.toml: [card] hub_repo must be a Hub repo id"),
    ('[[card.evaluation]]\nbenchmark = "MMLU"\n', "releasekit.toml: [card] evaluation #1: missing 'dataset'"),
    ('[[card.evaluation]]\nbenchmark = "MMLU"\ndataset = "cais/mmlu"\nmetric = "acc"\nvalue = "high"\n',
     "releasekit.toml: [card] evaluation #1: value must be a number, not str"),
    ('card = "x"\n', "releasekit.toml: [card] must be a table"),
    ('[card]\nbase_model_relation = "finetune"\n', "releasekit.toml: [card] base_model_relation needs base_model"),
])
def test_bad_settings_are_one_line_usage_errors(example: Path, run_cli, table: str, message: str) -> None:
    (example / "releasekit.toml").write_text(table)
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"releasekit: error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_text_names_the_key_that_provides_it(example: Path, run_cli) -> None:
    (example / "releasekit.toml").write_text(CARD_TOML.replace('limitations = "', 'xlimitations = "').replace(
        "xlimitations", "# limitations"))
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2
    assert "the card needs `limitations`: declare it in releasekit.toml [card] limitations" in result.stderr


def test_value_the_hub_would_refuse_names_the_key(example: Path, run_cli) -> None:
    (example / "releasekit.toml").write_text(CARD_TOML.replace('languages = ["en"]', 'languages = ["English"]'))
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2 and "[card] languages: the Hub would not accept the card" in result.stderr


def test_unidentified_license_needs_license_name(example: Path, run_cli) -> None:
    (example / "LICENSE").write_text("You may look at these weights on Tuesdays. Nothing else is allowed.\n")
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2 and "LICENSE: releasekit cannot identify this license text" in result.stderr
    (example / "releasekit.toml").write_text(
        CARD_TOML.replace("[card]\n", '[card]\nlicense_name = "Tuesday License"\n', 1))
    assert run_cli("card", example, "--force").exit_code == 0
    card = (example / "README.md").read_text()
    assert "license: other\nlicense_name: tuesday-license\nlicense_link: LICENSE\n" in card
    assert run_cli("check", example, "--select", "card,license", "--fail-on", "error").exit_code == 0


def test_broken_header_stops_the_card(example: Path, run_cli) -> None:
    shard = example / "model-00002-of-00002.safetensors"
    shard.write_bytes(shard.read_bytes()[:-10])
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2
    assert "model-00002-of-00002.safetensors: invalid safetensors header" in result.stderr


def test_template_dir_overrides_one_template(example: Path, tmp_path: Path, run_cli) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_evaluation.md.j2").write_text("Scores: {{ card.evaluation | length }} result(s).\n")
    assert run_cli("card", example, "--force", "--template-dir", templates).exit_code == 0
    text = (example / "README.md").read_text()
    assert "Scores: 1 result(s)." in text and "## Openness" in text
    (templates / "_evaluation.md.j2").write_text("{{ card.no_such_key }}\n")
    result = run_cli("card", example, "--force", "--template-dir", templates)
    assert result.exit_code == 2 and "'no_such_key'" in result.stderr


def test_user_and_release_text_is_escaped(example: Path, run_cli) -> None:
    toml = CARD_TOML.replace('name = "Tiny-MLA-MoE"', 'name = "Tiny: MoE #1 <b>"').replace(
        'contact = "models@example.org"', 'contact = "[click](javascript:alert(1)) | x"')
    (example / "releasekit.toml").write_text(toml)
    config = json.loads((example / "config.json").read_text())
    config["model_type"] = "deepseek_v3|<script>"
    (example / "config.json").write_text(json.dumps(config))
    assert run_cli("card", example, "--force").exit_code == 0
    text = (example / "README.md").read_text()
    assert "\n# Tiny: MoE \\#1 \\<b\\>\n" in text
    assert "\\[click\\](javascript:alert(1)) \\| x" in text
    assert "| Model type | deepseek\\_v3\\|\\<script\\> |" in text
    assert "- name: 'Tiny: MoE #1 <b>'" in text  # YAML quoted by huggingface_hub
    from huggingface_hub import ModelCard
    assert ModelCard(text).data.model_name == "Tiny: MoE #1 <b>"


def test_citation_fence_cannot_be_closed_early(example: Path, run_cli) -> None:
    toml = CARD_TOML.replace("@misc{examplelab2026tiny,", "@misc{x,\n```\n# injected heading")
    (example / "releasekit.toml").write_text(toml)
    assert run_cli("card", example, "--force").exit_code == 0
    text = (example / "README.md").read_text()
    assert "````bibtex\n@misc{x,\n```\n# injected heading" in text


def test_settings_must_be_in_a_folder(tmp_path: Path, run_cli) -> None:
    result = run_cli("card", tmp_path / "missing")
    assert result.exit_code == 2


def test_parse_card_settings_fills_defaults() -> None:
    settings = parse_card_settings({"datasets": "org/corpus"}, "releasekit.toml")
    assert settings["datasets"] == ["org/corpus"] and settings["name"] is None and settings["evaluation"] == []
    with pytest.raises(UsageError):
        parse_card_settings({"summary": "  "}, "releasekit.toml")


def test_docs_list_every_card_key() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "card.md").read_text(encoding="utf-8")
    for key in list(SETTINGS_TABLE) + list(EVALUATION_KEYS):
        assert f"| `{key}` |" in docs, f"docs/card.md does not document [card] {key}"


def test_hostile_config_values_give_a_card_or_a_clear_error(example: Path, run_cli) -> None:
    config = json.loads((example / "config.json").read_text())
    config.update({"architectures": [{"x": 1}], "rope_scaling": {"type": ["yarn"], "factor": {"a": 1}},
                   "quantization_config": "fp8", "num_experts_per_tok": True, "max_position_embeddings": "1e9"})
    (example / "config.json").write_text(json.dumps(config))
    result = run_cli("card", example, "--force")
    # experts-per-token is not a count any more: the activated parameters cannot be computed
    assert result.exit_code == 2 and "config.json: the weights hold routed experts" in result.stderr, result
    config["num_experts_per_tok"] = 2
    (example / "config.json").write_text(json.dumps(config))
    assert run_cli("card", example, "--force").exit_code == 0
    text = (example / "README.md").read_text()
    assert "- **Model type:** deepseek\\_v3" in text and "| Context length | 1e9 |" in text
    (example / "config.json").write_text("[1, 2]")
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2 and "config.json: missing or not a JSON object" in result.stderr


def test_non_finite_scores_are_refused(example: Path, run_cli) -> None:
    (example / "releasekit.toml").write_text(CARD_TOML.replace("value = 0.25", "value = nan"))
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2 and "value must be a finite number" in result.stderr


def test_every_declared_key_reaches_the_card(example: Path, run_cli) -> None:
    extra = '''base_model = "deepseek-ai/DeepSeek-V3"
base_model_relation = "finetune"
datasets = ["example-lab/corpus"]
tags = ["example", "moe"]
paper = "https://arxiv.org/abs/2412.19437"
github_repo = "https://github.com/example-lab/tiny-mla-moe"
demo = "https://example.org/demo"
environmental_impact = "About 1 GPU-second on one H200."
'''
    (example / "releasekit.toml").write_text(CARD_TOML.replace("[card]\n", "[card]\n" + extra, 1))
    assert run_cli("card", example, "--force").exit_code == 0
    assert run_cli("card", example, "--github").exit_code == 0
    from huggingface_hub import ModelCard
    card = ModelCard.load(example / "README.md")
    data = card.data.to_dict()
    assert data["base_model"] == "deepseek-ai/DeepSeek-V3" and data["base_model_relation"] == "finetune"
    assert data["datasets"] == ["example-lab/corpus"]
    assert data["tags"].count("moe") == 1 and "example" in data["tags"]
    text = card.text
    for expected in ("## Out-of-Scope Use", "## Environmental Impact\n\nAbout 1 GPU-second on one H200.",
                     "## Model Card Contact", "- **Derived from:** deepseek-ai/DeepSeek-V3 (finetune)",
                     "- **Paper:** [https://arxiv.org/abs/2412.19437](<https://arxiv.org/abs/2412.19437>)",
                     "- **Demo:**", "- **Code:**"):
        assert expected in text, expected
    readme = (example / "README.github.md").read_text()
    assert "- **Hub:** [example-lab/tiny-mla-moe](<https://huggingface.co/example-lab/tiny-mla-moe>)" in readme
    check = run_cli("check", example, "--select", "card,license", "--fail-on", "info", "--format", "json")
    assert check.json()["findings"] == []


def test_without_a_card_table_the_error_points_to_init(example: Path, run_cli) -> None:
    (example / "releasekit.toml").unlink()
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2
    assert "the card needs `summary`" in result.stderr and "--init" in result.stderr


def test_prose_is_data_not_template_and_fences_must_close(example: Path, run_cli) -> None:
    toml = CARD_TOML.replace('limitations = "', 'limitations = "{{ 7 * 7 }} {% if true %}x{% endif %} ')
    (example / "releasekit.toml").write_text(toml)
    assert run_cli("card", example, "--force").exit_code == 0
    assert "{{ 7 * 7 }} {% if true %}x{% endif %} The model is untrained" in (example / "README.md").read_text()
    (example / "releasekit.toml").write_text(CARD_TOML.replace('training = "', 'training = "```\\n'))
    result = run_cli("card", example, "--force")
    assert result.exit_code == 2 and "[card] training opens a code fence it does not close" in result.stderr
