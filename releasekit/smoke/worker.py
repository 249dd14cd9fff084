"""The kernel process: `python -m releasekit.smoke.worker` reads a plan (JSON) on stdin and
writes one JSON object per line on stdout.

It runs apart from the CLI because Triton's interpreter is chosen per process (see `runtime`),
and so that a kernel that crashes the process (a segfault, a CUDA illegal address) becomes a
failed case in the parent's report instead of taking the command down with a traceback.
Messages: {"type": "start", "mode"}, {"type": "case", "name"} before each case,
{"type": "result", ...CaseResult}, {"type": "done"}, or {"type": "error", "code", "message"}.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from releasekit.errors import ReleasekitError
from releasekit.smoke.cases import Plan


def _emit(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def serve(plan: Plan, out: TextIO) -> None:
    try:
        import torch
        import triton  # noqa: F401  (only to report it missing here, not in the first case)
    except ImportError as exc:
        _emit(out, {"type": "error", "code": "missing", "package": exc.name or "torch", "message": str(exc)})
        return
    from releasekit.smoke import runtime

    try:
        if plan.device == "cuda":
            runtime.require_cuda()
        kernels = runtime.load_kernels(interpret=plan.device == "cpu")
    except ReleasekitError as exc:
        _emit(out, {"type": "error", "code": "device", "message": str(exc)})
        return
    from releasekit.smoke.runner import Runner

    torch.set_float32_matmul_precision("highest")  # fp32 references must not use TF32
    _emit(out, {"type": "start", "mode": runtime.device_mode(plan.device)})
    runner = Runner(plan, kernels)
    for case in plan.cases:
        _emit(out, {"type": "case", "name": case.name})
        _emit(out, {"type": "result", **runner.run(case).to_json()})
    _emit(out, {"type": "done"})


def main() -> None:
    plan = Plan.from_json(json.load(sys.stdin))
    serve(plan, sys.stdout)


if __name__ == "__main__":
    main()
