"""The safetensors format, read strictly from the header alone.

The file is `u64 little-endian header length | JSON header | data buffer`. `read_header` checks
everything the specification demands without reading a byte of tensor data: the length is within
the file and the 100 MB cap, the header is a UTF-8 JSON object with no duplicate keys, every dtype
is defined, shape times dtype size equals each byte span, the spans tile the buffer exactly, the
file length is exactly 8 + header + buffer, and `__metadata__` maps strings to strings.

Hostile input never raises: every problem is returned with a short code the weights rules map
to their ids. `encode_header` is the inverse, for writers (the example release, `convert`).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
import operator
import os
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

try:  # a JSON parser in Rust: DeepSeek-V3's 163 headers parse in under half json's time
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; json gives the same verdicts, slower
    def _fast_loads(raw: bytes) -> Any:
        # UTF-8 only and NaN/Infinity refused, as orjson does (json.loads alone would also read
        # UTF-16 and UTF-32 bytes, which no safetensors loader accepts).
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
_FAST_LOADS: Callable[[bytes], Any] = _fast_loads


def fast_json_loads(raw: bytes) -> Any:
    """JSON bytes read with msgspec where installed (orjson, then json otherwise). Not strict: callers
    that must rule out duplicate keys count colons (see `_fast_path`) and fall back to
    `strict_json_loads`. Where both read a document they read json's, except that orjson reads an
    integer beyond 64 bits as a float; msgspec and orjson refuse NaN/Infinity, 1e400, lone
    surrogates and a UTF-8 BOM (msgspec reads DeepSeek-V3's 8 MB index in ~0.8x orjson's time)."""
    decoders = _typed_decoders()
    return (_FAST_LOADS if decoders is None else decoders.any)(raw)

# Bits per element of every dtype the format defines (safetensors 0.6+: sub-byte floats included).
DTYPE_BITS: Mapping[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
}
FP8_DTYPES = frozenset({"F8_E4M3", "F8_E5M2"})
MAX_HEADER_BYTES = 100_000_000  # the reference implementation's cap
METADATA_KEY = "__metadata__"
# Each dtype name as one shared string object: a parsed header's dtypes are these objects (equal
# dtypes compare by identity, their hash is computed once, 92,000 strings are not kept).
_DTYPE_NAMES: Mapping[str, str] = {name: name for name in DTYPE_BITS}


class TensorInfo(NamedTuple):
    """One tensor's header entry (a named tuple: 91,000 of them are built per large checkpoint)."""

    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.start

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One violation of the format. `code` is one of: header, dtype, shape, offsets, length, metadata,
    lfs (the file is a Git LFS pointer, not the weights)."""

    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class Header:
    """A parsed header, as columns (one entry per tensor that parsed, in header order).

    91,991 tensors in a DeepSeek-V3 checkpoint: columns of plain lists cost a fraction of one
    object per tensor, and the rules compare them at C speed (`map`, set and list equality).
    `tensors` builds the name -> TensorInfo map on first use, for callers that want it.
    `problems` says what did not parse.
    """

    header_len: int
    file_size: int
    names: Sequence[str]
    dtypes: Sequence[str]
    shapes: Sequence[tuple[int, ...]]
    starts: Sequence[int]
    ends: Sequence[int]
    metadata: Mapping[str, str] | None
    problems: tuple[Problem, ...]
    fatal: bool  # the header itself could not be read: nothing else is known

    @classmethod
    def from_tensors(cls, header_len: int, file_size: int, tensors: Mapping[str, TensorInfo],
                     metadata: Mapping[str, str] | None, problems: tuple[Problem, ...], fatal: bool) -> Header:
        infos = list(tensors.values())
        return cls(header_len, file_size, list(tensors), [t.dtype for t in infos], [t.shape for t in infos],
                   [t.start for t in infos], [t.end for t in infos], metadata, problems, fatal)

    @functools.cached_property
    def tensors(self) -> Mapping[str, TensorInfo]:
        return dict(zip(self.names, map(TensorInfo._make, zip(self.dtypes, self.shapes, self.starts, self.ends))))

    @property
    def data_start(self) -> int:
        return 8 + self.header_len

    @property
    def nbytes(self) -> int:
        """Bytes of tensor data the entries claim (the buffer's length when the header is valid)."""
        return sum(self.ends) - sum(self.starts)

    @property
    def ok(self) -> bool:
        return not self.problems


class _DuplicateKey(ValueError):
    def __str__(self) -> str:
        return f"duplicate key {self.args[0]!r}"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def strict_json_loads(raw: bytes | str) -> Any:
    """JSON as the format demands it: duplicate keys and NaN/Infinity are errors (ValueError).

    Python's json keeps the last of duplicate keys silently, so two tools could read two different
    documents from one file. Used for headers and for `*.safetensors.index.json`.
    """
    return json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)


