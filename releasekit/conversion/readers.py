"""The restricted loading path: the only place convert turns input bytes into tensors.

Pickled checkpoints go through `torch.load(weights_only=True)` and nothing else: never `pickle`,
never `weights_only=False` (and only after `safety.analyse` has passed the file and the torch
version). torch's zip format is opened with `mmap=True`, so tensors are views of a read-only file
mapping and nothing is read until a tensor is written. The legacy format (torch < 1.6, or
`_use_new_zipfile_serialization=False`) cannot be mmapped: it is read whole, so memory is bounded
by the size of that one file. Safetensors inputs (for `--dequantize-fp8`) are mmapped and parsed
with releasekit's strict header reader.
"""

from __future__ import annotations

import mmap
import os
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

import torch

from releasekit.conversion.discovery import InputFile
from releasekit.conversion.errors import ConvertError
from releasekit.conversion.inventory import TensorFacts
from releasekit.conversion.statedict import Namespaced, Skipped, flatten_checkpoint, torch_kind
from releasekit.conversion.syscalls import release_pages
from releasekit.conversion.tensors import st_dtype, torch_dtype
from releasekit.safetensors_format import read_header


class Reader:
    """The tensors of one input file, by name, in the file's order."""

    def __init__(
        self,
        source: InputFile,
        tensors: dict[str, torch.Tensor],
        skipped: list[Skipped],
        *,
        file_backed: bool,
        keepalive: object = None,
    ) -> None:
        self.source = source
        self.tensors = tensors
        self.skipped = skipped
        self.namespaced: list[Namespaced] = []
        # True when tensor data lives in a read-only file mapping, so its pages may be dropped.
        self.file_backed = file_backed
        self._keepalive = keepalive
        self._mappings = _file_mappings(source.path) if file_backed else []
        self._fd: int | None = None

    def file_range(self, tensor: torch.Tensor) -> tuple[int, int] | None:
        """(offset, length) of a contiguous tensor's bytes in the input file, when they lie there as is.

        The writer then lets the kernel copy them (copy_file_range) without passing through this
        process. Found from where the file is mapped (/proc/self/maps on Linux); None elsewhere,
        in which case the bytes are written from memory. Verification never uses this: it compares
        with the tensor as torch holds it, so a wrong offset would be caught, not copied silently.
        """
        if not self._mappings or tensor.numel() == 0 or not tensor.is_contiguous():
            return None
        address, length = tensor.data_ptr(), tensor.numel() * tensor.element_size()
        for start, end, offset in self._mappings:
            if start <= address and address + length <= end:
                return offset + address - start, length
        return None

    def facts(self, tensor: torch.Tensor) -> TensorFacts:
        """dtype, shape and size, and which storage (by address) and view of it the tensor is."""
        dtype = st_dtype(tensor.dtype)
        assert dtype is not None  # statedict refuses dtypes safetensors lacks
        shape = tuple(int(d) for d in tensor.shape)
        nbytes = tensor.numel() * tensor.element_size()
        storage = tensor.untyped_storage()
        key = None
        if tensor.numel() and storage.nbytes() and storage.data_ptr():
            key = (storage.data_ptr(), storage.nbytes())
        view = None if key is None else (*key, dtype, shape, tuple(tensor.stride()), tensor.storage_offset())
        covers = tensor.is_contiguous() and tensor.storage_offset() == 0 and nbytes == storage.nbytes()
        return TensorFacts(dtype=dtype, shape=shape, nbytes=nbytes, storage=key, view=view, covers=covers)

    def fileno(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.source.path, os.O_RDONLY)
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def release(self, tensor: torch.Tensor) -> None:
        """Give back the memory a tensor's pages took once it has been written or compared."""
        if self.file_backed and tensor.numel():
            storage = tensor.untyped_storage()  # a view's elements may lie anywhere in its storage
            release_pages(storage.data_ptr(), storage.nbytes())


def open_reader(source: InputFile, *, strip_prefix: str | None = None, exclude: Sequence[str] = ()) -> Reader:
    if source.format == "safetensors":
        return _open_safetensors(source, strip_prefix)
    if source.format not in ("zip", "legacy"):
        raise ConvertError(f"{source.rel}: not a checkpoint format convert reads ({source.format})")
    mmapped = source.format == "zip"
    try:
        loaded = torch.load(str(source.path), map_location="cpu", weights_only=True, mmap=mmapped)
    except Exception as exc:  # noqa: BLE001 - any failure of the loader is the file's problem, told in one line
        raise ConvertError(f"{source.rel}: {_load_failure(exc)}") from None
    namespaced: list[Namespaced] = []
    tensors, skipped = flatten_checkpoint(
        loaded, source.rel, strip_prefix=strip_prefix, exclude=exclude, kind=torch_kind(), namespaced=namespaced
    )
    file_backed = mmapped and _little_endian_archive(source.path)
    reader = Reader(source, tensors, skipped, file_backed=file_backed)
    reader.namespaced = namespaced
    return reader


