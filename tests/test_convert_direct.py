"""The torch-free engine (issue 17): torch zip checkpoints are read from the zip and written by the
kernel, and the output is byte for byte what the torch engine (torch.load(weights_only=True)) writes,
on every fixture and on generated state dicts; a core install without torch (or numpy) converts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_convert_support import assert_same, load_output, mixed_state, save, save_sharded, torch

from releasekit.conversion import ConvertOptions, convert


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _both(source: Path, out: Path, **options: Any) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Convert `source` with each engine into its own folder; the files each wrote."""
    written = []
    for engine in ("direct", "torch"):
        report = convert(source, ConvertOptions(output=out / engine, engine=engine, **options))
        assert report.engine == engine
        written.append(_files(out / engine))
    return written[0], written[1]


def _fixtures() -> dict[str, Any]:
    g = torch.Generator().manual_seed(0)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    embed = torch.randn(10, 4, generator=g)
    return {
        "mixed": {
            **mixed_state(),
            "c64": torch.randn(3, generator=g, dtype=torch.complex64),
            "u16": torch.arange(5, dtype=torch.int16).view(torch.uint16),
        },
        "tied": {"model.embed_tokens.weight": embed, "model.norm.weight": torch.ones(4), "lm_head.weight": embed},
        "views": {
            "base": base,
            "first_rows": base[:2],
            "transposed": base.t(),
            "strided": base[:, ::2],
            "expanded": torch.arange(3.0).expand(4, 3),
            "q": embed[0:3],
            "v": embed[6:9].t(),
        },
        "nested": {
            "state_dict": {"encoder": {"layer": {"0": {"weight": torch.randn(2, 2, generator=g)}}}, "n": 4},
            "epoch": 7,
            "head": {"weight": torch.randn(3, 2, generator=g), "scale": [torch.ones(2), torch.zeros(1)]},
        },
        "parameters": {"p": torch.nn.Parameter(torch.randn(3, 3, generator=g)), "buffer": torch.zeros(2)},
        "module_state": torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3)).state_dict(),
    }


@pytest.mark.parametrize("name", list(_fixtures()))
def test_direct_output_is_byte_for_byte_the_torch_engines(tmp_path: Path, name: str) -> None:
    save(_fixtures()[name], tmp_path / "in" / "model.pt")
    direct, via_torch = _both(tmp_path / "in" / "model.pt", tmp_path / "out")
    assert direct == via_torch and direct


def test_sharded_checkpoint_with_index_is_byte_for_byte_the_torch_engines(tmp_path: Path) -> None:
    g = torch.Generator().manual_seed(1)
    state = {f"layers.{i}.weight": torch.randn(32, 32, generator=g).bfloat16() for i in range(8)}
    save_sharded(state, tmp_path / "in", shards=3)
    direct, via_torch = _both(tmp_path / "in", tmp_path / "out", max_shard_size=5000)
    assert direct == via_torch
    assert "model.safetensors.index.json" in direct and len(direct) > 3


_DTYPES = [
    torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64, torch.int32, torch.int16,
    torch.int8, torch.uint8, torch.bool, torch.float8_e4m3fn, torch.float8_e5m2, torch.complex64,
    torch.uint16, torch.uint32, torch.uint64,
]  # fmt: skip


@st.composite
def _tensors(draw: st.DrawFn) -> torch.Tensor:
    dtype = draw(st.sampled_from(_DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=3)))
    numel = 1
    for size in shape:
        numel *= size
    raw = torch.tensor(draw(st.lists(st.integers(0, 255), min_size=numel * 8, max_size=numel * 8)), dtype=torch.uint8)
    itemsize = torch.empty(0, dtype=dtype).element_size()
    tensor = raw[: numel * itemsize].view(dtype).reshape(shape) if numel else torch.empty(shape, dtype=dtype)
    view = draw(st.sampled_from(["whole", "transpose", "slice", "step", "expand", "narrow"]))
    if view == "transpose" and tensor.dim() >= 2:
        tensor = tensor.transpose(0, tensor.dim() - 1)
    elif view == "slice" and tensor.dim() >= 1 and tensor.shape[0] > 1:
        tensor = tensor[1:]
    elif view == "step" and tensor.dim() >= 1:
        tensor = tensor[..., ::2]
    elif view == "expand" and tensor.dim() >= 1 and tensor.shape[-1] == 1:
        tensor = tensor.expand(*tensor.shape[:-1], 3)
    elif view == "narrow" and tensor.dim() >= 2 and tensor.shape[1] > 1:
        tensor = tensor.narrow(1, 1, tensor.shape[1] - 1)
    return tensor


