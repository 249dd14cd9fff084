"""Decode a pickle opcode stream the way CPython's unpickler reads it, without executing it.

Why not `pickletools.genops` alone: it is a disassembler, not the unpickler, and the two disagree.
`pickle.loads(b"I0x10\\n.")` loads 16 while genops raises (the unpickler parses INT with base 0);
genops escape-decodes GLOBAL names that the unpickler takes verbatim; it materialises every
argument (a 2 GB BINBYTES becomes a 2 GB bytes object); and it knows nothing of frames, where
CPython's C and Python unpicklers diverge when an opcode straddles a frame boundary
(cpython issue 154848, fickling's test_frame_boundary_divergence). So this module keeps
pickletools for what it is good at, the table of opcodes (names, protocols), and reads the
arguments itself with the unpickler's rules:

* text arguments (INT, LONG, FLOAT, GET, PUT, STRING, UNICODE, GLOBAL, INST, PERSID) are
  lines ending in b"\\n", parsed by `textargs` exactly as `_pickle.c` parses them (NUL ends a
  number, strtol's octal and hex), with the pure-Python unpickler's reading beside it: where the
  two differ, `on_divergence` is told (scripts/fuzz_pickle.py checks the agreement);
* counted strings and bytes longer than `keep` are skipped, not read into memory: they become a
  `Blob` that knows its kind and size;
* frames are checked strictly: an opcode that straddles the end of a frame, or a frame that
  opens inside another, is an error (`PickleSyntaxError`), because loaders disagree there.
"""

from __future__ import annotations

import codecs
import dataclasses
import pickletools
import struct
import sys
from collections.abc import Callable, Iterator
from typing import Any

from releasekit.pickles import textargs
from releasekit.pickles.source import ReadError, Source, Truncated
from releasekit.pickles.textargs import REJECTED, same

HIGHEST_PROTOCOL = 5
#: Longest text line (an opcode argument) the decoder accepts before calling the data malformed.
MAX_LINE = 1 << 20

# The opcode table comes from the standard library: byte -> (name, protocol it appeared in).
OPCODES: dict[int, tuple[str, int]] = {
    op.code.encode("latin-1")[0]: (op.name, op.proto) for op in pickletools.opcodes
}
NAME_TO_BYTE: dict[str, bytes] = {name: bytes([code]) for code, (name, _) in OPCODES.items()}
#: Opcodes whose byte can start a protocol 0 or 1 pickle (they are mostly printable ASCII).
PROTO01_BYTES = frozenset(code for code, (_, proto) in OPCODES.items() if proto <= 1)
#: Opcodes that import, call or hand control to a loader hook: what a hidden stream needs.
CODE_OPCODES = frozenset({
    "GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "NEWOBJ", "NEWOBJ_EX", "BUILD",
    "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID",
})


class PickleSyntaxError(Exception):
    """The bytes at `pos` are not a pickle opcode stream the unpickler would accept."""

    def __init__(self, pos: int, message: str, *, divergent: bool = False) -> None:
        super().__init__(f"at byte {pos:,}: {message}")
        self.pos = pos
        self.detail = message
        #: CPython's loaders themselves read these bytes differently (frames): some of them go on.
        self.divergent = divergent


@dataclasses.dataclass(frozen=True, slots=True)
class Blob:
    """A counted string or bytes argument too large to keep: its kind and size only."""

    kind: str  # "str", "bytes" or "bytearray"
    size: int

    def __repr__(self) -> str:
        return f"<{self.kind} of {self.size:,} bytes>"


class Op:
    """One decoded opcode. A plain slotted class: the decoder makes millions of them."""

    __slots__ = ("name", "arg", "pos", "end")

    def __init__(self, name: str, arg: Any, pos: int, end: int) -> None:
        self.name = name
        self.arg = arg
        self.pos = pos  # offset of the opcode byte
        self.end = end  # offset just after its argument

    def __repr__(self) -> str:
        return f"Op({self.name}, {self.arg!r}, pos={self.pos})"


