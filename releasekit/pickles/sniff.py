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

from releasekit.pickles.opcodes import OPCODES

OPCODE_BYTES = frozenset(OPCODES)

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


def looks_like_tar(head: bytes) -> bool:
    """Whether `tarfile` (which torch.load tries on every non-zip file) accepts the first header."""
    if len(head) < 512:
        return False
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


def named_like_pickle(name: str) -> bool:
    return name.lower().endswith(PICKLE_NAMES)
