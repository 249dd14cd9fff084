"""`--max-shard-size` values: "5GB", "500MB", "2GiB" or a number of bytes.

Decimal units (KB, MB, GB, TB) are powers of 1000, as in huggingface_hub's `parse_size_to_int`
and transformers' `max_shard_size`, so "5GB" here shards exactly like `save_pretrained`; binary
units (KiB, MiB, GiB, TiB) are powers of 1024.
"""

from __future__ import annotations

import re

from releasekit.errors import UsageError

DEFAULT_MAX_SHARD_SIZE = 5 * 10**9  # the Hub's default, "5GB"
_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str) -> int:
    """Bytes in `text`; a UsageError names the value when it is not a positive size."""
    match = _SIZE.match(str(text))
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _UNITS:
        raise UsageError(f"--max-shard-size: {text!r} is not a size (examples: 5GB, 500MB, 2GiB, 1000000)")
    value = int(float(match.group(1)) * _UNITS[unit])
    if value <= 0:
        raise UsageError(f"--max-shard-size: {text!r} must be more than 0 bytes")
    return value


def format_size(nbytes: int) -> str:
    """A short human size in decimal units, matching how the Hub shows file sizes."""
    value = float(nbytes)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
