"""Safety: inputs are analysed before anything is loaded, unsafe ones are refused and never run,
loading goes only through torch's weights_only unpickler on a torch without CVE-2025-32434."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import pytest

from test_convert_support import save, snapshot, torch

from releasekit.conversion.safety import check_torch_version
from releasekit.errors import ReleasekitError


class _RunsShell:
    """Pickles to `os.system(command)`: what a malicious checkpoint carries."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (self.command,))


def _malicious(folder: Path, kind: str, marker: Path) -> Path:
    payload = {"weight": torch.randn(2, 2), "extra": _RunsShell(f"touch {marker}")}
    if kind == "pickle":
        path = folder / "model.pt"
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(payload, protocol=4))
        return path
    return save(payload, folder / "pytorch_model.bin", legacy=kind == "legacy")


@pytest.fixture
def load_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Record every torch.load call (and its keyword arguments) convert makes."""
    calls: list[dict] = []
    real = torch.load

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append({"file": Path(args[0]).name, **kwargs})
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    return calls


@pytest.mark.parametrize("kind", ["zip", "legacy", "pickle"])
def test_unsafe_pickle_is_refused_before_loading_and_never_executed(
    tmp_path: Path, run_cli, load_calls, kind: str
) -> None:
    marker = tmp_path / "PWNED"
    release = tmp_path / "release"
    path = _malicious(release, kind, marker)
    before = snapshot(release)

    result = run_cli("convert", release)

    assert result.exit_code == 1, result
    assert f"{path.name}: RK2" in result.stderr  # the pickle rule's finding, naming the file
    assert "refusing to load" in result.stderr
    assert load_calls == []  # nothing was unpickled, not even by the weights_only loader
    assert not marker.exists()
    assert snapshot(release) == before  # no output, no staging folder, input untouched


def test_one_unsafe_file_refuses_the_whole_run(tmp_path: Path, run_cli, load_calls) -> None:
    release = tmp_path / "release"
    save({"w": torch.zeros(2)}, release / "good.pt")
    _malicious(release, "zip", tmp_path / "PWNED")
    result = run_cli("convert", release, "--format", "json")
    assert result.exit_code == 1
    report = result.json()
    assert report["refused"] is True and report["findings"]
    assert all(f["path"] == "pytorch_model.bin" for f in report["findings"])
    assert load_calls == [] and not (release / "good.safetensors").exists()


def test_loading_uses_weights_only_and_mmap_where_the_format_allows(tmp_path: Path, run_cli, load_calls) -> None:
    save({"w": torch.zeros(2)}, tmp_path / "zip.pt")
    save({"w": torch.zeros(2)}, tmp_path / "old.pt", legacy=True)  # only torch reads it: the run uses torch
    assert run_cli("convert", tmp_path).exit_code == 0
    assert load_calls, "torch.load was never called"
    assert all(call["weights_only"] is True for call in load_calls)
    mmap_by_file = {(call["file"], call["mmap"]) for call in load_calls}
    assert mmap_by_file == {("zip.pt", True), ("old.pt", False)}  # the legacy format cannot be mmapped


def test_zip_checkpoints_are_not_unpickled_by_torch_unless_asked(tmp_path: Path, run_cli, load_calls) -> None:
    save({"w": torch.zeros(2)}, tmp_path / "zip.pt")
    assert run_cli("convert", tmp_path).exit_code == 0
    assert load_calls == []
    checked = run_cli("convert", tmp_path, "--output", tmp_path / "out", "--verify-with-torch", "--format", "json")
    assert checked.exit_code == 0 and checked.json()["engine"] == "direct"
    assert [(c["file"], c["weights_only"], c["mmap"]) for c in load_calls] == [("zip.pt", True, True)]


@pytest.mark.parametrize("version", ["2.5.1", "2.4.0+cu121", "1.13.1"])
def test_torch_older_than_2_6_is_refused(version: str) -> None:
    with pytest.raises(ReleasekitError, match="CVE-2025-32434"):
        check_torch_version(version)


@pytest.mark.parametrize("version", ["2.6.0", "2.13.0+cpu", "3.0.0a0"])
def test_torch_2_6_and_newer_is_accepted(version: str) -> None:
    check_torch_version(version)


def test_old_torch_refuses_the_command_before_reading_anything(
    tmp_path: Path, run_cli, load_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    save({"w": torch.zeros(2)}, tmp_path / "pytorch_model.bin", legacy=True)  # only torch reads this format
    monkeypatch.setattr(torch, "__version__", "2.5.1")
    result = run_cli("convert", tmp_path)
    assert result.exit_code == 2 and "CVE-2025-32434" in result.stderr
    assert load_calls == [] and not (tmp_path / "model.safetensors").exists()


def test_old_torch_does_not_matter_where_torch_is_not_used(
    tmp_path: Path, run_cli, load_calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    save({"w": torch.zeros(2)}, tmp_path / "pytorch_model.bin")  # a zip: read without torch
    monkeypatch.setattr(torch, "__version__", "2.5.1")
    assert run_cli("convert", tmp_path).exit_code == 0
    assert load_calls == [] and (tmp_path / "model.safetensors").exists()
    refused = run_cli("convert", tmp_path, "--output", tmp_path / "again", "--verify-with-torch")
    assert refused.exit_code == 2 and "CVE-2025-32434" in refused.stderr


def test_without_torch_zip_checkpoints_convert_and_the_legacy_format_names_the_extra(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    save({"w": torch.arange(4.0)}, tmp_path / "new" / "pytorch_model.bin")
    save({"w": torch.zeros(2)}, tmp_path / "old" / "pytorch_model.bin", legacy=True)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    assert run_cli("convert", tmp_path / "new").exit_code == 0
    result = run_cli("convert", tmp_path / "old")
    assert result.exit_code == 2
    assert "needs torch" in result.stderr and "releasekit[torch]" in result.stderr
    assert not (tmp_path / "old" / "model.safetensors").exists()


class _Config:
    """A plain-data class a training script might pickle beside the weights."""

    def __init__(self) -> None:
        self.lr = 0.1


def test_release_allowlist_is_honoured_and_torch_still_refuses_what_it_cannot_load(tmp_path: Path, run_cli) -> None:
    save({"w": torch.zeros(2), "config": _Config()}, tmp_path / "pytorch_model.bin")
    refused = run_cli("convert", tmp_path)
    assert refused.exit_code == 1 and "_Config" in refused.stderr  # not on the allowlist: refused unloaded

    (tmp_path / "releasekit.toml").write_text(f'[pickle]\nallow = ["{__name__}._Config"]\n')
    allowed = run_cli("convert", tmp_path)
    # The analysis now passes, but torch's weights_only unpickler never builds arbitrary classes:
    assert allowed.exit_code == 2 and "weights-only loader refused it" in allowed.stderr, allowed
    assert not (tmp_path / "model.safetensors").exists()
