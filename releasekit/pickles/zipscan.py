"""Zip containers: check that the archive says the same thing to every reader, and read its pickles.

PyTorch reads its checkpoints with miniz, which trusts the central directory; Python's `zipfile`
(and scanners built on it) also reads the local headers and refuses some files that PyTorch loads
anyway. Every public zip bypass of a pickle scanner lives in that gap: a local header whose name
differs from the directory's (CVE-2025-1944), flag bits such as "encrypted" that PyTorch ignores
(CVE-2025-1945), a CRC that does not match (CVE-2025-10156), two members with one name. So this
module reads the directory with `zipfile`, then every local header itself, reports any
disagreement, and reads member data the way miniz does (directory sizes, local header lengths)
without `zipfile.open`'s refusals.

Only pickle members are read in full (and their CRCs checked); tensor storages (`<root>/data/*` in
a PyTorch archive) are never read, only sized.
"""

from __future__ import annotations

import dataclasses
import struct
import zipfile
import zlib
from collections import Counter
from typing import BinaryIO

from releasekit.pickles.budget import Budget
from releasekit.pickles.problems import Kind, Problem
from releasekit.pickles.source import ReadError, Source

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_SAFE_FLAGS = 0x0002 | 0x0004 | 0x0008 | 0x0800  # deflate options, data descriptor, UTF-8 names
_SUPPORTED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
#: A pickle member larger than this is not read to the end (its CRC is not checked): not verified.
MAX_MEMBER_READ = 1 << 30


@dataclasses.dataclass
class Member:
    """A directory entry with what its local header says and where its data is."""

    info: zipfile.ZipInfo
    raw_name: bytes
    data_offset: int | None = None  # None when the local header could not be read
    usable: bool = False  # data can be read the way PyTorch would


class MemberReader:
    """Reads (and inflates) one member's data as miniz does, computing its CRC as it goes."""

    def __init__(self, handle: BinaryIO, member: Member, budget: Budget | None = None) -> None:
        assert member.data_offset is not None
        self.budget = budget
        self.handle = handle
        self.cpos = member.data_offset
        self.cleft = member.info.compress_size
        method = member.info.compress_type
        self.inflate = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else None
        # bzip2 and lzma members: PyTorch cannot read them (reported), but zipfile-based loaders
        # (numpy.load, pandas) can, so their content is still analysed, decompressed in memory.
        self._whole: bytearray | None = None if method in _SUPPORTED_METHODS else bytearray()
        self._method = method
        self.crc = 0
        self.produced = 0
        self._tail = b""

    def _raw(self, n: int) -> bytes:
        n = min(n, self.cleft)
        if n <= 0:
            return b""
        self.handle.seek(self.cpos)
        data = self.handle.read(n)
        self.cpos += len(data)
        self.cleft -= len(data)
        if not data:
            self.cleft = 0
        return data

    def read(self, n: int) -> bytes:
        if self._whole is not None:
            if self.cleft:
                self._whole += _decompress_other(self._method, self._raw(self.cleft))
            data = bytes(self._whole[:n])
            del self._whole[:n]
        elif self.inflate is None:
            data = self._raw(n)
        else:
            out = bytearray()
            while len(out) < n and not self.inflate.eof:
                buf = self.inflate.unconsumed_tail or self._raw(1 << 16)
                if not buf:
                    break
                try:
                    out += self.inflate.decompress(buf, n - len(out))
                except zlib.error as exc:
                    raise ReadError(self.produced + len(out), f"the compressed data is corrupt ({exc})") from None
            data = bytes(out)
        self.crc = zlib.crc32(data, self.crc)
        self.produced += len(data)
        if self.budget is not None and self._method != zipfile.ZIP_STORED:
            self.budget.inflated(len(data))
        return data

    def drain(self, limit: int) -> bool:
        """Read to the end (for the CRC); False when more than `limit` bytes remain."""
        while True:
            chunk = self.read(1 << 20)
            if not chunk:
                return True
            if self.produced > limit:
                return False


