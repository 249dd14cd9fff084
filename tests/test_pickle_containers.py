"""Every container the loaders open is analysed, and what cannot be analysed is an error, never silence."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from pickle_corpus.ops import call, glob, program
from releasekit.checks.pickle import scan_file
from releasekit.findings import Severity
from releasekit.pickles import Budget, Limits, allowlist_for, scan

EVIL = program(call(glob("posix", "system"), "true"))
PLAIN = pickle.dumps({"lr": 0.1, "steps": [1, 2, 3]}, protocol=2)


def _rules(tmp_path: Path, name: str, data: bytes) -> list[tuple[str, str]]:
    path = tmp_path / name
    path.write_bytes(data)
    return [(f.rule, f.severity.value) for f in scan_file(path, display_path=name)]


def _errors(tmp_path: Path, name: str, data: bytes) -> set[str]:
    return {rule for rule, severity in _rules(tmp_path, name, data) if severity == "error"}


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_legacy_tar_checkpoint_with_storages_is_read_to_the_end(tmp_path: Path) -> None:
    storage_record = pickle.PROTO + b"\x02" + pickle.MARK + b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpu" \
        + pickle.GLOBAL + b"torch\nFloatStorage\n" + pickle.TUPLE + pickle.STOP
    storages = pickle.dumps(1, protocol=2) + storage_record + struct.pack("<q", 3) + b"\0" * 12 \
        + pickle.dumps([], protocol=2)
    tar = _tar({"storages": storages, "tensors": pickle.dumps(0, protocol=2), "pickle": PLAIN})
    assert _rules(tmp_path, "old.tar", tar) == [("RK205", "warning")]
    assert _errors(tmp_path, "old.tar", _tar({"storages": storages, "tensors": pickle.dumps(0, protocol=2),
                                               "pickle": EVIL})) == {"RK201"}


def test_tar_storage_record_hiding_a_payload_is_reported(tmp_path: Path) -> None:
    storages = pickle.dumps(1, protocol=2) + EVIL
    tar = _tar({"storages": storages, "tensors": pickle.dumps(0, protocol=2), "pickle": PLAIN})
    assert "RK201" in _errors(tmp_path, "x.dat", tar)


@pytest.mark.parametrize("dict_size", [4096, 1 << 16, 3 << 20, 1 << 24, (1 << 20) + 256])
def test_lzma_alone_of_any_dictionary_size(tmp_path: Path, dict_size: int) -> None:
    data = lzma.compress(EVIL, format=lzma.FORMAT_ALONE, filters=[{"id": lzma.FILTER_LZMA1, "dict_size": dict_size}])
    assert data[:2] == b"\x5d\x00"
    assert "RK201" in _errors(tmp_path, "blob", data)


@pytest.mark.parametrize("check", [lzma.CHECK_NONE, lzma.CHECK_CRC32, lzma.CHECK_CRC64, lzma.CHECK_SHA256])
def test_xz_of_every_check_type(tmp_path: Path, check: int) -> None:
    assert "RK201" in _errors(tmp_path, "blob", lzma.compress(EVIL, check=check))


@pytest.mark.parametrize("level", [1, 6, 9])
def test_zlib_and_gzip_levels_and_protocol_0(tmp_path: Path, level: int) -> None:
    text = b"cposix\nsystem\n(Vtrue\ntR."
    assert "RK201" in _errors(tmp_path, "a", zlib.compress(text, level))
    assert "RK201" in _errors(tmp_path, "b", gzip.compress(text, level))
    assert "RK201" in _errors(tmp_path, "c", bz2.compress(text, level))


def test_nested_compression_is_followed(tmp_path: Path) -> None:
    nested = gzip.compress(lzma.compress(bz2.compress(EVIL)))
    assert "RK201" in _errors(tmp_path, "deep.gz", nested)


def test_too_deep_nesting_is_not_a_pass(tmp_path: Path) -> None:
    data = EVIL
    for _ in range(6):
        data = gzip.compress(data)
    assert "RK203" in _errors(tmp_path, "deeper.gz", data)


def test_compressed_text_is_not_a_finding(tmp_path: Path) -> None:
    assert _rules(tmp_path, "corpus.txt.gz", gzip.compress(b"Hello, world\n" * 100)) == []
    assert _rules(tmp_path, "data.csv.xz", lzma.compress(b"a,b\n1,2\n")) == []


def test_joblib_zfile_plain_and_hostile(tmp_path: Path) -> None:
    def zfile(data: bytes, space: bool = False) -> bytes:
        return b"ZF" + f"{len(data):#x}".ljust(19).encode() + (b" " if space else b"") + zlib.compress(data)

    assert _rules(tmp_path, "old.pkl", zfile(PLAIN)) == [("RK205", "warning")]
    assert "RK201" in _errors(tmp_path, "old.bin", zfile(EVIL, space=True))
    assert "RK203" in _errors(tmp_path, "bad.pkl", b"ZFnot hex at all!!!!" + zlib.compress(EVIL))


def test_lz4_without_its_library_is_an_error(tmp_path: Path) -> None:
    try:
        import lz4  # noqa: F401
    except ImportError:
        errors = [f for f in scan_file(_write(tmp_path, "state.bin", b"\x04\x22\x4d\x18" + b"\x00" * 20),
                                       display_path="state.bin") if f.severity is Severity.ERROR]
        assert errors and "lz4 is not installed" in errors[0].message
    else:  # pragma: no cover - lz4 installed: it is read like the others
        import lz4.frame

        assert "RK201" in _errors(tmp_path, "state.bin", lz4.frame.compress(EVIL))


def _write(folder: Path, name: str, data: bytes) -> Path:
    (folder / name).write_bytes(data)
    return folder / name


@pytest.mark.parametrize("kind, magic", [("7z", b"7z\xbc\xaf\x27\x1c\x00\x04"), ("rar", b"Rar!\x1a\x07\x01\x00"),
                                         ("zstd", b"\x28\xb5\x2f\xfd\x04\x00")])
def test_opaque_archives_are_errors_whatever_their_name(tmp_path: Path, kind: str, magic: bytes) -> None:
    findings = scan_file(_write(tmp_path, "assets.dat", magic + EVIL), display_path="assets.dat")
    assert [f.rule for f in findings if f.severity is Severity.ERROR] == ["RK203"]
    assert kind in findings[0].message


def _encrypted_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    blob = bytearray(out.getvalue())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = blob.find(signature)
        while at >= 0:
            blob[at + flag_at] |= 0x01
            at = blob.find(signature, at + 4)
    return bytes(blob)


def test_encrypted_member_of_any_zip_is_an_error(tmp_path: Path) -> None:
    data = _encrypted_zip({"docs/readme.txt": b"hello", "secret.bin": b"\x00" * 40})
    findings = scan_file(_write(tmp_path, "docs.zip", data), display_path="docs.zip")
    assert any(f.rule == "RK204" and "encrypted" in f.message and f.severity is Severity.ERROR for f in findings)


def test_protocol_0_pickle_in_an_oddly_named_zip_member(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes/readme.txt", b"cposix\nsystem\n(Vtrue\ntR.")
        archive.writestr("notes/other.txt", b"just text\n")
    assert "RK201" in _errors(tmp_path, "bundle.zip", out.getvalue())


def test_inflated_bytes_count_against_the_budget(tmp_path: Path) -> None:
    data = bz2.compress(b"\x80\x02" + b"N0" * 2_000_000 + b"N.")
    path = _write(tmp_path, "state.bz2", data)
    result = scan(path, display_path="state.bz2", allowlist=allowlist_for([]),
                  budget=Budget(Limits(file_inflated=1 << 20)))
    assert any("not fully analysed" in p.message and "decompresses" in p.message for p in result.problems)


def test_a_spent_run_budget_reports_every_later_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.pkl", b"\x80\x02" + b"N0" * 50_000 + b"N.")
    budget = Budget(Limits(run_opcodes=40_000))
    first = scan(path, display_path="a.pkl", allowlist=allowlist_for([]), budget=budget)
    second = scan(path, display_path="a.pkl", allowlist=allowlist_for([]), budget=budget)
    assert any("run's budget" in p.message for p in first.problems)
    assert [p.message for p in second.problems] == [f"not analysed: {budget.spent}"]


def test_a_tar_header_that_also_starts_a_binary_pickle_is_read_both_ways(tmp_path: Path) -> None:
    """torch.load sees the tar (legacy_load), pickle.load the raw bytes: both are analysed."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT, encoding="latin-1") as tar:
        for name, data in (("\x80\x02N", b""), ("storages", pickle.dumps(0, protocol=2) + pickle.dumps([], protocol=2)),
                           ("tensors", pickle.dumps(0, protocol=2)), ("pickle", EVIL)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = out.getvalue()
    assert data[:2] == b"\x80\x02"
    path = _write(tmp_path, "polyglot.bin", data)
    result = scan(path, display_path="polyglot.bin", allowlist=allowlist_for([]))
    assert "pytorch-tar" in (result.format or "") and "posix.system" in result.imports


def test_a_text_file_that_starts_like_a_compressed_stream_is_not_a_carrier(tmp_path) -> None:
    """`x` is joblib's zlib prefix: a script starting `x = 1` fails to inflate before yielding a byte,
    so no loader can unpickle anything from it (a real-release false alarm, fixed)."""
    import zlib

    from releasekit.checks.pickle import scan_file

    script = tmp_path / "new.py"
    script.write_text("x = 1\n")
    assert scan_file(script, display_path="train/new.py") == []
    named = tmp_path / "state.pkl"  # named like a pickle: a corrupt stream is still an error
    named.write_bytes(b"x = 1\n")
    assert [f.rule for f in scan_file(named, display_path="state.pkl")] == ["RK203"]
    partial = tmp_path / "blob.py"  # a stream that yields a payload, then breaks: still analysed and refused
    deflate = zlib.compressobj()
    partial.write_bytes(deflate.compress(b"cposix\nsystem\n(S'touch x'\ntR.") + deflate.flush(zlib.Z_SYNC_FLUSH))
    errors = [f for f in scan_file(partial, display_path="blob.py") if f.severity.value == "error"]
    assert errors and any("posix.system" in f.message for f in errors)