def _fatal(header_len: int, size: int, message: str) -> Header:
    return Header(header_len, size, [], [], [], [], [], None, (Problem("header", message),), True)


def read_header(path: str | os.PathLike[str]) -> Header:
    """Read and validate the header of one safetensors file. Never raises for bad content."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            prefix = handle.read(8)
            if len(prefix) < 8:
                return _fatal(0, size, f"file is {size} bytes, too short for the 8-byte header length")
            (header_len,) = struct.unpack("<Q", prefix)
            if prefix == b"version " and size <= LFS_POINTER_MAX:
                pointer = lfs_pointer(prefix + handle.read(LFS_POINTER_MAX))
                if pointer is not None:
                    return Header(0, size, [], [], [], [], [], None, (Problem("lfs", pointer),), True)
            if header_len > MAX_HEADER_BYTES:
                return _fatal(header_len, size, f"header length {header_len:,} exceeds the format's "
                                                f"{MAX_HEADER_BYTES:,}-byte cap (truncated or not safetensors)")
            if 8 + header_len > size:
                return _fatal(header_len, size, f"header length {header_len:,} runs past the end of the "
                                                f"{size:,}-byte file (truncated?)")
            raw = handle.read(header_len)
    except OSError as exc:
        return _fatal(0, 0, f"cannot be read: {exc.strerror or exc}")
    return parse_header(raw, header_len=header_len, file_size=size)


LFS_POINTER_MAX = 1024  # the Git LFS specification's bound on a pointer file
_LFS_SPECS = (b"version https://git-lfs.github.com/spec/", b"version https://hawser.github.com/spec/")


def lfs_pointer(head: bytes) -> str | None:
    """A description of the Git LFS pointer `head` is ("Git LFS pointer to 688,586,799,104 bytes"), or None.

    A clone without `git lfs pull` (or with GIT_LFS_SKIP_SMUDGE=1) leaves these ~130-byte text
    files where the weights should be; read as safetensors, "vers" is an absurd header length.
    """
    if not head.startswith(_LFS_SPECS) or len(head) > LFS_POINTER_MAX:
        return None
    size = next((line[5:] for line in head.split(b"\n") if line.startswith(b"size ")), b"")
    what = f"{int(size):,} bytes" if size.isdigit() else "a file"
    return f"this is a Git LFS pointer to {what}, not the file itself: run `git lfs pull`"


def parse_header(raw: bytes, *, header_len: int, file_size: int) -> Header:
    """Validate header bytes already read (exposed for property tests)."""
    if not raw.startswith(b"{"):
        return _fatal(header_len, file_size, "header does not start with '{' (not a safetensors file?)")
    fast = _typed_path(raw, header_len, file_size)  # msgspec refuses what is not UTF-8
    if fast is None:
        fast = _fast_path(None, header_len, file_size, raw)  # so does orjson
    if fast is not None:
        return fast
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _fatal(header_len, file_size, f"header is not UTF-8 (byte {exc.start})")
    return _parse_strict(text, header_len, file_size)


def _parse_strict(text: str, header_len: int, file_size: int) -> Header:
    """The exact path: strict JSON, entry by entry, every problem named."""
    try:
        document = strict_json_loads(text)
    except _DuplicateKey as exc:
        return _fatal(header_len, file_size, f"header has {_short(str(exc))}")
    except RecursionError:
        return _fatal(header_len, file_size, "header JSON is nested too deeply")
    except ValueError as exc:
        return _fatal(header_len, file_size, f"header is not valid JSON: {_short(str(exc), 120)}")
    if not isinstance(document, dict):
        return _fatal(header_len, file_size, f"header is JSON {type(document).__name__}, not an object")
    return _validate(document, header_len, file_size)


def _validate(document: dict[str, Any], header_len: int, file_size: int) -> Header:
    problems: list[Problem] = []
    metadata: dict[str, str] | None = None
    tensors: dict[str, TensorInfo] = {}
    raw_meta = document.get(METADATA_KEY)
    if METADATA_KEY in document:
        if not isinstance(raw_meta, dict):
            problems.append(Problem("metadata", f"{METADATA_KEY} is {type(raw_meta).__name__}, not an object of strings"))
        else:
            bad = [k for k, v in raw_meta.items() if not isinstance(v, str)]
            if bad:
                problems.append(Problem("metadata", f"{METADATA_KEY} value of {_short(bad[0])} is not a string "
                                                    f"({len(bad)} non-string value(s))"))
            metadata = {k: v for k, v in raw_meta.items() if isinstance(v, str)}
    for name, entry in document.items():
        if name == METADATA_KEY:
            continue
        info = _well_formed(entry)
        if info is None:
            info = _diagnose(name, entry, problems)
        if info is not None:
            tensors[name] = info
    buffer_len = file_size - 8 - header_len
    problems.extend(_layout_problems(tensors, buffer_len))
    return Header.from_tensors(header_len, file_size, tensors, metadata, tuple(problems), False)


_DTYPE = operator.itemgetter("dtype")
_SHAPE = operator.itemgetter("shape")
_OFFSETS = operator.itemgetter("data_offsets")


def _fast_path(text: str | None, header_len: int, file_size: int, raw: bytes | None = None) -> Header | None:
    """A clean header, judged in whole columns at C speed; None sends it to the exact slow path.

    Every check of `_validate` holds here, on whole columns: exact types (bool is not int), known
    dtypes, non-negative integer shapes and offsets, shape x dtype size == span, spans tiling the
    buffer, string metadata. Duplicate keys, which `json.loads` would drop silently, are ruled out
    by counting colons: each key of every object has exactly one separator colon, and colons
    elsewhere can only sit inside strings, so the header's colons number at least the keys
    written. They equal the keys parsed only when no key was dropped. A header with a colon in a
    name or a metadata value merely takes the slow path. (A colon is one byte in UTF-8 and never
    part of a longer character, so the bytes' count is the text's.) Anything unexpected (an
    exception, a mismatch) also takes the slow path, which parses strictly and names the problem.

    `raw` (the header's bytes) is parsed with orjson where installed, `text` with json otherwise.
    Where orjson reads a document at all it reads json's document, save the cases that all land on
    the slow path: it refuses bytes that are not UTF-8, NaN/Infinity, 1e400 and lone surrogate
    escapes, and it reads an integer beyond 64 bits as a float, which the exact-type checks refuse.
    Per tensor only C-level passes run (see `_spans_fit`).
    """
    try:
        if raw is not None:
            document = _FAST_LOADS(raw)
            colons = raw.count(b":")
        else:
            assert text is not None
            document = json.loads(text)
            colons = text.count(":")
        if type(document) is not dict:
            return None
        metadata = document.pop(METADATA_KEY, None)
        keys = 4 * len(document)  # each tensor's name and its three keys
        if metadata is not None:
            if type(metadata) is not dict or set(map(type, metadata.values())) - {str}:
                return None
            keys += 1 + len(metadata)
        # Exactly three keys per entry: a fourth makes the count differ, a missing one a KeyError below.
        if colons != keys:
            return None
        if not document:
            if file_size - 8 - header_len != 0:
                return None
            return Header(header_len, file_size, [], [], [], [], [], metadata, (), False)
        # TypeError for an entry that is not an object, KeyError for one that lacks a key.
        entries = list(document.values())
        dtypes = list(map(_DTYPE_NAMES.get, map(_DTYPE, entries)))  # None: not a dtype (TypeError: unhashable)
        shapes = list(map(_SHAPE, entries))
        offsets = list(map(_OFFSETS, entries))
        if set(map(type, shapes)) != {list} or set(map(len, offsets)) != {2}:
            return None
        flat = list(itertools.chain.from_iterable(offsets))  # [begin, end, begin, end...]
        if set(map(type, flat)) != {int}:
            return None
        starts, ends = flat[0::2], flat[1::2]
        # Every dimension an int, checked one by one before shapes are compared as values:
        # 2.0 == 2 and True == 1, so a set or dict of shapes would merge [2.0] into [2].
        if set(map(type, itertools.chain.from_iterable(shapes))) - {int}:
            return None
        tuples = _shared(list(map(tuple, shapes)))
        if not _spans_fit(dtypes, tuples, starts, ends, file_size - 8 - header_len):
            return None
    except (KeyError, TypeError, ValueError, RecursionError):
        return None
    return Header(header_len, file_size, list(document), dtypes, tuples, starts, ends, metadata, (), False)


_METADATA_PREFIX = b'{"__metadata__":'  # where the reference writer puts the metadata


class _Decoders(NamedTuple):
    entries: Callable[[bytes], dict[str, Any]]  # a header's tensors (no __metadata__), typed structs
    metadata: Callable[[bytes], dict[str, str]]
    any: Callable[[bytes], Any]  # any JSON document
    refused: type[Exception]  # what they raise for JSON they refuse or that does not fit the type


@functools.cache
def _typed_decoders() -> _Decoders | None:
    """msgspec's decoders (headers' tensor entries, metadata, any JSON), or None without msgspec.

    Built on first use: start-up (an empty release) neither imports msgspec nor builds them.
    """
    try:
        import msgspec
    except ImportError:  # pragma: no cover - msgspec is a dependency; the orjson/json fast path remains
        return None
    from typing import Literal

    entry = msgspec.defstruct(
        "_Entry", [("dtype", Literal[tuple(DTYPE_BITS)]), ("shape", tuple[int, ...]),  # type: ignore[misc]
                   ("data_offsets", tuple[int, int])],
        forbid_unknown_fields=True, gc=False)  # no cycles: nothing for the collector to track
    return _Decoders(msgspec.json.Decoder(dict[str, entry]).decode, msgspec.json.Decoder(dict[str, str]).decode,
                     msgspec.json.decode, msgspec.MsgspecError)


_ENTRY_DTYPE = operator.attrgetter("dtype")
_ENTRY_SHAPE = operator.attrgetter("shape")
_ENTRY_OFFSETS = operator.attrgetter("data_offsets")


def _typed_path(raw: bytes, header_len: int, file_size: int) -> Header | None:
    """A clean header decoded and type-checked by msgspec in C; None sends it to `_fast_path`.

    msgspec decodes each entry into a typed struct, so the per-tensor checks of `_fast_path` run
    in its decoder: exactly the keys dtype, shape and data_offsets; dtype one of the format's (as
    the shared name object); shape and data_offsets arrays of integers, two offsets (strict: true
    and 2.0 are not integers; signs are left to `_spans_fit`). It refuses what is not UTF-8,
    NaN/Infinity and lone surrogate escapes; where it reads a document it reads json's, integers of
    any size included, except that it keeps the last of duplicate keys, which the colon count of
    `_fast_path` rules out. A struct cannot also hold `__metadata__`, so a header that opens with it, as the
    reference writer's do, is split there: the metadata object ends at its first `}` (a `}`
    inside a string would leave that string open, and a nested object would leave the outer one
    open; either makes the metadata decoder refuse the slice), and the tensors are the rest.
    Anything else (metadata elsewhere, no tensors, any refusal) takes `_fast_path`.
    """
    decoders = _typed_decoders()
    if decoders is None:
        return None
    decode_entries, decode_metadata, _, refused = decoders
    metadata: dict[str, str] | None = None
    keys = 0
    body = raw
    try:
        if raw.startswith(_METADATA_PREFIX):
            close = raw.find(b"}", len(_METADATA_PREFIX))
            if close < 0 or raw[close + 1:close + 2] != b",":
                return None
            metadata = decode_metadata(raw[len(_METADATA_PREFIX):close + 1])
            keys = 1 + len(metadata)
            body = b"{" + raw[close + 2:]
        document = decode_entries(body)
    except (refused, RecursionError):
        return None
    # A second `__metadata__` would have been read as an entry; no tensors (`{"__metadata__":{},}`
    # splits into an empty object) is left to `_fast_path`.
    if not document or METADATA_KEY in document or raw.count(b":") != keys + 4 * len(document):
        return None
    entries = list(document.values())
    flat = list(itertools.chain.from_iterable(map(_ENTRY_OFFSETS, entries)))  # [begin, end, begin, end...]
    starts, ends = flat[0::2], flat[1::2]
    dtypes = list(map(_ENTRY_DTYPE, entries))
    shapes = _shared(list(map(_ENTRY_SHAPE, entries)))
    if not _spans_fit(dtypes, shapes, starts, ends, file_size - 8 - header_len):
        return None
    return Header(header_len, file_size, list(document), dtypes, shapes, starts, ends, metadata, (), False)


def _shared(shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """One tuple object per distinct shape: a few dozen per shard instead of one per tensor, so the
    cyclic collector has almost nothing new to scan and equal shapes compare by identity. (Callers
    have checked that every dimension is an int: 2.0 == 2 and True == 1 would merge [2.0] into [2].)"""
    canonical: dict[tuple[int, ...], tuple[int, ...]] = {}
    return list(map(canonical.setdefault, shapes, shapes))


def _spans_fit(dtypes: list[str | None], shapes: list[tuple[int, ...]], starts: list[int], ends: list[int],
               buffer_len: int) -> bool:
    """Known dtypes, non-negative shapes, shape x dtype size == span, and spans that tile the buffer.

    The sizes are checked once per distinct (dtype, shape, span), a few dozen per shard. Offsets
    need no sign check: every span equals a size that cannot be negative, and spans that tile the
    buffer from 0 start at or after 0. (At least one tensor.)
    """
    for dtype, shape, span in set(zip(dtypes, shapes, map(operator.sub, ends, starts))):
        if dtype is None or (shape and min(shape) < 0):
            return False
        if math.prod(shape) * DTYPE_BITS[dtype] != span * 8:
            return False  # a size mismatch, or a sub-byte total that is not whole bytes
    if starts[0] != 0 or ends[-1] != buffer_len or starts[1:] != ends[:-1]:
        # Not laid out in header order (the reference writer's order): sort the spans.
        first, last = map(list, zip(*sorted(zip(starts, ends))))
        if first[0] != 0 or last[-1] != buffer_len or first[1:] != last[:-1]:
            return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _well_formed(entry: Any) -> TensorInfo | None:
    """The common case, checked with exact type tests (bool is not int here); None means: diagnose."""
    if type(entry) is not dict or len(entry) != 3:
        return None
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if type(dtype) is not str or type(shape) is not list or type(offsets) is not list or len(offsets) != 2:
        return None
    bits = DTYPE_BITS.get(dtype)
    begin, end = offsets
    if bits is None or type(begin) is not int or type(end) is not int or not 0 <= begin <= end:
        return None
    count = 1
    for dim in shape:
        if type(dim) is not int or dim < 0:
            return None
        count *= dim
    total = count * bits
    if total % 8 or total // 8 != end - begin:
        return None
    return TensorInfo(dtype, tuple(shape), begin, end)


def _diagnose(name: str, entry: Any, problems: list[Problem]) -> TensorInfo | None:
    """The slow path: say exactly what is wrong with an entry (and keep it if it is usable)."""
    label = _short(name)
    if not isinstance(entry, dict):
        problems.append(Problem("header", f"tensor {label}: entry is {type(entry).__name__}, not an object"))
        return None
    extra = set(entry) - {"dtype", "shape", "data_offsets"}
    missing = {"dtype", "shape", "data_offsets"} - set(entry)
    if missing or extra:
        what = f"missing {', '.join(sorted(missing))}" if missing else f"unknown key(s) {', '.join(sorted(extra))}"
        problems.append(Problem("header", f"tensor {label}: {what}"))
        if missing:
            return None
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        problems.append(Problem("dtype", f"tensor {label}: dtype {_short(repr(dtype))} is not a safetensors dtype"))
        return None
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        problems.append(Problem("shape", f"tensor {label}: shape {_short(repr(shape))} is not a list of non-negative integers"))
        return None
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_int(o) and o >= 0 for o in offsets)
            or offsets[0] > offsets[1]):
        problems.append(Problem("offsets", f"tensor {label}: data_offsets {_short(repr(offsets))} is not [begin, end] "
                                           "with 0 <= begin <= end"))
        return None
    info = TensorInfo(dtype, tuple(shape), offsets[0], offsets[1])
    bits = info.numel * DTYPE_BITS[dtype]
    if bits % 8:
        problems.append(Problem("shape", f"tensor {label}: {info.numel} x {DTYPE_BITS[dtype]}-bit {dtype} "
                                         "is not a whole number of bytes"))
    elif bits // 8 != info.nbytes:
        problems.append(Problem("shape", f"tensor {label}: shape {list(shape)} of {dtype} needs {bits // 8:,} bytes "
                                         f"but data_offsets span {info.nbytes:,}"))
    return info


_START = operator.itemgetter(2)
_END = operator.itemgetter(3)


def _layout_problems(tensors: Mapping[str, TensorInfo], buffer_len: int) -> Iterable[Problem]:
    """Spans must be sorted, start at 0, touch without gap or overlap, and end at the buffer's end."""
    if buffer_len < 0:
        return
    ordered = sorted(zip(map(_START, tensors.values()), map(_END, tensors.values()), tensors))
    position = 0
    reported = 0
    for start, end, name in ordered:
        if start != position and reported < 5:
            kind = "gap" if start > position else "overlap"
            where = "before the first tensor" if position == 0 and start > 0 else "before this tensor"
            yield Problem("offsets", f"tensor {_short(name)}: {kind} of {abs(start - position):,} byte(s) {where} "
                                     f"(begins at {start:,}, expected {position:,})")
            reported += 1
        if end > position:
            position = end
    if position > buffer_len:
        yield Problem("length", f"tensors need a {position:,}-byte data buffer but the file holds {buffer_len:,} "
                                "(truncated?)")
    elif position < buffer_len:
        yield Problem("length", f"{buffer_len - position:,} byte(s) after the last tensor: the file must be exactly "
                                f"8 + header + data ({8 + position:,} + header) bytes")


def _short(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def encode_header(entries: Sequence[tuple[str, str, Sequence[int]]],
                  metadata: Mapping[str, str] | None = None) -> tuple[bytes, dict[str, tuple[int, int]]]:
    """The 8-byte length and JSON header for tensors laid out in the given order.

    `entries` are (name, dtype, shape). Returns the header bytes (padded with spaces to a multiple
    of 8, as the reference writer does, so the data buffer is aligned) and each tensor's span.
    """
    document: dict[str, Any] = {}
    if metadata:
        document[METADATA_KEY] = dict(metadata)
    spans: dict[str, tuple[int, int]] = {}
    position = 0
    for name, dtype, shape in entries:
        bits = math.prod(shape) * DTYPE_BITS[dtype]
        if bits % 8:
            raise ValueError(f"{name}: {dtype} tensor of shape {list(shape)} is not a whole number of bytes")
        spans[name] = (position, position + bits // 8)
        document[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [position, position + bits // 8]}
        position += bits // 8
    text = json.dumps(document, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(len(text) + 8) % 8)
    return struct.pack("<Q", len(text)) + text, spans
