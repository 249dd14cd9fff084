"""The small parts of convert: sizes, names, discovery, state-dict shapes, the CLI's progress."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_convert_support import save, torch

from releasekit.conversion.discovery import discover, output_base
from releasekit.conversion.errors import ConvertError
from releasekit.conversion.sizes import format_size, parse_size
from releasekit.conversion.statedict import flatten_checkpoint
from releasekit.errors import UsageError


@pytest.mark.parametrize(
    "text, value",
    [
        ("5GB", 5_000_000_000),
        ("500MB", 500_000_000),
        ("2GiB", 2 * 2**30),
        ("10kb", 10_000),
        ("1.5GB", 1_500_000_000),
        ("123", 123),
        (" 7 MiB ", 7 * 2**20),
    ],
)
def test_parse_size_uses_the_hubs_decimal_units(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "GB", "5XB", "-1GB", "0", "five"])
def test_parse_size_rejects_non_sizes(text: str) -> None:
    with pytest.raises(UsageError, match="--max-shard-size"):
        parse_size(text)


def test_format_size() -> None:
    assert format_size(999) == "999 B" and format_size(5_000_000_000) == "5.0 GB"


@pytest.mark.parametrize(
    "stem, base",
    [
        ("pytorch_model", "model"),
        ("diffusion_pytorch_model", "diffusion_pytorch_model"),
        ("adapter_model", "adapter_model"),
        ("consolidated.00", "consolidated.00"),
    ],
)
def test_output_names_follow_transformers_and_diffusers(stem: str, base: str) -> None:
    assert output_base(stem) == base


def test_discovery_takes_weights_names_and_lists_what_it_ignores(tmp_path: Path) -> None:
    for name in ("pytorch_model.bin", "adapter_model.bin", "a.pt", "b.pth", "c.ckpt", "training_args.bin"):
        save({"w": torch.zeros(1)}, tmp_path / name)
    (tmp_path / "model.safetensors").write_bytes(b"ignored without --dequantize-fp8")
    found = discover(tmp_path)
    assert sorted(u.label for u in found.units) == ["a.pt", "adapter_model.bin", "b.pth", "c.ckpt", "pytorch_model.bin"]
    assert len(found.ignored) == 1 and found.ignored[0].startswith("training_args.bin")


def test_index_naming_a_missing_shard_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pytorch_model.bin.index.json").write_text(
        json.dumps({"weight_map": {"w": "pytorch_model-00001-of-00002.bin"}})
    )
    with pytest.raises(ConvertError, match="names shard pytorch_model-00001-of-00002.bin, which is missing"):
        discover(tmp_path)


@pytest.mark.parametrize("target", ["../escape.bin", "/etc/passwd", "sub/x.bin"])
def test_index_may_only_name_files_beside_it(tmp_path: Path, target: str) -> None:
    (tmp_path / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": {"w": target}}))
    with pytest.raises(ConvertError, match="not a file beside the index"):
        discover(tmp_path)


def test_two_checkpoints_writing_one_name_are_refused(tmp_path: Path, run_cli) -> None:
    save({"w": torch.zeros(1)}, tmp_path / "model.pt")
    save({"w": torch.zeros(1)}, tmp_path / "model.pth")
    result = run_cli("convert", tmp_path)
    assert result.exit_code == 2 and "would both write model.safetensors" in result.stderr


def test_flatten_unwraps_known_wrappers_and_keeps_order() -> None:
    a, b = torch.zeros(1), torch.ones(1)
    tensors, skipped = flatten_checkpoint({"model": {"module": {"z": a, "a": b}}, "step": 1}, "x.pt")
    assert list(tensors) == ["z", "a"]
    assert [(s.key, s.reason) for s in skipped] == [("step", "outside the state dict (kept `model`)")]


def test_flatten_refuses_name_clashes_and_sparse_tensors() -> None:
    with pytest.raises(ConvertError, match="two entries flatten to the name 'a.b'"):
        flatten_checkpoint({"a.b": torch.zeros(1), "a": {"b": torch.zeros(1)}}, "x.pt")
    with pytest.raises(ConvertError, match="sparse"):
        flatten_checkpoint({"s": torch.zeros(2, 2).to_sparse()}, "x.pt")
    with pytest.raises(ConvertError, match="makes two tensors named 'w'"):
        flatten_checkpoint({"module.w": torch.zeros(1), "w": torch.zeros(1)}, "x.pt", strip_prefix="module.")


def test_flatten_skips_what_is_not_a_tensor_and_says_what_type_it_was() -> None:
    _, skipped = flatten_checkpoint({"w": torch.zeros(1), "cfg": {"lr": 0.1}, "ids": [1, 2], 3.5: "x"}, "x.pt")
    assert {(s.key, s.kind) for s in skipped} == {("cfg.lr", "float"), ("ids", "list"), ("3.5", "str")}


def test_flatten_never_drops_a_tensor_it_cannot_name() -> None:
    with pytest.raises(ConvertError, match=r"1 tensor\(s\) cannot be named.*3\.5 \(under a float key"):
        flatten_checkpoint({"w": torch.zeros(1), 3.5: torch.zeros(1)}, "x.pt")
    with pytest.raises(ConvertError, match=r"ids \(inside a set"):
        flatten_checkpoint({"w": torch.zeros(1), "ids": {torch.zeros(1)}}, "x.pt")


def test_progress_bar_only_when_asked_or_on_a_terminal(tmp_path: Path, run_cli) -> None:
    save({"w": torch.randn(100)}, tmp_path / "a" / "pytorch_model.bin")
    save({"w": torch.randn(100)}, tmp_path / "b" / "pytorch_model.bin")
    quiet = run_cli("convert", tmp_path / "a")  # the test runner is not a terminal
    shown = run_cli("convert", tmp_path / "b", "--progress")
    assert quiet.exit_code == shown.exit_code == 0
    assert quiet.stderr == ""
    assert "tensors" in shown.stderr and "1/1" in shown.stderr


def test_convert_package_imports_without_torch() -> None:
    code = "import sys; sys.modules['torch'] = None; import releasekit.cli.convert; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