class Decoder:
    """Iterate over the opcodes of one pickle (up to and including STOP) read from `source`.

    Between two opcodes the caller may read raw bytes from the same source (joblib stores array
    data inline after a BUILD); `outside_frame()` says whether that is consistent with framing.
    """

    def __init__(self, source: Source, *, keep: int = 1 << 20) -> None:
        self.source = source
        self.keep = keep
        self.frame_end: int | None = None
        self.proto = 0
        self.count = 0
        self.stopped = False
        #: Called as (pos, opcode name, line, C reading, Python reading) when the two unpicklers
        #: read a text argument differently.
        self.on_divergence: Callable[[int, str, bytes, Any, Any], None] | None = None

    def outside_frame(self) -> bool:
        """True when no frame is open at the current position (raw data may follow)."""
        if self.frame_end is not None and self.source.pos >= self.frame_end:
            self.frame_end = None
        return self.frame_end is None

    def __iter__(self) -> Iterator[Op]:
        return self._generate()

    def _generate(self) -> Iterator[Op]:  # noqa: C901 - the hot loop, kept flat on purpose
        src = self.source
        shapes = _SHAPES
        while not self.stopped:
            pos = src._pos
            frame_end = self.frame_end
            if frame_end is not None and pos >= frame_end:
                self.frame_end = frame_end = None
            buf, off = src._buf, src._off  # fast path: the byte is already read ahead
            if off < len(buf):
                code = buf[off]
                src._off, src._pos = off + 1, pos + 1
            else:
                try:
                    code = src.read(1)[0]
                except Truncated:
                    raise PickleSyntaxError(pos, "the data ends before a STOP opcode (truncated pickle)") from None
                except ReadError as exc:
                    raise PickleSyntaxError(pos, str(exc)) from None
            entry = shapes.get(code)
            if entry is None:
                raise PickleSyntaxError(pos, f"byte 0x{code:02x} is not a pickle opcode")
            name, fixed = entry
            try:
                if fixed is None:
                    arg = None
                elif fixed is _OTHER:
                    try:
                        arg = self._argument(name, pos)
                    except (PickleSyntaxError, ReadError):
                        if frame_end is not None and src._pos > frame_end:
                            # the argument ran past the frame: the C unpickler (reading a file) reads it
                            # from after the frame instead, so "invalid" here is not invalid there
                            raise PickleSyntaxError(pos, f"{name}'s argument straddles the end of the frame at "
                                                         f"byte {frame_end:,} (loaders disagree)",
                                                    divergent=True) from None
                        raise
                else:
                    buf, off, size = src._buf, src._off, fixed.size
                    if off + size <= len(buf):
                        arg = fixed.unpack_from(buf, off)[0]
                        src._off, src._pos = off + size, src._pos + size
                    else:
                        arg = fixed.unpack(src.read(size))[0]
            except Truncated:
                raise PickleSyntaxError(pos, f"{name}: the data ends inside its argument (truncated pickle)") from None
            except ReadError as exc:
                raise PickleSyntaxError(pos, f"{name}: {exc}") from None
            end = src._pos
            if frame_end is not None and end > frame_end:
                raise PickleSyntaxError(pos, f"{name} straddles the end of the frame at byte {frame_end:,}: "
                                             "CPython's C and Python unpicklers read such a stream differently "
                                             "(loaders disagree)", divergent=True)
            if name in _SPECIAL:
                if name == "FRAME":
                    if frame_end is not None and pos < frame_end:
                        raise PickleSyntaxError(pos, "a FRAME opens inside another frame (loaders disagree)",
                                                divergent=True)
                    if src.size is not None and arg > src.size - end:
                        raise PickleSyntaxError(pos, f"FRAME declares {arg:,} bytes but only {src.size - end:,} remain "
                                                     "(the Python unpickler reads on; loaders disagree)", divergent=True)
                    self.frame_end = end + arg if arg else None
                elif name == "PROTO":
                    if arg > HIGHEST_PROTOCOL:
                        raise PickleSyntaxError(pos, f"unsupported pickle protocol {arg}")
                    self.proto = arg
                else:
                    self.stopped = True
            self.count += 1
            yield Op(name, arg, pos, end)

    # -- arguments -------------------------------------------------------------------------
    def _argument(self, name: str, pos: int) -> Any:  # noqa: C901 - one branch per argument shape
        src = self.source
        if name in _COUNTED:
            width, kind = _COUNTED[name]
            n = _read_count(src, width, name, pos)
            return self._counted(n, kind, pos, name)
        if name in ("LONG1", "LONG4"):
            n = _read_count(src, 1 if name == "LONG1" else -4, name, pos)
            if n > 64 * 1024:
                src.skip(n)
                return Blob("int", n)
            return int.from_bytes(src.read(n), "little", signed=True)
        if name in ("GLOBAL", "INST"):
            # C: GLOBAL decodes UTF-8, INST ASCII, and both refuse an empty module or name line
            # before calling find_class. Python decodes the same way but does not check emptiness:
            # an empty name still imports the module, so the machine is told (it records then stops).
            codec = "utf-8" if name == "GLOBAL" else "ascii"
            module, whole = self._line_or_rest(pos, name)
            attr, attr_whole = self._line_or_rest(pos, name) if whole else (b"", False)
            if not (whole and attr_whole):
                # At the end of the data the Python unpickler (joblib) takes the partial line minus
                # its last byte, and calls find_class anyway; C says "truncated" first.
                try:
                    return module.decode(codec), attr.decode(codec), "truncated"
                except UnicodeDecodeError:
                    raise PickleSyntaxError(pos, f"{name}: no end of line in its argument (truncated)") from None
            if not module:
                raise PickleSyntaxError(pos, f"{name}: empty module name")
            try:
                return module.decode(codec), attr.decode(codec)
            except UnicodeDecodeError:
                raise PickleSyntaxError(pos, f"{name}: module or name is not valid {codec.upper()}") from None
        line = self._line(pos, name)
        if name in _TEXT_NUMBERS:
            c_value, py_value = _TEXT_NUMBERS[name](line)
            if name == "PUT":
                c_value, py_value = (REJECTED if isinstance(v, int) and v < 0 else v for v in (c_value, py_value))
            if c_value is REJECTED and py_value is REJECTED:
                raise PickleSyntaxError(pos, f"{name}: {line[:40]!r} is not {_WHAT[name]}")
            if not same(c_value, py_value) and self.on_divergence is not None:
                self.on_divergence(pos, name, line, c_value, py_value)
            return py_value if c_value is REJECTED else c_value
        if name == "STRING":
            if len(line) < 2 or line[:1] != line[-1:] or line[:1] not in (b"'", b'"'):
                raise PickleSyntaxError(pos, "STRING argument must be quoted")
            try:
                data = codecs.escape_decode(line[1:-1])[0]
            except ValueError as exc:
                raise PickleSyntaxError(pos, f"STRING: {exc}") from None
            return py2_str(data)
        if name == "UNICODE":
            try:
                return line.decode("raw-unicode-escape")
            except UnicodeDecodeError as exc:
                raise PickleSyntaxError(pos, f"UNICODE: {exc.reason}") from None
        if name == "PERSID":
            try:
                return line.decode("ascii")
            except UnicodeDecodeError:
                raise PickleSyntaxError(pos, "PERSID argument is not ASCII") from None
        raise PickleSyntaxError(pos, f"{name}: opcode not handled")  # pragma: no cover - table is complete

    def _line_or_rest(self, pos: int, name: str) -> tuple[bytes, bool]:
        """(the line without its newline, True), or at the end of the data what the Python unpickler
        makes of the rest: (rest minus its last byte, False)."""
        try:
            return self.source.readline(MAX_LINE)[:-1], True
        except Truncated:
            rest = self.source.peek(MAX_LINE)
            if len(rest) >= MAX_LINE:
                raise PickleSyntaxError(pos, f"{name}: no end of line in its argument (not a pickle)") from None
            self.source.read(len(rest))
            return rest[:-1], False

    def _line(self, pos: int, name: str) -> bytes:
        try:
            return self.source.readline(MAX_LINE)[:-1]
        except Truncated:
            raise PickleSyntaxError(pos, f"{name}: no end of line in its argument (truncated or not a pickle)") from None

    def _counted(self, n: int, kind: str, pos: int, name: str) -> Any:
        if n > self.keep:
            self.source.skip(n)
            return Blob("str" if kind in ("utf-8", "str") else kind, n)
        data = self.source.read(n)
        if kind == "bytes":
            return data
        if kind == "bytearray":
            return bytearray(data)
        if kind == "str":  # BINSTRING: a Python 2 str, decoded by the loader's encoding
            return py2_str(data)
        try:
            return data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise PickleSyntaxError(pos, f"{name}: argument is not valid UTF-8") from None


