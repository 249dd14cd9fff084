"""Loading the kernels for a device: the optional extra, CUDA, and Triton's interpreter switch.

Triton reads `TRITON_INTERPRET` when a function is decorated with `@triton.jit`, i.e. when a
kernel module is first imported, and some of its helpers read it again while a kernel runs. So
the interpreter choice is per process: `releasekit smoke` runs the kernels in a child process
started with the right environment (`worker_environment`), and code that runs kernels
in-process (the worker, the tests) calls `load_kernels` before anything imports them.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import types

from releasekit.errors import MissingExtraError, ReleasekitError

INTERPRET_ENV = "TRITON_INTERPRET"


class DeviceUnavailableError(ReleasekitError):
    """`--device cuda` on a machine where torch sees no CUDA device."""


class KernelModeError(ReleasekitError):
    """The kernels were already imported for the other device in this process."""


def require_extras() -> None:
    """Raise MissingExtraError unless torch, triton and safetensors (the `torch` extra) are
    importable, without importing them."""
    for package in ("torch", "triton", "safetensors"):
        if importlib.util.find_spec(package) is None:
            raise MissingExtraError("smoke", package, "torch")


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def require_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise DeviceUnavailableError(f"--device cuda: torch {torch.__version__} ({build}) sees no CUDA device; "
                                     "use --device cpu to run the kernels under Triton's interpreter")


def device_mode(device: str) -> str:
    """How the kernels run on `device`, for the report's first line."""
    if device == "cpu":
        return ("Triton interpreter (TRITON_INTERPRET=1), small shapes; fp32 inputs and math because the "
                "interpreter has no bf16 arithmetic, FP8 rounding done in torch; the bf16 and fp8 tensor-core "
                "paths are not exercised")
    import torch

    return f"{torch.cuda.get_device_name()}: attention in bf16, FP8 e4m3 GEMM with bf16 output, fp32 accumulation"


def worker_environment(device: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the kernel process: the interpreter on for the CPU, off for CUDA."""
    env = dict(os.environ if base is None else base)
    if device == "cpu":
        env[INTERPRET_ENV] = "1"
    else:
        env.pop(INTERPRET_ENV, None)
    return env


def load_kernels(*, interpret: bool) -> types.SimpleNamespace:
    """Import the kernel modules for the interpreter (`interpret=True`) or the GPU.

    With `interpret=True` this sets TRITON_INTERPRET=1 for the rest of the process: Triton needs
    it while kernels run, not only at import. Call it before anything imports triton, since
    Triton's own library functions (`tl.sum`, `tl.max`) are decorated when triton is imported.
    Raises KernelModeError when triton or the kernels were already imported the other way.
    """
    if interpret:
        os.environ[INTERPRET_ENV] = "1"
    elif os.environ.get(INTERPRET_ENV, "0") not in ("", "0"):
        raise KernelModeError(f"{INTERPRET_ENV} is set in this process; the GPU kernels cannot load")
    import triton.language.standard as triton_library
    from triton.runtime.interpreter import InterpretedFunction

    from releasekit.kernels import KERNEL_MODULES

    if isinstance(triton_library.sum, InterpretedFunction) != interpret:
        have = "interpreter" if interpret is False else "GPU"
        raise KernelModeError(f"triton was already imported for the {have} in this process; "
                              f"set {INTERPRET_ENV} before importing it, or use a fresh process")
    modules = {name: importlib.import_module(f"releasekit.kernels.{name}") for name in KERNEL_MODULES}
    modules["reference"] = importlib.import_module("releasekit.kernels.reference")
    if isinstance(modules["mla_decode"]._split_kernel, InterpretedFunction) != interpret:
        want, have = ("interpreter", "GPU") if interpret else ("GPU", "interpreter")
        raise KernelModeError(f"the kernels were already imported for the {have} in this process; "
                              f"the {want} path needs a fresh process")
    return types.SimpleNamespace(**modules)
