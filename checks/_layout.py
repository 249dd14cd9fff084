"""A checkpoint's tensors grouped the way transformer configs describe them: by layer.

`Layout` splits tensor names into the decoder stack (`model.layers.N.<rest>`, also `h.N` and
`blocks.N`) and everything else, so config rules can ask "what is layer 3's kv_b_proj shape?"
without each re-parsing 91,000 names.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple

from releasekit.safetensors_format import TensorInfo

# One pass of C-speed matching over all names (a per-name Python loop costs ~0.4 s at 91,000
# tensors): each line is either "<prefix>.<layers|h|blocks|layer>.<N>.<rest>" or anything else.
# Routed experts are recognised in the same pass: "<moe>.experts.<E>.<part>" inside a layer.
_ROWS = re.compile(
    r"^(?:([^\n]*?)\.)??(layers|h|blocks|layer)\.(\d+)\.((?:([\w.]*?(?<!shared_)experts)\.(\d+)\.)?([^\n]+))$"
    r"|^[^\n]*$",
    re.M,
)


class Tensor(NamedTuple):
    name: str
    shard: str
    info: TensorInfo


@dataclasses.dataclass(frozen=True)
class Layout:
    prefix: str | None  # "model.layers" for most decoders; None when no layered tensors
    layers: Mapping[int, Mapping[str, Tensor]]  # index -> rest-of-name -> tensor
    other: Mapping[str, Tensor]  # tensors outside the layer stack, by full name
    routed: Mapping[int, Mapping[int, Mapping[str, Tensor]]] = dataclasses.field(default_factory=dict)

    def experts(self, index: int) -> Mapping[int, Mapping[str, Tensor]]:
        """Routed experts of one layer (not shared experts): expert index -> part name -> tensor."""
        return self.routed.get(index, {})


Row = tuple[str, str, str, str, str, str, str]  # prefix, word, layer, rest, moe, expert, part


def _rows(names: list[str]) -> list[Row]:
    """One row per name; word is "" for names outside a layer stack, expert "" outside experts."""
    rows = _ROWS.findall("\n".join(names)) if not any("\n" in n for n in names) else []
    if len(rows) == len(names):
        return rows
    return [next(iter(_ROWS.findall(n.replace("\n", " "))), ("",) * 7) for n in names]


def build_layout(table: Mapping[str, tuple[str, TensorInfo]]) -> Layout:
    names = list(table)
    other: dict[str, Tensor] = {}
    stacks: dict[str, dict[int, dict[str, Tensor]]] = {}
    routed: dict[str, dict[int, dict[int, dict[str, Tensor]]]] = {}
    counts: Counter[str] = Counter()
    for name, (prefix, word, index, rest, _moe, expert, part) in zip(names, _rows(names)):
        shard, info = table[name]
        tensor = Tensor(name, shard, info)
        if word:
            stack = f"{prefix}.{word}" if prefix else word
            layer = int(index)
            stacks.setdefault(stack, {}).setdefault(layer, {})[rest] = tensor
            if expert:
                routed.setdefault(stack, {}).setdefault(layer, {}).setdefault(int(expert), {})[part] = tensor
            counts[stack] += 1
        else:
            other[name] = tensor
    if not counts:
        return Layout(None, {}, other)
    # The decoder stack is the prefix with the most tensors (a vision tower has fewer).
    prefix = counts.most_common(1)[0][0]
    for stack, layers in stacks.items():
        if stack != prefix:
            for tensors in layers.values():
                for tensor in tensors.values():
                    other[tensor.name] = tensor
    return Layout(prefix, stacks[prefix], other, routed.get(prefix, {}))


def config_int(config: Mapping[str, Any], key: str) -> int | None:
    """A declared positive integer field, else None (absent, null, or not an integer)."""
    value = config.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def ranges(numbers: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> "0-2, 5, 7-8"."""
    numbers = sorted(set(numbers))
    parts: list[str] = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:  # type: ignore[operator]
            prev = n
        else:
            parts.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ", ".join(parts)
