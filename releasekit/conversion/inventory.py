"""What one input file holds, as plain metadata: names, dtypes, shapes, shared storage, skips.

The planner works from these summaries only, so a reader (and, for the legacy format, the whole
file in memory) can be let go as soon as its summary is taken: planning a checkpoint of many
legacy shards never holds more than one of them.

Shared storage: the same view of one storage under several names (tied weights) is an alias of
the first name (or of a `--prefer-name`); different views of one storage (a slice, a transpose)
are recorded as views of the tensor that covers the whole storage, and each is written on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

from releasekit.conversion.statedict import Namespaced, Skipped


@dataclasses.dataclass(frozen=True, kw_only=True)
class TensorFacts:
    """What planning needs to know of one tensor, whatever reader holds it."""

    dtype: str  # safetensors dtype
    shape: tuple[int, ...]
    nbytes: int
    storage: Hashable | None  # identity of the storage it views; None for an empty tensor or storage
    view: Hashable | None  # identity of the view (storage, offset, shape, strides); equal views are aliases
    covers: bool  # contiguous from offset 0 over the whole storage: the parameter itself


class SummarizableReader(Protocol):
    source: Any
    tensors: Mapping[str, Any]
    skipped: list[Skipped]

    def facts(self, tensor: Any) -> TensorFacts: ...


@dataclasses.dataclass(frozen=True, kw_only=True)
class TensorMeta:
    name: str
    dtype: str  # safetensors dtype of the source
    shape: tuple[int, ...]
    nbytes: int
    position: int  # order in the file

    @property
    def is_fp8(self) -> bool:
        return self.dtype in ("F8_E4M3", "F8_E5M2")


@dataclasses.dataclass(frozen=True, kw_only=True)
class FileSummary:
    file: int  # position in Plan.inputs
    rel: str
    tensors: tuple[TensorMeta, ...]
    aliases: Mapping[str, str]  # alias -> kept name (same storage, same view)
    views: Mapping[str, str]  # view -> the tensor whose storage it shares
    skipped: tuple[Skipped, ...]
    namespaced: tuple[Namespaced, ...] = ()


def summarize(reader: SummarizableReader, file: int, prefer_names: Sequence[str] = ()) -> FileSummary:
    facts = {name: reader.facts(tensor) for name, tensor in reader.tensors.items()}
    metas = [
        TensorMeta(name=name, dtype=f.dtype, shape=f.shape, nbytes=f.nbytes, position=position)
        for position, (name, f) in enumerate(facts.items())
    ]
    aliases, views = shared_storage(facts, prefer_names)
    return FileSummary(
        file=file,
        rel=reader.source.rel,
        tensors=tuple(metas),
        aliases=aliases,
        views=views,
        skipped=tuple(reader.skipped),
        namespaced=tuple(getattr(reader, "namespaced", ())),
    )


def shared_storage(
    facts: Mapping[str, TensorFacts], prefer: Sequence[str] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """Aliases (same storage, same view) and views (same storage, different view) in one file."""
    by_view: dict[Hashable, list[str]] = {}
    by_storage: dict[Hashable, list[str]] = {}
    for name, fact in facts.items():
        if fact.storage is None:
            continue
        by_view.setdefault(fact.view, []).append(name)
        if len(by_view[fact.view]) == 1:
            by_storage.setdefault(fact.storage, []).append(name)
    preferred = set(prefer)
    aliases: dict[str, str] = {}
    for names in by_view.values():
        if len(names) > 1:
            kept = next((n for n in names if n in preferred), names[0])
            aliases.update({n: kept for n in names if n != kept})
    views: dict[str, str] = {}
    for firsts in by_storage.values():
        if len(firsts) > 1:
            resolved = [aliases.get(n, n) for n in firsts]
            # The base is the view that covers its whole storage (the parameter itself), if any.
            base = next((n for n in resolved if facts[n].covers), resolved[0])
            views.update({name: base for name in resolved if name != base})
    return aliases, views
