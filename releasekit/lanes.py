"""Run the weights checks and the rest side by side, in two processes, on a big checkpoint.

On a 671B release the weights checks parse 160-odd headers while the other checks read text
(secrets, licenses, card); neither needs the other's results (`Context.memo` keys of the weights
family are used only by weights checks), and Python's GIL keeps threads from overlapping them.
So the engine forks once: the child runs one lane and sends back its findings, sections and
registered secrets; the parent runs the other lane, then merges. The report is the same as a
sequential run's (tested), and only `os.fork` on Linux is used: nothing is re-imported and the
release is walked once.

The weights lane is the longer one, and most of it is parsing headers; so the parent, before its
own lane, parses the later `PARENT_SHARE` of the shards' headers (the same pure `read_header`) and
hands them to the child, while the child parses the rest (`Context.map_files`). The hand-over is
a pickle written into memory shared since the fork, and its length sent through a pipe once it is
complete: the child reads it where it lies, with no copy through a pipe and no thread in the
parent. The child takes a handed-over header only for a file it asked for, and parses itself
whatever did not arrive whole: the help changes the timing, never the map.

Fail closed: a child that dies, is killed or sends back something unreadable turns into one
crash finding per check of its lane, so the rules it should have applied can never go missing
silently. The payloads are our own processes' pickles, never data from the release.
"""

from __future__ import annotations

import gc
import mmap
import os
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from dataclasses import dataclass

from releasekit.context import Context
from releasekit.findings import Finding
from releasekit.registry import Check
from releasekit.release import FileKind, Release, ReleaseFile
from releasekit.report import Section
from releasekit.safetensors_format import Header, read_header

#: The family of checks that read every safetensors header: one lane; every other check: the other.
WEIGHTS_FAMILY = "weights"
#: A checkpoint with at least this many safetensors files is worth a second process (a fork and a
#: pickle cost a few milliseconds; a single-file model is checked faster in one process).
MIN_SHARDS = 8
#: The `Context.map_files` key under which the weights checks read every safetensors header.
HEADERS_KEY = "weights.headers"
#: The part of the shards whose headers the parent parses for the child (the later ones). The child
#: also reads the index and runs every weights rule, so the lanes end together when the parent takes
#: more than half (measured on DeepSeek-V3's layout: docs/benchmarks.md).
PARENT_SHARE = 0.65
#: Room for the headers the parent hands over (4.6 MB for 106 of DeepSeek-V3's shards). A shared
#: anonymous mapping: pages exist only once written. A larger hand-over is not sent (the child
#: parses those headers itself), and neither is one where the mapping cannot be made.
HANDOVER_BYTES = 256 << 20
_LENGTH = struct.Struct("<Q")


@dataclass(frozen=True)
class LaneResult:
    """What one lane produced: findings per check (in check order), sections, secrets to scrub."""

    findings: list[list[Finding]]
    sections: list[list[Section]]
    secrets: frozenset[str]


RunCheck = Callable[[Check, Context], list[Finding]]


def family(check: Check) -> str:
    """`weights` for `weights_config.config_valid`: the part of a check's module name before `_`."""
    return check.name.split(".", 1)[0].split("_", 1)[0]


def worth_forking(release: Release, checks: Sequence[Check], jobs: int | None) -> bool:
    """Fork when asked for (jobs >= 2) or, by default, on a sharded checkpoint, and only where a
    fork is safe: Linux, no other thread running (a fork copies locks other threads may hold)."""
    if jobs is not None and jobs < 2:
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    lanes = split(checks)
    if not lanes[0] or not lanes[1]:
        return False
    if jobs is not None:
        return True
    return len(release.of_kind(FileKind.SAFETENSORS)) >= MIN_SHARDS  # the files the hand-over splits


def split(checks: Sequence[Check]) -> tuple[list[Check], list[Check]]:
    """(the weights family, every other check), each in registry order."""
    weights = [c for c in checks if family(c) == WEIGHTS_FAMILY]
    return weights, [c for c in checks if family(c) != WEIGHTS_FAMILY]


def run_lane(checks: Sequence[Check], ctx: Context, run_check: RunCheck) -> LaneResult:
    """Run `checks` in this process, recording which sections each one added."""
    findings, sections = [], []
    for check in checks:
        before = set(ctx.sections)
        findings.append(run_check(check, ctx))
        sections.append([s for name, s in ctx.sections.items() if name not in before])
    return LaneResult(findings, sections, ctx.secrets)


