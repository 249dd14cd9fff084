"""Release layout rules: auto_map code files (RK610), tokenizer files (RK611), convert's staging folder (RK612)."""

from __future__ import annotations

from releasekit.engine import check_path
from releasekit.hygiene.layout import auto_map_references, module_file, needs_tokenizer

_DEEPSEEK_AUTO_MAP = {
    "AutoConfig": "configuration_deepseek.DeepseekV3Config",
    "AutoModel": "modeling_deepseek.DeepseekV3Model",
    "AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM",
}
_TEXT_CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32000}
_WEIGHTS = {"model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      "}


def _rules(root, rule: str) -> list:
    return [f for f in check_path(root, select=rule).findings if f.rule == rule]


def test_auto_map_naming_a_missing_modeling_file_is_an_error(make_release) -> None:
    root = make_release({"config.json": {"auto_map": _DEEPSEEK_AUTO_MAP}, "configuration_deepseek.py": "x = 1\n"})
    found = _rules(root, "RK610")
    assert len(found) == 1
    assert found[0].severity.value == "error"
    assert "modeling_deepseek.py" in found[0].message and "AutoModelForCausalLM" in found[0].message


def test_auto_map_with_every_file_shipped_passes(make_release) -> None:
    root = make_release({"config.json": {"auto_map": _DEEPSEEK_AUTO_MAP}, "configuration_deepseek.py": "x = 1\n",
                         "modeling_deepseek.py": "y = 2\n"})
    assert _rules(root, "RK610") == []


def test_tokenizer_auto_map_lists_and_other_repositories(make_release) -> None:
    tok = {"auto_map": {"AutoTokenizer": ["tokenization_x.XTokenizer", None]}}
    cfg = {"auto_map": {"AutoModel": "org/other--modeling_x.XModel"}}  # code from another repository
    root = make_release({"config.json": cfg, "tokenizer_config.json": tok})
    found = _rules(root, "RK610")
    assert [f.path for f in found] == ["tokenizer_config.json"]
    assert "tokenization_x.py" in found[0].message


def test_auto_map_that_is_not_an_object_is_an_error(make_release) -> None:
    assert len(_rules(make_release({"config.json": {"auto_map": "modeling_x.X"}}), "RK610")) == 1


def test_module_paths() -> None:
    assert module_file("modeling_x.Cls") == "modeling_x.py"
    assert module_file("models.modeling_x.Cls") == "models/modeling_x.py"
    assert module_file("NoDot") is None
    assert list(auto_map_references({"A": ["m.A", None], "B": "r/x--m.B"})) == [("A", "m.A")]


def test_text_model_with_weights_and_no_tokenizer_is_a_warning(make_release) -> None:
    found = _rules(make_release({"config.json": _TEXT_CONFIG, **_WEIGHTS}), "RK611")
    assert len(found) == 1 and found[0].severity.value == "warning"


def test_tokenizer_in_any_form_or_folder_passes(make_release) -> None:
    for name in ("tokenizer.json", "tokenizer.model", "tokenizer/tokenizer_config.json", "vocab.txt", "qwen.tiktoken"):
        root = make_release({"config.json": _TEXT_CONFIG, **_WEIGHTS, name: "{}"})
        assert _rules(root, "RK611") == [], name


def test_releases_that_legitimately_have_no_tokenizer_pass(make_release) -> None:
    vision = {"model_type": "vit", "architectures": ["ViTForImageClassification"], "num_labels": 1000}
    detr = {"model_type": "detr", "architectures": ["DetrForObjectDetection"], "vocab_size": 0}
    elsewhere = {**_TEXT_CONFIG, "tokenizer_name_or_path": "meta-llama/Llama-2-7b-hf"}
    for config in (vision, detr, elsewhere):
        assert _rules(make_release({"config.json": config, **_WEIGHTS}), "RK611") == [], config
    # GGUF carries its tokenizer; a Trainer's pickles beside a config are not weights.
    assert _rules(make_release({"config.json": _TEXT_CONFIG, "model-Q4_K_M.gguf": b"GGUF"}), "RK611") == []
    assert _rules(make_release({"config.json": _TEXT_CONFIG, "training_args.bin": b"x", "optimizer.pt": b"x"}),
                  "RK611") == []
    # No weights yet (a config-only repository) and no config at all: nothing to say.
    assert _rules(make_release({"config.json": _TEXT_CONFIG}), "RK611") == []
    assert _rules(make_release(_WEIGHTS), "RK611") == []


def test_needs_tokenizer_reads_nested_text_configs() -> None:
    multimodal = {"model_type": "llava", "architectures": ["LlavaForConditionalGeneration"],
                  "text_config": {"vocab_size": 32064}}
    assert needs_tokenizer(multimodal, [])
    assert not needs_tokenizer({**multimodal}, ["model_index.json"])


def test_convert_staging_folder_is_an_error_naming_the_fix(make_release) -> None:
    root = make_release({"weights/.releasekit-convert/model.safetensors.partial": b"x",
                         "weights/.releasekit-convert/state.json": "{}"})
    found = _rules(root, "RK612")
    assert [f.path for f in found] == ["weights/.releasekit-convert"]
    assert "delete it or rerun convert to finish" in found[0].message


def test_empty_staging_folder_is_still_reported(make_release) -> None:
    root = make_release({"a.txt": "x"})
    (root / ".releasekit-convert").mkdir()
    assert [f.path for f in _rules(root, "RK612")] == [".releasekit-convert"]
