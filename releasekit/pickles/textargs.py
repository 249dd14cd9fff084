"""The text arguments of protocol 0/1 opcodes, parsed exactly as CPython's two unpicklers parse them.

`pickle.load`, `torch.load` and `numpy.load` use the C unpickler (Modules/_pickle.c); `joblib.load`
subclasses the pure-Python one (Lib/pickle.py `_Unpickler`). They read the same line differently:

* C reads the line into a NUL-terminated buffer, so a NUL byte ends the argument for every parser
  it calls (`strtol`, `PyLong_FromString`, `PyOS_string_to_double`), while Python's `int()` and
  `float()` reject the NUL;
* INT: C tries `strtol(s, &end, 0)` (leading whitespace, octal for a leading 0, hex for 0x) and
  accepts it when it stops at the newline or a NUL; otherwise `PyLong_FromString(s, NULL, 0)`.
  A 3-byte line whose strtol value is 0 or 1 is a bool. Python: `b"00\\n"`/`b"01\\n"` are bools,
  everything else is `int(line, 0)`;
* LONG: C overwrites a trailing 'L' with NUL and calls `PyLong_FromString(s, NULL, 0)`; Python
  strips the 'L' and calls `int(line, 0)`;
* FLOAT: C `PyOS_string_to_double` takes the longest float prefix (no whitespace, no underscores)
  and wants the newline or a NUL after it; overflow is an error. Python: `float(line)`;
* GET/PUT: C `PyLong_FromString(s, NULL, 10)`; Python `int(line)`.

Each function returns (C reading, Python reading); a reading is a value or `REJECTED`. The decoder
follows the C reading and reports any difference, because a payload that only one unpickler
reaches is still a payload (joblib files are read by the Python one).
"""

from __future__ import annotations

import re
from typing import Any

REJECTED: Any = type("Rejected", (), {"__repr__": lambda self: "REJECTED"})()

_C_SPACE = b" \t\n\v\f\r"
_LONG_MAX = (1 << 63) - 1
_FLOAT_PREFIX = re.compile(
    rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"
)


def _until_nul(line: bytes) -> bytes:
    cut = line.find(b"\0")
    return line if cut < 0 else line[:cut]


def pylong(text: bytes, base: int) -> Any:
    """`PyLong_FromString(s, NULL, base)` on a NUL-terminated buffer (whitespace around is allowed)."""
    try:
        return int(_until_nul(text), base)
    except ValueError:
        return REJECTED


def py_int(text: bytes, base: int = 10) -> Any:
    """Python's `int(bytes, base)`: an embedded NUL is an error."""
    try:
        return int(text, base)
    except ValueError:
        return REJECTED


def strtol(s: bytes) -> tuple[int | None, int]:
    """glibc `strtol(s, &end, 0)`: (value or None on overflow, index of end)."""
    i, n = 0, len(s)
    while i < n and s[i] in _C_SPACE:
        i += 1
    negative = False
    if i < n and s[i] in b"+-":
        negative = s[i] == 0x2D
        i += 1
    base = 10
    if s[i:i + 2] in (b"0x", b"0X") and i + 2 < n and chr(s[i + 2]) in "0123456789abcdefABCDEF":
        base, i = 16, i + 2
    elif s[i:i + 1] == b"0":
        base = 8
    digits = "0123456789abcdef"[:base]
    start = i
    value = 0
    while i < n and chr(s[i]).lower() in digits:
        value = value * base + int(chr(s[i]), base)
        i += 1
    if i == start:
        return 0, 0  # no conversion: end is the start of the string
    value = -value if negative else value
    if not -_LONG_MAX - 1 <= value <= _LONG_MAX:
        return None, i
    return value, i


def int_arg(line: bytes) -> tuple[Any, Any]:
    """INT's argument (`line` without its newline)."""
    s = line + b"\n\0"
    value, end = strtol(s)
    if value is None or s[end] not in (0x0A, 0x00):
        c_value = pylong(s, 0)
    elif len(line) == 2 and value in (0, 1):
        c_value = bool(value)
    else:
        c_value = value
    if line == b"00":
        python = False
    elif line == b"01":
        python = True
    else:
        python = py_int(line + b"\n", 0)
    return c_value, python


def long_arg(line: bytes) -> tuple[Any, Any]:
    """LONG's argument (`line` without its newline)."""
    s = line + b"\n"
    if s[-2:-1] == b"L":
        s = s[:-2] + b"\0"
    c_value = pylong(s, 0)
    text = line[:-1] if line[-1:] == b"L" else line
    return c_value, py_int(text, 0)


def memo_arg(line: bytes) -> tuple[Any, Any]:
    """GET's and PUT's memo index (`line` without its newline)."""
    return pylong(line + b"\n", 10), py_int(line, 10)


def float_arg(line: bytes) -> tuple[Any, Any]:
    """FLOAT's argument (`line` without its newline)."""
    s = line + b"\n"
    match = _FLOAT_PREFIX.match(s)
    c_value = REJECTED
    if match is not None and s[match.end():match.end() + 1] in (b"\n", b"\0"):
        text = match.group(0)
        value = float(text)
        literal_inf = b"inf" in text.lower()
        if value in (float("inf"), float("-inf")) and not literal_inf:
            c_value = REJECTED  # OverflowError
        else:
            c_value = value
    try:
        python: Any = float(line)
    except ValueError:
        python = REJECTED
    return c_value, python


def same(a: Any, b: Any) -> bool:
    """Whether two readings agree (a bool equals its int: INT's "01" is True in C, 1 in Python, and
    nothing downstream tells them apart; NaN equals NaN)."""
    if a is REJECTED or b is REJECTED:
        return a is b
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)
