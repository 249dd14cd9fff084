"""A tiny pickle assembler: build opcode streams by hand, including ones `pickle.dumps` never writes."""

from __future__ import annotations

import pickle
import struct
from typing import Any


class Raw(bytes):
    """Opcodes inserted as they are (a nested call, a global) where a constant would go."""


def proto(n: int) -> bytes:
    return pickle.PROTO + bytes([n])


def sbu(text: str) -> bytes:
    data = text.encode("utf-8")
    assert len(data) < 256
    return pickle.SHORT_BINUNICODE + bytes([len(data)]) + data


def binunicode(text: str) -> bytes:
    data = text.encode("utf-8")
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data


def glob(module: str, name: str) -> Raw:
    """GLOBAL (protocols 0-3)."""
    return Raw(pickle.GLOBAL + f"{module}\n{name}\n".encode())


def sglob(module: str, name: str) -> Raw:
    """STACK_GLOBAL with string constants (protocol 4+)."""
    return Raw(sbu(module) + sbu(name) + pickle.STACK_GLOBAL)


def const(value: Any) -> bytes:
    if isinstance(value, Raw):
        return bytes(value)
    if value is None:
        return pickle.NONE
    if value is True:
        return pickle.NEWTRUE
    if value is False:
        return pickle.NEWFALSE
    if isinstance(value, int):
        if 0 <= value < 256:
            return pickle.BININT1 + bytes([value])
        if -(2**31) <= value < 2**31:
            return pickle.BININT + struct.pack("<i", value)
        data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
        return pickle.LONG1 + bytes([len(data)]) + data
    if isinstance(value, float):
        return pickle.BINFLOAT + struct.pack(">d", value)
    if isinstance(value, str):
        return binunicode(value)
    if isinstance(value, bytes):
        return pickle.BINBYTES + struct.pack("<I", len(value)) + value
    if isinstance(value, tuple):
        return pickle.MARK + b"".join(const(v) for v in value) + pickle.TUPLE
    if isinstance(value, list):
        return pickle.EMPTY_LIST + (pickle.MARK + b"".join(const(v) for v in value) + pickle.APPENDS if value else b"")
    if isinstance(value, dict):
        body = b"".join(const(k) + const(v) for k, v in value.items())
        return pickle.EMPTY_DICT + (pickle.MARK + body + pickle.SETITEMS if value else b"")
    raise TypeError(type(value))


def call(target: bytes, *args: Any) -> Raw:
    """target(*args) with REDUCE; `target` is a glob/sglob or any opcodes that push a callable."""
    return Raw(bytes(target) + const(tuple(args)) + pickle.REDUCE)


def program(*parts: bytes, protocol: int = 2) -> bytes:
    """A complete pickle: PROTO, the parts (the last one's value is the result), STOP."""
    return proto(protocol) + b"".join(bytes(p) for p in parts) + pickle.STOP


def sequence(*parts: bytes, protocol: int = 2) -> bytes:
    """Several values evaluated in order, the earlier ones popped; the last is the result."""
    body = b"".join(bytes(p) + pickle.POP for p in parts[:-1]) + bytes(parts[-1])
    return program(Raw(body), protocol=protocol)
