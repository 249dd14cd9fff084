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
import lzma
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from releasekit.pickles import npy as npyformat
from releasekit.pickles.allowlist import Allowlist
from releasekit.pickles.machine import JOBLIB_WRAPPER, Lst, Machine, PersistentHandler, describe
from releasekit.pickles.problems import ImportUse, Kind, Problem
from releasekit.pickles.sniff import HEAD_BYTES, Format, compression, looks_like_safetensors, named_like_pickle, sniff
from releasekit.pickles.source import ReadError, Source
from releasekit.pickles.torch_refs import TorchReferences
from releasekit.pickles.zipscan import finish_member, member_source, open_archive, read_head

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the first pickle of a legacy (pre-1.6) PyTorch checkpoint
LEGACY_PROTOCOL_VERSION = 1001
#: A compressed stream that inflates beyond this is not followed further (a verdict of "not verified").
MAX_DECOMPRESSED = 8 << 30
MAX_PICKLES = 10_000


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
    def __init__(self, result: ScanResult, allowlist: Allowlist) -> None:
        self.result = result
        self.allow = allowlist

    def problem(self, kind: Kind, message: str, pos: int | None = None) -> None:
        self.result.problems.append(Problem(kind, message, pos))

    def machine(self, source: Source, label: str, persistent: PersistentHandler | None = None) -> tuple[Machine, Unit]:
        unit = Unit(label)
        self.result.units.append(unit)
        return Machine(source, self.allow, label=label, persistent=persistent, imports=unit.imports,
                       problems=self.result.problems), unit

    # -- raw pickle streams ------------------------------------------------------------------
    def pickles(self, src: Source, *, tentative: bool = False) -> bool:
        """A stream of pickles; False when a tentative parse shows it is not a pickle at all."""
        mark = len(self.result.problems)
        machine, unit = self.machine(src, "")
        out = machine.run()
        unit.complete = out.complete
        if tentative and not out.complete and not out.plausible:
            del self.result.problems[mark:]
            self.result.units.remove(unit)
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
            machine, unit = self.machine(src, f"pickle {index} (at byte {at:,})")
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
                kind = sniff(read_head(handle, member), member.info.file_size)
                kind = kind if kind in (Format.PICKLE, Format.NPY) else None
            else:
                kind = None
            if kind is None:
                continue
            shown = repr(name.decode("utf-8", "backslashreplace"))
            if not member.usable:
                self.problem(Kind.MALFORMED, f"member {shown} cannot be read as PyTorch would read it: not analysed")
                continue
            src, reader = member_source(handle, member)
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
        elif not self.result.problems:
            self.result.format = None  # a zip without pickles or arrays: nothing to report

    # -- compressed --------------------------------------------------------------------------
    def compressed(self, handle: BinaryIO, kind: str, named: bool) -> None:
        src = Source(_decompressor(handle, kind))
        try:
            head = src.peek(HEAD_BYTES)
        except ReadError as exc:
            if named:
                self.problem(Kind.MALFORMED, f"{kind}-compressed, but {exc}")
            return
        inner = sniff(head, 1 << 62)
        if inner is Format.PICKLE:
            self.result.format = f"{kind}+pickle"
            self.pickles(src)
        elif inner is Format.NPY:
            self.result.format = f"{kind}+npy"
            self.npy(src, "", None)
        elif named:
            self.result.format = kind
            self.problem(Kind.MALFORMED, f"{kind}-compressed, but what it holds is neither a pickle nor an .npy array")


def _decompressor(handle: BinaryIO, kind: str) -> Callable[[int], bytes]:
    """A read(n) over the decompressed stream that fails cleanly (ReadError) and stops at a bound."""
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
    else:
        opener = {"gzip": lambda: gzip.GzipFile(fileobj=handle), "bz2": lambda: bz2.BZ2File(handle),
                  "xz": lambda: lzma.LZMAFile(handle), "lzma": lambda: lzma.LZMAFile(handle)}[kind]
        reader = opener().read
    produced = 0

    def read(n: int) -> bytes:
        nonlocal produced
        try:
            data = reader(n)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise ReadError(produced, f"the {kind} stream is corrupt or truncated ({exc})") from None
        produced += len(data)
        if produced > MAX_DECOMPRESSED:
            raise ReadError(produced, f"the {kind} stream inflates beyond {MAX_DECOMPRESSED:,} bytes: not verified")
        return data

    return read


def scan(path: Path, *, display_path: str, allowlist: Allowlist) -> ScanResult:
    """Analyse one file; the result says its format, its pickles' imports and every problem."""
    result = ScanResult(display_path)
    scan_ = _Scan(result, allowlist)
    named = named_like_pickle(display_path)
    try:
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
                    return result
                result.problems.clear()
                result.units.clear()
                handle.seek(0)
            if fmt is Format.ZIP:
                scan_.archive(handle, size, named=named)
            elif fmt is Format.NPY:
                result.format = "npy"
                scan_.npy(Source.from_file(handle, size=size), "", size)
            elif fmt is Format.PICKLE:
                scan_.pickles(Source.from_file(handle, size=size))
            elif fmt is Format.MAYBE_PICKLE:
                if not scan_.pickles(Source.from_file(handle, size=size), tentative=not named) and named:
                    scan_.problem(Kind.MALFORMED, "named like a pickle, but its content is not one")
            elif fmt is Format.COMPRESSED:
                scan_.compressed(handle, compression(head) or "", named)
            elif named and not looks_like_safetensors(head, size):
                shown = head[:8].hex(" ") if head else "an empty file"
                scan_.problem(Kind.MALFORMED, f"named like a pickle or checkpoint, but its content is not a pickle, zip "
                                              f"or .npy array (first bytes: {shown})")
                result.format = "unknown"
    except OSError as exc:
        scan_.problem(Kind.MALFORMED, f"cannot be read: {exc.strerror or exc}")
        result.format = result.format or "unreadable"
    return result


def _starts_with_local_header(handle: BinaryIO) -> bool:
    handle.seek(0)
    return handle.read(4) == b"PK\x03\x04"
