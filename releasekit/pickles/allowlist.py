"""What a pickle may import: the allowlist of a plain tensor state dict, and user extensions.

The idea is `torch.load(weights_only=True)`'s: a pickle is safe only when every callable it can
reach is one of the few that rebuild tensors, storages, dtypes and plain containers. The lists
below are written out (not read from an installed torch or numpy), so `releasekit check` works
without either and the allowlist cannot change under the user when they upgrade.

Sources, as of torch 2.13 and numpy 2.4:

* torch: `torch._weights_only_unpickler._get_allowed_globals()` and `_tensor_rebuild_functions()`;
* numpy: the reconstructors that `ndarray.__reduce__`, `dtype.__reduce__`, numpy scalars and the
  numpy random generators' `__reduce__` emit (what `np.save` writes into object arrays and what
  training RNG states such as Hugging Face's `rng_state.pth` hold);
* plain data classes found in real training states (argparse.Namespace in fairseq-style
  checkpoints, datetime and pathlib values in trainer states, joblib's array wrapper).

A name matches when `module + "." + name` equals an entry exactly: no prefixes, no wildcards.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

_TORCH_DTYPES = (
    "float16 float32 float64 bfloat16 complex32 complex64 complex128 bool uint8 int8 int16 int32 "
    "int64 uint16 uint32 uint64 float8_e4m3fn float8_e4m3fnuz float8_e5m2 float8_e5m2fnuz "
    "float8_e8m0fnu float4_e2m1fn_x2 qint8 quint8 qint32 quint4x2 quint2x4 bits1x8 bits2x4 bits4x2 "
    "bits8 bits16 int1 int2 int3 int4 int5 int6 int7 uint1 uint2 uint3 uint4 uint5 uint6 uint7"
).split()
_STORAGE_KINDS = (
    "Double Float Half BFloat16 Long Int Short Char Byte Bool ComplexDouble ComplexFloat "
    "QUInt8 QInt8 QInt32 QUInt4x2 QUInt2x4"
).split()
_TENSOR_KINDS = "Double Float Half BFloat16 Long Int Short Char Byte Bool".split()

#: Bytes per element of each legacy storage type, to check storage sizes without loading them.
STORAGE_ITEMSIZE: dict[str, int] = {
    "Double": 8, "Float": 4, "Half": 2, "BFloat16": 2, "Long": 8, "Int": 4, "Short": 2,
    "Char": 1, "Byte": 1, "Bool": 1, "ComplexDouble": 16, "ComplexFloat": 8, "QUInt8": 1,
    "QInt8": 1, "QInt32": 4, "QUInt4x2": 1, "QUInt2x4": 1,
}


def _torch_entries() -> list[str]:
    entries = [
        "collections.OrderedDict", "collections.Counter", "torch.nn.parameter.Parameter",
        "torch.serialization._get_layout", "torch.Size", "torch.Tensor", "torch.device",
        "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch._tensor._rebuild_from_type_v2",
        "torch.per_tensor_affine", "torch.per_tensor_symmetric", "torch.per_channel_affine",
        "torch.per_channel_symmetric", "torch.per_channel_affine_float_qparams",
        "torch.torch_version.TorchVersion",
    ]
    entries += [f"torch._utils._rebuild_{name}" for name in (
        "parameter", "parameter_with_state", "qtensor", "tensor", "tensor_v2", "tensor_v3",
        "sparse_tensor", "meta_tensor_no_storage", "nested_tensor", "wrapper_subclass",
        "device_tensor_from_numpy", "device_tensor_from_cpu_tensor")]
    entries += [f"torch.{dtype}" for dtype in _TORCH_DTYPES]
    entries += [f"torch.{kind}Storage" for kind in _STORAGE_KINDS]
    entries += [f"torch.cuda.{kind}Storage" for kind in _TENSOR_KINDS + ["ComplexDouble", "ComplexFloat"]]
    for prefix in ("torch", "torch.cuda", "torch.sparse", "torch.cuda.sparse"):
        entries += [f"{prefix}.{kind}Tensor" for kind in _TENSOR_KINDS
                    if not (prefix.endswith("sparse") and kind == "Bool")]
    return entries


_NUMPY = [
    f"{core}.multiarray.{name}" for core in ("numpy.core", "numpy._core") for name in ("_reconstruct", "scalar")
] + [
    "numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer", "numpy.ndarray", "numpy.dtype",
    "numpy.random._pickle.__randomstate_ctor", "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__generator_ctor", "numpy.random.mtrand.RandomState",
    "numpy.random._mt19937.MT19937", "numpy.random._pcg64.PCG64", "numpy.random._pcg64.PCG64DXSM",
    "numpy.random._philox.Philox", "numpy.random._sfc64.SFC64",
    "numpy.random.bit_generator.SeedSequence", "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
]

_PLAIN_DATA = [
    # Python's own plain values: pickle emits these for sets, frozensets, slices, complex
    # numbers, bytes and bytearrays at low protocols, and for classes used as values.
    "builtins.set", "builtins.frozenset", "builtins.complex", "builtins.bytearray", "builtins.bytes",
    "builtins.slice", "builtins.range", "builtins.object", "builtins.int", "builtins.float",
    "builtins.bool", "builtins.str", "builtins.list", "builtins.dict", "builtins.tuple",
    "builtins.Ellipsis", "builtins.NotImplemented", "_codecs.encode", "copyreg._reconstructor",
    "collections.defaultdict", "collections.deque",
    # Seen in real training states.
    "argparse.Namespace", "types.SimpleNamespace", "datetime.datetime", "datetime.date",
    "datetime.time", "datetime.timedelta", "datetime.timezone", "decimal.Decimal",
    "fractions.Fraction", "uuid.UUID", "pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath",
    "pathlib.PurePosixPath", "pathlib.PureWindowsPath",
    # joblib stores numpy arrays as this wrapper followed by the raw array bytes.
    "joblib.numpy_pickle.NumpyArrayWrapper",
    # Benign false alarms from the peer corpora, decided one by one (docs/pickles.md):
    # - __future__.annotations: a _Feature record, not callable; importing __future__ runs nothing.
    #   Pickled by anything that stores a module's globals (ModelAudit benign sample).
    "__future__.annotations",
    # - abstract base classes: importing collections.abc runs nothing, and calling an ABC raises
    #   TypeError (cannot instantiate); type hints stored in configs pickle them.
    "collections.abc.Iterable", "collections.abc.Iterator", "collections.abc.Mapping",
    "collections.abc.Sequence", "collections.abc.Set",
    # - builtins.len: a pure function returning an int; its argument can only be built from
    #   allowlisted callables, whose __len__ runs nothing else (picklescan benign sample len([])).
    "builtins.len",
]

BUILTIN: frozenset[str] = frozenset(_torch_entries() + _NUMPY + _PLAIN_DATA)

#: Modules and names that no configuration may allow: they run code, import by name, load other
#: files or reach the operating system. Refusing them keeps a release's own releasekit.toml
#: (which an attacker controls as much as the pickle) from switching the scanner off.
NEVER_ALLOW_MODULES: frozenset[str] = frozenset("""
    os posix nt sys subprocess _posixsubprocess pty shutil socket ssl ctypes _ctypes importlib
    imp runpy pickle _pickle cPickle pickletools marshal types code codeop pydoc bdb pdb cProfile
    profile trace timeit doctest idlelib lib2to3 venv ensurepip pip pkgutil site webbrowser
    multiprocessing asyncio threading _thread signal operator _operator functools inspect gc
    builtins __builtin__ dill cloudpickle shelve dbm tempfile glob zipimport _io io urllib http
    smtplib ftplib telnetlib imaplib poplib nntplib logging sqlite3 _osx_support _aix_support
    uuid_internal _interpreters _xxsubinterpreters numpy.testing numpy.f2py numpy.distutils
    distutils setuptools torch.hub torch.serialization torch.jit torch.package torch.utils
    torch._dynamo torch._inductor torch.fx joblib
