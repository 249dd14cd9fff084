"""Weight facts read from headers: shards, dtype shares, FP8 block size, and the errors that stop a card."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import safetensors_bytes, write_index

from releasekit.cardgen.facts import CardError, architecture, weight_facts
from releasekit.config import Settings
from releasekit.context import Context
from releasekit.release import walk


def _facts(root: Path):
    return weight_facts(Context(walk(root), Settings()))


def test_dtype_shares_and_fp8_block_inferred_from_shapes(make_release) -> None:
    weights = safetensors_bytes([("a.weight", "F8_E4M3", [256, 128]), ("a.weight_scale_inv", "F32", [4, 2]),
                                 ("b.weight", "BF16", [64, 128])])
    root = make_release({"model.safetensors": weights, "config.json": {"model_type": "x"}})
    facts = _facts(root)
    assert [(d.dtype, d.nbytes) for d in facts.dtypes] == [("F8_E4M3", 32768), ("BF16", 16384), ("F32", 32)]
    assert abs(sum(d.share for d in facts.dtypes) - 1) < 1e-9
    assert facts.fp8_block == (64, 64)  # 256/4 x 128/2: no weight_block_size in config.json
    assert facts.params.total == 256 * 128 + 64 * 128 and facts.params.scales == 8
    assert [s.path for s in facts.shards] == ["model.safetensors"]
    assert facts.disk_bytes == len(weights)


def test_index_naming_a_missing_shard_stops_the_card(make_release) -> None:
    root = make_release({"model-00001-of-00002.safetensors": safetensors_bytes([("a", "F32", [2])]),
                         "config.json": {"model_type": "x"}})
    write_index(root, {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"})
    with pytest.raises(CardError, match="model-00002-of-00002.safetensors.*not a file at the root"):
        _facts(root)


def test_index_cannot_point_outside_the_root(make_release) -> None:
    root = make_release({"sub/x.safetensors": safetensors_bytes([("a", "F32", [2])]), "config.json": {}})
    write_index(root, {"a": "sub/x.safetensors"})
    with pytest.raises(CardError, match="not a file at the root"):
        _facts(root)


def test_no_safetensors_weights_stops_the_card(make_release) -> None:
    root = make_release({"config.json": {"model_type": "x"}, "pytorch_model.bin": b"PK\x03\x04"})
    with pytest.raises(CardError, match="no safetensors weights.*releasekit convert"):
        _facts(root)


def test_architecture_rows_skip_values_of_the_wrong_shape() -> None:
    rows = dict(architecture({"architectures": ["XForCausalLM"], "num_hidden_layers": 61, "hidden_size": [1],
                              "rope_scaling": {"rope_type": "yarn", "factor": 40}, "torch_dtype": "bfloat16"}))
    assert rows == {"Architecture": "XForCausalLM", "Layers": "61", "RoPE scaling": "yarn, factor 40",
                    "Compute dtype": "bfloat16"}
