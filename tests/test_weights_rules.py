"""The weights rules on DeepSeek-style checkpoints: index, config against weights, FP8 scales, Hub limits."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from releasekit.config import Settings
from releasekit.deepseek_layout import TensorSpec, tensor_specs
from releasekit.engine import audit
from releasekit.example import TINY_CONFIG, build_example, write_checkpoint
from releasekit.release import walk
from tests.builders import safetensors_bytes, write_index

Specs = list[TensorSpec]


def findings(root: Path, select: str = "weights") -> list[tuple[str, str, str]]:
    report = audit(walk(root), Settings(select=frozenset({select})))
    return [(f.rule, f.path, f.message) for f in report.findings]


def rules(root: Path) -> set[str]:
    return {rule for rule, _, _ in findings(root)}


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return build_example(tmp_path / "example")


def with_config(root: Path, **changes: Any) -> Path:
    config = json.loads((root / "config.json").read_text())
    for key, value in changes.items():
        if value is ...:
            config.pop(key, None)
        else:
            config[key] = value
    (root / "config.json").write_text(json.dumps(config))
    return root


def checkpoint(tmp_path: Path, edit: Callable[[Specs], Specs], config: dict[str, Any] | None = None,
               shards: int = 2) -> Path:
    """A release with the tiny model's config and its tensor list passed through `edit`."""
    root = tmp_path / "release"
    root.mkdir()
    config = config or TINY_CONFIG
    (root / "config.json").write_text(json.dumps(config))
    write_checkpoint(root, edit(tensor_specs(config)), shards)
    return root


def replace_shape(specs: Specs, name: str, shape: tuple[int, ...]) -> Specs:
    return [dataclasses.replace(s, shape=shape) if s.name == name else s for s in specs]


def test_the_example_release_is_clean(example: Path) -> None:
    assert findings(example) == []


# --- sharded checkpoints -------------------------------------------------------------------------

def test_missing_shard(example: Path) -> None:
    (example / "model-00002-of-00002.safetensors").unlink()
    hits = findings(example)
    assert ("RK111", "model.safetensors.index.json") in {(r, p) for r, p, _ in hits}
    assert any("model-00002-of-00002.safetensors is missing" in m for _, _, m in hits)


def test_symlinked_shard_is_not_followed_and_reported(example: Path, tmp_path: Path) -> None:
    shard = example / "model-00002-of-00002.safetensors"
    outside = tmp_path / "elsewhere.safetensors"
    shard.rename(outside)
    shard.symlink_to(outside)
    hits = findings(example)
    assert any(r == "RK111" and "is a symlink" in m for r, _, m in hits)


def test_index_maps_tensor_to_wrong_shard(example: Path) -> None:
    index = json.loads((example / "model.safetensors.index.json").read_text())
    index["weight_map"]["lm_head.weight"] = "model-00001-of-00002.safetensors"
    (example / "model.safetensors.index.json").write_text(json.dumps(index))
    hits = findings(example)
    assert any(r == "RK112" and "lm_head.weight" in m for r, _, m in hits)


def test_tensor_missing_from_index(example: Path) -> None:
    index = json.loads((example / "model.safetensors.index.json").read_text())
    del index["weight_map"]["model.norm.weight"]
    (example / "model.safetensors.index.json").write_text(json.dumps(index))
    hits = findings(example)
    assert ("RK113", "model-00002-of-00002.safetensors") in {(r, p) for r, p, _ in hits}
    assert any("model.norm.weight" in m for r, _, m in hits if r == "RK113")


def test_tensor_held_by_two_shards(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "a.safetensors").write_bytes(safetensors_bytes([("x", "F32", [2])]))
    (root / "b.safetensors").write_bytes(safetensors_bytes([("x", "F32", [2]), ("y", "F32", [2])]))
    write_index(root, {"x": "a.safetensors", "y": "b.safetensors"}, total_size=24)
    hits = findings(root)
    assert [(r, m) for r, _, m in hits] == [
        ("RK114", "tensor x is held by 2 shards (a.safetensors, b.safetensors): keep one copy")]


def test_stray_shard(example: Path) -> None:
    (example / "model-00003-of-00003.safetensors").write_bytes(safetensors_bytes([("old", "F32", [1])]))
    hits = findings(example)
    assert ("RK115", "model-00003-of-00003.safetensors") in {(r, p) for r, p, _ in hits}


@pytest.mark.parametrize("total_size", [1, "4 GB", None])
def test_total_size_must_agree(example: Path, total_size: Any) -> None:
    index = json.loads((example / "model.safetensors.index.json").read_text())
    if total_size is None:
        del index["metadata"]["total_size"]
    else:
        index["metadata"]["total_size"] = total_size
    (example / "model.safetensors.index.json").write_text(json.dumps(index))
    assert "RK116" in rules(example)


