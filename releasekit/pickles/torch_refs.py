"""PyTorch's persistent ids: the references from a checkpoint's pickle to its tensor storages.

`torch.save` pickles each storage as a persistent id, `('storage', <storage class>, key, location,
numel)` in the zip format (a sixth item, view metadata, in the legacy format). `torch.load`'s
`persistent_load` turns the key into the bytes of `<archive>/data/<key>` (zip) or of the key-th
storage after the pickles (legacy). Anything else handed to persistent_load is unverifiable.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from releasekit.pickles.allowlist import STORAGE_ITEMSIZE
from releasekit.pickles.machine import Global, Machine, Opaque, Persistent, Tup, describe
from releasekit.pickles.problems import Kind


@dataclasses.dataclass(frozen=True)
class StorageRef:
    key: str
    storage_type: str
    numel: int
    pos: int

    @property
    def itemsize(self) -> int | None:
        """Bytes per element, or None for a storage class we do not know."""
        if self.storage_type in ("torch.storage.UntypedStorage", "torch.UntypedStorage"):
            return 1
        kind = self.storage_type.rsplit(".", 1)[-1]
        if kind.endswith("Storage"):
            return STORAGE_ITEMSIZE.get(kind[: -len("Storage")])
        return None


class TorchReferences:
    """A persistent-id handler for `Machine` that records the storages a checkpoint references."""

    def __init__(self, *, legacy: bool) -> None:
        self.legacy = legacy
        self.refs: list[StorageRef] = []

    def __call__(self, pid: Any, pos: int, machine: Machine) -> Any:
        items = pid.items if isinstance(pid, Tup) else None
        tag = items[0] if items else None
        if isinstance(tag, bytes):
            tag = tag.decode("ascii", "replace")
        if self.legacy and tag == "module" and items is not None and len(items) >= 2:
            return items[1]  # the legacy format's container-source record returns the class itself
        want = 6 if self.legacy else 5
        if items is None or tag != "storage" or len(items) != want:
            machine.note(Kind.UNRESOLVED, f"persistent id {describe(pid)} is not a PyTorch storage reference "
                                          f"('storage', type, key, location, numel{', view' if self.legacy else ''})", pos)
            return Opaque("a persistent object")
        _, storage_type, key, location, numel = items[:5]
        if not isinstance(storage_type, Global) or not isinstance(key, str) or not isinstance(location, str) \
                or not isinstance(numel, int) or isinstance(numel, bool) or numel < 0:
            machine.note(Kind.UNRESOLVED, f"storage reference ({describe(storage_type)}, {describe(key)}, "
                                          f"{describe(location)}, {describe(numel)}) is not (storage class, key, "
                                          "location, element count)", pos)
            return Opaque("a persistent object")
        self.refs.append(StorageRef(key, storage_type.full, numel, pos))
        return Persistent(pid)
