"""Every tensor in a checkpoint is written, namespaced, or the run fails naming what would be left
(issue 12): sibling dicts beside the state dict, lists of tensors, training state, --exclude."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_convert_support import assert_same, load_output, save, torch


@pytest.mark.parametrize("engine", ["direct", "torch"])
def test_a_sibling_dict_beside_the_state_dict_is_written_namespaced(tmp_path: Path, run_cli, engine: str) -> None:
    body = {"layer.weight": torch.randn(3, 3), "layer.bias": torch.randn(3)}
    head = torch.randn(2, 3)
    save({"model": body, "head": {"weight": head}, "epoch": 3}, tmp_path / "model.pt")

    result = run_cli("convert", tmp_path / "model.pt", "--format", "json", "--engine", engine)

    assert result.exit_code == 0, result
    tensors, _ = load_output(tmp_path)
    assert_same({**body, "head.weight": head}, tensors)
    assert [s["key"] for s in result.json()["skipped"]] == ["epoch"]
    assert result.json()["namespaced"] == [{"file": "model.pt", "key": "head", "tensors": 1}]
    text = run_cli("convert", tmp_path / "model.pt", "--engine", engine, "--output", tmp_path / "again")
    assert "namespaced: model.pt: head (1 tensor(s)) beside the state dict, written as head.*" in text.stdout


@pytest.mark.parametrize("engine", ["direct", "torch"])
def test_lists_of_tensors_are_written_by_position(tmp_path: Path, run_cli, engine: str) -> None:
    blocks = [torch.randn(2), torch.randn(3)]
    save({"w": torch.ones(1), "blocks": blocks, "ids": [1, 2]}, tmp_path / "model.pt")
    result = run_cli("convert", tmp_path / "model.pt", "--engine", engine)
    assert result.exit_code == 0, result
    assert_same({"w": torch.ones(1), "blocks.0": blocks[0], "blocks.1": blocks[1]}, load_output(tmp_path)[0])


@pytest.mark.parametrize("engine", ["direct", "torch"])
def test_training_state_with_tensors_fails_naming_it_until_excluded(tmp_path: Path, run_cli, engine: str) -> None:
    weights = {"w": torch.randn(4, 4)}
    optimizer = {"state": {0: {"exp_avg": torch.zeros(4, 4), "step": torch.tensor(3.0)}}, "param_groups": [{"lr": 1}]}
    save({"state_dict": weights, "optimizer_states": [optimizer], "epoch": 1}, tmp_path / "run.ckpt")

    refused = run_cli("convert", tmp_path / "run.ckpt", "--engine", engine)

    assert refused.exit_code == 2, refused
    assert "`optimizer_states` (2 tensor(s))" in refused.stderr and "--exclude optimizer_states" in refused.stderr
    assert not (tmp_path / "run.safetensors").exists()

    result = run_cli("convert", tmp_path / "run.ckpt", "--exclude", "optimizer_states", "--format", "json",
                     "--engine", engine)  # fmt: skip
    assert result.exit_code == 0, result
    assert_same(weights, load_output(tmp_path, base="run")[0])
    skipped = {s["key"]: s["reason"] for s in result.json()["skipped"]}
    assert skipped["optimizer_states"] == "left out with --exclude (2 tensor(s))"


def test_exclude_leaves_out_a_named_entry_inside_the_state_dict(tmp_path: Path, run_cli) -> None:
    save({"w": torch.ones(2), "ema": {"w": torch.zeros(2)}}, tmp_path / "model.pt")
    assert run_cli("convert", tmp_path / "model.pt", "--exclude", "ema").exit_code == 0
    assert set(load_output(tmp_path)[0]) == {"w"}


def test_a_namespaced_sibling_that_clashes_with_a_state_dict_name_is_an_error(tmp_path: Path, run_cli) -> None:
    save({"model": {"head.weight": torch.ones(1)}, "head": {"weight": torch.zeros(1)}}, tmp_path / "model.pt")
    result = run_cli("convert", tmp_path / "model.pt")
    assert result.exit_code == 2 and "two entries flatten to the name 'head.weight'" in result.stderr
