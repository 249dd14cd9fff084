"""`releasekit convert`: pickled PyTorch checkpoints to safetensors, safely, streamed, verified.

Modules, one job each: discovery (what to convert), safety (torch version and pickle analysis
gates), readers (the restricted loading path), statedict (flattening the shapes people save),
planner (shards, aliases, skips, FP8), fp8 (DeepSeek-V3 block dequantization), sources (one
tensor's bytes at a time), writer (header first, then streamed data), verify (bit-for-bit
comparison), resume (staging and the resume manifest), report (the result), runner (the order).

torch is imported only by the modules that need it, after the gates: importing this package
works without the `torch` extra, and `convert()` then raises MissingExtraError.
"""

from releasekit.convert.errors import ConvertError, UnsafeCheckpointError, VerificationError
from releasekit.convert.runner import ConvertOptions, convert
from releasekit.convert.sizes import parse_size

__all__ = ["ConvertError", "ConvertOptions", "UnsafeCheckpointError", "VerificationError", "convert", "parse_size"]
