"""Scan one file: find every pickle in it by content, analyse each one, and say what was found.

The flow is: sniff the first bytes (`sniff`), then read the container the way its loader does
(a raw pickle stream, possibly several pickles back to back, the legacy PyTorch layout or a joblib
file; a zip archive; an .npy header; a compressed stream), hand every pickle to the symbolic
machine (`machine`), and collect imports and problems per pickle ("unit"). Nothing is imported,
loaded or executed from the file, on any path, including the error paths.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import lzma
import os
import tarfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from releasekit.pickles import npy as npyformat
from releasekit.pickles.allowlist import STORAGE_ITEMSIZE, Allowlist
from releasekit.pickles.budget import Budget, BudgetExceeded
from releasekit.pickles.machine import JOBLIB_WRAPPER, Global, Lst, Machine, Opaque, PersistentHandler, Tup, describe
from releasekit.pickles.problems import ImportUse, Kind, Problem
from releasekit.pickles.sniff import (
    HEAD_BYTES, Format, compression, looks_like_safetensors, looks_like_tar, named_like_pickle, opaque_archive, sniff,
)
from releasekit.pickles.source import ReadError, Source
from releasekit.pickles.torch_refs import TorchReferences
from releasekit.pickles.zipscan import finish_member, member_source, open_archive, read_head
from releasekit.pickles.opcodes import OPCODES

_OPCODE_BYTES = frozenset(OPCODES)
#: The first bytes of every container a checkpoint comes in: a file that is a prefix of one was cut short.
_MAGICS = (b"PK\x03\x04", b"\x93NUMPY", b"\x80\x02", b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh")

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the first pickle of a legacy (pre-1.6) PyTorch checkpoint
LEGACY_PROTOCOL_VERSION = 1001
MAX_PICKLES = 10_000
#: Compressed streams inside compressed streams followed this deep (deeper is "not fully analysed").
MAX_NESTING = 4


@dataclasses.dataclass
class Unit:
    """One pickle inside the file, with what it imports."""

    label: str
    imports: dict[str, ImportUse] = dataclasses.field(default_factory=dict)
    complete: bool = False


@dataclasses.dataclass
class ScanResult:
    """Everything the scan learned about one file."""

    path: str
    format: str | None = None  # None: the file carries no pickle and is not a container of one
    units: list[Unit] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    @property
    def imports(self) -> dict[str, ImportUse]:
        merged: dict[str, ImportUse] = {}
        for unit in self.units:
            for name, use in unit.imports.items():
                merged.setdefault(name, use)
        return merged


class _Scan:
    def __init__(self, result: ScanResult, allowlist: Allowlist, budget: Budget,
                 planted: Callable[[str], bool] | None = None) -> None:
        self.result = result
        self.allow = allowlist
        self.budget = budget
        self.planted = planted

    def problem(self, kind: Kind, message: str, pos: int | None = None) -> None:
        self.result.problems.append(Problem(kind, message, pos))

    def machine(self, source: Source, label: str, persistent: PersistentHandler | None = None) -> tuple[Machine, Unit]:
        unit = Unit(label)
        self.result.units.append(unit)
        return Machine(source, self.allow, label=label, persistent=persistent, imports=unit.imports,
                       problems=self.result.problems, budget=self.budget, planted=self.planted), unit

    # -- raw pickle streams ------------------------------------------------------------------
    def pickles(self, src: Source, *, tentative: bool = False, label: str = "") -> bool:
        """A stream of pickles; False when a tentative parse shows it is not a pickle at all.

        A tentative parse is dropped only when it failed before reaching anything that runs code
        under the unpickler: no import of an importable module (find_class imports it), no EXT,
        no STACK_GLOBAL of computed operands. The decoder parses every argument as CPython does,
        so such a stream stops CPython at the same byte, before any code ran.
        """
        mark = len(self.result.problems)
        units_before = len(self.result.units)
        machine, unit = self.machine(src, label)
        out = machine.run()
        unit.complete = out.complete
        if tentative and not out.complete and not out.plausible:
            del self.result.problems[mark:]
            del self.result.units[units_before:]
            return False
        self.result.format = self.result.format or "pickle"
        if out.complete and type(out.value) is int and out.value == MAGIC_NUMBER:
            self.legacy_torch(src)
            return True
        index = 1
        while out.complete and not src.at_end():
            index += 1
            at = src.pos
            if src.peek(4) == b"PK\x03\x04":
                self.problem(Kind.MALFORMED, f"a zip archive follows the pickle at byte {at:,}: a polyglot file that "
                                             "pickle.load and zip readers see differently", at)
                break
            if index > MAX_PICKLES:
                self.problem(Kind.MALFORMED, f"more than {MAX_PICKLES:,} pickles in one file: not verified", at)
                break
            machine, unit = self.machine(src, f"{label + ' > ' if label else ''}pickle {index} (at byte {at:,})")
            out = machine.run()
            unit.complete = out.complete
        if any(JOBLIB_WRAPPER in u.imports for u in self.result.units):
            fmt = self.result.format or "pickle"
            self.result.format = fmt[: -len("pickle")] + "joblib" if fmt.endswith("pickle") else f"{fmt}+joblib"
        return True

    def legacy_torch(self, src: Source) -> None:
        """The legacy format: magic, protocol version, system info, the checkpoint, storage keys, storages."""
        self.result.format = "pytorch-legacy"
        refs = TorchReferences(legacy=True)
        values: list[Any] = []
        for index, what in enumerate(("protocol version", "system info", "checkpoint", "storage keys"), start=2):
            machine, unit = self.machine(src, f"pickle {index} ({what})", refs if what == "checkpoint" else None)
            out = machine.run()
            unit.complete = out.complete
            if not out.complete:
                return
            values.append(out.value)
        if type(values[0]) is not int or values[0] != LEGACY_PROTOCOL_VERSION:
            self.problem(Kind.MALFORMED, f"legacy PyTorch checkpoint: protocol version {describe(values[0])} is not "
                                         f"{LEGACY_PROTOCOL_VERSION}")
            return
        keys = values[3]
        if not isinstance(keys, Lst) or keys.total != len(keys.items) or not all(type(k) is str for k in keys.items):
            self.problem(Kind.MALFORMED, f"legacy PyTorch checkpoint: the storage keys are {describe(keys)}, not a "
                                         "list of strings")
            return
        by_key = {ref.key: ref for ref in refs.refs}
        try:
            for key in keys.items:
                ref = by_key.get(key)
                at = src.pos
                if ref is None:
                    self.problem(Kind.MALFORMED, f"legacy PyTorch checkpoint: storage {key!r} is listed but never "
                                                 "referenced by the checkpoint", at)
                    return
                count = int.from_bytes(src.read(8), "little")
                if count != ref.numel:
                    self.problem(Kind.MALFORMED, f"legacy PyTorch checkpoint: storage {key!r} holds {count:,} "
                                                 f"elements on disk but the checkpoint expects {ref.numel:,}", at)
                    return
                if ref.itemsize is None:
                    self.problem(Kind.MALFORMED, f"legacy PyTorch checkpoint: storage type {ref.storage_type} has "
                                                 "no known element size", at)
                    return
                src.skip(count * ref.itemsize)
        except ReadError as exc:
            self.problem(Kind.MALFORMED, f"legacy PyTorch checkpoint: storage data {exc}", exc.pos)
            return
        if not src.at_end():
            self.problem(Kind.MALFORMED, f"legacy PyTorch checkpoint: {(src.remaining or 0):,} unexpected byte(s) "
                                         "after the last storage", src.pos)

    # -- npy ---------------------------------------------------------------------------------
    def npy(self, src: Source, label: str, total: int | None) -> bool:
        """An .npy array; True when its data (an object array's pickle) was read to the end."""
        prefix_label = f"{label}: " if label else ""
        try:
            prefix = src.peek(12)
            before, length = npyformat.header_length(prefix)
            if length > npyformat.MAX_HEADER:
                raise npyformat.NpyError(f"header of {length:,} bytes is larger than NumPy reads")
            src.read(before)
            header = npyformat.parse_header(before, src.read(length), prefix[6])
        except (npyformat.NpyError, ReadError) as exc:
            self.problem(Kind.MALFORMED, f"{prefix_label}not a valid .npy array: {exc}")
            return False
        if not header.has_object:
            expected = header.data_offset + header.data_bytes
            if total is not None and total != expected:
                self.problem(Kind.MALFORMED, f"{prefix_label}holds {total:,} bytes but its .npy header describes "
                                             f"{expected:,} (truncated or trailing data)")
            return False
        machine, unit = self.machine(src, f"{prefix_label}object array".lstrip())
        out = machine.run()
        unit.complete = out.complete
        if out.complete and not src.at_end():
            self.problem(Kind.MALFORMED, f"{prefix_label}bytes after the object array's pickle", src.pos)
        return True

    # -- zip ---------------------------------------------------------------------------------
    def archive(self, handle: BinaryIO, size: int, *, named: bool = True) -> None:
        """A zip. Its structural problems are reported only when it carries a pickle or an array
        (or is named like a checkpoint): an inconsistent zip of documents is not this check's business."""
        self.result.format = "zip"
        structure: list[Problem] = []
        members = open_archive(handle, size, structure)
        if not members:
            # A file that begins with a zip member but whose archive cannot be read (a checkpoint cut
            # short in upload has no central directory) may hold a pickle nobody can analyse: that is
            # an error whatever the file is called, never a silent pass.
            if named or (members is None and _starts_with_local_header(handle)):
                self.result.problems.extend(structure)
            else:
                self.result.format = None
            return
        units_before = len(self.result.units)
        for member in members:
            if member.info.flag_bits & 0x1 and not member.raw_name.endswith(b"/"):
                # Whatever the archive holds otherwise: a password-protected member can be a pickle
                # that a user extracts and loads, and nobody can look inside it here.
                self.problem(Kind.ARCHIVE, f"member {member.raw_name.decode('utf-8', 'backslashreplace')!r} is "
                                           "encrypted: its content cannot be analysed")
        by_name = {m.raw_name: m for m in members}
        first = members[0].raw_name
        root = first.split(b"/", 1)[0] if b"/" in first else None
        torch_zip = root is not None and root + b"/data.pkl" in by_name
        refs = TorchReferences(legacy=False) if torch_zip else None
        storages = (root or b"") + b"/data/"
        saw_npy = False
        for member in members:
            name = member.raw_name
            if name.endswith(b"/") or (torch_zip and name.startswith(storages)):
                continue
            lower = name.lower()
            kind: Format | None
            if lower.endswith((b".pkl", b".pickle")):
                kind = Format.PICKLE
            elif lower.endswith(b".npy"):
                kind = Format.NPY
            elif member.usable:
                head = read_head(handle, member, 512)
                kind = sniff(head, member.info.file_size)
                shown = repr(name.decode("utf-8", "backslashreplace"))
                if kind is Format.MAYBE_PICKLE and not member.info.flag_bits & 0x1:
                    # a protocol 0-5 stream without PROTO, under any name: kept when it reaches code
                    src, reader = member_source(handle, member, self.budget)
                    self.pickles(src, tentative=True, label=f"member {shown}")
                    continue
                if kind is Format.OPAQUE:
                    self.problem(Kind.MALFORMED, f"member {shown} is a {opaque_archive(head)} archive: its content "
                                                 "cannot be analysed")
                    continue
                kind = kind if kind in (Format.PICKLE, Format.NPY) else None
            else:
                kind = None
            if kind is None:
                continue
            shown = repr(name.decode("utf-8", "backslashreplace"))
            if not member.usable:
                self.problem(Kind.MALFORMED, f"member {shown} cannot be read as PyTorch would read it: not analysed")
                continue
            src, reader = member_source(handle, member, self.budget)
            if kind is Format.NPY:
                saw_npy = True
                if not self.npy(src, f"member {shown}", member.info.file_size):
                    continue  # a plain array: its data is not read, so its CRC is not checked
            else:
                machine, unit = self.machine(src, f"member {shown}", refs)
                out = machine.run()
                unit.complete = out.complete
                if out.complete and not src.at_end():
                    self.problem(Kind.MALFORMED, f"member {shown}: {member.info.file_size - src.pos:,} byte(s) after "
                                                 "the pickle's STOP", src.pos)
            try:
                finish_member(handle, member, reader, self.result.problems)
            except ReadError as exc:
                self.problem(Kind.MALFORMED, f"member {shown}: {exc}")
        if torch_zip:
            self.result.format = "pytorch-zip"
            assert refs is not None and root is not None
            for ref in refs.refs:
                record = by_name.get(storages + ref.key.encode("utf-8", "surrogateescape"))
                if record is None:
                    self.problem(Kind.MALFORMED, f"the checkpoint references storage {ref.key!r} but the archive has no "
                                                 f"member {(storages + ref.key.encode()).decode('utf-8', 'replace')!r}",
                                 ref.pos)
                elif ref.itemsize is not None and record.info.file_size < ref.numel * ref.itemsize:
                    self.problem(Kind.MALFORMED, f"storage {ref.key!r} holds {record.info.file_size:,} bytes but the "
                                                 f"checkpoint needs {ref.numel * ref.itemsize:,}", ref.pos)
        elif saw_npy:
            self.result.format = "npz"
        if torch_zip or named or len(self.result.units) > units_before or saw_npy:
            self.result.problems[:0] = structure
        elif self.result.problems:
            self.result.format = self.result.format or "zip"
        else:
            self.result.format = None  # a zip without pickles or arrays: nothing to report

    # -- compressed (joblib's registry), joblib's zfile, tar ----------------------------------
    def compressed(self, handle: BinaryIO, kind: str, named: bool, depth: int = 0, label: str = "") -> bool:
        """A stream as joblib.load reads it: decompress, then unpickle what comes out (a raw pickle
        stream; nested compression and .npy content are followed too). True when anything was found."""
        where = f"{label}: " if label else ""
        if kind == "lz4":
            try:
                import lz4.frame  # noqa: F401 - optional; joblib reads lz4 only when it is installed
            except ImportError:
                self.result.format = self.result.format or "lz4"
                self.problem(Kind.MALFORMED, f"{where}lz4-compressed (joblib reads it when the lz4 package is installed), "
                                             "but lz4 is not installed here: not analysed; install lz4 and check again")
                return True
        if depth >= MAX_NESTING:
            self.problem(Kind.MALFORMED, f"{where}compressed streams nested more than {MAX_NESTING} deep: not fully analysed")
            return True
        src = Source(_decompressor(handle, kind, self.budget))
        try:
            head = src.peek(HEAD_BYTES)
        except ReadError as exc:
            if exc.pos == 0 and depth == 0 and not named:
                # The loader's decompressor fails before it yields one byte (a text file that starts
                # with joblib's zlib prefix `x`, say): nothing can reach the unpickler this way.
                return False
            self.result.format = self.result.format or kind
            self.problem(Kind.MALFORMED, f"{where}{kind}-compressed, but {exc}")
            return True
        inner_label = f"{where}{kind} stream".strip()
        self.result.format = self.result.format or kind
        inner_kind = compression(head)
        if inner_kind is not None:
            self.result.format = f"{self.result.format}+{inner_kind}"
            return self.compressed(_SourceFile(src), inner_kind, named, depth + 1, inner_label)
        inner = sniff(head, 1 << 62)
        if inner is Format.NPY:
            self.result.format = f"{self.result.format}+npy"
            self.npy(src, "", None)
            return True
        if self.pickles(src, tentative=inner is not Format.PICKLE and not named, label=label):
            if "pickle" not in self.result.format and "joblib" not in self.result.format:
                self.result.format = f"{self.result.format}+pickle"
            return True
        # Not a pickle, and the unpickler stops before anything runs (compressed data or text).
        self.result.format = None
        return False

    def zfile(self, handle: BinaryIO) -> None:
        """joblib < 0.10: "ZF", a 19-character hex length (a space may follow), then zlib data."""
        self.result.format = "joblib-zfile"
        header = handle.read(2 + 19)
        try:
            length = int(header[2:], 16)
        except ValueError:
            self.problem(Kind.MALFORMED, f"joblib zfile: length field {header[2:]!r} is not hexadecimal "
                                         "(joblib.load fails before unpickling)")
            return
        if handle.read(1) != b" ":
            handle.seek(len(header))
        src = Source(_decompressor(handle, "zlib", self.budget), size=length)
        self.pickles(src, label="zfile")

    def tar(self, handle: BinaryIO) -> bool:
        """torch.load's pre-0.4 tar checkpoint: pickles in members storages, tensors and pickle."""
        errors = (tarfile.TarError, OSError, EOFError, ValueError, UnicodeError)
        try:
            archive = tarfile.open(fileobj=handle, mode="r:")
        except errors:
            return False  # torch.load falls back to unpickling the raw bytes (analysed by the caller)
        self.result.format = f"{self.result.format}+pytorch-tar" if self.result.format else "pytorch-tar"
        members: dict[str, tarfile.TarInfo] = {}
        try:
            for count, info in enumerate(archive, start=1):
                if info.name in ("storages", "tensors", "pickle"):
                    members[info.name] = info  # getmember (what torch calls) takes the last one
                if count % 1024 == 0:
                    self.budget.opcodes(0)  # reads the clock: a tar of a million headers is bounded too
        except errors as exc:
            self.problem(Kind.MALFORMED, f"tar archive (torch.load reads it as a pre-0.4 checkpoint): {exc}; members "
                                         "after that point were not analysed")
        if len(members) < 3:
            missing = ", ".join(n for n in ("storages", "tensors", "pickle") if n not in members)
            self.problem(Kind.MALFORMED, f"a tar archive (torch.load reads it as a pre-0.4 checkpoint) without "
                                         f"member(s) {missing}")
        for name, info in members.items():
            fileobj = archive.extractfile(info)
            if fileobj is None:
                self.problem(Kind.MALFORMED, f"tar member {name!r} is not a regular file: not analysed")
                continue
            src = Source(fileobj.read, size=info.size)
            try:
                if name == "pickle":
                    machine, unit = self.machine(src, "tar member 'pickle'", _tar_persistent)
                    unit.complete = machine.run().complete
                else:
                    self._tar_records(src, name)
            except ReadError as exc:
                self.problem(Kind.MALFORMED, f"tar member {name!r}: {exc}", exc.pos)
        return True

    def _tar_records(self, src: Source, name: str) -> None:
        """'storages' or 'tensors': a count, then per record a pickle and raw data, (storages) then views."""
        label = f"tar member {name!r}"

        def one(what: str) -> object:
            machine, unit = self.machine(src, f"{label} ({what})")
            out = machine.run()
            unit.complete = out.complete
            if not out.complete:
                raise _Stop
            return out.value

        try:
            count = one("count")
            if type(count) is not int or count < 0:
                self.problem(Kind.MALFORMED, f"{label}: count is {describe(count)}: not fully analysed")
                return
            for index in range(count):
                record = one(f"record {index}")
                items = record.items if isinstance(record, Tup) else None
                if name == "storages":
                    kind = items[2] if items and len(items) == 3 else None
                    size = STORAGE_ITEMSIZE.get(kind.name[: -len("Storage")]) if isinstance(kind, Global) \
                        and kind.name.endswith("Storage") else None
                    if size is None:
                        self.problem(Kind.MALFORMED, f"{label}: record {index} is {describe(record)}, not (key, "
                                                     "location, storage type): its data cannot be located")
                        return
                    numel = int.from_bytes(src.read(8), "little", signed=True)
                    src.skip(max(numel, 0) * size)
                else:
                    ndim = int.from_bytes(src.read(4), "little", signed=True)
                    if ndim < 0:
                        self.problem(Kind.MALFORMED, f"{label}: record {index} has {ndim} dimensions")
                        return
                    src.skip(4 + 16 * ndim + 8)
            if name == "storages":
                one("views")
        except _Stop:
            return

    def opaque(self, kind: str) -> None:
        self.result.format = kind
        self.problem(Kind.MALFORMED, f"a {kind} archive: it can carry pickles that a user unpacks and loads, and its "
                                     "content cannot be analysed here; do not ship archives inside a release")


class _Stop(Exception):
    """A record pickle did not parse (already reported): stop reading that tar member."""


def _tar_persistent(pid: object, pos: int, machine: Machine) -> object:
    """torch's legacy_load persistent_load: a tuple yields its first item, anything else a storage."""
    if isinstance(pid, Tup):
        return pid.items[0] if pid.items else Opaque("a persistent object")
    return Opaque("a storage from the tar checkpoint")


class _SourceFile(io.RawIOBase):
    """A read-only file object over a Source (a decompressed stream fed to another decompressor)."""

    def __init__(self, src: Source) -> None:
        self.src = src

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.src.peek(min(len(buffer), 1 << 16))
        self.src.read(len(data))
        buffer[:len(data)] = data
        return len(data)


def _decompressor(handle: BinaryIO, kind: str, budget: Budget) -> Callable[[int], bytes]:
    """A read(n) over the decompressed stream, as joblib opens it, that fails cleanly (ReadError) and
    counts what it inflates against the budget (BudgetExceeded when it runs out)."""
    if kind == "zlib":
        inflate = zlib.decompressobj()

        def zread(n: int) -> bytes:
            out = bytearray()
            while len(out) < n and not inflate.eof:
                buf = inflate.unconsumed_tail or handle.read(1 << 16)
                if not buf:
                    break
                out += inflate.decompress(buf, n - len(out))
            return bytes(out)
        reader: Callable[[int], bytes] = zread
    elif kind == "lz4":
        import lz4.frame

        reader = lz4.frame.LZ4FrameFile(handle).read
    else:
        opener = {"gzip": lambda: gzip.GzipFile(fileobj=handle), "bz2": lambda: bz2.BZ2File(handle),
                  "xz": lambda: lzma.LZMAFile(handle), "lzma": lambda: lzma.LZMAFile(handle)}[kind]
        reader = opener().read
    produced = 0

    def read(n: int) -> bytes:
        nonlocal produced
        try:
            data = reader(min(n, 1 << 20))
        except (OSError, EOFError, lzma.LZMAError, zlib.error, RuntimeError, ValueError) as exc:
            raise ReadError(produced, f"the {kind} stream is corrupt or truncated ({exc})") from None
        produced += len(data)
        budget.inflated(len(data))
        return data

    return read


def scan(path: Path, *, display_path: str, allowlist: Allowlist, budget: Budget | None = None,
         planted: Callable[[str], bool] | None = None) -> ScanResult:
    """Analyse one file as every standard loader would read it; the result says its format, its
    pickles' imports and every problem. `budget` is shared by the files of one run (a fresh one
    with the default limits when omitted); running out is a problem, never a pass."""
    result = ScanResult(display_path)
    budget = budget or Budget()
    scan_ = _Scan(result, allowlist, budget, planted)
    try:
        budget.start_file()
        _scan_file(scan_, Path(path), display_path)
    except BudgetExceeded as exc:
        result.format = result.format or "unknown"
        scan_.problem(Kind.MALFORMED, str(exc))
    except OSError as exc:
        scan_.problem(Kind.MALFORMED, f"cannot be read: {exc.strerror or exc}")
        result.format = result.format or "unreadable"
    return result


def _scan_file(scan_: _Scan, path: Path, display_path: str) -> None:
    """The loaders' own dispatch (read from their source): torch.load reads a zip (PK\\x03\\x04), else
    tries tarfile, else unpickles the raw bytes; numpy.load reads a zip or .npy, else unpickles;
    joblib.load reads "ZF" or a registered compressor's stream, else unpickles. So besides the
    container it is, every file is also read as a raw pickle stream, tentatively."""
    result = scan_.result
    named = named_like_pickle(display_path)
    size = os.stat(path).st_size
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
        handle.seek(0)
        fmt = sniff(head, size)
        if fmt is not Format.ZIP and display_path.lower().endswith(".zip") and size > 0:
            # zipfile (pandas.read_pickle(compression="zip")) finds an archive from its end,
            # even behind prepended bytes that hide it from a look at the first bytes.
            scan_.archive(handle, size, named=False)
            if result.format is not None:
                return
            result.problems.clear()
            result.units.clear()
            handle.seek(0)
        if not head.startswith(b"PK\x03\x04") and fmt is not Format.TAR and looks_like_tar(head):
            # torch.load tries tarfile on everything that does not start like a zip, whatever
            # else the file is to other loaders (a tar header can begin with any bytes)
            scan_.tar(handle)
            handle.seek(0)
        if fmt is Format.ZIP:
            scan_.archive(handle, size, named=named)
            return
        if fmt is Format.NPY:
            result.format = f"{result.format}+npy" if result.format else "npy"
            scan_.npy(Source.from_file(handle, size=size), "", size)
            return
        container = looks_like_safetensors(head, size) or result.format is not None
        if fmt is Format.COMPRESSED:
            container = scan_.compressed(handle, compression(head) or "", named)
        elif fmt is Format.ZFILE:
            scan_.zfile(handle)
            container = True
        elif fmt is Format.OPAQUE:
            scan_.opaque(opaque_archive(head) or "archive")
            container = True
        elif fmt is Format.TAR:
            container = scan_.tar(handle) or container
        if head and head[0] in _OPCODE_BYTES:
            handle.seek(0)
            raw_format = result.format
            # A binary pickle header (PROTO) is a pickle whatever happens next; anything else counts
            # only when it parses or reaches code (a named file that does neither is reported below).
            found = scan_.pickles(Source.from_file(handle, size=size), tentative=container or not head.startswith(b"\x80"),  # noqa: E501
                                  label="read as a raw pickle stream" if container else "")
            if found and raw_format is not None:
                result.format = f"{raw_format}+pickle"
            if found or container:
                return
        elif container:
            return
        if named and (not head or any(magic.startswith(head) for magic in _MAGICS)):
            scan_.problem(Kind.MALFORMED, "named like a pickle or checkpoint, but it is empty or cut short inside its "
                                          f"first bytes ({head.hex(' ') or 'no bytes'}): an upload cut short?")
            result.format = "unknown"
        elif named:
            shown = head[:8].hex(" ")
            scan_.problem(Kind.NOT_A_PICKLE, f"named like a pickle or checkpoint, but its content is not a pickle, zip "
                                             f"or .npy array (first bytes: {shown}); every standard loader stops "
                                             "before anything in it runs")
            result.format = "unknown"


def _starts_with_local_header(handle: BinaryIO) -> bool:
    handle.seek(0)
    return handle.read(4) == b"PK\x03\x04"