class Py2Str(str):
    """A non-ASCII Python 2 string (STRING, BINSTRING): what it decodes to depends on the loader's
    encoding (ASCII fails, torch uses UTF-8, numpy users pass latin-1), so it is never taken as a
    constant module or attribute name."""

    __slots__ = ()


def py2_str(data: bytes) -> str:
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        return Py2Str(data.decode("latin-1"))


def _read_count(src: Source, width: int, name: str, pos: int) -> int:
    """A length prefix: width 1/2/4/8 unsigned, or -4 for a signed 4-byte count."""
    if width == 1:
        return src.read(1)[0]
    if width == 4:
        return struct.unpack("<I", src.read(4))[0]
    if width == 8:
        n = struct.unpack("<Q", src.read(8))[0]
        if n > sys.maxsize:
            raise PickleSyntaxError(pos, f"{name}: length {n:,} exceeds the largest object size")
        return n
    n = struct.unpack("<i", src.read(4))[0]
    if n < 0:
        raise PickleSyntaxError(pos, f"{name}: negative byte count {n}")
    return n


_TEXT_NUMBERS: dict[str, Callable[[bytes], tuple[Any, Any]]] = {
    "INT": textargs.int_arg, "LONG": textargs.long_arg, "FLOAT": textargs.float_arg,
    "GET": textargs.memo_arg, "PUT": textargs.memo_arg,
}
_WHAT = {"INT": "an integer", "LONG": "an integer", "FLOAT": "a number", "GET": "a memo index", "PUT": "a memo index"}


