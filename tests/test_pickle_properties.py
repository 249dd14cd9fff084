"""Property tests: generated opcode streams, random bytes and truncated files never crash the scanner.

Every outcome is a list of findings; a truncated pickle-bearing file is always an error; plain data
pickled at any protocol is never an error. Example counts are bounded to keep the suite fast.
"""

from __future__ import annotations

import pickle
import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pickle_corpus import benign
from pickle_corpus.containers import legacy, npy_object, torch_zip
from pickle_corpus.ops import glob, sbu
from releasekit.findings import Finding, Severity
from releasekit.checks.pickle import scan_file

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments that make the machine do interesting things: stack, memo, frames, imports, calls.
FRAGMENTS = [
    pickle.MARK, pickle.STOP, pickle.POP, pickle.POP_MARK, pickle.DUP, pickle.NONE, pickle.NEWTRUE,
    pickle.EMPTY_TUPLE, pickle.EMPTY_LIST, pickle.EMPTY_DICT, pickle.EMPTY_SET, pickle.TUPLE, pickle.TUPLE1,
    pickle.TUPLE2, pickle.TUPLE3, pickle.LIST, pickle.DICT, pickle.APPEND, pickle.APPENDS, pickle.SETITEM,
    pickle.SETITEMS, pickle.ADDITEMS, pickle.FROZENSET, pickle.REDUCE, pickle.BUILD, pickle.NEWOBJ,
    pickle.NEWOBJ_EX, pickle.OBJ, pickle.STACK_GLOBAL, pickle.MEMOIZE, pickle.BINPERSID, pickle.NEXT_BUFFER,
    pickle.READONLY_BUFFER, pickle.BINGET + b"\x00", pickle.BINPUT + b"\x00", pickle.LONG_BINGET + b"\x01\x00\x00\x00",
    pickle.BININT1 + b"\x07", pickle.BININT + b"\xff\xff\xff\xff", pickle.LONG1 + b"\x02\x01\x02",
    pickle.EXT1 + b"\x01", pickle.PROTO + b"\x04", pickle.PROTO + b"\x09", pickle.FRAME + struct.pack("<Q", 3),
    pickle.FRAME + struct.pack("<Q", 2**40), pickle.BINUNICODE + struct.pack("<I", 2**31), pickle.BINBYTES8 + b"\xff" * 8,
    sbu("os"), sbu("system"), sbu("collections"), sbu("OrderedDict"), bytes(glob("collections", "OrderedDict")),
    bytes(glob("os", "system")), b"I0x1f\n", b"L12L\n", b"F1.5\n", b"S'x'\n", b"Vabc\n", b"g0\n", b"p1\n",
    b"cmod\n\xf8\n", b"i__builtin__\nset\n", b"\x00", b"\xff",
]


def _scan_bytes(data: bytes, name: str = "blob.pkl") -> list[Finding]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        findings = scan_file(path, display_path=name)
    for finding in findings:
        assert finding.rule.startswith("RK2") and "\n" not in finding.message
    return findings


@FAST
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40), st.sampled_from([b"", b"\x80\x02", b"\x80\x04", b"\x80\x05"]))
def test_generated_opcode_streams_never_crash(fragments: list[bytes], head: bytes) -> None:
    data = head + b"".join(fragments)
    findings = _scan_bytes(data)
    if not any(f.severity is Severity.ERROR for f in findings):
        # A stream judged safe must really be a complete pickle of allowlisted things, or (named
        # like a pickle) one that every loader refuses before anything runs: a warning.
        assert [f.rule for f in findings] == ["RK205"] or [(f.rule, f.severity) for f in findings] == [
            ("RK203", Severity.WARNING)], findings
        if findings[0].rule == "RK203":
            with pytest.raises(Exception):
                pickle.loads(data)


@FAST
@given(st.binary(max_size=300), st.sampled_from(["x.pkl", "x.pt", "x.bin", "x.txt", "x.npy", "x.joblib"]))
def test_random_bytes_never_crash(data: bytes, name: str) -> None:
    _scan_bytes(data, name)


_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20) | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    | st.frozensets(st.integers(), max_size=4),
    max_leaves=30,
)


@FAST
@given(_PLAIN, st.integers(min_value=0, max_value=5))
def test_plain_data_at_every_protocol_is_allowlisted(value: object, protocol: int) -> None:
    findings = _scan_bytes(pickle.dumps(value, protocol=protocol))
    assert [f.rule for f in findings] == ["RK205"], findings


def _torch_samples() -> dict[str, bytes]:
    import torch

    state = {"w": torch.randn(3, 3), "b": torch.zeros(2).to(torch.bfloat16), "step": 3}
    return {
        "zip.pt": benign.torch_bytes(state, legacy=False),
        "legacy.pt": benign.torch_bytes(state, legacy=True),
        "raw.pkl": pickle.dumps({"a": [1, 2, {"b": (3, 4)}]}, protocol=4),
        "object.npy": npy_object(pickle.dumps([1, "x"], protocol=3)),
        "made.pt": torch_zip(pickle.dumps({"x": 1}, protocol=2)),
        "made-legacy.pt": legacy(pickle.dumps({}, protocol=2)),
    }


SAMPLES = _torch_samples()


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_truncation_is_an_error(name: str) -> None:
    data = SAMPLES[name]
    assert not any(f.severity is Severity.ERROR for f in _scan_bytes(data, name))
    cuts = sorted({0, 1, 2, len(data) // 3, len(data) // 2, len(data) - 1} | set(range(len(data) - 40, len(data), 7)))
    for cut in cuts:
        if 0 <= cut < len(data):
            findings = _scan_bytes(data[:cut], name)
            assert any(f.severity is Severity.ERROR for f in findings), (name, cut, findings)


@FAST
@given(st.data())
def test_random_truncation_and_corruption_never_crash(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(SAMPLES)))
    blob = bytearray(SAMPLES[name])
    cut = data.draw(st.integers(min_value=0, max_value=len(blob)))
    for _ in range(data.draw(st.integers(min_value=0, max_value=3))):
        if blob:
            blob[data.draw(st.integers(min_value=0, max_value=len(blob) - 1))] = data.draw(st.integers(0, 255))
    findings = _scan_bytes(bytes(blob[:cut]), name)
    if cut < len(blob):
        # An error, or (corrupted into something no loader reads) the not-a-pickle warning, which is
        # only given when CPython's unpickler refuses the bytes too.
        assert any(f.severity is Severity.ERROR for f in findings) or [(f.rule, f.severity) for f in findings] == [
            ("RK203", Severity.WARNING)], (name, cut)
        if not any(f.severity is Severity.ERROR for f in findings):
            with pytest.raises(Exception):
                pickle.loads(bytes(blob[:cut]))