def test_index_values_json_and_orjson_read_differently_are_judged_exactly(example: Path) -> None:
    """The index is read with orjson, which reads a 65-bit integer as a float and refuses NaN: such
    indexes take the strict path, so a huge total_size is compared as the integer it is, and NaN or
    a duplicate key in the metadata is still an invalid index."""
    path = example / "model.safetensors.index.json"
    text = path.read_text()
    index = json.loads(text)
    assert index["metadata"] == {"total_size": 4601984}
    index["metadata"]["total_size"] = 2**70
    path.write_text(json.dumps(index))
    hits = [m for r, _, m in findings(example) if r == "RK116"]
    assert len(hits) == 1 and f"metadata.total_size is {2**70:,} but the shards hold" in hits[0]
    index["metadata"] = "METADATA"
    for metadata in ('{"total_size": 4601984, "note": NaN}', '{"total_size": 4601984, "total_size": 4601984}'):
        path.write_text(json.dumps(index).replace('"METADATA"', metadata))
        assert "RK110" in rules(example), metadata
    path.write_text(text)
    assert "RK110" not in rules(example)


@pytest.mark.parametrize(
    "document",
    ["not json", "[]", '{"weight_map": 3}', '{"weight_map": {"a": "x", "a": "y"}}',
     '{"weight_map": {"a": "../outside.safetensors"}}', '{"weight_map": {"a": "/etc/passwd"}}'],
)
def test_broken_or_hostile_index(tmp_path: Path, document: str) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "model.safetensors.index.json").write_text(document)
    assert "RK110" in rules(root)