_FIXED: dict[str, tuple[str, int]] = {
    "PROTO": ("<B", 1), "BININT1": ("<B", 1), "BINGET": ("<B", 1), "BINPUT": ("<B", 1),
    "EXT1": ("<B", 1), "BININT2": ("<H", 2), "EXT2": ("<H", 2), "BININT": ("<i", 4),
    "EXT4": ("<i", 4), "LONG_BINGET": ("<I", 4), "LONG_BINPUT": ("<I", 4), "FRAME": ("<Q", 8),
    "BINFLOAT": (">d", 8),
}
_COUNTED: dict[str, tuple[int, str]] = {
    "SHORT_BINSTRING": (1, "str"), "BINSTRING": (-4, "str"),
    "SHORT_BINBYTES": (1, "bytes"), "BINBYTES": (4, "bytes"), "BINBYTES8": (8, "bytes"),
    "SHORT_BINUNICODE": (1, "utf-8"), "BINUNICODE": (4, "utf-8"), "BINUNICODE8": (8, "utf-8"),
    "BYTEARRAY8": (8, "bytearray"),
}
_NO_ARG = frozenset(
    name for name, _ in OPCODES.values()
    if name not in _FIXED and name not in _COUNTED and name not in (
        "LONG1", "LONG4", "GLOBAL", "INST", "INT", "LONG", "GET", "PUT", "FLOAT", "STRING", "UNICODE", "PERSID")
)

_SPECIAL = frozenset({"FRAME", "PROTO", "STOP"})
_OTHER = object()  # an argument read by Decoder._argument
_SHAPES: dict[int, tuple[str, Any]] = {
    code: (name, struct.Struct(_FIXED[name][0]) if name in _FIXED else None if name in _NO_ARG else _OTHER)
    for code, (name, _) in OPCODES.items()
}
