"""Helpers shared by the convert tests (no tests here): build checkpoints, read outputs back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


import torch  # the extra: `make setup` installs it (a missing extra must fail the suite, not skip it)

from safetensors import safe_open  # noqa: E402
from safetensors.torch import load_file  # noqa: E402


def save(obj: Any, path: Path, *, legacy: bool = False) -> Path:
    """torch.save, in the zip format or the legacy (non-zip) one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


def save_sharded(
    state: Mapping[str, Any], folder: Path, shards: int, *, legacy: bool = False, stem: str = "pytorch_model"
) -> list[Path]:
    """Split `state` over `shards` files named and indexed as transformers does."""
    names = list(state)
    per = -(-len(names) // shards)
    weight_map: dict[str, str] = {}
    paths = []
    for i in range(shards):
        file = f"{stem}-{i + 1:05d}-of-{shards:05d}.bin"
        part = {n: state[n] for n in names[i * per : (i + 1) * per]}
        paths.append(save(part, folder / file, legacy=legacy))
        weight_map.update({n: file for n in part})
    (folder / f"{stem}.bin.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return paths


def bits(tensor: Any) -> bytes:
    """The exact bytes of a tensor (dtype-agnostic bit-for-bit comparison)."""
    t = tensor.contiguous()
    if t.numel() == 0:
        return b""
    flat = t.reshape(-1)
    if flat.stride(0) != 1:  # a one-element view keeps its odd stride and counts as contiguous
        flat = flat.new_empty(flat.shape).copy_(flat)
    return flat.view(torch.uint8).numpy().tobytes()


def assert_same(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> None:
    assert set(actual) == set(expected), sorted(set(actual) ^ set(expected))
    for name, want in expected.items():
        got = actual[name]
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        assert tuple(got.shape) == tuple(want.shape), (name, got.shape, want.shape)
        assert bits(got) == bits(want), name


def load_output(folder: Path, base: str = "model") -> tuple[dict[str, Any], dict[str, str]]:
    """Every tensor of the converted checkpoint via safetensors.torch.load_file, and the merged metadata."""
    index = folder / f"{base}.safetensors.index.json"
    files = (
        [folder / f for f in sorted(set(json.loads(index.read_text())["weight_map"].values()))]
        if index.exists()
        else [folder / f"{base}.safetensors"]
    )
    tensors: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    for file in files:
        tensors.update(load_file(file))
        with safe_open(str(file), framework="pt") as handle:
            metadata.update(handle.metadata() or {})
    return tensors, metadata


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, to prove inputs were not touched."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def mixed_state() -> dict[str, torch.Tensor]:
    """A tensor of every dtype both engines write, plus 0-d and empty ones (a fixed seed)."""
    g = torch.Generator().manual_seed(0)
    return {
        "f32": torch.randn(5, 7, generator=g),
        "f16": torch.randn(3, 4, generator=g).half(),
        "bf16": torch.randn(8, 2, generator=g).bfloat16(),
        "f64": torch.randn(3, generator=g).double(),
        "i64": torch.arange(-5, 5, dtype=torch.int64),
        "i32": torch.arange(7, dtype=torch.int32),
        "i16": torch.arange(9, dtype=torch.int16),
        "i8": torch.arange(-3, 3, dtype=torch.int8),
        "u8": torch.arange(200, 210, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "fp8_e4m3": torch.randn(4, 4, generator=g).to(torch.float8_e4m3fn),
        "fp8_e5m2": torch.randn(3, 5, generator=g).to(torch.float8_e5m2),
        "scalar": torch.tensor(3.25),
        "int_scalar": torch.tensor(7, dtype=torch.int64),
        "empty": torch.empty(0, 4),
        "empty_bf16": torch.empty(2, 0, dtype=torch.bfloat16),
    }
