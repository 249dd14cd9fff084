"""Turn what a checkpoint holds into flat `name -> tensor`, the way people actually save them.

Handled: a plain state dict; one nested under `state_dict`, `model_state_dict`, `model` or `module`
(Lightning, DeepSpeed, training scripts), with the rest of the file (optimizer, epoch, config)
reported as skipped; nested dicts, flattened with "." as `nn.Module.state_dict()` names them.
Non-tensor values are reported as skipped, never dropped silently. The DataParallel `module.`
prefix is stripped only when the user asks (`--strip-prefix module.`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import torch

from releasekit.convert.errors import ConvertError
from releasekit.convert.tensors import st_dtype

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "module")
MAX_DEPTH = 64


@dataclasses.dataclass(frozen=True, kw_only=True)
class Skipped:
    """An entry of a checkpoint that is not written: where it was, what it was, and why."""

    file: str
    key: str
    kind: str  # the Python type name of the value (never its contents: they may be secrets)
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "key": self.key, "type": self.kind, "reason": self.reason}


def flatten_checkpoint(
    obj: Any, rel: str, *, strip_prefix: str | None = None
) -> tuple[dict[str, torch.Tensor], list[Skipped]]:
    """The named tensors of one loaded checkpoint (in the file's order) and what was skipped."""
    if isinstance(obj, torch.Tensor):
        raise ConvertError(f"{rel}: holds a single tensor, not a state dict (a mapping of names to tensors)")
    if not isinstance(obj, Mapping):
        raise ConvertError(f"{rel}: holds a {type(obj).__name__}, not a state dict (a mapping of names to tensors)")
    skipped: list[Skipped] = []
    current: Mapping[Any, Any] = obj
    trail: list[str] = []
    while not any(isinstance(v, torch.Tensor) for v in current.values()):
        key = next((k for k in WRAPPER_KEYS if isinstance(current.get(k), Mapping) and _has_tensor(current[k])), None)
        if key is None:
            break
        for other, value in current.items():
            if other != key:
                skipped.append(
                    Skipped(
                        file=rel,
                        key=_join(trail, str(other)),
                        kind=type(value).__name__,
                        reason=f"outside the state dict (kept `{_join(trail, key)}`)",
                    )
                )
        trail.append(key)
        current = current[key]
    tensors: dict[str, torch.Tensor] = {}
    _flatten(current, "", rel, tensors, skipped, 0)
    if strip_prefix:
        tensors = _strip(tensors, strip_prefix, rel)
    for name, tensor in tensors.items():
        _check_tensor(name, tensor, rel)
    if not tensors:
        raise ConvertError(
            f"{rel}: no tensors found" + (f" ({len(skipped)} non-tensor entries skipped)" if skipped else "")
        )
    return tensors, skipped


def _join(trail: list[str], key: str) -> str:
    return ".".join([*trail, key])


def _has_tensor(value: Any, depth: int = 0) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, Mapping) and depth < MAX_DEPTH:
        return any(_has_tensor(v, depth + 1) for v in value.values())
    return False


def _flatten(
    mapping: Mapping[Any, Any], prefix: str, rel: str, out: dict[str, torch.Tensor], skipped: list[Skipped], depth: int
) -> None:
    if depth > MAX_DEPTH:
        raise ConvertError(f"{rel}: dicts nested more than {MAX_DEPTH} deep at {prefix!r}; not a state dict")
    for key, value in mapping.items():
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            skipped.append(
                Skipped(
                    file=rel,
                    key=f"{prefix}{key!r}",
                    kind=type(value).__name__,
                    reason=f"key of type {type(key).__name__} is not a name",
                )
            )
            continue
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            if name in out:
                raise ConvertError(f"{rel}: two entries flatten to the name {name!r}")
            out[name] = value
        elif isinstance(value, Mapping):
            _flatten(value, f"{name}.", rel, out, skipped, depth + 1)
        else:
            reason = "a list or tuple, not a named tensor" if isinstance(value, (list, tuple)) else "not a tensor"
            skipped.append(Skipped(file=rel, key=name, kind=type(value).__name__, reason=reason))


def _strip(tensors: dict[str, torch.Tensor], prefix: str, rel: str) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for name, tensor in tensors.items():
        new = name[len(prefix) :] if name.startswith(prefix) else name
        if not new:
            raise ConvertError(f"{rel}: --strip-prefix {prefix!r} leaves tensor {name!r} without a name")
        if new in out:
            raise ConvertError(f"{rel}: --strip-prefix {prefix!r} makes two tensors named {new!r}")
        out[new] = tensor
    return out


def _check_tensor(name: str, tensor: torch.Tensor, rel: str) -> None:
    if tensor.layout != torch.strided:
        raise ConvertError(
            f"{rel}: tensor {name!r} is {tensor.layout} (sparse); safetensors stores dense "
            "tensors only: save it with .to_dense() first"
        )
    if tensor.device.type != "cpu":
        raise ConvertError(f"{rel}: tensor {name!r} is on device {tensor.device} with no data in the file")
    if st_dtype(tensor.dtype) is None:
        raise ConvertError(f"{rel}: tensor {name!r} has dtype {tensor.dtype}, which safetensors cannot store")