def _decompress_other(method: int, data: bytes) -> bytes:
    if len(data) > MAX_MEMBER_READ:
        raise ReadError(0, f"compressed member larger than {MAX_MEMBER_READ:,} bytes: not verified")
    try:
        decompressor = zipfile._get_decompressor(method)  # bzip2 and lzma, as zipfile reads them
        return bytes(decompressor.decompress(data))
    except (NotImplementedError, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise ReadError(0, f"compression method {method} cannot be read ({exc})") from None


def _find_eocd_cd_offset(handle: BinaryIO, size: int) -> int | None:
    """The central directory offset the end record declares (what miniz uses, without adjustment)."""
    tail_len = min(size, 65536 + 22)
    handle.seek(size - tail_len)
    tail = handle.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    offset = struct.unpack("<I", tail[at + 16:at + 20])[0]
    if offset == 0xFFFFFFFF and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        z64 = struct.unpack("<Q", tail[at - 12:at - 4])[0]
        handle.seek(z64)
        record = handle.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            offset = struct.unpack("<Q", record[48:56])[0]
    return offset


def _zip64_local_sizes(extra: bytes, csize: int, usize: int) -> tuple[int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack("<HH", extra[i:i + 4])
        body = extra[i + 4:i + 4 + length]
        if tag == 0x0001:
            values = [struct.unpack("<Q", body[j:j + 8])[0] for j in range(0, len(body) - 7, 8)]
            if usize == 0xFFFFFFFF and values:
                usize = values.pop(0)
            if csize == 0xFFFFFFFF and values:
                csize = values.pop(0)
            break
        i += 4 + length
    return csize, usize


def open_archive(handle: BinaryIO, size: int, problems: list[Problem]) -> list[Member] | None:
    """The members of the archive, after checking the directory against every local header."""
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
        start_dir = archive.start_dir
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, UnicodeDecodeError,
            struct.error, NotImplementedError) as exc:
        problems.append(Problem(Kind.ARCHIVE, f"not a readable zip archive: {exc}; loaders disagree on such files"))
        return None
    declared = _find_eocd_cd_offset(handle, size)
    if declared is not None and declared != start_dir:
        problems.append(Problem(Kind.ARCHIVE, f"the end record puts the central directory at byte {declared:,} but it "
                                              f"is at byte {start_dir:,}: data was prepended or the offsets lie, so "
                                              "readers find different members", start_dir))
    members = []
    for info in infos:
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        members.append(Member(info, info.orig_filename.encode(encoding, "surrogateescape")))
    counts = Counter(m.raw_name for m in members)
    for name, count in sorted(counts.items()):
        if count > 1:
            problems.append(Problem(Kind.ARCHIVE, f"member {_show(name)} appears {count} times: zipfile reads the last, "
                                                  "miniz (PyTorch) may read another"))
    ordered = sorted(members, key=lambda m: m.info.header_offset)
    if ordered and ordered[0].info.header_offset != 0:
        problems.append(Problem(Kind.ARCHIVE, f"the first member starts at byte {ordered[0].info.header_offset:,}, "
                                              "not 0: the bytes before it are hidden from zip readers", 0))
    for index, member in enumerate(ordered):
        _check_local(handle, member, problems)
        if member.data_offset is None:
            continue
        end = member.data_offset + member.info.compress_size
        limit = ordered[index + 1].info.header_offset if index + 1 < len(ordered) else start_dir
        if end > limit:
            problems.append(Problem(Kind.ARCHIVE, f"member {_show(member.raw_name)}: its data (to byte {end:,}) runs "
                                                  f"into the next record at byte {limit:,}: members overlap",
                                    member.info.header_offset))
            member.usable = member.usable and end <= size
    return members


def _check_local(handle: BinaryIO, member: Member, problems: list[Problem]) -> None:
    info, name = member.info, _show(member.raw_name)
    at = info.header_offset
    handle.seek(at)
    header = handle.read(_LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: no local header at byte {at:,}", at))
        return
    _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _LOCAL.unpack(header)
    local_name = handle.read(name_len)
    extra = handle.read(extra_len)
    if len(local_name) < name_len or len(extra) < extra_len:
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: local header truncated", at))
        return
    member.data_offset = at + _LOCAL.size + name_len + extra_len
    member.usable = True
    if local_name != member.raw_name:
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: the local header names it {_show(local_name)}: "
                                              "readers that trust one or the other see different files "
                                              "(CVE-2025-1944)", at))
    if flags != info.flag_bits:
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: flags 0x{flags:04x} in the local header but "
                                              f"0x{info.flag_bits:04x} in the directory", at))
    odd = (info.flag_bits | flags) & ~_SAFE_FLAGS
    if odd:
        what = "encrypted" if odd & 0x0001 else "unusual"
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: {what} flag bits 0x{odd:04x}: PyTorch ignores them while "
                                              "other tools refuse the file (CVE-2025-1945)", at))
    if method != info.compress_type:
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: compression method {method} in the local header but "
                                              f"{info.compress_type} in the directory", at))
    if info.compress_type not in _SUPPORTED_METHODS:
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: compression method {info.compress_type} is not stored or "
                                              "deflate, which is all PyTorch reads", at))
        member.usable = info.compress_type in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
    csize, usize = _zip64_local_sizes(extra, csize, usize)
    local = (crc, csize, usize)
    central = (info.CRC, info.compress_size, info.file_size)
    if local != central and not (flags & 0x0008 and local == (0, 0, 0)):
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: CRC and sizes {_triple(local)} in the local header but "
                                              f"{_triple(central)} in the directory", at))


