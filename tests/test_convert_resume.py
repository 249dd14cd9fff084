"""Nothing lost: a crash leaves the inputs intact and nothing that looks complete; a rerun resumes
at the first file not yet verified; a verification mismatch keeps the bad file out of place."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from test_convert_support import assert_same, load_output, save, save_sharded, snapshot, torch


STAGING = ".releasekit-convert"
SHARDS = ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"]

# Runs convert in a child process that dies like `kill -9` (os._exit: no cleanup, no finally)
# halfway through writing the Nth piece (header or tensor), or right after the Nth rename into place.
_CRASH = textwrap.dedent("""
    import os, sys
    import releasekit.conversion.writer as writer
    import releasekit.conversion.resume as resume
    from releasekit.cli.main import run

    folder, where, limit, max_shard = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    calls = 0
    if where == "write":
        real_write = writer.write_piece
        def crashing_write(fd, piece, *rest):
            global calls
            calls += 1
            if calls == limit:
                real_write(fd, piece[: len(piece) // 2], *rest)
                os._exit(137)
            real_write(fd, piece, *rest)
        writer.write_piece = crashing_write
    else:
        real_place = resume.Staging.place
        def crashing_place(self, rel):
            global calls
            real_place(self, rel)
            calls += 1
            if calls == limit:
                os._exit(137)
        resume.Staging.place = crashing_place
    sys.exit(run(["convert", folder, "--max-shard-size", max_shard]))
""")


def _state(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {f"layers.{i}.weight": torch.randn(64, 64, generator=g) for i in range(6)}  # 2 per 40KB shard


def _crash(folder: Path, where: str, limit: int, max_shard: str = "40KB") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CRASH, str(folder), where, str(limit), max_shard],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _finals(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("model") and ".safetensors" in p.name)


def test_crash_mid_write_leaves_inputs_intact_and_nothing_complete_then_rerun_resumes(tmp_path: Path, run_cli) -> None:
    state = _state()
    save_sharded(state, tmp_path, shards=3)
    inputs = snapshot(tmp_path)

    # Writes per shard: header, tensor, tensor. Call 5 is the first tensor of the second shard.
    crashed = _crash(tmp_path, "write", 5)

    assert crashed.returncode == 137, crashed.stderr
    assert {k: v for k, v in snapshot(tmp_path).items() if k in inputs} == inputs
    assert _finals(tmp_path) == []  # no final name, no index: nothing looks complete
    manifest = json.loads((tmp_path / STAGING / "manifest.json").read_text())
    assert list(manifest["verified"]) == [SHARDS[0]]
    first = tmp_path / STAGING / f"{SHARDS[0]}.partial"
    inode = first.stat().st_ino

    result = run_cli("convert", tmp_path, "--max-shard-size", "40KB", "--format", "json")

    assert result.exit_code == 0, result
    assert [o["resumed"] for o in result.json()["outputs"]] == [True, False, False]
    assert (tmp_path / SHARDS[0]).stat().st_ino == inode  # kept, renamed, not rewritten
    assert_same(state, load_output(tmp_path)[0])
    assert not (tmp_path / STAGING).exists()


def test_crash_while_renaming_into_place_leaves_no_index_and_rerun_finishes(tmp_path: Path, run_cli) -> None:
    state = _state()
    save_sharded(state, tmp_path, shards=3)

    crashed = _crash(tmp_path, "place", 1)

    assert crashed.returncode == 137, crashed.stderr
    assert _finals(tmp_path) == [SHARDS[0]]
    assert not (tmp_path / "model.safetensors.index.json").exists()
    result = run_cli("convert", tmp_path, "--max-shard-size", "40KB", "--format", "json")
    assert result.exit_code == 0, result
    assert all(o["resumed"] for o in result.json()["outputs"])
    assert_same(state, load_output(tmp_path)[0])


def test_a_single_file_output_never_exists_half_written(tmp_path: Path) -> None:
    save(_state(), tmp_path / "pytorch_model.bin")
    crashed = _crash(tmp_path, "write", 3, max_shard="5GB")
    assert crashed.returncode == 137, crashed.stderr
    assert not (tmp_path / "model.safetensors").exists()
    assert (tmp_path / STAGING / "model.safetensors.partial").exists()


def test_changed_inputs_discard_stale_partial_output(tmp_path: Path, run_cli) -> None:
    save_sharded(_state(0), tmp_path, shards=3)
    assert _crash(tmp_path, "write", 5).returncode == 137
    changed = _state(1)
    save_sharded(changed, tmp_path, shards=3)  # same names and shapes, different values

    result = run_cli("convert", tmp_path, "--max-shard-size", "40KB", "--format", "json")

    assert result.exit_code == 0, result
    assert not any(o["resumed"] for o in result.json()["outputs"])
    assert_same(changed, load_output(tmp_path)[0])


@pytest.mark.parametrize("engine", ["direct", "torch"])
def test_verification_mismatch_is_an_error_and_nothing_is_renamed(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    import os

    import releasekit.conversion.writer as writer

    state = _state()
    save_sharded(state, tmp_path, shards=3)
    inputs = snapshot(tmp_path)
    real = writer.write_piece
    calls = {"n": 0}

    def write_then_damage(fd: int, piece, *rest) -> None:  # type: ignore[no-untyped-def]
        real(fd, piece, *rest)
        calls["n"] += 1
        if calls["n"] == 5:  # header and 2 tensors per shard: the second shard's first tensor, damaged on disk
            end = os.lseek(fd, 0, os.SEEK_CUR)
            os.pwrite(fd, b"\xde\xad\xbe\xef", end - 100)  # before the verifier is told it is written

    monkeypatch.setattr(writer, "write_piece", write_then_damage)
    result = run_cli("convert", tmp_path, "--max-shard-size", "40KB", "--engine", engine)

    assert result.exit_code == 1, result
    assert SHARDS[1] in result.stderr and "differs from its source" in result.stderr
    assert _finals(tmp_path) == [] and not (tmp_path / "model.safetensors.index.json").exists()
    assert not (tmp_path / STAGING / f"{SHARDS[1]}.partial").exists()  # the bad file is not kept
    assert {k: v for k, v in snapshot(tmp_path).items() if k in inputs} == inputs

    monkeypatch.setattr(writer, "write_piece", real)
    rerun = run_cli("convert", tmp_path, "--max-shard-size", "40KB", "--format", "json", "--engine", engine)
    assert rerun.exit_code == 0, rerun
    assert [o["resumed"] for o in rerun.json()["outputs"]] == [True, False, False]
    assert_same(state, load_output(tmp_path)[0])


def test_dry_run_after_a_crash_says_what_would_resume(tmp_path: Path, run_cli) -> None:
    save_sharded(_state(), tmp_path, shards=3)
    assert _crash(tmp_path, "write", 5).returncode == 137
    staged = snapshot(tmp_path / STAGING)
    result = run_cli("convert", tmp_path, "--max-shard-size", "40KB", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result
    assert [o["resumed"] for o in result.json()["outputs"]] == [True, False, False]
    assert snapshot(tmp_path / STAGING) == staged
