"""`check` on releases assembled from real public files (tests/real_releases/<model>/).

Each folder holds the real card, license files, code and config of a well-known open model (each
file's source and license in its SOURCES.md). The weights are built here as sparse safetensors
shaped by the real config (headers exact, data all zeros, nothing written but the headers), so
the corpus stays small. `expected.json` lists every finding `check` must give, judged one by one
(docs/licenses-cards-openness.md says why each is right): a new finding, or a missing one,
fails the test.

Refresh an expectation after judging it: `REALRELEASES_WRITE=1 pytest tests/test_real_releases.py`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG, V3_SHARDS, TensorSpec, tensor_specs, write_sparse_checkpoint

CORPUS = Path(__file__).parent / "real_releases"
COPY_IGNORE = shutil.ignore_patterns("expected.json", "SOURCES.md", ".ruff_cache", "__pycache__")
RELEASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
_DTYPES = {"bfloat16": "BF16", "float16": "F16", "float32": "F32"}


def llama_family_specs(config: dict[str, Any]) -> list[TensorSpec]:
    """The Hugging Face tensor names and shapes of Llama, Mistral, Qwen2 and OLMo-2 checkpoints."""
    dtype = _DTYPES[config["torch_dtype"]]
    hidden, layers, vocab = config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]
    heads, kv_heads = config["num_attention_heads"], config.get("num_key_value_heads", config["num_attention_heads"])
    head_dim = config.get("head_dim") or hidden // heads
    inter = config["intermediate_size"]
    olmo2 = config["model_type"] == "olmo2"
    specs = [TensorSpec("model.embed_tokens.weight", dtype, (vocab, hidden))]
    for i in range(layers):
        p = f"model.layers.{i}."
        specs += [
            TensorSpec(p + "self_attn.q_proj.weight", dtype, (heads * head_dim, hidden)),
            TensorSpec(p + "self_attn.k_proj.weight", dtype, (kv_heads * head_dim, hidden)),
            TensorSpec(p + "self_attn.v_proj.weight", dtype, (kv_heads * head_dim, hidden)),
            TensorSpec(p + "self_attn.o_proj.weight", dtype, (hidden, heads * head_dim)),
            TensorSpec(p + "mlp.gate_proj.weight", dtype, (inter, hidden)),
            TensorSpec(p + "mlp.up_proj.weight", dtype, (inter, hidden)),
            TensorSpec(p + "mlp.down_proj.weight", dtype, (hidden, inter)),
            TensorSpec(p + "post_attention_layernorm.weight", dtype, (hidden,)),
        ]
        if olmo2:
            specs += [
                TensorSpec(p + "self_attn.q_norm.weight", dtype, (heads * head_dim,)),
                TensorSpec(p + "self_attn.k_norm.weight", dtype, (kv_heads * head_dim,)),
                TensorSpec(p + "post_feedforward_layernorm.weight", dtype, (hidden,)),
            ]
        else:
            specs.append(TensorSpec(p + "input_layernorm.weight", dtype, (hidden,)))
    specs.append(TensorSpec("model.norm.weight", dtype, (hidden,)))
    if not config.get("tie_word_embeddings"):
        specs.append(TensorSpec("lm_head.weight", dtype, (vocab, hidden)))
    return specs


def build(name: str, dest: Path) -> Path:
    shutil.copytree(CORPUS / name, dest, ignore=COPY_IGNORE)
    config_path = dest / "config.json"
    if name == "deepseek-v3":  # the Hub's config.json, as releasekit.deepseek_layout keeps it
        config_path.write_text(json.dumps(DEEPSEEK_V3_CONFIG, indent=2) + "\n")
        write_sparse_checkpoint(dest, tensor_specs(DEEPSEEK_V3_CONFIG), V3_SHARDS)
    else:
        config = json.loads(config_path.read_text())
        size = sum(s.nbytes for s in llama_family_specs(config))
        write_sparse_checkpoint(dest, llama_family_specs(config), max(1, round(size / 5e9)))
    # Every one of these releases ships its tokenizer (tokenizer.json and tokenizer_config.json on
    # the Hub, several MB); the corpus stands it in with the class its config names (SOURCES.md).
    (dest / "tokenizer_config.json").write_text(json.dumps(TOKENIZER_CLASS[name]) + "\n")
    return dest


TOKENIZER_CLASS = {
    "deepseek-v3": {"tokenizer_class": "LlamaTokenizerFast"},
    "llama-3.1-8b": {"tokenizer_class": "PreTrainedTokenizerFast"},
    "mistral-7b": {"tokenizer_class": "LlamaTokenizer"},
    "olmo-2-7b": {"tokenizer_class": "GPT2Tokenizer"},
}


def summarize(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings, as compared: rule, severity, path (messages may be reworded)."""
    return sorted(
        ({"rule": f["rule"], "severity": f["severity"], "path": f["path"]} for f in result["findings"]),
        key=lambda f: (f["rule"], f["path"], f["severity"]),
    )


@pytest.mark.parametrize("name", RELEASES)
def test_real_release_gives_exactly_its_judged_findings(name: str, tmp_path: Path, run_cli) -> None:
    root = build(name, tmp_path / name)
    result = run_cli("check", root, "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result
    data = result.json()
    got = summarize(data)
    expected_file = CORPUS / name / "expected.json"
    if os.environ.get("REALRELEASES_WRITE"):
        entries = sorted(
            ({k: f[k] for k in ("rule", "severity", "path", "message")} for f in data["findings"]),
            key=lambda f: (f["rule"], f["path"], f["severity"], f["message"]),
        )
        expected_file.write_text(json.dumps({"findings": entries}, indent=2, ensure_ascii=False) + "\n")
    expected = [
        {k: f[k] for k in ("rule", "severity", "path")} for f in json.loads(expected_file.read_text())["findings"]
    ]
    new = [f for f in got if f not in expected]
    gone = [f for f in expected if f not in got]
    assert not new and not gone, f"new findings: {new}; expected but gone: {gone}"


def test_the_corpus_covers_the_release_kinds_the_issue_names() -> None:
    assert {"deepseek-v3", "llama-3.1-8b", "mistral-7b", "olmo-2-7b"} <= set(RELEASES)
    for name in RELEASES:
        sources = (CORPUS / name / "SOURCES.md").read_text()
        assert "https://github.com/" in sources and "| file | source | license |" in sources
        for path in (CORPUS / name).rglob("*"):
            if path.is_file() and path.name not in ("SOURCES.md", "expected.json", "config.json"):
                assert f"`{path.relative_to(CORPUS / name).as_posix()}`" in sources, path


def test_deepseek_card_must_name_the_model_license_not_the_code_one(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "deepseek-v3"
    shutil.copytree(CORPUS / "deepseek-v3", root, ignore=COPY_IGNORE)
    readme = root / "README.md"
    body = readme.read_text().split("---\n", 2)[2]

    def license_findings(front: str) -> list[dict[str, Any]]:
        readme.write_text(f"---\nlibrary_name: transformers\n{front}---\n{body}")
        result = run_cli("check", root, "--format", "json", "--select", "license", "--fail-on", "never")
        return result.json()["findings"]

    [mismatch] = license_findings("license: mit\n")
    assert (mismatch["rule"], mismatch["severity"]) == ("RK304", "error")
    assert (
        "LICENSE-CODE" in mismatch["message"] and "LICENSE-MODEL is LicenseRef-deepseek-license" in mismatch["message"]
    )
    assert license_findings("license: other\nlicense_name: deepseek-license\nlicense_link: LICENSE-MODEL\n") == []
