"""A checkpoint's tensors grouped the way transformer configs describe them: by layer.

`Layout` splits tensor names into the decoder stack (`model.layers.N.<rest>`, also `h.N` and
`blocks.N`) and everything else, so config rules can ask "what is layer 3's kv_b_proj shape?"
without each re-parsing 91,000 names. Rows are positions in the checkpoint's `Table`; routed
experts are grouped by part so a rule checks all 14,848 expert projections of DeepSeek-V3 as
one set of shapes.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
import re
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any

from releasekit.checks._checkpoints import Table, Tensor

# One pass of C-speed matching over all names (a per-name Python loop costs ~0.4 s at 91,000
# tensors): each line is either "<prefix>.<layers|h|blocks|layer>.<N>.<rest>" or anything else.
# Routed experts are recognised in the same pass: "<moe>.experts.<E>.<part>" inside a layer.
_ROWS = re.compile(
    r"^(?:([^\n]*?)\.)??(layers|h|blocks|layer)\.(\d+)\.((?:([\w.]*?(?<!shared_)experts)\.(\d+)\.)?([^\n]+))$"
    r"|^[^\n]*$",
    re.M,
)


@dataclasses.dataclass(frozen=True)
class Experts:
    """One layer's routed experts (not shared experts)."""

    indices: frozenset[int]
    parts: Mapping[str, list[int]]  # part name ("gate_proj.weight") -> rows, over every expert
    moes: frozenset[str]  # the module paths holding them ("mlp.experts")


@dataclasses.dataclass(frozen=True)
class Layout:
    """Rows of a `Table` grouped by decoder layer; routed experts grouped by part, for whole-column checks."""

    table: Table
    prefix: str | None  # "model.layers" for most decoders; None when no layered tensors
    layers: Mapping[int, Mapping[str, int]]  # index -> rest-of-name -> row (routed experts excepted)
    other: Mapping[str, int]  # tensors outside the layer stack: full name -> row
    routed: Mapping[int, Experts] = dataclasses.field(default_factory=dict)

    def present(self) -> set[int]:
        """Indices of the layers that hold any tensor."""
        return set(self.layers) | set(self.routed)

    def get(self, index: int, rest: str) -> Tensor | None:
        row = self.layers.get(index, {}).get(rest)
        return None if row is None else self.table.tensor(row)

    def experts(self, index: int) -> Experts | None:
        return self.routed.get(index)

    def has(self, index: int, start: str) -> bool:
        """Does any tensor of the layer have a rest-of-name starting with `start`?"""
        if any(rest.startswith(start) for rest in self.layers.get(index, {})):
            return True
        experts = self.routed.get(index)
        return experts is not None and any((moe + ".").startswith(start) for moe in experts.moes)

    def first(self, index: int) -> Tensor:
        """Some tensor of a present layer (for a finding's path)."""
        rows = self.layers.get(index) or {}
        row = next(iter(rows.values()), None)
        if row is None:
            row = next(iter(self.routed[index].parts.values()))[0]
        return self.table.tensor(row)


Row = tuple[str, str, str, str, str, str, str]  # prefix, word, layer, rest, moe, expert, part


def _rows(names: list[str]) -> list[Row]:
    """One row per name; word is "" for names outside a layer stack, expert "" outside experts."""
    rows = _ROWS.findall("\n".join(names)) if not any("\n" in n for n in names) else []
    if len(rows) == len(names):
        return rows
    return [next(iter(_ROWS.findall(n.replace("\n", " "))), ("",) * 7) for n in names]


# The same expression over "generic" names, digits written as '#': every name with one generic
# form has its layer and expert numbers at the same positions, so one match per form (a hundred
# forms for 91,991 DeepSeek-V3 tensors) and C-speed slicing replace a match per name.
_FORM = re.compile(
    r"^(?:([^\n]*?)\.)??(layers|h|blocks|layer)\.(#+)\.((?:([\w.#]*?(?<!shared_)experts)\.(#+)\.)?([^\n]+))$"
)
_DIGITS = bytes.maketrans(b"0123456789", b"#" * 10)