@st.composite
def _state_dicts(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.from_regex(r"[a-z]{1,4}(\.[a-z0-9]{1,3}){0,2}", fullmatch=True), min_size=1,
                          max_size=6, unique=True))  # fmt: skip
    state: dict[str, Any] = {}
    for name in names:
        state[name] = draw(_tensors())
    if draw(st.booleans()):  # a tie: the same tensor under a second name
        state["tied.copy"] = state[names[0]]
    if draw(st.booleans()):  # a sibling dict beside a wrapped state dict
        return {"model": state, "extra": {"t": draw(_tensors())}, "step": 3}
    return state


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=_state_dicts())
def test_generated_state_dicts_convert_identically_with_and_without_torch(tmp_path_factory, state) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("generated")
    save(state, folder / "in" / "model.pt")
    direct, via_torch = _both(folder / "in" / "model.pt", folder / "out")
    assert direct == via_torch
    tensors, metadata = load_output(folder / "out" / "direct")
    expected = dict(state["model"]) if "model" in state else dict(state)
    if "model" in state:
        expected["extra.t"] = state["extra"]["t"]
    assert set(tensors) | {k for k in metadata if k != "format"} == set(expected)  # every tensor, or its alias
    for name, tensor in tensors.items():
        assert_same({name: expected[name].contiguous()}, {name: tensor})


_WITHOUT_TORCH = """
import sys
sys.modules["torch"] = None   # `import torch` raises ImportError: a core install
sys.modules["numpy"] = None   # and no numpy either
from releasekit.cli.main import run
code = run(sys.argv[1:])
assert "torch" not in sys.modules or sys.modules["torch"] is None
sys.exit(code)
"""


def test_a_core_install_without_torch_or_numpy_converts_zip_checkpoints(tmp_path: Path) -> None:
    fixtures = _fixtures()
    state = {**fixtures["mixed"], **{f"v.{k}": v for k, v in fixtures["views"].items()}, "tie": fixtures["mixed"]["f32"]}
    save(state, tmp_path / "in" / "pytorch_model.bin")
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TORCH, "convert", str(tmp_path / "in"), "--output", str(tmp_path / "core"),
         "--format", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["engine"] == "direct"
    convert(tmp_path / "in", ConvertOptions(output=tmp_path / "torch", engine="torch"))
    assert _files(tmp_path / "core") == _files(tmp_path / "torch")
    tensors, metadata = load_output(tmp_path / "core")
    assert metadata["tie"] == "f32"
    assert_same({k: v.contiguous() for k, v in state.items() if k != "tie"}, tensors)


class _Tagged(torch.Tensor):
    """A tensor subclass: torch.save pickles it through _rebuild_from_type_v2, which only torch rebuilds."""


def test_what_only_torch_reads_falls_back_to_torch_or_says_it_needs_torch(tmp_path: Path, run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    param = torch.nn.Parameter(torch.randn(2, 2))
    param.note = "python attribute"  # pickled with _rebuild_parameter_with_state
    save({"p": param, "w": torch.ones(3)}, tmp_path / "in" / "model.pt")
    result = run_cli("convert", tmp_path / "in", "--format", "json", "--output", tmp_path / "out")
    assert result.exit_code == 0, result
    assert result.json()["engine"] == "torch"
    assert_same({"p": param.detach(), "w": torch.ones(3)}, load_output(tmp_path / "out", base="model")[0])

    forced = run_cli("convert", tmp_path / "in", "--engine", "direct", "--output", tmp_path / "direct")
    assert forced.exit_code == 2 and "_rebuild_parameter_with_state" in forced.stderr

    monkeypatch.setitem(sys.modules, "torch", None)
    missing = run_cli("convert", tmp_path / "in", "--output", tmp_path / "none")
    assert missing.exit_code == 2, missing
    assert "model.pt" in missing.stderr and "needs torch" in missing.stderr and "releasekit[torch]" in missing.stderr


def test_verify_with_torch_compares_against_torch_load(tmp_path: Path, run_cli) -> None:
    save(_fixtures()["views"], tmp_path / "model.pt")
    result = run_cli("convert", tmp_path / "model.pt", "--verify-with-torch", "--format", "json")
    assert result.exit_code == 0, result
    assert result.json()["engine"] == "direct"


def test_a_storage_that_does_not_match_its_crc_is_refused(tmp_path: Path, run_cli) -> None:
    import zipfile

    path = save({"w": torch.arange(64, dtype=torch.float32)}, tmp_path / "in" / "model.pt")
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/data/0"))
    data = bytearray(path.read_bytes())
    with open(path, "rb") as handle:  # the storage's bytes start after its local header
        handle.seek(info.header_offset + 26)
        name_len, extra_len = int.from_bytes(handle.read(2), "little"), int.from_bytes(handle.read(2), "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + 10] ^= 0xFF  # altered after torch saved it: the zip's CRC-32 no longer matches
    path.write_bytes(bytes(data))

    result = run_cli("convert", path, "--output", tmp_path / "out", "--engine", "direct")

    assert result.exit_code == 1, result
    assert "does not match the CRC-32" in result.stderr
    assert not (tmp_path / "out" / "model.safetensors").exists()