def check_descriptor(handle: BinaryIO, member: Member, problems: list[Problem]) -> None:
    """When flag bit 3 is set, the CRC and sizes follow the data: they must match the directory."""
    info = member.info
    if not info.flag_bits & 0x0008 or member.data_offset is None:
        return
    handle.seek(member.data_offset + info.compress_size)
    blob = handle.read(24)
    if blob[:4] == b"PK\x07\x08":
        blob = blob[4:]
    if len(blob) < 12:
        problems.append(Problem(Kind.ARCHIVE, f"member {_show(member.raw_name)}: data descriptor missing"))
        return
    crc, csize, usize = struct.unpack("<III", blob[:12])
    if (csize, usize) != (info.compress_size & 0xFFFFFFFF, info.file_size & 0xFFFFFFFF) and len(blob) >= 20:
        crc = struct.unpack("<I", blob[:4])[0]
        csize, usize = struct.unpack("<QQ", blob[4:20])
    if (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size) and \
            (crc, csize, usize) != (info.CRC, info.compress_size & 0xFFFFFFFF, info.file_size & 0xFFFFFFFF):
        problems.append(Problem(Kind.ARCHIVE, f"member {_show(member.raw_name)}: the data descriptor says "
                                              f"{_triple((crc, csize, usize))} but the directory says "
                                              f"{_triple((info.CRC, info.compress_size, info.file_size))}"))


def member_source(handle: BinaryIO, member: Member, budget: Budget | None = None) -> tuple[Source, MemberReader]:
    reader = MemberReader(handle, member, budget)
    return Source(reader.read, size=member.info.file_size), reader


def finish_member(handle: BinaryIO, member: Member, reader: MemberReader, problems: list[Problem]) -> None:
    """Read the rest of a member we analysed, then check its size and CRC against the directory."""
    name = _show(member.raw_name)
    if not reader.drain(MAX_MEMBER_READ):
        problems.append(Problem(Kind.MALFORMED, f"member {name} is larger than {MAX_MEMBER_READ:,} bytes: its CRC was "
                                                "not verified"))
        return
    if reader.produced != member.info.file_size:
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: holds {reader.produced:,} bytes but the directory says "
                                              f"{member.info.file_size:,}"))
    elif reader.crc != member.info.CRC:
        problems.append(Problem(Kind.ARCHIVE, f"member {name}: CRC 0x{reader.crc:08x} of its data does not match "
                                              f"0x{member.info.CRC:08x} in the directory: the bytes were altered after "
                                              "the archive was written (CVE-2025-10156)"))
    check_descriptor(handle, member, problems)


def read_head(handle: BinaryIO, member: Member, n: int = 16) -> bytes:
    try:
        return MemberReader(handle, member).read(n)
    except ReadError:
        return b""


def _show(name: bytes) -> str:
    text = name.decode("utf-8", "backslashreplace")
    return repr(text if len(text) <= 80 else text[:79] + "…")


def _triple(values: tuple[int, int, int]) -> str:
    return f"(crc 0x{values[0]:08x}, {values[1]:,}/{values[2]:,} bytes)"


__all__ = ["Member", "MemberReader", "open_archive", "member_source", "finish_member", "read_head",
                      "check_descriptor"]
