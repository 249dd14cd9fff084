"""Read a torch zip checkpoint without torch: every tensor as (storage, dtype, shape, strides, offset).

Every `torch.save` since 1.6 writes a zip: `<root>/data.pkl` (the pickled object, whose tensors
reference storages by key), `<root>/data/<key>` (each storage's raw bytes, stored uncompressed and
aligned), `<root>/byteorder`. Knowing where each storage's bytes lie in the file and how each
tensor views them is enough to write safetensors with the kernel copying the bytes (see direct.py).

data.pkl is read by CPython's unpickler with `find_class` answering from a closed table of inert
stand-ins (the same idea as torch's own weights_only unpickler, narrower): a tensor rebuild becomes
a `TensorRef` record, an OrderedDict a dict, a dtype or storage class a marker; nothing from the
file is imported or called. It only runs after releasekit's pickle analysis passed the file (see
safety.py). Anything outside the table (tensor subclasses, quantized or sparse tensors, Python
attributes on a tensor, classes a release allows for itself) raises NeedsTorch: the run then goes
through torch.load(weights_only=True) as before, or, without torch, fails saying why.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import pickle
import stat
import zipfile
import zlib
from collections.abc import Iterable
from typing import Any

from releasekit.conversion.discovery import InputFile
from releasekit.conversion.errors import ConvertError
from releasekit.conversion.inventory import TensorFacts
from releasekit.conversion.statedict import Namespaced, Skipped, TensorKind, flatten_checkpoint
from releasekit.safetensors_format import DTYPE_BITS

MAX_PICKLE_BYTES = 1 << 30  # data.pkl larger than this is not read here (torch may still read it)


class NeedsTorch(Exception):
    """The checkpoint uses something this reader does not model; torch.load can still read it."""


# torch dtype name -> safetensors dtype (None: safetensors has no such dtype).
DTYPES: dict[str, str | None] = {
    "float32": "F32", "float64": "F64", "float16": "F16", "bfloat16": "BF16", "int64": "I64",
    "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL", "complex64": "C64",
    "float8_e4m3fn": "F8_E4M3", "float8_e5m2": "F8_E5M2", "uint16": "U16", "uint32": "U32",
    "uint64": "U64", "float8_e8m0fnu": "F8_E8M0", "complex128": None, "complex32": None,
    "float8_e4m3fnuz": None, "float8_e5m2fnuz": None, "float4_e2m1fn_x2": None,
}  # fmt: skip
_ITEMSIZE_OF_UNSTORABLE = {"complex128": 16, "complex32": 4, "float8_e4m3fnuz": 1, "float8_e5m2fnuz": 1,
                           "float4_e2m1fn_x2": 1}  # fmt: skip
# Legacy typed storage classes (what torch.save names in a storage reference) -> torch dtype name.
STORAGE_DTYPES = {
    "Float": "float32", "Double": "float64", "Half": "float16", "BFloat16": "bfloat16", "Long": "int64",
    "Int": "int32", "Short": "int16", "Char": "int8", "Byte": "uint8", "Bool": "bool",
    "ComplexFloat": "complex64", "ComplexDouble": "complex128",
}  # fmt: skip


def itemsize_of(dtype: str) -> int:
    st = DTYPES.get(dtype)
    return DTYPE_BITS[st] // 8 if st is not None else _ITEMSIZE_OF_UNSTORABLE[dtype]


@dataclasses.dataclass(frozen=True)
class Dtype:
    """A torch dtype named by the pickle (`torch.bfloat16`)."""

    name: str


@dataclasses.dataclass(frozen=True)
class StorageType:
    """A storage class named by a storage reference: typed (`torch.FloatStorage`) or untyped."""

    dtype: str | None  # torch dtype name; None for UntypedStorage (counted in bytes)


@dataclasses.dataclass(frozen=True)
class StorageRef:
    key: str
    dtype: str | None  # the storage's element type; None when untyped (bytes)
    numel: int  # in elements of `dtype` (bytes when untyped)

    @property
    def nbytes(self) -> int:
        return self.numel * (itemsize_of(self.dtype) if self.dtype else 1)


@dataclasses.dataclass(frozen=True)
class TensorRef:
    """One tensor as torch would rebuild it: a strided view of a storage (offset and strides in elements)."""

    storage: StorageRef
    dtype: str  # torch dtype name
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int

    @property
    def st_dtype(self) -> str | None:
        return DTYPES.get(self.dtype)

    @property
    def itemsize(self) -> int:
        return itemsize_of(self.dtype)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.numel * self.itemsize

    @property
    def is_contiguous(self) -> bool:
        """As torch says it: C order, where dimensions of size 1 may have any stride."""
        if self.numel == 0:
            return True
        expected = 1
        for size, stride in zip(reversed(self.shape), reversed(self.stride)):
            if size != 1 and stride != expected:
                return False
            expected *= size
        return True

    @property
    def byte_offset(self) -> int:
        return self.offset * self.itemsize


@dataclasses.dataclass(frozen=True)
class Opaque:
    """A value of an allowed non-tensor type (a device, bytes, a set...), kept only for the report;
    `contents` keeps what it was built from, so a tensor hidden inside is never dropped silently."""

    type_name: str
    contents: tuple[Any, ...] = ()


class _Dict(dict):  # type: ignore[type-arg]
    """An OrderedDict (a state dict) as a plain, ordered dict; its `_metadata` state is ignored."""

    def __setstate__(self, state: Any) -> None:
        pass


class _Standin:
    """What find_class hands the unpickler: calls our function, and nothing can be set on it."""

    __slots__ = ("name", "function")

    def __init__(self, name: str, function: Any) -> None:
        self.name = name
        self.function = function

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


def _storage_of(value: Any) -> StorageRef:
    if not isinstance(value, StorageRef):
        raise NeedsTorch("a tensor rebuilt from something other than a storage reference")
    return value


def _ints(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple) or not all(type(v) is int and v >= 0 for v in value):
        raise ConvertError(f"tensor {what} {value!r} is not a tuple of non-negative integers")
    return value


def _tensor(storage: Any, offset: Any, shape: Any, stride: Any, dtype: str, metadata: Any) -> TensorRef:
    ref = _storage_of(storage)
    if metadata:
        raise NeedsTorch("tensor metadata (conjugate or negative bits)")
    if type(offset) is not int or offset < 0:
        raise ConvertError(f"tensor storage offset {offset!r} is not a non-negative integer")
    shape, stride = _ints(shape, "size"), _ints(stride, "stride")
    if len(shape) != len(stride):
        raise ConvertError(f"tensor size {shape} and stride {stride} differ in length")
    tensor = TensorRef(ref, dtype, shape, stride, offset)
    if tensor.numel:  # torch's set_ refuses a view that reaches past its storage
        last = offset + sum((size - 1) * step for size, step in zip(shape, stride))
        if (last + 1) * tensor.itemsize > ref.nbytes:
            raise ConvertError(
                f"a tensor of size {list(shape)} reaches byte {(last + 1) * tensor.itemsize:,} of storage "
                f"{ref.key!r}, which holds {ref.nbytes:,}"
            )
    return tensor


def _rebuild_v2(storage: Any, offset: Any, shape: Any, stride: Any, requires_grad: Any = False,
                hooks: Any = None, metadata: Any = None) -> TensorRef:  # fmt: skip
    ref = _storage_of(storage)
    if ref.dtype is None:
        raise NeedsTorch("a tensor of an untyped storage without a dtype")
    return _tensor(ref, offset, shape, stride, ref.dtype, metadata)


def _rebuild_v3(storage: Any, offset: Any, shape: Any, stride: Any, requires_grad: Any, hooks: Any,
                dtype: Any, metadata: Any = None) -> TensorRef:  # fmt: skip
    if not isinstance(dtype, Dtype):
        raise NeedsTorch("a tensor whose dtype is not a torch dtype")
    return _tensor(storage, offset, shape, stride, dtype.name, metadata)


def _rebuild_parameter(data: Any, requires_grad: Any = False, hooks: Any = None) -> TensorRef:
    if not isinstance(data, TensorRef):
        raise NeedsTorch("a parameter that does not wrap a plain tensor")
    return data


def _encode(text: Any, encoding: Any = "utf-8") -> bytes:
    """`_codecs.encode`, as protocol 2 pickles bytes: (str, 'latin1') only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise NeedsTorch("_codecs.encode with arguments other than (str, 'latin1')")
    return text.encode("latin-1")


