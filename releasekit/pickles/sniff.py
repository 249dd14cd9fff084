"""Tell pickle-bearing content from everything else by its first bytes, whatever the file is called.

What counts (see docs/pickles.md, "What is scanned"):

* a binary pickle: PROTO (0x80) followed by a protocol number 0-5 (protocol 2+ pickles, the legacy
  PyTorch format and uncompressed joblib files all start this way);
* a zip archive (PyTorch's checkpoint format, NumPy's .npz, anything that might hold a pickle);
* a NumPy .npy file (an object array carries a pickle after its header);
* a stream compressed with gzip, bz2, xz, lzma or zlib (joblib's compressed files), when what it
  decompresses to is one of the above;
* possibly a protocol 0 or 1 pickle: those have no header and protocol 0 is plain ASCII, so a file
  whose first byte is such an opcode is parsed tentatively and counts as a pickle only when it
  parses as one (see `scanner`).

A safetensors file (an 8-byte little-endian header length, then '{') is never a pickle, even when
its length bytes happen to read as PROTO 2.

Sniffing imports nothing beyond `struct` and `enum`: `check` sniffs every file of a release, and
a release without pickles must not pay for pickletools, pickle, tarfile or the analyser. Hence the
literal opcode table, the tar checksum test that runs before `tarfile` is imported, and
`certainly_no_pickle`, which rules out the text files that merely start with an opcode letter.
"""

from __future__ import annotations

import enum
import struct

#: Every pickle opcode, with its argument in pickletools' notation (`ArgumentDescriptor.n`): None for
#: none, n >= 0 for n bytes, LINE for a line ending in b"\n" (GLOBAL and INST read two), COUNT1,
#: COUNT4 (signed), COUNT4U and COUNT8U for a little-endian length of 1, 4 or 8 bytes then that many
#: bytes. A literal, so that sniffing loads neither pickletools nor pickle; tests/test_pickle_sniff.py
#: keeps it equal to `pickletools.opcodes`.
LINE, COUNT1, COUNT4, COUNT4U, COUNT8U = -1, -2, -3, -4, -5
OPCODE_TABLE: dict[int, tuple[str, int | None]] = {
    0x28: ("MARK", None), 0x2E: ("STOP", None), 0x30: ("POP", None), 0x31: ("POP_MARK", None),
    0x32: ("DUP", None), 0x42: ("BINBYTES", COUNT4U), 0x43: ("SHORT_BINBYTES", COUNT1), 0x46: ("FLOAT", LINE),
    0x47: ("BINFLOAT", 8), 0x49: ("INT", LINE), 0x4A: ("BININT", 4), 0x4B: ("BININT1", 1), 0x4C: ("LONG", LINE),
    0x4D: ("BININT2", 2), 0x4E: ("NONE", None), 0x50: ("PERSID", LINE), 0x51: ("BINPERSID", None),
    0x52: ("REDUCE", None), 0x53: ("STRING", LINE), 0x54: ("BINSTRING", COUNT4), 0x55: ("SHORT_BINSTRING", COUNT1),
    0x56: ("UNICODE", LINE), 0x58: ("BINUNICODE", COUNT4U), 0x5D: ("EMPTY_LIST", None), 0x61: ("APPEND", None),
    0x62: ("BUILD", None), 0x63: ("GLOBAL", LINE), 0x64: ("DICT", None), 0x65: ("APPENDS", None),
    0x67: ("GET", LINE), 0x68: ("BINGET", 1), 0x69: ("INST", LINE), 0x6A: ("LONG_BINGET", 4), 0x6C: ("LIST", None),
    0x6F: ("OBJ", None), 0x70: ("PUT", LINE), 0x71: ("BINPUT", 1), 0x72: ("LONG_BINPUT", 4), 0x73: ("SETITEM", None),
    0x74: ("TUPLE", None), 0x75: ("SETITEMS", None), 0x7D: ("EMPTY_DICT", None), 0x29: ("EMPTY_TUPLE", None),
    0x80: ("PROTO", 1), 0x81: ("NEWOBJ", None), 0x82: ("EXT1", 1), 0x83: ("EXT2", 2), 0x84: ("EXT4", 4),
    0x85: ("TUPLE1", None), 0x86: ("TUPLE2", None), 0x87: ("TUPLE3", None), 0x88: ("NEWTRUE", None),
    0x89: ("NEWFALSE", None), 0x8A: ("LONG1", COUNT1), 0x8B: ("LONG4", COUNT4), 0x8C: ("SHORT_BINUNICODE", COUNT1),
    0x8D: ("BINUNICODE8", COUNT8U), 0x8E: ("BINBYTES8", COUNT8U), 0x8F: ("EMPTY_SET", None),
    0x90: ("ADDITEMS", None), 0x91: ("FROZENSET", None), 0x92: ("NEWOBJ_EX", None), 0x93: ("STACK_GLOBAL", None),
    0x94: ("MEMOIZE", None), 0x95: ("FRAME", 8), 0x96: ("BYTEARRAY8", COUNT8U), 0x97: ("NEXT_BUFFER", None),
    0x98: ("READONLY_BUFFER", None),
}
OPCODE_BYTES = frozenset(OPCODE_TABLE)

