"""A range of an input file that the kernel can copy straight into the output (no torch, no numpy)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class FileRange:
    """Bytes of an input file (fd, offset, length) that the kernel can copy straight to the output."""

    fd: int
    offset: int
    length: int

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, part: slice) -> FileRange:
        start, stop, step = part.indices(self.length)
        assert step == 1
        return FileRange(self.fd, self.offset + start, max(0, stop - start))