def test_shards_without_index(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    for n in (1, 3):
        (root / f"model-0000{n}-of-00003.safetensors").write_bytes(safetensors_bytes([(f"t{n}", "F32", [1])]))
    hits = findings(root)
    assert len([h for h in hits if h[0] == "RK117"]) == 1
    assert "shard number(s) 2 of 3 also missing" in next(m for r, _, m in hits if r == "RK117")


def test_a_single_unsharded_file_needs_no_index(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "model.safetensors").write_bytes(safetensors_bytes([("w", "F32", [2, 2])]))
    assert findings(root) == []


# --- config.json against the weights -----------------------------------------------------------

def test_missing_decoder_layer(tmp_path: Path) -> None:
    root = checkpoint(tmp_path, lambda specs: [s for s in specs if not s.name.startswith("model.layers.1.")])
    hits = findings(root)
    assert any(r == "RK120" and "layer(s) 1" in m and "random weights" in m for r, _, m in hits)


def test_layers_beyond_the_stack_and_mtp(example: Path) -> None:
    with_config(example, num_nextn_predict_layers=...)
    hits = findings(example)
    assert any(r == "RK120" and "layer(s) 3 are beyond num_hidden_layers=3" in m for r, _, m in hits)


def test_mtp_layer_declared_but_not_shipped_is_info(tmp_path: Path) -> None:
    root = checkpoint(tmp_path, lambda specs: [s for s in specs if not s.name.startswith("model.layers.3.")])
    report = audit(walk(root), Settings(select=frozenset({"weights"})))
    mtp = [f for f in report.findings if f.rule == "RK120"]
    assert len(mtp) == 1 and mtp[0].severity.value == "info" and "MTP" in mtp[0].message
    assert report.exit_code == 0


def test_vocab_and_hidden_size(example: Path) -> None:
    with_config(example, vocab_size=2048)
    hits = findings(example)
    vocab = [m for r, _, m in hits if r == "RK121"]
    # the embedding, the head, and the MTP layer's own embedding and head
    assert len(vocab) == 4 and all("vocab_size is 2,048" in m for m in vocab)


def test_hidden_size_mismatch_reports_norms_once_per_role(tmp_path: Path) -> None:
    root = checkpoint(tmp_path, lambda s: s)
    with_config(root, hidden_size=512)
    hits = findings(root)
    norms = [m for r, _, m in hits if r == "RK122" and "input_layernorm" in m]
    assert norms == ["layers 0-3: input_layernorm.weight is [256], but config.json hidden_size=512"]


@pytest.mark.parametrize(
    ("field", "value", "tensor"),
    [("kv_lora_rank", 128, "kv_b_proj"), ("qk_rope_head_dim", 32, "kv_a_proj_with_mqa"),
     ("q_lora_rank", 64, "q_a_proj"), ("v_head_dim", 16, "o_proj"), ("num_attention_heads", 8, "q_b_proj"),
     ("qk_nope_head_dim", 64, "kv_b_proj")],
)
def test_mla_dimensions(example: Path, field: str, value: int, tensor: str) -> None:
    with_config(example, **{field: value})
    hits = [m for r, _, m in findings(example) if r == "RK123"]
    assert any(tensor in m and f"{field}={value}" in m for m in hits), hits


def test_mla_without_query_compression_expects_q_proj(example: Path) -> None:
    with_config(example, q_lora_rank=None)
    hits = [m for r, _, m in findings(example) if r == "RK123"]
    assert any("q_proj.weight is missing" in m and "q_lora_rank=null" in m for m in hits)


def test_silent_config_is_not_an_error(example: Path) -> None:
    with_config(example, kv_lora_rank=..., q_lora_rank=..., n_routed_experts=..., vocab_size=..., hidden_size=...,
                num_hidden_layers=..., quantization_config=...)
    # Only the FP8 config rule remains relevant: FP8 tensors with no quantization_config.
    assert rules(example) == {"RK133"}


def test_moe_expert_count(example: Path) -> None:
    with_config(example, n_routed_experts=8)
    hits = [m for r, _, m in findings(example) if r == "RK124"]
    assert any("lacks expert(s) 4-7" in m for m in hits)
    assert any("mlp.gate.weight is [4, 256]" in m for m in hits)


def test_missing_expert(tmp_path: Path) -> None:
    root = checkpoint(tmp_path, lambda specs: [s for s in specs if ".mlp.experts.2." not in s.name or "layers.2." not in s.name])
    hits = [m for r, _, m in findings(root) if r == "RK124"]
    assert hits == ["layer(s) 2 lacks expert(s) 2 config.json n_routed_experts=4"]


def test_first_k_dense_replace(example: Path) -> None:
    with_config(example, first_k_dense_replace=2)
    hits = [m for r, _, m in findings(example) if r == "RK124"]
    assert any("first_k_dense_replace=2 but layer(s) 1 have routed experts" in m for m in hits)


def test_expert_intermediate_size(example: Path) -> None:
    with_config(example, moe_intermediate_size=256)
    hits = [m for r, _, m in findings(example) if r == "RK124"]
    assert any("experts.*.gate_proj.weight" in m for m in hits)
    assert any("shared_experts" in m for m in hits)


def test_dense_intermediate_size(example: Path) -> None:
    with_config(example, intermediate_size=512)
    hits = [m for r, _, m in findings(example) if r == "RK126"]
    assert len(hits) == 3 and all(m.startswith("layer 0:") for m in hits)


def test_tied_embeddings(example: Path, tmp_path: Path) -> None:
    with_config(example, tie_word_embeddings=True)
    hits = findings(example)
    assert any(r == "RK125" and "lm_head.weight is ignored" in m for r, _, m in hits)
    untied_no_head = checkpoint(tmp_path, lambda specs: [s for s in specs if s.name != "lm_head.weight"])
    hits = findings(untied_no_head)
    assert any(r == "RK125" and "initialised at random" in m for r, _, m in hits)


def test_standard_attention_gqa(tmp_path: Path) -> None:
    root = tmp_path / "llama"
    root.mkdir()
    config = {"hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 1,
              "vocab_size": 10, "intermediate_size": 128}
    (root / "config.json").write_text(json.dumps(config))
    tensors = [("model.embed_tokens.weight", "BF16", [10, 64]), ("model.layers.0.self_attn.q_proj.weight", "BF16", [64, 64]),
               ("model.layers.0.self_attn.k_proj.weight", "BF16", [32, 64]),
               ("model.layers.0.self_attn.v_proj.weight", "BF16", [64, 64]),  # wrong: 2 kv heads x 16
               ("model.layers.0.self_attn.o_proj.weight", "BF16", [64, 64]),
               ("model.layers.0.mlp.gate_proj.weight", "BF16", [128, 64]), ("lm_head.weight", "BF16", [10, 64])]
    (root / "model.safetensors").write_bytes(safetensors_bytes(tensors))
    hits = [m for r, _, m in findings(root) if r.startswith("RK12")]
    assert hits == ["layer 0: self_attn.v_proj.weight is [64, 64], but config.json num_key_value_heads=2 x head_dim=16 gives [32, 64]"]


# --- FP8 block scales ----------------------------------------------------------------------------

def test_fp8_weight_without_scale(tmp_path: Path) -> None:
    root = checkpoint(tmp_path, lambda specs: [s for s in specs if s.name != "model.layers.0.self_attn.o_proj.weight_scale_inv"])
    hits = findings(root)
    assert any(r == "RK130" and "model.layers.0.self_attn.o_proj.weight" in m for r, _, m in hits)


def test_fp8_scale_with_ragged_blocks(tmp_path: Path) -> None:
    # intermediate_size 320 = 2.5 blocks: the scale must have ceil(320/128) = 3 rows, not 2.
    root = checkpoint(tmp_path, lambda s: replace_shape(s, "model.layers.0.mlp.gate_proj.weight_scale_inv", (2, 2)))
    hits = [m for r, _, m in findings(root) if r == "RK131"]
    assert hits == ["model.layers.0.mlp.gate_proj.weight_scale_inv is [2, 2] but model.layers.0.mlp.gate_proj.weight "
                    "[320, 256] in 128x128 blocks needs [3, 2]"]


def test_fp8_scale_dtype(tmp_path: Path) -> None:
    def bf16_scale(specs: Specs) -> Specs:
        return [dataclasses.replace(s, dtype="BF16") if s.name.endswith("q_a_proj.weight_scale_inv") and "layers.1." in s.name
                else s for s in specs]

    hits = [m for r, _, m in findings(checkpoint(tmp_path, bf16_scale)) if r == "RK131"]
    assert hits == ["model.layers.1.self_attn.q_a_proj.weight_scale_inv is BF16, not F32"]


def test_orphan_scale(tmp_path: Path) -> None:
    def dequantized(specs: Specs) -> Specs:
        return [dataclasses.replace(s, dtype="BF16") if s.name == "model.layers.2.self_attn.o_proj.weight" else s
                for s in specs]

    hits = findings(checkpoint(tmp_path, dequantized))
    assert any(r == "RK132" and "model.layers.2.self_attn.o_proj.weight_scale_inv" in m for r, _, m in hits)


def test_scales_stored_in_another_order_than_their_weights_are_still_paired(tmp_path: Path) -> None:
    """The form-by-form pairing needs scale i to follow weight i; other orders take the exact path."""
    def reordered(specs: Specs) -> Specs:
        scales = [s for s in specs if s.name.endswith("_scale_inv")]
        return [s for s in specs if not s.name.endswith("_scale_inv")] + scales[::-1]

    assert not {"RK130", "RK131", "RK132"} & rules(checkpoint(tmp_path, reordered))


def test_a_scale_whose_name_differs_only_in_digits_is_not_its_weights_scale(tmp_path: Path) -> None:
    """'experts.01...' is not 'experts.1...': a scale must be named exactly like its weight."""
    def renamed(specs: Specs) -> Specs:
        return [dataclasses.replace(s, name=s.name.replace(".experts.1.", ".experts.01."))
                if s.name.endswith("_scale_inv") and ".experts.1." in s.name and "layers.1." in s.name else s
                for s in specs]

    hits = findings(checkpoint(tmp_path, renamed))
    assert any(r == "RK130" and "model.layers.1.mlp.experts.1." in m for r, _, m in hits)
    assert any(r == "RK132" and "model.layers.1.mlp.experts.01." in m for r, _, m in hits)


def test_block_size_follows_the_config(example: Path) -> None:
    with_config(example, quantization_config={"quant_method": "fp8", "weight_block_size": [64, 64]})
    assert "RK131" in rules(example)


@pytest.mark.parametrize("block", [[128], [0, 128], "128x128", [128.0, 128]])
def test_bad_block_size_declaration(example: Path, block: Any) -> None:
    with_config(example, quantization_config={"quant_method": "fp8", "weight_block_size": block})
    assert "RK133" in rules(example)


def test_fp8_declared_without_fp8_weights_is_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "config.json").write_text(json.dumps({"quantization_config": {"quant_method": "fp8"}}))
    (root / "model.safetensors").write_bytes(safetensors_bytes([("w", "BF16", [2, 2])]))
    report = audit(walk(root), Settings(select=frozenset({"weights"})))
    assert [(f.rule, f.severity.value) for f in report.findings] == [("RK133", "warning")]


