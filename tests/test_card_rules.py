"""Model card rules RK401-RK414: a passing and a failing fixture each."""

from __future__ import annotations

from test_license_support import BODY, FRONT_MATTER, card, check_json, findings, honest_release

from releasekit.cardmeta.frontmatter import parse_card
from releasekit.cardmeta.sections import EXPECTED_SECTIONS, missing_sections


def _run(make_release, run_cli, **overrides):
    return check_json(run_cli, make_release(honest_release(**overrides)))


def _with_meta(make_release, run_cli, old: str, new: str):
    assert old in FRONT_MATTER
    return _run(make_release, run_cli, **{"README.md": card(FRONT_MATTER.replace(old, new))})


def test_honest_release_has_no_card_finding(make_release, run_cli) -> None:
    assert [f for f in findings(_run(make_release, run_cli)) if f["category"] == "card"] == []


def test_rk401_no_card(make_release, run_cli) -> None:
    [finding] = findings(_run(make_release, run_cli, **{"README.md": None}), "RK401")
    assert finding["severity"] == "error" and finding["path"] == "."


def test_rk402_no_front_matter_or_unclosed(make_release, run_cli) -> None:
    [finding] = findings(_run(make_release, run_cli, **{"README.md": BODY}), "RK402")
    assert finding["severity"] == "error" and finding["line"] == 1
    unclosed = "---\nlicense: mit\n\n# Tiny\n"
    [finding] = findings(_run(make_release, run_cli, **{"README.md": unclosed}), "RK402")
    assert "never closed" in finding["message"]


def test_rk403_broken_yaml_reports_the_line(make_release, run_cli) -> None:
    broken = card(FRONT_MATTER.replace("tags:\n- moe\n", "tags: [moe, fp8\n"))
    [finding] = findings(_run(make_release, run_cli, **{"README.md": broken}), "RK403")
    assert finding["severity"] == "error" and finding["path"] == "README.md"
    # PyYAML notices the problem on the next key; the message names where the list began.
    assert finding["line"] == 12 and "not valid YAML" in finding["message"] and "(line 11)" in finding["message"]


def test_rk403_duplicate_keys_and_non_mappings(make_release, run_cli) -> None:
    duplicate = card(FRONT_MATTER.replace("license: mit\n", "license: mit\nlicense: apache-2.0\n"))
    [finding] = findings(_run(make_release, run_cli, **{"README.md": duplicate}), "RK403")
    assert "duplicate key 'license'" in finding["message"] and finding["line"] == 3
    [finding] = findings(_run(make_release, run_cli, **{"README.md": "---\n- a\n- b\n---\n" + BODY}), "RK403")
    assert "mapping" in finding["message"]


def test_front_matter_never_runs_yaml_tags() -> None:
    doc = parse_card("---\nx: !!python/object/apply:os.system ['echo pwned']\n---\nbody\n")
    assert doc.metadata is None and doc.error and doc.error_line == 2


def test_rk404_license_ids(make_release, run_cli) -> None:
    [finding] = findings(_with_meta(make_release, run_cli, "license: mit\n", "license: deepseek\n"), "RK404")
    assert finding["severity"] == "error" and finding["line"] == 2
    assert "license_name: deepseek-license" in finding["message"]
    [finding] = findings(_with_meta(make_release, run_cli, "license: mit\n", "license: MIT\n"), "RK404")
    assert "`license: mit`" in finding["message"]
    [finding] = findings(_with_meta(make_release, run_cli, "license: mit\n", ""), "RK404")
    assert finding["severity"] == "warning" and "add `license: mit` (LICENSE is MIT" in finding["message"]
    for valid in ("apache-2.0", "llama3.1", "cc-by-nc-4.0", "openmdw-1.0"):
        result = _with_meta(make_release, run_cli, "license: mit\n", f"license: {valid}\n")
        assert findings(result, "RK404") == [], valid


def test_rk405_pipeline_tag(make_release, run_cli) -> None:
    bad = _with_meta(make_release, run_cli, "pipeline_tag: text-generation", "pipeline_tag: text_generation")
    [finding] = findings(bad, "RK405")
    assert finding["severity"] == "error" and "`pipeline_tag: text-generation`" in finding["message"]
    assert finding["line"] == 4
    ok = _with_meta(make_release, run_cli, "pipeline_tag: text-generation", "pipeline_tag: image-text-to-text")
    assert findings(ok, "RK405") == []


def test_rk406_library_name(make_release, run_cli) -> None:
    [finding] = findings(
        _with_meta(make_release, run_cli, "library_name: transformers", "library_name: Transformers"), "RK406"
    )
    assert finding["severity"] == "warning" and "`library_name: transformers`" in finding["message"]
    assert (
        findings(_with_meta(make_release, run_cli, "library_name: transformers", "library_name: diffusers"), "RK406")
        == []
    )


def test_rk407_language_codes(make_release, run_cli) -> None:
    result = _with_meta(make_release, run_cli, "- en\n- fr\n", "- English\n- fra\n")
    [finding] = findings(result, "RK407")
    assert finding["severity"] == "warning" and "English" in finding["message"]  # fra (ISO 639-3) is fine
    [finding] = findings(_with_meta(make_release, run_cli, "language:\n- en\n- fr\n", "language: 3\n"), "RK407")
    assert finding["severity"] == "error"