#: File name suffixes under which a pickle is the expected content; failing to parse one is an
#: error, while an unrecognised file with another name is just not a pickle.
PICKLE_NAMES = (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib", ".npy", ".npz", ".pk", ".th", ".bin",
                ".pkl.gz", ".pkl.bz2", ".pkl.xz", ".joblib.gz", ".joblib.xz", ".joblib.bz2", ".joblib.z")
#: Bytes read to sniff a file: a tar header block (torch.load tries `tarfile.open` on any file).
HEAD_BYTES = 512

#: joblib's compressor registry, in its order (joblib/compressor.py; first prefix match wins).
JOBLIB_PREFIXES = (("zlib", b"\x78"), ("gzip", b"\x1f\x8b"), ("bz2", b"BZ"), ("lzma", b"\x5d\x00"),
                   ("xz", b"\xfd\x37\x7a\x58\x5a"), ("lz4", b"\x04\x22\x4d\x18"))
#: joblib < 0.10's zfile format: "ZF", the hex length, then a zlib stream (numpy_pickle_compat).
ZFILE_PREFIX = b"ZF"
#: Archives and compressed formats no standard loader opens but that can carry a pickle to a user:
#: they cannot be analysed here, and that is reported as an error, never passed in silence.
OPAQUE_ARCHIVES = (("7z", b"7z\xbc\xaf\x27\x1c"), ("rar", b"Rar!\x1a\x07"), ("zstd", b"\x28\xb5\x2f\xfd"),
                   ("cab", b"MSCF\x00\x00\x00\x00"), ("lzip", b"LZIP"))


class Format(str, enum.Enum):
    PICKLE = "pickle"  # binary pickle (PROTO first)
    ZIP = "zip"
    NPY = "npy"
    COMPRESSED = "compressed"
    ZFILE = "joblib-zfile"
    TAR = "tar"
    OPAQUE = "opaque-archive"
    MAYBE_PICKLE = "maybe-pickle"  # protocol 0/1 candidate: parse to know

    def __str__(self) -> str:
        return self.value


def looks_like_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 9 or head[8:9] != b"{":
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= size - 8


def compression(head: bytes) -> str | None:
    """The compressor joblib.load picks for content starting with `head` (its registry's prefixes)."""
    for kind, prefix in JOBLIB_PREFIXES:
        if head.startswith(prefix):
            return kind
    return None


def opaque_archive(head: bytes) -> str | None:
    for kind, prefix in OPAQUE_ARCHIVES:
        if head.startswith(prefix):
            return kind
    return None