# --- Hub limits ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("size_gb", "rule"), [(199, None), (201, "RK108"), (501, "RK107")])
def test_hub_file_size_limits(tmp_path: Path, size_gb: int, rule: str | None) -> None:
    root = tmp_path / "r"
    root.mkdir()
    with open(root / "blob.bin", "wb") as handle:  # sparse: costs no disk
        handle.truncate(size_gb * 10**9)
    hits = [r for r, _, _ in findings(root) if r in {"RK107", "RK108"}]
    assert hits == ([rule] if rule else [])


# --- hostile input end to end --------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from scripts.fuzz_check import mutate, seed_files  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), picks=st.sets(st.sampled_from(
    ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json",
     "config.json"]), min_size=1))
def test_mutated_checkpoints_give_findings_never_crashes(tmp_path_factory, seed: int, picks: set[str]) -> None:
    """The fuzz script's mutations (scripts/fuzz_check.py runs them for hours) through the whole engine."""
    import random

    rng = random.Random(seed)
    files = seed_files(rng)
    for name in sorted(picks):
        files[name] = mutate(files[name], rng)
    root = tmp_path_factory.mktemp("mutant")
    for name, data in files.items():
        (root / name).write_bytes(data)
    report = audit(walk(root), Settings())
    assert not [f for f in report.findings if f.rule == "RK001"]
    assert all("\n" not in f.message for f in report.findings)