def _load_failure(exc: Exception) -> str:
    text = str(exc)
    first = (text.strip().splitlines() or [""])[0][:300]
    if "Weights only load failed" in text:
        detail = next((line.strip() for line in text.splitlines() if "GLOBAL" in line or "Unsupported" in line), first)
        detail = detail.replace("WeightsUnpickler error: ", "").split(". Please use")[0].split(". To ")[0]
        return f"torch's weights-only loader refused it ({detail[:200]}); convert never loads pickles any other way"
    return f"torch cannot load it ({type(exc).__name__}: {first})"


def _little_endian_archive(path: Path) -> bool:
    """Whether a zip checkpoint's data is little-endian (torch byte-swaps big-endian data in place,
    in private copies of the pages, which dropping the pages would undo)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("/byteorder")]
            if not names:
                return True  # files older than the byteorder record are little-endian
            return archive.read(names[0]).strip() == b"little"
    except (OSError, zipfile.BadZipFile):
        return False


def _file_mappings(path: Path) -> list[tuple[int, int, int]]:
    """(start, end, file offset) of every mapping of `path` in this process (Linux; [] elsewhere)."""
    try:
        st = os.stat(path)
        real = os.path.realpath(path)
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as handle:
            lines = handle.readlines()
    except OSError:
        return []
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}"
    found = []
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) < 6 or parts[4] != str(st.st_ino):
            continue
        if parts[3] != device and parts[5].rstrip("\n") != real:
            continue
        start, end = (int(x, 16) for x in parts[0].split("-"))
        found.append((start, end, int(parts[2], 16)))
    return found


def _open_safetensors(source: InputFile, strip_prefix: str | None) -> Reader:
    header = read_header(source.path)
    if header.problems:
        raise ConvertError(f"{source.rel}: not a valid safetensors file: {header.problems[0].message}")
    tensors: dict[str, torch.Tensor] = {}
    with open(source.path, "rb") as handle:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if header.file_size else None
    items = sorted(header.tensors.items(), key=lambda item: item[1].start)
    for name, info in items:
        try:
            dtype = torch_dtype(info.dtype)
        except KeyError:
            raise ConvertError(
                f"{source.rel}: tensor {name!r} has dtype {info.dtype}, which torch cannot read"
            ) from None
        if info.numel == 0 or mapping is None:
            tensors[name] = torch.empty(info.shape, dtype=dtype)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the buffer is read-only by design; nothing writes to it
            flat = torch.frombuffer(
                mapping, dtype=torch.uint8, count=info.nbytes, offset=header.data_start + info.start
            )
        tensors[name] = flat.view(dtype).reshape(info.shape)
    if strip_prefix:
        stripped: dict[str, torch.Tensor] = {}
        for name, tensor in tensors.items():
            new = name[len(strip_prefix) :] if name.startswith(strip_prefix) else name
            if not new or new in stripped:
                raise ConvertError(
                    f"{source.rel}: --strip-prefix {strip_prefix!r} makes tensor name {new!r} empty or duplicate"
                )
            stripped[new] = tensor
        tensors = stripped
    if not tensors:
        raise ConvertError(f"{source.rel}: no tensors found")
    return Reader(source, tensors, [], file_backed=True, keepalive=mapping)


class ReaderPool:
    """Readers by input position, opened on first use.

    Mapped readers (zip, safetensors) stay open: they cost address space, not memory. Legacy
    readers hold their whole file in memory, so at most `resident_legacy` of them are kept (two:
    an FP8 weight and its scale may sit in different shards); the least recently used goes first.
    """

    def __init__(
        self,
        inputs: Sequence[InputFile],
        *,
        strip_prefix: str | None = None,
        exclude: Sequence[str] = (),
        resident_legacy: int = 2,
    ) -> None:
        self.inputs = list(inputs)
        self.strip_prefix = strip_prefix
        self.exclude = tuple(exclude)
        self.resident_legacy = resident_legacy
        self._open: dict[int, Reader] = {}
        self._legacy_order: list[int] = []

    def get(self, index: int) -> Reader:
        reader = self._open.get(index)
        if reader is None:
            source = self.inputs[index]
            if source.format == "legacy":
                while len(self._legacy_order) >= self.resident_legacy:
                    self.drop(self._legacy_order[0])
            reader = open_reader(source, strip_prefix=self.strip_prefix, exclude=self.exclude)
            self._open[index] = reader
        if self.inputs[index].format == "legacy":
            if index in self._legacy_order:
                self._legacy_order.remove(index)
            self._legacy_order.append(index)
        return reader

    def drop(self, index: int) -> None:
        reader = self._open.pop(index, None)
        if reader is not None:
            reader.close()
        if index in self._legacy_order:
            self._legacy_order.remove(index)

    def drop_legacy(self) -> None:
        for index in list(self._legacy_order):
            self.drop(index)

    def close(self) -> None:
        for index in list(self._open):
            self.drop(index)
