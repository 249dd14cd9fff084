"""A budget for the whole analysis: opcodes, inflated bytes and wall time, per file and per run.

A hostile file can be cheap to store and expensive to analyse (a few kilobytes of xz that inflate
to a billion one-byte opcodes). Per-pickle caps are not enough: many pickles in one file, or many
files in one release, add up. So one `Budget` is shared by every file of a `check` run, and each
file also has its own share. Running out is never a pass: the file gets an error finding that
says it was not fully analysed, and the run moves on (or, when the run's budget is spent, every
remaining pickle-bearing file gets that finding without being read).

The defaults keep `check` of an ordinary release under a minute on a laptop core: real
checkpoints need a few thousand opcodes per file (tensors are referenced, not pickled), and the
large plain pickles seen in releases (tokenizer states, optimizer states) a few million.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

#: How often (in opcodes) the machine reports to the budget; also how often the clock is read.
OPCODE_TICK = 1 << 14

@dataclasses.dataclass(frozen=True)
class Limits:
    file_opcodes: int = 20_000_000
    run_opcodes: int = 60_000_000
    file_inflated: int = 4 << 30
    run_inflated: int = 16 << 30
    file_seconds: float = 30.0
    run_seconds: float = 50.0


#: The limits a `Budget()` gets when none are given (`check` and `convert` use these).
DEFAULT_LIMITS = Limits()


class BudgetExceeded(Exception):
    """The analysis of this file stops here: it is not fully analysed (an error, never a pass)."""


class Budget:
    """Counters for one run; `start_file` opens a new per-file share."""

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or DEFAULT_LIMITS
        self.clock = clock
        self.run_started = clock()
        self.run_opcodes = 0
        self.run_inflated = 0
        self.file_opcodes = 0
        self.file_inflated = 0
        self.file_started = self.run_started
        self.spent: str | None = None  # why the run's budget is spent, once it is

    def start_file(self) -> None:
        """Begin a file; raises BudgetExceeded at once when the run's budget is already spent."""
        if self.spent is not None:
            raise BudgetExceeded(f"not analysed: {self.spent}")
        self.file_opcodes = 0
        self.file_inflated = 0
        self.file_started = self.clock()
        self._check_time()

    def opcodes(self, n: int) -> None:
        self.file_opcodes += n
        self.run_opcodes += n
        lim = self.limits
        if self.run_opcodes > lim.run_opcodes:
            self._run_spent(f"the run's budget of {lim.run_opcodes:,} pickle opcodes is spent")
        if self.file_opcodes > lim.file_opcodes:
            raise BudgetExceeded(f"not fully analysed: more than {lim.file_opcodes:,} pickle opcodes in one file")
        self._check_time()

    def inflated(self, n: int) -> None:
        self.file_inflated += n
        self.run_inflated += n
        lim = self.limits
        if self.run_inflated > lim.run_inflated:
            self._run_spent(f"the run's budget of {lim.run_inflated:,} decompressed bytes is spent")
        if self.file_inflated > lim.file_inflated:
            raise BudgetExceeded(f"not fully analysed: it decompresses to more than {lim.file_inflated:,} bytes")
        self._check_time()

    def _check_time(self) -> None:
        now = self.clock()
        lim = self.limits
        if now - self.run_started > lim.run_seconds:
            self._run_spent(f"the run's budget of {lim.run_seconds:g} s of pickle analysis is spent")
        if now - self.file_started > lim.file_seconds:
            raise BudgetExceeded(f"not fully analysed: its analysis took more than {lim.file_seconds:g} s")

    def _run_spent(self, why: str) -> None:
        self.spent = why
        raise BudgetExceeded(f"not fully analysed: {why}")


def unlimited() -> Budget:
    """A budget that never runs out (for tests and for callers that bound work themselves)."""
    big = 1 << 62
    return Budget(Limits(big, big, big, big, float("inf"), float("inf")))
