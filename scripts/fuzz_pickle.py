"""Differential fuzzer: does releasekit's pickle analysis see every global CPython would import?

Generated pickles (every protocol, text and binary opcodes, odd bytes in text arguments: NUL,
whitespace, signs, octal, hex, underscores, 'L', inf/nan) and mutations of them (byte flips,
insertions, deletions, splices) go to CPython's two unpicklers, the C one (`pickle.Unpickler`:
pickle.load, torch.load, numpy.load) and the pure-Python one (`pickle._Unpickler`: joblib.load),
each with a `find_class` that records the request and answers with a harmless stub class (so the
load goes on and later globals are seen too; nothing is ever imported), and to the analyser, as
`check` reads a file of any name. A global CPython would import (`find_class` of an importable
module) that the analyser did not report is a disagreement. Where the analyser stopped with an
error saying the loaders themselves disagree on the bytes (a frame straddle, a text argument the
two unpicklers read differently), the case is counted as "flagged": the file is an error anyway.

    python scripts/fuzz_pickle.py --seconds 600 --seed 1          # prints inputs run, disagreements
    python scripts/fuzz_pickle.py --count 2000 --out fuzz-disagreements/

The process caps its own address space (--memory-mb) so that a mutated memo index, which makes
the C unpickler allocate a huge memo table, fails with MemoryError instead of exhausting the machine.
"""

from __future__ import annotations

import _compat_pickle
import argparse
import io
import pickle
import random
import struct
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from releasekit.pickles.allowlist import Allowlist
from releasekit.pickles.budget import Budget, Limits
from releasekit.pickles.machine import importable
from releasekit.pickles.scanner import ScanResult, _Scan
from releasekit.pickles.sniff import OPCODE_BYTES, certainly_no_pickle
from releasekit.pickles.source import Source

MODULES = ["os", "posix", "builtins", "collections", "torch._utils", "fuzz_mod", "a.b", "x"]
NAMES = ["system", "eval", "OrderedDict", "_rebuild_tensor_v2", "f", "a.b"]
#: Text arguments (without the newline) that unpicklers read differently or surprisingly.
ODD_NUMBERS = [
    b"0", b"1", b"00", b"01", b" 1", b"1 ", b"+1", b"-1", b"010", b"08", b"0x10", b"0X1f", b"0x", b"0o7", b"0b1",
    b"1_0", b"_1", b"1\x00", b"1\x00junk", b"\x001", b"\x00", b"", b" ", b"\t2\v", b"9" * 25, b"-" + b"9" * 25,
    b"1L", b"1LL", b"L", b"1.5", b"1e5", b"1e500", b"-1e500", b"inf", b"-Infinity", b"nan", b"NaN", b".5", b"5.",
    b"1e", b"1e+", b"1_0.5", b"1.5\x00x", b"\xff", b"\xc3\xa9", b"3", b"2", b"4",
]
TEXT_OPS = [b"I", b"L", b"F", b"g", b"p"]

MARKS = [pickle.MARK]
SIMPLE = [
    pickle.STOP, pickle.POP, pickle.POP_MARK, pickle.DUP, pickle.NONE, pickle.NEWTRUE, pickle.NEWFALSE,
    pickle.EMPTY_TUPLE, pickle.EMPTY_LIST, pickle.EMPTY_DICT, pickle.EMPTY_SET, pickle.TUPLE, pickle.TUPLE1,
    pickle.TUPLE2, pickle.TUPLE3, pickle.LIST, pickle.DICT, pickle.APPEND, pickle.APPENDS, pickle.SETITEM,
    pickle.SETITEMS, pickle.ADDITEMS, pickle.FROZENSET, pickle.REDUCE, pickle.BUILD, pickle.NEWOBJ,
    pickle.NEWOBJ_EX, pickle.OBJ, pickle.STACK_GLOBAL, pickle.MEMOIZE, pickle.BINPERSID, pickle.READONLY_BUFFER,
]


def _sbu(text: str) -> bytes:
    data = text.encode()
    return pickle.SHORT_BINUNICODE + bytes([len(data)]) + data