class _Groups:
    """Rows grouped by stack and layer while the names are read (before the decoder stack is known)."""

    def __init__(self) -> None:
        self.other: dict[str, int] = {}
        self.plain: dict[str, dict[int, dict[str, int]]] = {}
        self.routed: dict[str, dict[int, tuple[set[int], dict[str, list[int]], set[str]]]] = {}
        self.counts: Counter[str] = Counter()

    def experts(self, stack: str, layer: int) -> tuple[set[int], dict[str, list[int]], set[str]]:
        per_stack = self.routed.setdefault(stack, {})
        group = per_stack.get(layer)
        if group is None:
            group = per_stack[layer] = (set(), {}, set())
        return group


def name_forms(table: Table) -> dict[str, list[int]] | None:
    """The table's rows grouped by generic name, digits written as '#' (computed once per table).

    "model.layers.7.mlp.experts.12.up_proj.weight" has the form
    "model.layers.#.mlp.experts.##.up_proj.weight": a hundred forms for DeepSeek-V3's 91,991
    tensors. Names of one form have one length and their digits at the same places, so a rule can
    treat a form as one unit (slice every name at the same place, join them and compare once).
    None when a name is not ASCII or holds '#' or a newline: callers then take their general path.
    """
    if "forms" not in table.derived:
        table.derived["forms"] = _forms(table.names)
    forms: dict[str, list[int]] | None = table.derived["forms"]
    return forms


def _forms(names: list[str]) -> dict[str, list[int]] | None:
    if not names:
        return {}
    joined = "\n".join(names)
    if not joined.isascii() or "#" in joined:
        return None
    # bytes.translate and bytes.split: C speed, and no decoding of 91,991 forms, only of the distinct ones.
    generic = joined.encode("ascii").translate(_DIGITS).split(b"\n")
    if len(generic) != len(names):  # a name holds a newline
        return None
    forms: dict[bytes, list[int]] = {form: [] for form in dict.fromkeys(generic)}
    # Each row appended to its form's list by C-level map passes (a deque of length 0 drains them).
    deque(map(list.append, map(forms.__getitem__, generic), range(len(generic))), maxlen=0)
    return {form.decode("ascii"): rows for form, rows in forms.items()}


def _group_by_form(names: list[str], groups: _Groups, forms: dict[str, list[int]] | None = None) -> None:
    """The fast path: names are ASCII, without '#' or newlines (`forms`: their `name_forms`)."""
    if forms is None:
        forms = _forms(names)
        assert forms is not None
    cut = operator.getitem
    # Expert numbers are kept as digits while the rows are read and made integers once per layer
    # (a few hundred per layer instead of one per tensor); "07" and "7" are both expert 7.
    expert_text: dict[tuple[str, int], tuple[set[Any], set[Any]]] = {}
    for form, rows in forms.items():
        match = _FORM.match(form)
        if match is None:
            groups.other.update(zip(map(names.__getitem__, rows), rows))
            continue
        if "#" in (match[1] or ""):  # numbered prefixes ("towers.0.layers.3"): one stack per number
            _group_by_name(names, groups, rows)
            continue
        prefix, word = match[1], match[2]
        stack = f"{prefix}.{word}" if prefix else word
        groups.counts[stack] += len(rows)
        members = list(map(names.__getitem__, rows))
        layer_at = slice(*match.span(3))
        if match[6] is None:
            layers = groups.plain.setdefault(stack, {})
            rests = map(cut, members, itertools.repeat(slice(match.start(4), None)))
            for layer, rest, row in zip(map(int, map(cut, members, itertools.repeat(layer_at))), rests, rows):
                layers.setdefault(layer, {})[rest] = row
            continue
        expert_at = slice(*match.span(6))
        if "#" not in match[5] and "#" not in match[7]:
            _group_expert_form(names, rows, match, groups.experts, expert_text.setdefault, stack)
            continue
        # Otherwise rows of one (layer, part) share their name once the expert number is cut out.
        keys = map(operator.add, map(cut, members, itertools.repeat(slice(0, expert_at.start))),
                   map(cut, members, itertools.repeat(slice(expert_at.stop, None))))
        by_key: dict[str, list[int]] = {}
        for key, position in zip(keys, range(len(members))):
            positions = by_key.get(key)
            if positions is None:
                by_key[key] = [position]
            else:
                positions.append(position)
        for positions in by_key.values():
            first = members[positions[0]]
            indices, parts, moes = groups.experts(stack, int(first[layer_at]))
            chosen = list(map(members.__getitem__, positions))
            indices.update(map(int, map(cut, chosen, itertools.repeat(expert_at))))
            parts.setdefault(first[match.start(7):], []).extend(map(rows.__getitem__, positions))
            moes.update(map(cut, chosen, itertools.repeat(slice(*match.span(5)))))
    for (stack, layer), (_, digits) in expert_text.items():
        groups.routed[stack][layer][0].update(map(int, map("".join, digits)))