_HIGH_BYTES = bytes(range(128))  # deleted by translate: what is left are the bytes >= 0x80


def tar_checksum_matches(block: bytes) -> bool:
    """Whether the checksum test of `tarfile.TarInfo.frombuf` can pass on this 512-byte block.

    The first thing frombuf checks after the block's length: the checksum field (bytes 148-156,
    read by `tarfile.nti`: a base-256 number after 0o200 or 0o377, else text cut at the first NUL
    and read by `int(s.strip() or "0", 8)`, signs, underscores and "0o" included) must equal the
    sum of the other bytes plus 8 spaces, counted unsigned or signed (`tarfile.calc_chksums`).
    This repeats both steps with the same built-ins, so False means frombuf raises; it costs a sum
    of 512 bytes instead of importing tarfile for every text file.
    """
    field = block[148:156]
    if field[0] in (0o200, 0o377):
        stored = int.from_bytes(field[1:], "big")
        if field[0] == 0o377:
            stored -= 256 ** 7
    else:
        try:
            stored = int(field.split(b"\0", 1)[0].decode("ascii").strip() or "0", 8)
        except ValueError:  # UnicodeDecodeError included
            return False
    rest = block[:148] + block[156:512]
    unsigned = 256 + sum(rest)
    signed = unsigned - 256 * len(rest.translate(None, _HIGH_BYTES))
    return stored in (unsigned, signed)


def looks_like_tar(head: bytes) -> bool:
    """Whether `tarfile` (which torch.load tries on every non-zip file) accepts the first header."""
    if len(head) < 512 or not tar_checksum_matches(head[:512]):
        return False  # frombuf would raise: no need to import tarfile to know it
    import tarfile

    try:
        tarfile.TarInfo.frombuf(head[:512], "utf-8", "surrogateescape")
    except (tarfile.HeaderError, ValueError, UnicodeError):
        return False
    return True


def sniff(head: bytes, size: int) -> Format | None:
    """The format of content starting with `head` (at least the first 16 bytes when the file has them)."""
    if not head:
        return None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return Format.ZIP
    if head.startswith(b"\x93NUMPY"):
        return Format.NPY
    if looks_like_safetensors(head, size):
        return None
    if head[0] == 0x80 and len(head) >= 2 and head[1] <= 5:
        return Format.PICKLE
    if compression(head) is not None:
        return Format.COMPRESSED
    if head.startswith(ZFILE_PREFIX):
        return Format.ZFILE
    if opaque_archive(head) is not None:
        return Format.OPAQUE
    if looks_like_tar(head):
        return Format.TAR
    if head[0] in OPCODE_BYTES:
        return Format.MAYBE_PICKLE  # the unpickler needs no PROTO: any opcode can start a pickle
    return None


def _walk_effects() -> dict[int, tuple[int | None, str, int, int]]:
    """The opcodes a "certainly not a pickle" walk may step over: code -> (argument, action, need, delta)."""
    actions = {
        "push": ("INT BININT BININT1 BININT2 LONG LONG1 LONG4 STRING BINSTRING SHORT_BINSTRING BINBYTES "
                 "SHORT_BINBYTES BINBYTES8 BYTEARRAY8 NONE NEWTRUE NEWFALSE UNICODE SHORT_BINUNICODE BINUNICODE "
                 "BINUNICODE8 FLOAT BINFLOAT EMPTY_LIST EMPTY_TUPLE EMPTY_DICT EMPTY_SET"),
        "mark": "MARK", "pop": "POP", "pop_mark": "POP_MARK", "collect": "LIST TUPLE FROZENSET", "dict": "DICT",
        "extend": "APPENDS ADDITEMS", "setitems": "SETITEMS", "get": "GET BINGET LONG_BINGET",
        "put": "PUT BINPUT LONG_BINPUT MEMOIZE", "fail": "NEXT_BUFFER",
    }
    needs = {"DUP": (1, 1), "APPEND": (2, -1), "SETITEM": (3, -2), "TUPLE1": (1, 0), "TUPLE2": (2, -1),
             "TUPLE3": (3, -2), "READONLY_BUFFER": (1, 0)}
    by_name = {name: (code, arg) for code, (name, arg) in OPCODE_TABLE.items()}
    table = {}
    for action, names in actions.items():
        for name in names.split():
            code, arg = by_name[name]
            table[code] = (arg, action, 0, 0)
    for name, (need, delta) in needs.items():
        code, arg = by_name[name]
        table[code] = (arg, "need", need, delta)
    return table


