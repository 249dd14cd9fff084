"""convert never reads or writes through a symbolic link (issue 11): inputs, indexed shards, config.json
and the staging folder that are links are refused with one line, and nothing outside is touched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from test_convert_support import save, snapshot, torch


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.bin"
    save({"secret": torch.arange(6.0)}, secret)
    return secret


def _one_line_error(result, needle: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr


@pytest.mark.parametrize("how", ["folder", "file"])
def test_a_symlinked_checkpoint_is_refused_not_read(tmp_path: Path, run_cli, how: str) -> None:
    secret = _outside(tmp_path)
    release = tmp_path / "release"
    release.mkdir()
    os.symlink(secret, release / "pytorch_model.bin")
    outside_before = snapshot(secret.parent)

    result = run_cli("convert", release if how == "folder" else release / "pytorch_model.bin")

    _one_line_error(result, "pytorch_model.bin: a symbolic link")
    assert sorted(p.name for p in release.iterdir()) == ["pytorch_model.bin"]  # nothing written
    assert snapshot(secret.parent) == outside_before


@pytest.mark.parametrize("dangling", [False, True])
def test_an_indexed_shard_that_is_a_symlink_is_refused(tmp_path: Path, run_cli, dangling: bool) -> None:
    secret = _outside(tmp_path)
    release = tmp_path / "release"
    save({"a": torch.zeros(2)}, release / "pytorch_model-00001-of-00002.bin")
    os.symlink(tmp_path / "nowhere.bin" if dangling else secret, release / "pytorch_model-00002-of-00002.bin")
    weight_map = {"a": "pytorch_model-00001-of-00002.bin", "secret": "pytorch_model-00002-of-00002.bin"}
    (release / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))

    result = run_cli("convert", release)

    _one_line_error(result, "pytorch_model-00002-of-00002.bin: a symbolic link")
    assert not list(release.glob("*.safetensors*"))


def test_an_index_that_is_a_symlink_is_refused(tmp_path: Path, run_cli) -> None:
    release = tmp_path / "release"
    save({"a": torch.zeros(2)}, release / "pytorch_model-00001-of-00001.bin")
    index = tmp_path / "outside.json"
    index.write_text(json.dumps({"weight_map": {"a": "pytorch_model-00001-of-00001.bin"}}))
    os.symlink(index, release / "pytorch_model.bin.index.json")
    _one_line_error(run_cli("convert", release), "pytorch_model.bin.index.json: a symbolic link")


@pytest.mark.parametrize("dangling", [False, True])
def test_a_staging_folder_that_is_a_symlink_is_refused_and_its_target_untouched(
    tmp_path: Path, run_cli, dangling: bool
) -> None:
    release = tmp_path / "release"
    save({"w": torch.randn(4, 4)}, release / "pytorch_model.bin")
    target = tmp_path / "elsewhere"
    if not dangling:
        target.mkdir()
        (target / "keep.txt").write_text("mine")
    os.symlink(target, release / ".releasekit-convert")

    result = run_cli("convert", release)

    _one_line_error(result, ".releasekit-convert: a symbolic link")
    assert not (release / "model.safetensors").exists()
    assert (release / ".releasekit-convert").is_symlink()  # not removed either
    if dangling:
        assert not target.exists()
    else:
        assert sorted(p.name for p in target.iterdir()) == ["keep.txt"]
    assert run_cli("convert", release, "--dry-run").exit_code == 2  # a dry run does not read through it


def test_an_output_subfolder_that_is_a_symlink_is_refused(tmp_path: Path, run_cli) -> None:
    release = tmp_path / "release"
    save({"w": torch.randn(4, 4)}, release / "sub" / "pytorch_model.bin")
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "sub")

    result = run_cli("convert", release, "--output", out)

    _one_line_error(result, "sub in ")
    assert list(elsewhere.iterdir()) == []


def test_a_symlinked_config_is_not_read_by_dequantize(tmp_path: Path, run_cli) -> None:
    release = tmp_path / "release"
    save({"w": torch.randn(4, 4).to(torch.float8_e4m3fn), "w_scale_inv": torch.ones(1, 1)}, release / "model.pt")
    config = tmp_path / "config.json"
    config.write_text('{"quantization_config": {}}')
    os.symlink(config, release / "config.json")
    result = run_cli("convert", release, "--dequantize-fp8", "--output", tmp_path / "out")
    _one_line_error(result, "config.json beside model.pt: a symbolic link")
