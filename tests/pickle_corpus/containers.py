"""Build the containers pickles travel in: PyTorch zip and legacy checkpoints, zips, npy headers."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

from .ops import const, program

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def torch_zip(data_pkl: bytes, *, root: str = "archive", extra: dict[str, bytes] | None = None) -> bytes:
    """A zip laid out like `torch.save`'s: <root>/data.pkl, <root>/version, <root>/data/<key>."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{root}/data.pkl", data_pkl)
        archive.writestr(f"{root}/byteorder", "little")
        for name, data in (extra or {}).items():
            archive.writestr(f"{root}/{name}", data)
        archive.writestr(f"{root}/version", "3\n")
    return buffer.getvalue()


def legacy(checkpoint_pickle: bytes, *, keys: list[str] | None = None, storages: bytes = b"") -> bytes:
    """The legacy (pre-1.6) torch.save layout: magic, 1001, sys info, checkpoint, keys, storages."""
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    return (program(const(LEGACY_MAGIC)) + program(const(1001)) + program(const(sys_info)) + checkpoint_pickle
            + program(const(keys or [])) + storages)


def npy_object(pickle_bytes: bytes, shape: tuple[int, ...] = (1,)) -> bytes:
    """An .npy file of dtype object whose body is the given pickle (what np.save writes)."""
    header = repr({"descr": "|O", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + pickle_bytes


def plain_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def dumps(obj: object, protocol: int = 2) -> bytes:
    return pickle.dumps(obj, protocol=protocol)