#: Pure-data opcodes only: never GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, BUILD, NEWOBJ(_EX), EXT1/2/4,
#: PERSID, BINPERSID (they import, call or hand control to the loader), nor STOP, PROTO or FRAME.
_WALK = _walk_effects()
_COUNT_WIDTH = {COUNT1: 1, COUNT4: 4, COUNT4U: 4, COUNT8U: 8}


def certainly_no_pickle(head: bytes, size: int) -> bool:  # noqa: C901 - one branch per stack action
    """True only when a tentative pickle parse of content starting with `head` certainly stops
    before anything in it could run, so the scanner would drop it ("not a pickle") anyway.

    For a file whose first byte happens to be an opcode (a LICENSE starting "MIT License": BININT2
    "IT", then a space, which is no opcode). Walks the opcodes from byte 0 over pure data only,
    tracking how deep the stack is above the last MARK, the MARKs and whether anything was memoised,
    and says True only on reaching, within `head` and before anything else, a byte that is no
    opcode or an opcode that must fail (popping an empty stack, a missing MARK, an odd DICT, a GET
    from an empty memo, NEXT_BUFFER): the unpickler and the scanner's machine stop right there, and
    every opcode before it only pushed and popped data. Anything else (an opcode that imports, calls
    or reaches a hook, STOP, PROTO, FRAME, an argument running past `head`, the end of `head`) is
    False: the scanner decides. Used by the check alone, to skip text files without loading the
    analyser; the scanner's own dispatch does not depend on it.
    """
    end = min(len(head), size)
    pos = depth = 0
    marks: list[int] = []
    memo = False
    walk = _WALK
    while pos < end:
        code = head[pos]
        step = walk.get(code)
        if step is None:
            return code not in OPCODE_BYTES
        arg, action, need, delta = step
        pos += 1
        if arg is None:
            pass
        elif arg >= 0:
            pos += arg
        elif arg == LINE:
            newline = head.find(b"\n", pos, end)
            if newline < 0:
                return False
            pos = newline + 1
        else:
            width = _COUNT_WIDTH[arg]
            if pos + width > end:
                return False
            count = int.from_bytes(head[pos:pos + width], "little", signed=arg == COUNT4)
            if count < 0:
                return False
            pos += width + count
        if pos > end:
            return False  # the argument runs past what was read: only the scanner can tell
        if action == "push":
            depth += 1
        elif action == "need":
            if depth < need:
                return True
            depth += delta
        elif action == "mark":
            marks.append(depth)
            depth = 0
        elif action == "pop":
            if depth:
                depth -= 1
            elif marks:
                depth = marks.pop()
            else:
                return True
        elif action == "get":
            if not memo:
                return True
            depth += 1
        elif action == "put":
            if not depth:
                return True
            memo = True
        elif action == "fail":
            return True
        else:  # pop_mark, collect, dict, extend, setitems: take everything above the last MARK
            if not marks or (action in ("dict", "setitems") and depth % 2):
                return True
            depth = marks.pop()
            if action == "collect" or action == "dict":
                depth += 1
            elif action != "pop_mark" and not depth:
                return True
    return False


def named_like_pickle(name: str) -> bool:
    return name.lower().endswith(PICKLE_NAMES)
