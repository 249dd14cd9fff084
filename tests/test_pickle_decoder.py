"""The decoder reads opcodes as the unpickler does, bounded, and agrees with pickletools where both apply."""

from __future__ import annotations

import pickle
import pickletools
import struct
import time
import tracemalloc
from pathlib import Path

import pytest

from pickle_corpus import benign
from releasekit.findings import Severity
from releasekit.checks.pickle import scan_file
from releasekit.pickles.opcodes import Blob, Decoder, PickleSyntaxError
from releasekit.pickles.source import Source


@pytest.mark.parametrize("name", sorted(benign.plain_pickles()))
def test_decoder_agrees_with_pickletools_on_well_formed_pickles(name: str) -> None:
    data = benign.plain_pickles()[name]
    ours = [(op.name, op.pos) for op in Decoder(Source.from_bytes(data))]
    theirs = [(op.name, pos) for op, _, pos in pickletools.genops(data)]
    assert ours == theirs


def test_int_is_parsed_like_the_unpickler_not_like_pickletools() -> None:
    data = b"I0x10\n."
    assert pickle.loads(data) == 16
    with pytest.raises(ValueError):
        list(pickletools.genops(data))
    assert [op.arg for op in Decoder(Source.from_bytes(data))][0] == 16


def test_huge_declared_lengths_fail_fast_without_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.pkl"
    path.write_bytes(b"\x80\x04" + pickle.BINBYTES8 + struct.pack("<Q", 2**60) + b"abc")
    tracemalloc.start()
    started = time.perf_counter()
    findings = scan_file(path, display_path="huge.pkl")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - started < 2 and peak < 50 * 2**20
    assert [f.rule for f in findings] == ["RK203"] and "truncated" in findings[0].message


def test_large_byte_strings_are_skipped_not_kept() -> None:
    data = pickle.dumps({"blob": b"\x01" * (3 << 20), "name": "x"}, protocol=4)
    values = [op.arg for op in Decoder(Source.from_bytes(data), keep=1 << 20)]
    assert Blob("bytes", 3 << 20) in values and "name" in values


def test_large_plain_pickle_is_allowlisted(tmp_path: Path) -> None:
    path = tmp_path / "big.pkl"
    path.write_bytes(pickle.dumps({"blob": b"\x00" * (8 << 20), "values": list(range(20000))}, protocol=5))
    assert [f.rule for f in scan_file(path, display_path="big.pkl")] == ["RK205"]


def test_straddling_opcode_is_a_syntax_error() -> None:
    data = b"\x80\x05" + pickle.FRAME + struct.pack("<Q", 2) + pickle.BININT + b"\x01\x00\x00\x00" + b"."
    with pytest.raises(PickleSyntaxError, match="straddles"):
        list(Decoder(Source.from_bytes(data)))


def test_well_formed_frames_with_large_unframed_objects_pass(tmp_path: Path) -> None:
    path = tmp_path / "framed.pkl"
    path.write_bytes(pickle.dumps([1, b"y" * 100_000, 2, list(range(70_000))], protocol=5))
    assert [f.rule for f in scan_file(path, display_path="framed.pkl")] == ["RK205"]


def test_error_findings_name_the_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.pkl"
    path.write_bytes(b"\x80\x02N\xfe.")
    (finding,) = scan_file(path, display_path="bad.pkl")
    assert finding.severity is Severity.ERROR and "0xfe" in finding.message and "byte 3" in finding.message
