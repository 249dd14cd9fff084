"""Round trips: generated checkpoints converted by `releasekit convert` load back bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_convert_support import assert_same, load_output, mixed_state, save, save_sharded, snapshot, torch

from releasekit.safetensors_format import read_header


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_every_dtype_scalars_and_empty_tensors_round_trip(tmp_path: Path, run_cli, legacy: bool) -> None:
    state = mixed_state()
    if legacy:  # torch itself cannot read FP8 back from its legacy format; the zip test covers FP8
        state = {k: v for k, v in state.items() if not k.startswith("fp8")}
    save(state, tmp_path / "pytorch_model.bin", legacy=legacy)
    before = snapshot(tmp_path)

    result = run_cli("convert", tmp_path)

    assert result.exit_code == 0, result
    tensors, metadata = load_output(tmp_path)
    assert_same(state, tensors)
    assert metadata == {"format": "pt"}
    assert "every tensor verified" in result.stdout
    assert {k: v for k, v in snapshot(tmp_path).items() if k in before} == before  # inputs untouched
    assert not (tmp_path / ".releasekit-convert").exists()


def test_output_is_aligned_valid_safetensors(tmp_path: Path, run_cli) -> None:
    save(mixed_state(), tmp_path / "weights.pt")
    assert run_cli("convert", tmp_path / "weights.pt").exit_code == 0
    header = read_header(tmp_path / "weights.safetensors")
    assert header.ok, header.problems
    sizes = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2}
    for name, info in header.tensors.items():
        assert (header.data_start + info.start) % sizes.get(info.dtype, 1) == 0, name


def test_tied_weights_written_once_under_the_first_name_with_alias_metadata(tmp_path: Path, run_cli) -> None:
    embed = torch.randn(10, 4)
    state = {"model.embed_tokens.weight": embed, "model.norm.weight": torch.ones(4), "lm_head.weight": embed}
    save(state, tmp_path / "pytorch_model.bin")

    result = run_cli("convert", tmp_path, "--format", "json")

    assert result.exit_code == 0, result
    tensors, metadata = load_output(tmp_path)
    assert set(tensors) == {"model.embed_tokens.weight", "model.norm.weight"}
    assert metadata == {"format": "pt", "lm_head.weight": "model.embed_tokens.weight"}
    assert_same(
        {"model.embed_tokens.weight": embed}, {"model.embed_tokens.weight": tensors["model.embed_tokens.weight"]}
    )
    assert result.json()["aliases"] == {"lm_head.weight": "model.embed_tokens.weight"}
    header = read_header(tmp_path / "model.safetensors")
    assert sum(i.nbytes for i in header.tensors.values()) == embed.numel() * 4 + 4 * 4  # the data once


def test_prefer_name_chooses_which_tied_name_is_kept(tmp_path: Path, run_cli) -> None:
    embed = torch.randn(6, 3)
    save({"a.weight": embed, "b.weight": embed}, tmp_path / "pytorch_model.bin")
    assert run_cli("convert", tmp_path, "--prefer-name", "b.weight").exit_code == 0
    tensors, metadata = load_output(tmp_path)
    assert set(tensors) == {"b.weight"} and metadata["a.weight"] == "b.weight"


def test_views_into_one_storage_each_load_with_their_own_values(tmp_path: Path, run_cli) -> None:
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    qkv = torch.randn(9, 5)
    state = {
        "base": base,
        "first_rows": base[:2],
        "transposed": base.t(),
        "strided": base[:, ::2],
        "q": qkv[0:3],
        "k": qkv[3:6],
        "v": qkv[6:9],  # slices of a fused buffer that is not itself saved
    }
    save(state, tmp_path / "pytorch_model.bin")

    result = run_cli("convert", tmp_path, "--format", "json")

    assert result.exit_code == 0, result
    tensors, _ = load_output(tmp_path)
    assert_same({k: v.contiguous() for k, v in state.items()}, tensors)
    assert result.json()["views_copied"]["transposed"] == "base"
    assert result.json()["aliases"] == {}


def test_nested_wrapped_checkpoints_flatten_and_report_what_they_skip(tmp_path: Path, run_cli) -> None:
    inner = {
        "encoder": {"layer": {"0": {"weight": torch.randn(2, 2)}}, "scale": torch.tensor(2.0)},
        "head.bias": torch.zeros(3),
        "num_batches_tracked": 4,
    }
    save({"state_dict": inner, "epoch": 7, "optimizer": {"lr": 0.1}, "hyper": [1, 2]}, tmp_path / "run.ckpt")

    result = run_cli("convert", tmp_path / "run.ckpt", "--format", "json")

    assert result.exit_code == 0, result
    tensors, _ = load_output(tmp_path, base="run")
    assert sorted(tensors) == ["encoder.layer.0.weight", "encoder.scale", "head.bias"]
    skipped = {s["key"]: s for s in result.json()["skipped"]}
    assert set(skipped) == {"epoch", "optimizer", "hyper", "num_batches_tracked"}
    assert skipped["num_batches_tracked"]["type"] == "int"


@pytest.mark.parametrize("wrapper", ["model", "module"])
def test_module_prefix_is_stripped_only_when_asked(tmp_path: Path, run_cli, wrapper: str) -> None:
    state = {"module.layer.weight": torch.randn(3, 3), "module.layer.bias": torch.randn(3)}
    save({wrapper: state}, tmp_path / "a" / "ddp.pt")
    save({wrapper: state}, tmp_path / "b" / "ddp.pt")

    assert run_cli("convert", tmp_path / "a" / "ddp.pt").exit_code == 0
    assert run_cli("convert", tmp_path / "b" / "ddp.pt", "--strip-prefix", "module.").exit_code == 0

    kept, _ = load_output(tmp_path / "a", base="ddp")
    stripped, _ = load_output(tmp_path / "b", base="ddp")
    assert sorted(kept) == ["module.layer.bias", "module.layer.weight"]
    assert_same({k.removeprefix("module."): v for k, v in state.items()}, stripped)


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_sharded_input_with_index_becomes_sharded_safetensors_with_index(tmp_path: Path, run_cli, legacy: bool) -> None:
    g = torch.Generator().manual_seed(1)
    state = {f"layers.{i}.weight": torch.randn(64, 64, generator=g) for i in range(6)}  # 16 KiB each
    save_sharded(state, tmp_path, shards=3, legacy=legacy)

    result = run_cli("convert", tmp_path, "--max-shard-size", "40KB", "--format", "json")

    assert result.exit_code == 0, result
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    files = sorted(set(index["weight_map"].values()))
    assert files == [
        "model-00001-of-00003.safetensors",
        "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors",
    ]
    assert index["metadata"]["total_size"] == 6 * 64 * 64 * 4
    assert set(index["weight_map"]) == set(state)
    for name, file in index["weight_map"].items():
        assert name in read_header(tmp_path / file).tensors
    tensors, _ = load_output(tmp_path)
    assert_same(state, tensors)
    assert len(result.json()["inputs"]) == 3


def test_small_sharded_input_becomes_one_file_without_index(tmp_path: Path, run_cli) -> None:
    state = {f"w{i}": torch.full((4,), float(i)) for i in range(4)}
    save_sharded(state, tmp_path, shards=2)
    assert run_cli("convert", tmp_path).exit_code == 0
    assert (tmp_path / "model.safetensors").exists()
    assert not (tmp_path / "model.safetensors.index.json").exists()
    assert_same(state, load_output(tmp_path)[0])


def test_tensor_larger_than_max_shard_size_gets_its_own_shard(tmp_path: Path, run_cli) -> None:
    state = {"small.a": torch.zeros(10), "big": torch.zeros(1000), "small.b": torch.zeros(10)}
    save(state, tmp_path / "pytorch_model.bin")
    assert run_cli("convert", tmp_path, "--max-shard-size", "1000").exit_code == 0
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert index["weight_map"] == {
        "small.a": "model-00001-of-00003.safetensors",
        "big": "model-00002-of-00003.safetensors",
        "small.b": "model-00003-of-00003.safetensors",
    }


def test_output_folder_mirrors_subfolders_and_release_passes_check(tmp_path: Path, run_cli) -> None:
    release = tmp_path / "release"
    save({"w": torch.randn(3, 3)}, release / "pytorch_model.bin")
    save({"tok_embeddings.weight": torch.randn(4, 2)}, release / "original" / "consolidated.00.pth")
    (release / "training_args.bin").write_bytes(b"\x80\x04N.")
    out = tmp_path / "out"

    result = run_cli("convert", release, "--output", out, "--format", "json")

    assert result.exit_code == 0, result
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "model.safetensors",
        "original/consolidated.00.safetensors",
    ]
    assert any("training_args.bin" in line for line in result.json()["ignored"])
    check = run_cli("check", out, "--select", "weights,pickle")
    assert check.exit_code == 0, check


def test_dry_run_plans_without_writing(tmp_path: Path, run_cli) -> None:
    save({"a": torch.zeros(3), "b": torch.ones(2)}, tmp_path / "pytorch_model.bin")
    before = snapshot(tmp_path)

    result = run_cli("convert", tmp_path, "--dry-run", "--remove-originals")

    assert result.exit_code == 0, result
    assert "would write model.safetensors: 2 tensors" in result.stdout
    assert "removed original: pytorch_model.bin" in result.stdout
    assert snapshot(tmp_path) == before


def test_existing_output_is_not_replaced_without_overwrite(tmp_path: Path, run_cli) -> None:
    save({"a": torch.zeros(3)}, tmp_path / "pytorch_model.bin")
    (tmp_path / "model.safetensors").write_bytes(b"precious")

    refused = run_cli("convert", tmp_path)
    assert refused.exit_code == 2 and "already exists" in refused.stderr
    assert (tmp_path / "model.safetensors").read_bytes() == b"precious"

    assert run_cli("convert", tmp_path, "--overwrite").exit_code == 0
    assert_same({"a": torch.zeros(3)}, load_output(tmp_path)[0])


def test_remove_originals_deletes_inputs_only_after_a_verified_run(tmp_path: Path, run_cli) -> None:
    state = {"a": torch.randn(4), "b": torch.randn(2, 2)}
    save_sharded(state, tmp_path, shards=2)
    result = run_cli("convert", tmp_path, "--remove-originals", "--max-shard-size", "20")
    assert result.exit_code == 0, result
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
    ]
    assert_same(state, load_output(tmp_path)[0])


def test_unrecognised_file_is_a_one_line_error(tmp_path: Path, run_cli) -> None:
    (tmp_path / "pytorch_model.bin").write_bytes(b"not a checkpoint")
    result = run_cli("convert", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "releasekit: error: pytorch_model.bin: not a PyTorch checkpoint (neither torch's zip format nor a pickle)"
    )


def test_truncated_checkpoint_fails_cleanly_without_output(tmp_path: Path, run_cli) -> None:
    save({"w": torch.randn(64, 64)}, tmp_path / "pytorch_model.bin")
    data = (tmp_path / "pytorch_model.bin").read_bytes()
    (tmp_path / "pytorch_model.bin").write_bytes(data[: len(data) // 2])
    result = run_cli("convert", tmp_path)
    # The archive has no central directory: the pickle analysis refuses it before torch sees it.
    assert result.exit_code == 1, result
    assert "RK204 [error] not a readable zip archive" in result.stdout + result.stderr
    assert "refusing to load pytorch_model.bin" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "model.safetensors").exists()


def test_not_a_state_dict_is_refused_clearly(tmp_path: Path, run_cli) -> None:
    save(torch.zeros(3), tmp_path / "tensor.pt")
    save({"epoch": 3, "name": "x"}, tmp_path / "meta.pt")
    assert "single tensor" in run_cli("convert", tmp_path / "tensor.pt").stderr
    assert "no tensors found" in run_cli("convert", tmp_path / "meta.pt").stderr


def test_folder_without_checkpoints_is_an_error(tmp_path: Path, run_cli) -> None:
    (tmp_path / "README.md").write_text("hi")
    result = run_cli("convert", tmp_path)
    assert result.exit_code == 2 and "no checkpoint to convert" in result.stderr


def test_shard_without_index_is_refused(tmp_path: Path, run_cli) -> None:
    save({"a": torch.zeros(1)}, tmp_path / "pytorch_model-00001-of-00002.bin")
    result = run_cli("convert", tmp_path)
    assert result.exit_code == 2 and "without an index" in result.stderr


def test_without_copy_file_range_the_buffered_copy_writes_the_same(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    def unsupported(*args: object, **kwargs: object) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    state = mixed_state()
    save(state, tmp_path / "pytorch_model.bin")
    assert run_cli("convert", tmp_path).exit_code == 0
    assert_same(state, load_output(tmp_path)[0])


def test_verification_compares_with_the_tensor_not_with_where_the_copy_came_from(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from releasekit.conversion.readers import Reader

    real = Reader.file_range

    def off_by_four(self: Reader, tensor: torch.Tensor) -> tuple[int, int] | None:
        found = real(self, tensor)
        return None if found is None else (found[0] + 4, found[1])

    monkeypatch.setattr(Reader, "file_range", off_by_four)  # a bug in locating the bytes to copy
    save({"w": torch.randn(256, 256)}, tmp_path / "pytorch_model.bin")

    result = run_cli("convert", tmp_path, "--engine", "torch")

    assert result.exit_code == 1, result
    assert "tensor 'w' differs from its source" in result.stderr
    assert not (tmp_path / "model.safetensors").exists()


@pytest.mark.parametrize("state", ["whole", "slice"])
def test_direct_verification_catches_a_copy_from_the_wrong_place(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    from releasekit.conversion.torchzip import TensorRef

    real = TensorRef.byte_offset
    monkeypatch.setattr(TensorRef, "byte_offset", property(lambda self: real.fget(self) + 4))  # a locating bug
    base = torch.randn(256, 256)
    save({"w": base} if state == "whole" else {"w": base[1:5]}, tmp_path / "pytorch_model.bin")

    result = run_cli("convert", tmp_path)

    assert result.exit_code == 1, result
    assert "tensor 'w' differs from its source" in result.stderr
    assert not (tmp_path / "model.safetensors").exists()


def test_legacy_shards_are_held_in_memory_at_most_two_at_a_time(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from releasekit.conversion.readers import ReaderPool

    resident: list[int] = []
    real_get = ReaderPool.get

    def counting_get(self: ReaderPool, index: int):  # type: ignore[no-untyped-def]
        reader = real_get(self, index)
        resident.append(sum(1 for i in self._open if self.inputs[i].format == "legacy"))
        return reader

    monkeypatch.setattr(ReaderPool, "get", counting_get)
    g = torch.Generator().manual_seed(2)
    state = {f"layers.{i}.weight": torch.randn(32, 32, generator=g) for i in range(8)}
    save_sharded(state, tmp_path, shards=4, legacy=True)

    assert run_cli("convert", tmp_path, "--max-shard-size", "10KB").exit_code == 0

    assert resident and max(resident) <= 2
    assert_same(state, load_output(tmp_path)[0])
