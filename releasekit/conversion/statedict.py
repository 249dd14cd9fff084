"""Turn what a checkpoint holds into flat `name -> tensor`, the way people actually save them.

Handled: a plain state dict; one nested under `state_dict`, `model_state_dict`, `model` or `module`
(Lightning, DeepSpeed, training scripts); nested dicts, flattened with "." as
`nn.Module.state_dict()` names them; lists and tuples of tensors, named by position (`blocks.0`).

No tensor is ever dropped in silence. Beside the state dict, a sibling that holds tensors (`{"model":
{...}, "head": {"weight": t}}`) is written too, namespaced by its key (`head.weight`); a sibling
that is training state (an optimizer, a scheduler, a grad scaler) is not weights, so the run fails
naming it until the user leaves it out on purpose (`--exclude optimizer`). A tensor that cannot be
given a name (under a key that is not a string or an int, inside a set or an object) fails the run,
naming where it is. Non-tensor values are reported as skipped. The DataParallel `module.` prefix is
stripped only when the user asks (`--strip-prefix module.`).

This module knows nothing of torch: the reader says what a tensor is (`TensorKind`), so the
torch-backed reader and the torch-free zip reader flatten a checkpoint exactly alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from releasekit.conversion.errors import ConvertError

WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "module")
#: Siblings of a state dict that hold training state, not weights: never written unless excluded.
TRAINING_STATE_KEYS = frozenset(
    {
        "optimizer", "optimizers", "optimizer_state", "optimizer_states", "optimizer_state_dict", "optim",
        "optim_state", "lr_scheduler", "lr_schedulers", "scheduler", "schedulers", "scaler", "grad_scaler",
        "amp", "loops", "rng_state", "rng_states",
    }
)  # fmt: skip
MAX_DEPTH = 64
SHOWN = 5  # names listed in a one-line error


@dataclasses.dataclass(frozen=True, kw_only=True)
class Skipped:
    """An entry of a checkpoint that is not written: where it was, what it was, and why."""

    file: str
    key: str
    kind: str  # the Python type name of the value (never its contents: they may be secrets)
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "key": self.key, "type": self.kind, "reason": self.reason}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Namespaced:
    """A sibling of the state dict whose tensors are written under its key (`head` -> `head.weight`)."""

    file: str
    key: str
    tensors: int

    def to_dict(self) -> dict[str, str | int]:
        return {"file": self.file, "key": self.key, "tensors": self.tensors}


@dataclasses.dataclass(frozen=True)
class TensorKind:
    """What a reader's tensors are: `is_tensor(value)`, and `check(name, tensor, rel)` that raises
    ConvertError for a tensor safetensors cannot store (sparse, on a device, an unknown dtype)."""

    is_tensor: Callable[[Any], bool]
    check: Callable[[str, Any, str], None]
    type_name: Callable[[Any], str] = lambda value: type(value).__name__


def torch_kind() -> TensorKind:
    """The kind for tensors loaded by torch (imported here, only by the torch-backed path)."""
    import torch

    from releasekit.conversion.tensors import st_dtype

    def check(name: str, tensor: Any, rel: str) -> None:
        if tensor.layout != torch.strided:
            raise ConvertError(
                f"{rel}: tensor {name!r} is {tensor.layout} (sparse); safetensors stores dense "
                "tensors only: save it with .to_dense() first"
            )
        if tensor.device.type != "cpu":
            raise ConvertError(f"{rel}: tensor {name!r} is on device {tensor.device} with no data in the file")
        if st_dtype(tensor.dtype) is None:
            raise ConvertError(f"{rel}: tensor {name!r} has dtype {tensor.dtype}, which safetensors cannot store")

    return TensorKind(is_tensor=lambda value: isinstance(value, torch.Tensor), check=check)


def flatten_checkpoint(
    obj: Any,
    rel: str,
    *,
    strip_prefix: str | None = None,
    exclude: Sequence[str] = (),
    kind: TensorKind | None = None,
    namespaced: list[Namespaced] | None = None,
) -> tuple[dict[str, Any], list[Skipped]]:
    """The named tensors of one loaded checkpoint (in the file's order) and what was skipped.

    `exclude` names entries (by the name they would be written under: `optimizer`, `ema`) left
    out on purpose. Raises ConvertError when a tensor would be left out without being excluded.
    Siblings of the state dict written under their own key are appended to `namespaced`.
    """
    kind = kind or torch_kind()
    if kind.is_tensor(obj):
        raise ConvertError(f"{rel}: holds a single tensor, not a state dict (a mapping of names to tensors)")
    if not isinstance(obj, Mapping):
        raise ConvertError(
            f"{rel}: holds a {kind.type_name(obj)}, not a state dict (a mapping of names to tensors)"
        )
    walk = _Walk(rel, kind, frozenset(exclude))
    current: Mapping[Any, Any] = obj
    trail: list[str] = []
    siblings: list[tuple[str, Any, str]] = []
    while not any(kind.is_tensor(v) for v in current.values()):
        key = next(
            (k for k in WRAPPER_KEYS if isinstance(current.get(k), Mapping) and walk.holds_tensor(current[k])), None
        )
        if key is None or _join(trail, key) in walk.exclude:
            break
        siblings.extend((_join(trail, str(k)), v, _join(trail, key)) for k, v in current.items() if k != key)
        trail.append(key)
        current = current[key]
    walk.mapping(current, "", 0)
    for path, value, kept in siblings:
        walk.sibling(path, value, kept)
    tensors = walk.tensors
    if strip_prefix:
        tensors = _strip(tensors, strip_prefix, rel)
    for name, tensor in tensors.items():
        kind.check(name, tensor, rel)
    walk.fail_on_left()
    if namespaced is not None:
        namespaced.extend(walk.namespaced)
    if not tensors:
        skipped = walk.skipped
        raise ConvertError(
            f"{rel}: no tensors found" + (f" ({len(skipped)} non-tensor entries skipped)" if skipped else "")
        )
    return tensors, walk.skipped


def _join(trail: list[str], key: str) -> str:
    return ".".join([*trail, key])


class _Walk:
    """One pass over the loaded object: tensors by name, what is skipped, what would be left."""

    def __init__(self, rel: str, kind: TensorKind, exclude: frozenset[str]) -> None:
        self.rel = rel
        self.kind = kind
        self.exclude = exclude
        self.tensors: dict[str, Any] = {}
        self.skipped: list[Skipped] = []
        self.left: list[str] = []  # tensors that cannot be written, where they are
        self.training: dict[str, int] = {}  # training-state sibling -> tensors it holds
        self.namespaced: list[Namespaced] = []

    def holds_tensor(self, value: Any, depth: int = 0) -> bool:
        return self.count_tensors(value, depth) > 0

    def count_tensors(self, value: Any, depth: int = 0) -> int:
        if self.kind.is_tensor(value):
            return 1
        if depth >= MAX_DEPTH:
            return 0
        if isinstance(value, Mapping):
            return sum(self.count_tensors(v, depth + 1) for v in value.values()) + sum(
                self.count_tensors(k, depth + 1) for k in value.keys() if not isinstance(k, (str, int))
            )
        if isinstance(value, (list, tuple, set, frozenset)):
            return sum(self.count_tensors(v, depth + 1) for v in value)
        inner = getattr(value, "contents", None)  # an object the torch-free reader kept opaque
        return self.count_tensors(inner, depth + 1) if isinstance(inner, tuple) else 0

    def sibling(self, path: str, value: Any, kept: str) -> None:
        count = self.count_tensors(value)
        leaf = path.rsplit(".", 1)[-1]
        if path in self.exclude:
            reason = "left out with --exclude" + (f" ({count} tensor(s))" if count else "")
            self.skipped.append(Skipped(file=self.rel, key=path, kind=self.kind.type_name(value), reason=reason))
        elif count and leaf in TRAINING_STATE_KEYS:
            self.training[path] = count
        elif count:
            self.namespaced.append(Namespaced(file=self.rel, key=path, tensors=count))
            self.value(value, path, 0)
        else:
            self.skipped.append(
                Skipped(
                    file=self.rel,
                    key=path,
                    kind=self.kind.type_name(value),
                    reason=f"outside the state dict (kept `{kept}`)",
                )
            )

    def mapping(self, mapping: Mapping[Any, Any], prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ConvertError(f"{self.rel}: dicts nested more than {MAX_DEPTH} deep at {prefix!r}; not a state dict")
        for key, value in mapping.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                where = f"{prefix}{key!r}"
                if self.holds_tensor(key) or self.holds_tensor(value):
                    self.left.append(f"{where} (under a {type(key).__name__} key, which is not a name)")
                    continue
                self.skipped.append(
                    Skipped(
                        file=self.rel,
                        key=where,
                        kind=self.kind.type_name(value),
                        reason=f"key of type {type(key).__name__} is not a name",
                    )
                )
                continue
            self.value(value, f"{prefix}{key}", depth + 1)

    def value(self, value: Any, name: str, depth: int) -> None:
        if name in self.exclude:
            count = self.count_tensors(value)
            reason = "left out with --exclude" + (f" ({count} tensor(s))" if count else "")
            self.skipped.append(Skipped(file=self.rel, key=name, kind=self.kind.type_name(value), reason=reason))
        elif self.kind.is_tensor(value):
            if name in self.tensors:
                raise ConvertError(f"{self.rel}: two entries flatten to the name {name!r}")
            self.tensors[name] = value
        elif isinstance(value, Mapping):
            self.mapping(value, f"{name}.", depth)
        elif isinstance(value, (list, tuple)) and self.holds_tensor(value):
            if depth > MAX_DEPTH:
                raise ConvertError(f"{self.rel}: values nested more than {MAX_DEPTH} deep at {name!r}")
            for position, item in enumerate(value):
                self.value(item, f"{name}.{position}", depth + 1)
        elif self.holds_tensor(value):
            self.left.append(f"{name} (inside a {self.kind.type_name(value)}, which has no names)")
        else:
            reason = "a list or tuple, not a named tensor" if isinstance(value, (list, tuple)) else "not a tensor"
            self.skipped.append(Skipped(file=self.rel, key=name, kind=self.kind.type_name(value), reason=reason))

    def fail_on_left(self) -> None:
        if self.training:
            keys = ", ".join(f"`{k}` ({n} tensor(s))" for k, n in self.training.items())
            options = " ".join(f"--exclude {k}" for k in self.training)
            raise ConvertError(
                f"{self.rel}: training state beside the state dict holds tensors that would not be written: "
                f"{keys}; pass {options} to convert the weights without it"
            )
        if self.left:
            shown = "; ".join(self.left[:SHOWN]) + (f"; and {len(self.left) - SHOWN} more" if len(self.left) > SHOWN else "")
            raise ConvertError(
                f"{self.rel}: {len(self.left)} tensor(s) cannot be named and would not be written: {shown}; "
                "nothing was written (save them in a dict of names, or leave them out with --exclude)"
            )


def _strip(tensors: dict[str, Any], prefix: str, rel: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, tensor in tensors.items():
        new = name[len(prefix) :] if name.startswith(prefix) else name
        if not new:
            raise ConvertError(f"{rel}: --strip-prefix {prefix!r} leaves tensor {name!r} without a name")
        if new in out:
            raise ConvertError(f"{rel}: --strip-prefix {prefix!r} makes two tensors named {new!r}")
        out[new] = tensor
    return out