def test_rk408_base_model(make_release, run_cli) -> None:
    bad = _with_meta(
        make_release,
        run_cli,
        "base_model: example-org/tiny-base",
        "base_model: https://huggingface.co/example-org/tiny-base",
    )
    [finding] = findings(bad, "RK408")
    assert finding["severity"] == "error" and "owner/name" in finding["message"]
    merge = _with_meta(
        make_release,
        run_cli,
        "base_model: example-org/tiny-base",
        "base_model:\n- a-org/one\n- b-org/two\nbase_model_relation: merge",
    )
    assert findings(merge, "RK408") == []
    relation = _with_meta(
        make_release,
        run_cli,
        "base_model: example-org/tiny-base",
        "base_model: a-org/one\nbase_model_relation: distilled",
    )
    assert len(findings(relation, "RK408")) == 1


def test_rk409_datasets(make_release, run_cli) -> None:
    [finding] = findings(_with_meta(make_release, run_cli, "- example-org/tiny-corpus", "- my web crawl"), "RK409")
    assert finding["severity"] == "warning"


def test_rk410_model_index_required_keys(make_release, run_cli) -> None:
    result = _with_meta(make_release, run_cli, "      value: 0.5\n", "")
    [finding] = findings(result, "RK410")
    assert finding["severity"] == "error" and "model-index[0].results[0].metrics[0].value" in finding["message"]
    result = _with_meta(make_release, run_cli, "      name: Tiny Eval\n", "")
    [finding] = findings(result, "RK410")
    assert "dataset.name" in finding["message"]
    result = _with_meta(make_release, run_cli, "  - task:\n      type: text-generation\n", "  - task: {}\n")
    assert "task.type" in findings(result, "RK410")[0]["message"]


def test_rk411_field_types(make_release, run_cli) -> None:
    [finding] = findings(_with_meta(make_release, run_cli, "tags:\n- moe\n", "tags: 3\n"), "RK411")
    assert finding["severity"] == "error" and "`tags`" in finding["message"]


def test_rk412_missing_sections_are_named(make_release, run_cli) -> None:
    body = "\n# Tiny MoE\n\n## Model Details\n\nA model.\n\n## Citation\n\nnone\n"
    result = _run(make_release, run_cli, **{"README.md": card(body=body)})
    [finding] = findings(result, "RK412")  # one finding per card, naming every missing section
    named = finding["message"].split(" section")[0].removeprefix("no ").split('", "')
    assert [n.strip('"') for n in named] == [
        "Uses",
        "Bias, Risks, and Limitations",
        "How to Get Started with the Model",
        "Training Details",
        "Evaluation",
    ]
    assert finding["severity"] == "warning"


def test_rk412_headings_match_loosely() -> None:
    body = (
        "Overview\n========\n\n## Intended Use & Out-of-scope Use\n\n### Limitations and Bias\n\n## Quickstart\n\n"
        "## Pre-training\n\n## Benchmarks\n\n## How to cite\n\n```\n# not a heading\n```\n"
    )
    assert missing_sections(body) == []
    deepseek_style = (
        "## 1. Introduction\n## 2. Model Summary\n## 4. Evaluation Results\n## 6. How to Run Locally\n"
        "## 7. License\n## 8. Citation\n"
    )
    assert [s.name for s in missing_sections(deepseek_style)] == [
        "Uses",
        "Bias, Risks, and Limitations",
        "Training Details",
    ]
    code_only = "```\n# Uses\n# Evaluation\n```\n"
    assert len(missing_sections(code_only)) == len(EXPECTED_SECTIONS)


def test_rk413_transformers_needs_config_with_model_type(make_release, run_cli) -> None:
    [finding] = findings(_run(make_release, run_cli, **{"config.json": None}), "RK413")
    assert finding["severity"] == "error" and finding["path"] == "README.md"
    [finding] = findings(_run(make_release, run_cli, **{"config.json": {"hidden_size": 8}}), "RK413")
    assert finding["path"] == "config.json" and "model_type" in finding["message"]
    other = _with_meta(make_release, run_cli, "library_name: transformers", "library_name: diffusers")
    assert findings(other, "RK413") == []


def test_rk414_card_code_loads_weights_the_release_lacks(make_release, run_cli) -> None:
    loads_safetensors = BODY.replace(
        'from_pretrained("example-org/tiny-moe")',
        'from_pretrained("example-org/tiny-moe")\nstate = load_file("model.safetensors")',
    )
    pickles_only = {"model.safetensors": None, "pytorch_model.bin": b"\x80\x02}q\x00."}
    result = _run(make_release, run_cli, **pickles_only, **{"README.md": card(body=loads_safetensors)})
    [finding] = findings(result, "RK414")
    assert finding["severity"] == "warning" and "pytorch_model.bin" in finding["message"]
    loads_pickle = BODY.replace(
        'from_pretrained("example-org/tiny-moe")', 'from_pretrained("x")\nstate = torch.load("pytorch_model.bin")'
    )
    [finding] = findings(_run(make_release, run_cli, **{"README.md": card(body=loads_pickle)}), "RK414")
    assert "only safetensors" in finding["message"]
    # Consistent: safetensors code, safetensors weights.
    assert findings(_run(make_release, run_cli, **{"README.md": card(body=loads_safetensors)}), "RK414") == []