def fragment(rng: random.Random) -> bytes:
    """One opcode with an argument, biased towards what reaches find_class and the memo."""
    roll = rng.random()
    if roll < 0.12:
        return rng.choice(TEXT_OPS) + rng.choice(ODD_NUMBERS) + b"\n"
    if roll < 0.20:
        op = rng.choice([pickle.GLOBAL, pickle.INST])
        return op + rng.choice(MODULES).encode() + b"\n" + rng.choice(NAMES).encode() + b"\n"
    if roll < 0.30:
        return _sbu(rng.choice(MODULES)) + _sbu(rng.choice(NAMES)) + pickle.STACK_GLOBAL
    if roll < 0.38:
        text = rng.choice(MODULES + NAMES)
        kind = rng.randrange(5)
        if kind == 0:
            return _sbu(text)
        if kind == 1:
            return pickle.BINUNICODE + struct.pack("<I", len(text)) + text.encode()
        if kind == 2:
            return pickle.UNICODE + text.encode("raw-unicode-escape") + b"\n"
        if kind == 3:
            return pickle.SHORT_BINSTRING + bytes([len(text)]) + text.encode()
        return pickle.STRING + repr(text).encode() + b"\n"
    if roll < 0.48:
        idx = rng.randrange(6)
        return rng.choice([pickle.BINPUT + bytes([idx]), pickle.BINGET + bytes([idx]),
                           pickle.LONG_BINPUT + struct.pack("<I", idx), pickle.LONG_BINGET + struct.pack("<I", idx),
                           b"p%d\n" % idx, b"g%d\n" % idx])
    if roll < 0.54:
        return rng.choice([pickle.BININT1 + bytes([rng.randrange(256)]), pickle.BININT2 + b"\x01\x00",
                           pickle.BININT + struct.pack("<i", rng.randrange(-5, 5)), pickle.LONG1 + b"\x01\x05",
                           pickle.BINFLOAT + struct.pack(">d", 1.5), pickle.SHORT_BINBYTES + b"\x02ab"])
    if roll < 0.58:
        return pickle.FRAME + struct.pack("<Q", rng.randrange(0, 24))
    if roll < 0.62:
        return pickle.PROTO + bytes([rng.randrange(7)])
    if roll < 0.64:
        return rng.choice([pickle.EXT1 + b"\x01", pickle.PERSID + b"1\n"])
    if roll < 0.75:
        return pickle.MARK
    return rng.choice(SIMPLE)


def generate(rng: random.Random) -> bytes:
    head = pickle.PROTO + bytes([rng.randrange(6)]) if rng.random() < 0.6 else b""
    body = b"".join(fragment(rng) for _ in range(rng.randrange(1, 24)))
    return head + body + (pickle.STOP if rng.random() < 0.8 else b"")


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        roll = rng.random()
        at = rng.randrange(len(out) + 1)
        if roll < 0.3 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif roll < 0.55:
            out[at:at] = bytes([rng.choice([0, 0x0A, 0x20, 0x30, 0x31, 0x4C, 0x5F, 0x78, rng.randrange(256)])])
        elif roll < 0.75 and out:
            del out[at:at + rng.randrange(1, 4)]
        else:
            out[at:at] = fragment(rng)
    return bytes(out)


class _Stub:
    """What find_class answers: a harmless class that accepts every call, state and item."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __call__(self, *args: object, **kwargs: object) -> "_Stub":
        return _Stub()

    def __setstate__(self, state: object) -> None:
        pass

    def append(self, item: object) -> None:
        pass

    def extend(self, items: object) -> None:
        pass

    def __setitem__(self, key: object, value: object) -> None:
        pass

    def add(self, item: object) -> None:
        pass


def _recording(base: type) -> type:
    class Recording(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.requests: list[tuple[str, str]] = []

        def find_class(self, module: str, name: str) -> type:
            self.requests.append((module, name))
            if not name or not importable(module):
                # as the real find_class: __import__("") or of a name no file carries fails, and so
                # does getattr(module, ""); the load stops there
                raise pickle.UnpicklingError("cannot import")
            return _Stub

    return Recording


C_UNPICKLER = _recording(pickle.Unpickler)
PY_UNPICKLER = _recording(pickle._Unpickler)  # type: ignore[attr-defined]


def cpython_requests(data: bytes, unpickler: type, *, buffered: bool = False) -> list[tuple[str, str]]:
    """Every find_class request one unpickler makes while loading `data` (the first pickle only).
    `buffered`: read through io.BufferedReader, as from open(path, "rb") (the C unpickler then
    prefetches with peek(), which changes how it reads across frame boundaries)."""
    stream: io.IOBase = io.BytesIO(data)
    if buffered:
        stream = io.BufferedReader(stream)  # type: ignore[arg-type]
    loader = unpickler(stream)
    try:
        loader.load()
    except BaseException as exc:  # noqa: BLE001 - every failure just ends the load
        if isinstance(exc, KeyboardInterrupt):
            raise
    return list(loader.requests)


def analyse(data: bytes) -> tuple[set[str], bool]:
    """(what the analyser reports as imported, whether it flagged loader disagreement), reading
    `data` as `check` reads a file of any name (a tentative raw pickle stream)."""
    result = ScanResult("fuzz")
    scan = _Scan(result, Allowlist(), Budget(Limits(file_opcodes=1 << 22, run_opcodes=1 << 40, file_seconds=60,
                                                    run_seconds=1 << 30)))
    scan.pickles(Source.from_bytes(data), tentative=True)
    flagged = any("disagree" in p.message or "straddles" in p.message or "FRAME" in p.message
                  for p in result.problems)
    return set(result.imports), flagged


def _names(module: str, name: str) -> set[str]:
    """The request as the analyser may record it (the unpickler maps Python 2 names below protocol 3)."""
    names = {f"{module}.{name}"}
    if (module, name) in _compat_pickle.NAME_MAPPING:
        names.add(".".join(_compat_pickle.NAME_MAPPING[(module, name)]))
    if module in _compat_pickle.IMPORT_MAPPING:
        names.add(f"{_compat_pickle.IMPORT_MAPPING[module]}.{name}")
    return names


def ruled_out_wrongly(data: bytes) -> list[str]:
    """What is wrong with the sniff's shortcut on `data`: when `certainly_no_pickle` rules a stream
    out (so `check` skips it unscanned), neither unpickler may request any global (an import or a
    refused one alike: the stream must stop before anything that could run), nor load it whole, and
    the analyser's tentative parse must drop it."""
    if not data or data[0] not in OPCODE_BYTES or not certainly_no_pickle(data[:512], len(data)):
        return []
    wrong = []
    for label, unpickler in (("C", pickle.Unpickler), ("Python", pickle._Unpickler)):  # type: ignore[attr-defined]
        requests = cpython_requests(data, _recording(unpickler))
        if requests:
            wrong.append(f"the sniff rules it out, but the {label} unpickler requests {requests[0]}")
        try:
            unpickler(io.BytesIO(data)).load()
            wrong.append(f"the sniff rules it out, but the {label} unpickler loads it")
        except BaseException as exc:  # noqa: BLE001 - failing is what is expected
            if isinstance(exc, KeyboardInterrupt):
                raise
    result = ScanResult("fuzz")
    if _Scan(result, Allowlist(), Budget()).pickles(Source.from_bytes(data), tentative=True):
        wrong.append(f"the sniff rules it out, but the analyser keeps it ({result.format}, "
                     f"{len(result.problems)} problem(s))")
    return wrong