""".split())
NEVER_ALLOW_NAMES: frozenset[str] = frozenset({
    "torch.load", "numpy.load", "numpy.loads", "uuid._get_command_stdout", "torch.hub.load",
})
_DANGEROUS_PARTS = frozenset({m for m in NEVER_ALLOW_MODULES if "." not in m} | {
    "eval", "exec", "compile", "system", "popen", "getattr", "setattr", "open", "spawn", "spawnv",
    "execv", "execve", "loads", "load", "run", "runcode", "runsource", "import_module", "resolve_name",
})
_ENTRY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def refusal(entry: str) -> str | None:
    """Why `entry` cannot be added to the allowlist, or None when it can."""
    if not _ENTRY.match(entry):
        return "is not a dotted name like 'package.module.Class'"
    if entry in BUILTIN:
        return None  # harmless: already allowed (e.g. builtins.set)
    if entry in NEVER_ALLOW_NAMES:
        return "runs code or loads other files when called"
    parts = entry.split(".")
    for part in parts[1:]:
        if part.startswith("__") and part.endswith("__"):
            return f"reaches the special attribute {part}"
        if part in _DANGEROUS_PARTS:
            return f"reaches {part}, which runs code, imports by name or loads files (dotted-name trick, GHSA-5j3x-jp52-966f)"
    for i in range(1, len(parts)):
        if ".".join(parts[:i]) in NEVER_ALLOW_MODULES:
            return f"belongs to {'.'.join(parts[:i])}, whose callables run code, import by name or touch the system"
    return None


@dataclasses.dataclass(frozen=True)
class Allowlist:
    """The built-in allowlist plus the user's extensions (kept apart so reports can say which)."""

    extra: frozenset[str] = frozenset()

    @classmethod
    def with_extensions(cls, entries: Iterable[str]) -> "Allowlist":
        """Raise ValueError naming the first entry that cannot be allowed."""
        extra = []
        for entry in entries:
            if not isinstance(entry, str):
                raise ValueError(f"{entry!r}: allowlist entries must be strings")
            why = refusal(entry.strip())
            if why is not None:
                raise ValueError(f"{entry!r} {why}")
            if entry.strip() not in BUILTIN:
                extra.append(entry.strip())
        return cls(frozenset(extra))

    def status(self, full_name: str) -> str | None:
        """'builtin', 'user', or None when `full_name` is not allowed."""
        if full_name in BUILTIN:
            return "builtin"
        if full_name in self.extra:
            return "user"
        return None
