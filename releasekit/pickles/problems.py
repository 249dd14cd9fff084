"""What the analysis found, before it becomes a `Finding` of one of the RK2xx rules."""

from __future__ import annotations

import dataclasses
import enum


class Kind(str, enum.Enum):
    UNRESOLVED = "unresolved"  # RK202: an operand or construct that cannot be verified statically
    MALFORMED = "malformed"  # RK203: not parseable as the format it claims
    ARCHIVE = "archive"  # RK204: the zip container itself is inconsistent
    NOT_A_PICKLE = "not-a-pickle"  # RK203 as a warning: named like a checkpoint, no loader can run code from it


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    kind: Kind
    message: str
    pos: int | None = None  # byte offset in the file or member, when there is one

    def where(self) -> str:
        return "" if self.pos is None else f" (at byte {self.pos:,})"


@dataclasses.dataclass(slots=True)
class ImportUse:
    """One callable a pickle imports: how it is allowed, where first, how often, whether called."""

    name: str
    status: str | None  # "builtin", "user", or None (not allowed)
    first_pos: int
    count: int = 1
    called: bool = False
