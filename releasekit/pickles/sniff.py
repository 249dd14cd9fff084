"""Tell pickle-bearing content from everything else by its first bytes, whatever the file is called.

What counts (see docs/readme/pickle.md, "What is scanned"):

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
"""

from __future__ import annotations

import enum
import struct

from releasekit.pickles.opcodes import PROTO01_BYTES

#: File name suffixes under which a pickle is the expected content; failing to parse one is an
#: error, while an unrecognised file with another name is just not a pickle.
PICKLE_NAMES = (".pkl", ".pickle", ".pt", ".pth", ".ckpt", ".joblib", ".npy", ".npz", ".pk", ".th",
                ".pkl.gz", ".pkl.bz2", ".pkl.xz", ".joblib.gz", ".joblib.xz", ".joblib.bz2", ".joblib.z")
HEAD_BYTES = 64


class Format(str, enum.Enum):
    PICKLE = "pickle"  # binary pickle (PROTO first)
    ZIP = "zip"
    NPY = "npy"
    COMPRESSED = "compressed"
    MAYBE_PICKLE = "maybe-pickle"  # protocol 0/1 candidate: parse to know

    def __str__(self) -> str:
        return self.value


def looks_like_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 9 or head[8:9] != b"{":
        return False
    (length,) = struct.unpack("<Q", head[:8])
    return 2 <= length <= size - 8


def compression(head: bytes) -> str | None:
    """The compression a joblib-style file uses, from its magic bytes."""
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x5d\x00\x00") and len(head) >= 13:
        return "lzma"
    if len(head) >= 2 and head[0] == 0x78 and (head[0] * 256 + head[1]) % 31 == 0:
        return "zlib"
    return None


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
    if head[0] in PROTO01_BYTES:
        return Format.MAYBE_PICKLE
    return None


def named_like_pickle(name: str) -> bool:
    return name.lower().endswith(PICKLE_NAMES)