def _opaque(name: str) -> Any:
    return lambda *args: Opaque(name, args)


def _table() -> dict[str, Any]:
    table: dict[str, Any] = {
        "collections.OrderedDict": lambda *args: _Dict(*args),
        "torch._utils._rebuild_tensor_v2": _rebuild_v2,
        "torch._utils._rebuild_tensor_v3": _rebuild_v3,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch.device": _opaque("device"),
        "torch.Size": lambda *args: tuple(*args),
        "_codecs.encode": _encode,
        "builtins.set": _opaque("set"),
        "builtins.frozenset": _opaque("frozenset"),
        "builtins.complex": _opaque("complex"),
    }
    for kind, dtype in STORAGE_DTYPES.items():
        table[f"torch.{kind}Storage"] = StorageType(dtype)
        table[f"torch.cuda.{kind}Storage"] = StorageType(dtype)
    table["torch.storage.UntypedStorage"] = table["torch.UntypedStorage"] = StorageType(None)
    for dtype in DTYPES:
        table[f"torch.{dtype}"] = Dtype(dtype)
    return table


_TABLE = _table()


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8")
        self.storages: dict[str, StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        found = _TABLE.get(full)
        if found is None:
            raise NeedsTorch(f"it uses {full}")
        if isinstance(found, (StorageType, Dtype)):
            return found
        return _Standin(full, found)

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise NeedsTorch("a persistent id that is not a storage reference")
        _, storage_type, key, _location, numel = pid  # the location does not change the bytes
        if not isinstance(storage_type, StorageType) or not isinstance(key, str):
            raise NeedsTorch("a storage reference of an unknown storage class")
        if type(numel) is not int or numel < 0:
            raise ConvertError(f"storage {key!r} has element count {numel!r}")
        if key not in self.storages:  # torch.load keeps the first reference of a key, as here
            self.storages[key] = StorageRef(key, storage_type.dtype, numel)
        return self.storages[key]


@dataclasses.dataclass(frozen=True)
class StoredMember:
    """Where a storage's bytes lie in the checkpoint file, and the CRC-32 the zip records for them."""

    offset: int
    size: int
    crc: int


def _kind() -> TensorKind:
    def check(name: str, tensor: TensorRef, rel: str) -> None:
        if tensor.st_dtype is None:
            raise ConvertError(f"{rel}: tensor {name!r} has dtype torch.{tensor.dtype}, which safetensors cannot store")

    return TensorKind(
        is_tensor=lambda value: isinstance(value, TensorRef),
        check=check,
        type_name=lambda value: (
            "Tensor" if isinstance(value, TensorRef) else value.type_name if isinstance(value, Opaque)
            else "OrderedDict" if isinstance(value, _Dict) else type(value).__name__
        ),
    )  # fmt: skip


KIND = _kind()


class DirectReader:
    """The tensors of one torch zip checkpoint, by name in the file's order, read without torch."""

    def __init__(self, source: InputFile, tensors: dict[str, TensorRef], skipped: list[Skipped],
                 members: dict[str, StoredMember]) -> None:  # fmt: skip
        self.source = source
        self.tensors = tensors
        self.skipped = skipped
        self.namespaced: list[Namespaced] = []
        self.members = members
        self._fd: int | None = None

    def facts(self, tensor: TensorRef) -> TensorFacts:
        dtype = tensor.st_dtype
        assert dtype is not None  # statedict refused it otherwise
        key = tensor.storage.key if tensor.numel and tensor.storage.nbytes else None
        view = None if key is None else (key, dtype, tensor.shape, tensor.stride, tensor.offset)
        covers = tensor.is_contiguous and tensor.offset == 0 and tensor.nbytes == tensor.storage.nbytes
        return TensorFacts(dtype=dtype, shape=tensor.shape, nbytes=tensor.nbytes, storage=key, view=view, covers=covers)

    def member(self, tensor: TensorRef) -> StoredMember:
        return self.members[tensor.storage.key]

    def fileno(self) -> int:
        if self._fd is None:
            self._fd = _open_regular(self.source)
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _open_regular(source: InputFile) -> int:
    """The input, opened without following a link, and still the regular file discovery saw."""
    try:
        fd = os.open(source.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConvertError(f"{source.rel}: cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConvertError(f"{source.rel}: not a regular file")
    return fd


def open_direct(source: InputFile, *, strip_prefix: str | None = None, exclude: Iterable[str] = ()) -> DirectReader:
    """Read `source`'s tensor layout from its zip and data.pkl; NeedsTorch when torch must read it."""
    from releasekit.pickles.problems import Problem
    from releasekit.pickles.zipscan import open_archive

    fd = _open_regular(source)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        problems: list[Problem] = []
        members = open_archive(handle, size, problems)
        if not members:
            raise ConvertError(f"{source.rel}: not a readable zip archive")
        by_name = {m.raw_name: m for m in members}
        pickles = [n for n in by_name if n.endswith(b"/data.pkl") and n.count(b"/") == 1]
        if len(pickles) != 1:
            raise NeedsTorch("no single <name>/data.pkl in the archive")
        root = pickles[0][: -len(b"data.pkl")]
        order = by_name.get(root + b"byteorder")
        if order is not None and _read(handle, order).strip() != b"little":
            raise NeedsTorch("its data is big-endian")
        data = by_name[pickles[0]]
        if data.info.file_size > MAX_PICKLE_BYTES:
            raise NeedsTorch(f"its data.pkl is larger than {MAX_PICKLE_BYTES:,} bytes")
        pickled = _read(handle, data)
        if zlib.crc32(pickled) != data.info.CRC:
            raise ConvertError(f"{source.rel}: data.pkl does not match its CRC-32; did the file change during the run?")
        unpickler = _Unpickler(pickled)
        try:
            loaded = unpickler.load()
        except (NeedsTorch, ConvertError) as exc:
            raise type(exc)(f"{source.rel}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a malformed pickle is the file's problem, in one line
            raise ConvertError(f"{source.rel}: data.pkl cannot be read ({type(exc).__name__}: {exc})"[:400]) from None
        stored: dict[str, StoredMember] = {}
        for key, ref in unpickler.storages.items():
            member = by_name.get(root + b"data/" + key.encode("utf-8", "surrogateescape"))
            if member is None:
                raise ConvertError(f"{source.rel}: the checkpoint references storage {key!r}, which the archive lacks")
            info = member.info
            if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1 or member.data_offset is None \
                    or not member.usable:  # fmt: skip
                raise NeedsTorch(f"storage {key!r} is compressed or not stored plainly")
            if info.file_size < ref.nbytes or member.data_offset + info.file_size > size:
                raise ConvertError(
                    f"{source.rel}: storage {key!r} holds {info.file_size:,} bytes but the checkpoint needs {ref.nbytes:,}"
                )
            stored[key] = StoredMember(member.data_offset, info.file_size, info.CRC)
    namespaced: list[Namespaced] = []
    try:
        tensors, skipped = flatten_checkpoint(loaded, source.rel, strip_prefix=strip_prefix, exclude=tuple(exclude),
                                              kind=KIND, namespaced=namespaced)  # fmt: skip
    except RecursionError:
        raise ConvertError(f"{source.rel}: nested too deep to be a state dict") from None
    reader = DirectReader(source, tensors, skipped, stored)
    reader.namespaced = namespaced
    return reader


def _read(handle: Any, member: Any) -> bytes:
    info = member.info
    if info.compress_type != zipfile.ZIP_STORED or member.data_offset is None:
        raise NeedsTorch(f"member {member.raw_name!r} is compressed")
    handle.seek(member.data_offset)
    return handle.read(info.file_size)