def run_two_lanes(
    ctx: Context, checks: Sequence[Check], run_check: RunCheck, crash: Callable[[Check, str], Finding],
    progress: Callable[[str, int, int], None] | None = None,
) -> list[tuple[list[Finding], list[Section]]] | None:
    """Each check's findings and sections, in `checks` order: the weights lane in a forked child,
    the rest here. `crash(check, why)` is the finding for a check whose lane did not come back.
    `progress` hears of this process's checks (the other lane's come back all at once).
    None when no second process could be made (out of processes or memory): run them here."""
    import pickle  # our own child's result, never the release's data

    weights, rest = split(checks)
    shards = ctx.release.of_kind(FileKind.SAFETENSORS)
    ours = shards[len(shards) - round(len(shards) * PARENT_SHARE):]  # the parent parses these for the child
    handover = _shared_memory(HANDOVER_BYTES)
    pipes: list[int] = []
    try:
        read_end, write_end = os.pipe()
        pipes += (read_end, write_end)
        help_read, help_write = os.pipe()
        pipes += (help_read, help_write)
        pid = os.fork()
    except OSError:
        for fd in pipes:
            os.close(fd)
        if handover is not None:
            handover.close()
        return None
    if pid == 0:  # the child: run, send, and leave without running any exit handler or flushing stdio
        status = 70
        try:
            # No cyclic collection in a process that lives for one lane: a pass would walk (and
            # copy, page by page) every object inherited from the parent, and then the columns of
            # 91,991 tensors; what the lane allocates is freed by reference counts or at exit.
            gc.disable()
            os.close(read_end)
            os.close(help_write)
            ctx.helper = PipeHelper(help_read, frozenset(f.path for f in ours), handover)
            payload = pickle.dumps(run_lane(weights, ctx, run_check), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    os.close(help_read)
    try:
        try:
            _send_headers(ours, help_write, handover)
        finally:
            os.close(help_write)  # whatever happened, the child is not left waiting for a length
        here = run_lane(rest, ctx, _reporting(run_check, progress, len(checks)))
    finally:
        there = _collect(pid, read_end)
        if handover is not None:
            handover.close()
    for done, check in enumerate(weights, start=len(rest)):  # the other lane's, now they are in
        if progress is not None:
            progress(check.name, done, len(checks))
    if isinstance(there, str):
        there = LaneResult([[crash(c, there)] for c in weights], [[] for _ in weights], frozenset())
    for secret in there.secrets:
        ctx.register_secret(secret)
    by_name = {c.name: (f, s) for c, f, s in zip(weights, there.findings, there.sections, strict=True)}
    by_name.update({c.name: (f, s) for c, f, s in zip(rest, here.findings, here.sections, strict=True)})
    return [by_name[c.name] for c in checks]


def _reporting(run_check: RunCheck, progress: Callable[[str, int, int], None] | None, total: int) -> RunCheck:
    """`run_check`, telling `progress` of each check as it starts (this lane's count first)."""
    if progress is None:
        return run_check
    done = iter(range(total))

    def run(check: Check, ctx: Context) -> list[Finding]:
        progress(check.name, next(done), total)
        return run_check(check, ctx)

    return run


def _shared_memory(size: int) -> mmap.mmap | None:
    """A mapping the child will share with this process (None where one cannot be made)."""
    try:
        return mmap.mmap(-1, size, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_NORESERVE", 0))
    except (OSError, ValueError):
        return None


def _send_headers(files: Sequence[ReleaseFile], length_end: int, handover: mmap.mmap | None) -> None:
    """Parse `files`' headers here, pickle them into `handover` and send their length (0: nothing
    to take) through `length_end` (the caller closes it). Eight bytes fit a pipe: this never blocks."""
    import pickle

    length = 0
    enabled = gc.isenabled()
    gc.disable()  # acyclic columns: see _checkpoints.no_gc
    try:
        if handover is not None:
            pickle.dump({f.path: read_header(f.abspath) for f in files}, handover, protocol=pickle.HIGHEST_PROTOCOL)
            length = handover.tell()
    except Exception:  # noqa: BLE001, S110 - out of room, or anything else: the child parses them
        length = 0
    finally:
        if enabled:
            gc.enable()
    try:
        os.write(length_end, _LENGTH.pack(length))
    except OSError:  # the child left without reading (it needed no header): nothing to do
        pass


class PipeHelper:
    """The child's side of the header hand-over (`Context.helper`)."""

    def __init__(self, length_end: int, paths: frozenset[str], handover: mmap.mmap | None) -> None:
        self._length_end = length_end
        self._paths = paths
        self._handover = handover

    def promised(self, key: str, function: Callable[[Path], object]) -> frozenset[str]:
        if self._handover is None or key != HEADERS_KEY or function is not read_header:
            return frozenset()
        return self._paths

    def results(self, key: str, function: Callable[[Path], object]) -> dict[str, object]:
        """The parent's headers; empty when anything went wrong (the child then parses them)."""
        import pickle

        if not self.promised(key, function):
            return {}
        assert self._handover is not None
        try:
            with os.fdopen(self._length_end, "rb") as source:
                (length,) = _LENGTH.unpack(source.read(_LENGTH.size))
            if not 0 < length <= len(self._handover):
                return {}
            received = pickle.loads(memoryview(self._handover)[:length])
        except Exception:  # noqa: BLE001 - a broken hand-over costs time, never a result
            return {}
        if not isinstance(received, dict):
            return {}
        return {path: header for path, header in received.items() if path in self._paths and isinstance(header, Header)}


def _collect(pid: int, read_end: int) -> LaneResult | str:
    """The child's result, or why there is none (the child is always reaped)."""
    import pickle

    try:
        with os.fdopen(read_end, "rb") as source:
            payload = source.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status):
        return f"its process was killed by signal {os.WTERMSIG(status)}"
    if os.WEXITSTATUS(status) != 0:
        return f"its process exited with status {os.WEXITSTATUS(status)}"
    try:
        result = pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - a truncated result is a crash, whatever the error
        return f"its result could not be read ({type(exc).__name__})"
    if not isinstance(result, LaneResult):
        return "its result was not a lane result"
    return result


__all__ = ["HEADERS_KEY", "LaneResult", "PipeHelper", "family", "run_lane", "run_two_lanes", "split", "worth_forking"]
