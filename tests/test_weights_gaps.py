"""What a lab ships that was checked nowhere: broken config.json, no weights, LFS pointers, a wrong torch_dtype."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.config import Settings
from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG
from releasekit.engine import audit
from releasekit.example import TINY_CONFIG, build_example
from releasekit.release import walk
from tests.builders import safetensors_bytes

LFS_POINTER = (b"version https://git-lfs.github.com/spec/v1\n"
               b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
               b"size 4302350824\n")


def findings(root: Path, select: str = "weights") -> list[tuple[str, str, str, str]]:
    report = audit(walk(root), Settings(select=frozenset(select.split(","))))
    return [(f.rule, f.severity.value, f.path, f.message) for f in report.findings]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return build_example(tmp_path / "example")


def test_the_example_release_has_none_of_these_findings(example: Path) -> None:
    assert not {rule for rule, *_ in findings(example)} & {"RK100", "RK109", "RK127", "RK128"}


@pytest.mark.parametrize(("text", "where"), [
    ('{"hidden_size": 64,}', "line 1, column 20"),
    ('{\n  "hidden_size": 64\n  "vocab_size": 8\n}', "line 3, column 3"),
    ("[1, 2]", "a JSON list, not an object"),
])
def test_a_broken_config_is_an_error_and_the_rules_that_need_it_say_they_did_not_run(
        example: Path, text: str, where: str) -> None:
    (example / "config.json").write_text(text)
    found = findings(example)
    invalid = [f for f in found if f[0] == "RK127"]
    assert len(invalid) == 1 and invalid[0][1] == "error" and invalid[0][2] == "config.json"
    assert where in invalid[0][3]
    not_run = {rule: message for rule, _, _, message in found if "could not run" in message}
    assert set(not_run) == {"RK120", "RK128", "RK131"}  # config-vs-weights, dtype, FP8 against the config
    assert "RK120, RK121, RK122, RK123, RK124, RK125, RK126" in not_run["RK120"]
    report = audit(walk(example), Settings())
    assert report.exit_code == 1  # the release no longer passes


def test_a_broken_config_under_a_narrow_selection_still_says_what_did_not_run(example: Path) -> None:
    (example / "config.json").write_text("{")
    assert [(r, m.split(" could not run")[0]) for r, _, _, m in findings(example, "RK123") if "could not" in m] == [
        ("RK123", "the comparison of config.json with the weights")]


def test_no_weights_with_a_config_is_an_error_without_one_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "code-only"
    (root / "inference").mkdir(parents=True)
    (root / "inference" / "model.py").write_text("print('hi')\n")
    assert [(r, s) for r, s, _, _ in findings(root)] == [("RK100", "warning")]
    (root / "config.json").write_text(json.dumps(TINY_CONFIG))
    assert [(r, s) for r, s, _, _ in findings(root)] == [("RK100", "error")]
    (root / "pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")
    assert "RK100" not in {r for r, *_ in findings(root)}


def test_lfs_pointers_where_weights_should_be(example: Path) -> None:
    shard = sorted(example.glob("*.safetensors"))[0]
    shard.write_bytes(LFS_POINTER)
    (example / "extra.gguf").write_bytes(LFS_POINTER)
    found = findings(example)
    pointers = sorted((path, message) for rule, _, path, message in found if rule == "RK109")
    assert [path for path, _ in pointers] == ["extra.gguf", shard.name]
    assert all("Git LFS pointer to 4,302,350,824 bytes" in m and "git lfs pull" in m for _, m in pointers)
    assert not [f for f in found if f[0] == "RK101"]  # not an "absurd header length"
    assert "RK100" not in {f[0] for f in found}  # the weights exist, as pointers


def _one_file(tmp_path: Path, config: dict, tensors: list[tuple[str, str, list[int]]]) -> Path:
    root = tmp_path / "m"
    root.mkdir()
    (root / "config.json").write_text(json.dumps(config))
    (root / "model.safetensors").write_bytes(safetensors_bytes(tensors))
    return root


DENSE = [("model.embed_tokens.weight", "F32", [8, 4]), ("lm_head.weight", "F32", [8, 4]),
         ("model.norm.weight", "BF16", [4])]


@pytest.mark.parametrize(("config", "expected"), [
    ({"torch_dtype": "bfloat16"}, "torch_dtype is 'bfloat16' but 94% of the parameters are stored as F32"),
    ({"dtype": "float16"}, "dtype is 'float16'"),
    ({"torch_dtype": "float32"}, None),
    ({"torch_dtype": "auto"}, None),
    ({}, None),
    ({"torch_dtype": "bfloat16", "quantization_config": {"quant_method": "gptq"}}, None),
])
def test_declared_dtype_against_the_stored_one(tmp_path: Path, config: dict, expected: str | None) -> None:
    root = _one_file(tmp_path, config, DENSE)
    dtype = [(s, m) for r, s, _, m in findings(root) if r == "RK128"]
    if expected is None:
        assert dtype == []
    else:
        assert len(dtype) == 1 and dtype[0][0] == "warning" and expected in dtype[0][1]


def test_fp8_releases_declaring_their_compute_dtype_are_not_flagged(example: Path) -> None:
    config = json.loads((example / "config.json").read_text())
    assert config["torch_dtype"] == DEEPSEEK_V3_CONFIG["torch_dtype"] == "bfloat16" and "quantization_config" in config
    assert "RK128" not in {r for r, *_ in findings(example)}
    # Without quantization_config the FP8 storage is still not a "dtype mismatch" (RK133 says what is wrong).
    config.pop("quantization_config")
    (example / "config.json").write_text(json.dumps(config))
    rules = {r for r, *_ in findings(example)}
    assert "RK133" in rules and "RK128" not in rules
