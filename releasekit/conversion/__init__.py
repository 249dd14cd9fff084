"""`releasekit convert`: pickled PyTorch checkpoints to safetensors, safely, streamed, verified.

Modules, one job each: discovery (what to convert; links refused), safety (torch version and
pickle analysis gates), torchzip (a torch zip checkpoint's tensors read without torch), direct
(the torch-free engine's sources and its verification against the zip's CRC-32), readers (the
torch.load path), statedict (flattening the shapes people save; no tensor left behind), inventory
(what planning needs of each tensor), planner (shards, aliases, skips, FP8), fp8 (DeepSeek-V3
block dequantization), sources (one tensor's bytes at a time, from torch), writer (header first,
then streamed data), verify (header check; bit-for-bit comparison with torch's tensors), resume
(staging and the resume manifest), report (the result), runner (the order).

torch and numpy are imported only by the modules of the torch engine, after the gates: a core
install converts torch zip checkpoints, and `convert()` raises a one-line error naming the extra
when a checkpoint needs torch.
"""

from releasekit import lazy

# Loaded on first use: `check` imports `conversion.discovery` (for the staging folder's name), and
# importing the package must not load the runner and everything below it (~10 ms of start-up).
_EXPORTS = {
    "ConvertError": "errors", "UnsafeCheckpointError": "errors", "VerificationError": "errors",
    "ConvertOptions": "runner", "convert": "runner", "parse_size": "sizes",
}

__all__ = ["ConvertError", "ConvertOptions", "UnsafeCheckpointError", "VerificationError", "convert", "parse_size"]


__getattr__ = lazy.exports(__name__, {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()})
