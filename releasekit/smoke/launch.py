"""Plan a smoke run and drive the kernel process. No torch here: the CLI stays light.

`prepare` reads the checkpoint headers and plans the cases (the CLI has validated the config
already, so bad input fails in a second with one line). `KernelRun` starts
`python -m releasekit.smoke.worker` with the interpreter switched on for the CPU, feeds it the
plan and yields each case's result as it arrives; a kernel process that dies or hangs becomes a
failed result naming the case it was running.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from releasekit.errors import MissingExtraError, ReleasekitError
from releasekit.smoke import runtime
from releasekit.smoke.cases import Plan, plan
from releasekit.smoke.checkpoint import find_fp8_weight
from releasekit.smoke.report import CaseResult
from releasekit.smoke.shapes import ModelShape

DEFAULT_TIMEOUT = 1800.0


class KernelProcessError(ReleasekitError):
    """The kernel process could not start or reported an error before running any case."""


@dataclasses.dataclass
class Prepared:
    plan: Plan
    setup_failures: tuple[CaseResult, ...]  # problems found in the release before running (e.g. checkpoint)


def prepare(shape: ModelShape, release: Path | None, device: str) -> Prepared:
    """Look for a real FP8 weight (headers only) and plan the cases for `device`."""
    notes: list[str] = []
    failures: list[CaseResult] = []
    weight = None
    if release is None:
        notes.append("no release given: DeepSeek-V3 shapes, synthetic weights")
    else:
        found = find_fp8_weight(Path(release), shape.weight_block)
        weight = found.weight
        if found.problem:
            failures.append(CaseResult("checkpoint", "gemm", "real FP8 weight", (), error=found.problem))
        elif found.note:
            notes.append(found.note)
        elif weight is not None:
            notes.append(f"checkpoint GEMM on {weight.name} {list(weight.shape)} from {weight.shard} "
                         f"(smallest of {found.candidates} FP8 weights with weight_scale_inv)")
    return Prepared(plan(shape, device, str(release) if release is not None else None, weight, tuple(notes)),
                    tuple(failures))


class KernelRun:
    """One run of a plan in a fresh kernel process; iterate it for the CaseResults as they arrive.

    Iterating raises MissingExtraError / DeviceUnavailableError / KernelProcessError when the
    process cannot run any case. `mode` describes how the kernels ran once they are loaded.
    """

    def __init__(self, the_plan: Plan, *, timeout: float = DEFAULT_TIMEOUT, command: list[str] | None = None) -> None:
        self.plan = the_plan
        self.timeout = timeout
        self.mode = ""
        self.command = command or [sys.executable, "-m", "releasekit.smoke.worker"]

    def __iter__(self) -> Iterator[CaseResult]:
        env = runtime.worker_environment(self.plan.device)
        with tempfile.TemporaryFile() as stderr:
            proc = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
            timer = threading.Timer(self.timeout, proc.kill)
            timer.start()
            current: str | None = None
            finished = 0
            done = False
            try:
                assert proc.stdin is not None and proc.stdout is not None
                try:
                    proc.stdin.write(json.dumps(self.plan.to_json()))
                    proc.stdin.close()
                except BrokenPipeError:
                    pass  # it died before reading the plan; its exit status says why below
                for line in proc.stdout:
                    message = _parse(line)
                    kind = message.get("type")
                    if kind == "error":
                        _raise_worker_error(message)
                    elif kind == "start":
                        self.mode = str(message.get("mode", ""))
                    elif kind == "case":
                        current = str(message.get("name"))
                    elif kind == "result":
                        current = None
                        finished += 1
                        yield CaseResult.from_json(message)
                    elif kind == "done":
                        done = True
                code = proc.wait()
            finally:
                timed_out = not done and not timer.is_alive()
                timer.cancel()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            if done and code == 0:
                return
            stderr.seek(0)
            tail = _last_line(stderr.read().decode("utf-8", "replace"))
            if timed_out:
                why = f"the kernel process timed out after {self.timeout:g} s"
            elif code < 0:
                why = f"the kernel process died with signal {-code}"
            else:
                why = f"the kernel process exited with status {code}"
            if current is None and finished == 0:
                raise KernelProcessError(f"{why} before running any case{': ' + tail if tail else ''}")
            left = len(self.plan.cases) - finished - (1 if current else 0)
            later = f" ({left} later case(s) not run)" if left > 0 else ""
            # A crash is a failure of the case that was running (a segfault is what an
            # out-of-bounds access looks like), not of the tool.
            yield CaseResult(current or "kernel-process", "crash", "", (),
                             error=f"{why}{later}{': ' + tail if tail else ''}")


def _parse(line: str) -> dict[str, object]:
    """A message from the worker; anything else on its stdout (a library's print) is ignored."""
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _raise_worker_error(message: dict[str, str]) -> None:
    if message.get("code") == "missing":
        raise MissingExtraError("smoke", message.get("package", "torch"), "torch")
    if message.get("code") == "device":
        raise runtime.DeviceUnavailableError(message["message"])
    raise KernelProcessError(message.get("message", "the kernel process failed"))