_RUN = re.compile(r"(.)\1*", re.S)  # a run of one repeated character


def _group_expert_form(names: list[str], rows: list[int], match: re.Match[str], experts_of: Any,
                       digits_of: Any, stack: str) -> None:
    """One form of routed experts with one expert module and one part ("...experts.##.up_proj.weight"):
    its rows grouped by layer, by runs (a checkpoint stores a layer's tensors together; any order is
    still grouped right).

    The form's names have one length L, so joined end to end the k-th digit of every name's layer
    number is the string `joined[start + k::L]`: numbers are read as columns of characters, by
    slicing. A layer's run ends where any of its digit columns changes (one regex match per run,
    not per name). A layer's expert numbers are collected once per distinct digit columns: the
    parts of one layer (weight, scale, gate, up, down) usually list the same experts.
    """
    width = len(match[0])
    joined = "".join(map(names.__getitem__, rows))
    layer_at = match.span(3)
    expert_columns = [joined[k::width] for k in range(*match.span(6))]
    ends: set[int] = set()
    for k in range(*layer_at):
        ends.update(run.end() for run in _RUN.finditer(joined[k::width]))
    part, moe = joined[match.start(7):width], joined[slice(*match.span(5))]
    position = 0
    for end in sorted(ends):
        offset = position * width
        layer = int(joined[offset + layer_at[0]:offset + layer_at[1]])
        _, parts, moes = experts_of(stack, layer)
        columns = tuple(column[position:end] for column in expert_columns)
        seen, digits = digits_of((stack, layer), (set(), set()))
        if columns not in seen:
            seen.add(columns)
            digits.update(zip(*columns))  # each expert number as a tuple of its digits
        parts.setdefault(part, []).extend(rows[position:end])
        moes.add(moe)
        position = end


def _group_by_name(names: list[str], groups: _Groups, rows: list[int] | None = None) -> None:
    """The general path: one match per name (of `rows`, default all)."""
    rows = list(range(len(names))) if rows is None else rows
    for row, (prefix, word, index, rest, moe, expert, part) in zip(rows, _rows(list(map(names.__getitem__, rows)))):
        if not word:
            groups.other[names[row]] = row
            continue
        stack = f"{prefix}.{word}" if prefix else word
        groups.counts[stack] += 1
        if expert:
            indices, parts, moes = groups.experts(stack, int(index))
            indices.add(int(expert))
            parts.setdefault(part, []).append(row)
            moes.add(moe)
        else:
            groups.plain.setdefault(stack, {}).setdefault(int(index), {})[rest] = row


def build_layout(table: Table) -> Layout:
    names = table.names
    groups = _Groups()
    forms = name_forms(table)
    if forms is not None:
        _group_by_form(names, groups, forms)
    else:
        _group_by_name(names, groups)
    if not groups.counts:
        return Layout(table, None, {}, groups.other)
    # The decoder stack is the prefix with the most tensors (a vision tower has fewer).
    stack = groups.counts.most_common(1)[0][0]
    other = groups.other
    for name, layers in groups.plain.items():
        if name != stack:
            other.update((names[row], row) for rests in layers.values() for row in rests.values())
    for name, per_layer in groups.routed.items():
        if name != stack:
            other.update((names[row], row) for _, parts, _ in per_layer.values() for rows in parts.values()
                         for row in rows)
    routed = {layer: Experts(frozenset(indices), parts, frozenset(moes))
              for layer, (indices, parts, moes) in groups.routed.get(stack, {}).items()}
    return Layout(table, stack, groups.plain.get(stack, {}), other, routed)


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
