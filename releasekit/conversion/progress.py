"""How the run reports progress: a sink the CLI implements (a rich bar on a terminal) and the
library calls; the library itself never prints."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, total_bytes: int, total_tensors: int) -> None: ...

    def update(self, *, nbytes: int = 0, tensors: int = 0, stage: str | None = None) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """The default: silent (CI, pipes, tests)."""

    def start(self, total_bytes: int, total_tensors: int) -> None:
        pass

    def update(self, *, nbytes: int = 0, tensors: int = 0, stage: str | None = None) -> None:
        pass

    def finish(self) -> None:
        pass