def disagreements(data: bytes) -> tuple[list[str], bool, int]:
    """(globals some CPython unpickler would import that the analyser missed, flagged, how many
    imports CPython made in all). A wrong "certainly no pickle" from the sniff is a disagreement
    that nothing excuses (flagged is then False)."""
    wrong = ruled_out_wrongly(data)
    reported, flagged = analyse(data)
    if wrong:
        flagged = False
    missed = []
    imports = 0
    for label, unpickler, buffered in (("C", C_UNPICKLER, False), ("C (buffered file)", C_UNPICKLER, True),
                                       ("Python", PY_UNPICKLER, False)):
        for module, name in cpython_requests(data, unpickler, buffered=buffered):
            if not importable(module):
                continue
            imports += 1
            if not (_names(module, name) & reported):
                missed.append(f"{label} unpickler imports {module}.{name}")
    return wrong + missed, flagged, imports


def limit_memory(megabytes: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, megabytes << 20))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on every platform
        pass


def run(*, seed: int, count: int | None, seconds: float | None,
        report: Callable[[bytes, list[str]], None] | None = None) -> dict[str, int]:
    """Fuzz until `count` inputs or `seconds` have passed; returns the figures."""
    rng = random.Random(seed)
    corpus: list[bytes] = []
    figures = {"inputs": 0, "importing": 0, "imports": 0, "flagged": 0, "disagreements": 0}
    started = time.monotonic()
    while (count is None or figures["inputs"] < count) and (seconds is None or time.monotonic() - started < seconds):
        data = generate(rng) if not corpus or rng.random() < 0.5 else mutate(rng.choice(corpus), rng)
        missed, flagged, imports = disagreements(data)
        figures["inputs"] += 1
        figures["importing"] += bool(imports)
        figures["imports"] += imports
        if missed and flagged:
            figures["flagged"] += 1
        elif missed:
            figures["disagreements"] += 1
            if report is not None:
                report(data, missed)
        if len(corpus) < 512:
            corpus.append(data)
        elif rng.random() < 0.05:
            corpus[rng.randrange(len(corpus))] = data
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-mb", type=int, default=3072)
    parser.add_argument("--out", type=Path, default=None, help="save each disagreeing input here")
    args = parser.parse_args(argv)
    if args.seconds is None and args.count is None:
        args.seconds = 60.0
    limit_memory(args.memory_mb)
    # The Python unpickler's READONLY_BUFFER on a bytearray can leave CPython printing an unraisable
    # "exported buffers" SystemError at garbage collection: harmless here, and noise in the log.
    sys.unraisablehook = lambda unraisable: None
    warnings.simplefilter("ignore")  # STRING's escape decoding warns about odd escapes
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)

    def report(data: bytes, missed: list[str]) -> None:
        print(f"DISAGREEMENT {data!r}: {'; '.join(missed)}", flush=True)
        if args.out is not None:
            (args.out / f"case-{abs(hash(data)):x}.pkl").write_bytes(data)

    started = time.monotonic()
    figures = run(seed=args.seed, count=args.count, seconds=args.seconds, report=report)
    elapsed = time.monotonic() - started
    print(f"inputs run: {figures['inputs']:,} in {elapsed:.0f} s (seed {args.seed}); "
          f"on which CPython imports something: {figures['importing']:,} ({figures['imports']:,} imports); "
          f"flagged as loader disagreement: {figures['flagged']:,}; disagreements: {figures['disagreements']:,}")
    return 1 if figures["disagreements"] else 0


if __name__ == "__main__":
    sys.exit(main())
