"""The sniff's shortcuts are sound: what it rules out without loading the analyser, the analyser
would have ruled out too (issue 17: the pickle check of a release without pickles costs nothing).

* `OPCODE_TABLE` is a literal copy of `pickletools.opcodes` (codes, names, argument sizes);
* `tar_checksum_matches` False means `tarfile.TarInfo.frombuf` raises (so tarfile need not load);
* `certainly_no_pickle` True means the full scanner finds nothing in the file (format None, no
  problem): never for a real pickle, never for a malicious payload;
* `check --select pickle` on a release without pickles loads neither the scanner, pickletools,
  pickle nor tarfile.
"""

from __future__ import annotations

import json
import pickle
import pickletools
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pickle_corpus import malicious
from scripts import fuzz_pickle
from releasekit.pickles import allowlist_for
from releasekit.pickles.budget import unlimited
from releasekit.pickles.scanner import scan
from releasekit.pickles.sniff import (
    OPCODE_BYTES, OPCODE_TABLE, Format, certainly_no_pickle, looks_like_tar, sniff, tar_checksum_matches,
)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Opcodes that import, call or hand control to the loader: the walk never steps over them.
CODE_OPCODES = {"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "REDUCE", "BUILD", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2",
                "EXT4", "PERSID", "BINPERSID"}


# -- the opcode table ------------------------------------------------------------------------------
def test_the_opcode_table_is_pickletools_own() -> None:
    expected = {ord(op.code): (op.name, op.arg.n if op.arg is not None else None) for op in pickletools.opcodes}
    assert OPCODE_TABLE == expected
    assert OPCODE_BYTES == frozenset(ord(op.code) for op in pickletools.opcodes)


def test_the_walk_steps_over_pure_data_only() -> None:
    from releasekit.pickles.sniff import _WALK

    walked = {OPCODE_TABLE[code][0] for code in _WALK}
    assert not walked & (CODE_OPCODES | {"STOP", "PROTO", "FRAME"})
    # everything else is walked: a missing opcode would only cost speed, but say so
    assert walked | CODE_OPCODES | {"STOP", "PROTO", "FRAME"} == {name for name, _ in OPCODE_TABLE.values()}
    for code, (arg, *_) in _WALK.items():
        assert arg == OPCODE_TABLE[code][1]


def test_sniffing_loads_no_pickle_machinery() -> None:
    probe = ("import sys, releasekit.pickles.sniff as s; s.sniff(b'MIT License' + b' ' * 600, 611); "
             "s.certainly_no_pickle(b'MIT License', 11); s.looks_like_tar(b'x' * 512); "
             "print(sorted(m for m in ('pickle', '_pickle', 'pickletools', 'tarfile', 'releasekit.pickles.opcodes') "
             "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# -- tar headers -----------------------------------------------------------------------------------
def _frombuf_accepts(block: bytes) -> bool:
    try:
        tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
    except (tarfile.HeaderError, ValueError, UnicodeError):
        return False
    return True


def _header(name: str, size: int, fmt: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 1_700_000_000
    return info.tobuf(format=fmt)[:512]


_HEADERS = st.builds(_header, st.text(st.characters(min_codepoint=32, max_codepoint=0x7E), min_size=1, max_size=60),
                     st.integers(0, 8**11 - 1), st.sampled_from([tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT]))


def _with_checksum_field(block: bytes, field: bytes) -> bytes:
    return block[:148] + field.ljust(8, b"\0")[:8] + block[156:]


@FAST
@given(_HEADERS)
def test_real_tar_headers_pass_the_precheck(block: bytes) -> None:
    assert tar_checksum_matches(block) and looks_like_tar(block) and _frombuf_accepts(block)


@FAST
@given(_HEADERS, st.sampled_from(["{:o}", " {:o} ", "+{:o}", "0o{:o}", "{:_o}", "  {:06o}\0junk", "-0{:o}",
                                  "base256", "base256-neg"]))
def test_every_checksum_spelling_tarfile_accepts_passes(block: bytes, spelling: str) -> None:
    """Signs, underscores, 0o prefixes, NUL cuts and base-256: the pre-check reads them as nti does."""
    unsigned = 256 + sum(block[:148]) + sum(block[156:])
    if spelling == "base256":
        field = b"\x80" + unsigned.to_bytes(7, "big")
    elif spelling == "base256-neg":  # a negative number equal to neither sum: both must refuse it
        field = b"\xff" + (256 ** 7 - unsigned).to_bytes(7, "big")
    elif spelling == "-0{:o}":
        field = ("-0" + format(unsigned, "o")).encode()
    else:
        field = spelling.format(unsigned).encode()
    assume(len(field) <= 8)
    mutated = _with_checksum_field(block, field)
    assert tar_checksum_matches(mutated) == _frombuf_accepts(mutated), field


@FAST
@given(_HEADERS, st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=20), st.booleans())
def test_sun_style_signed_checksums_pass_too(block: bytes, high: list[int], signed: bool) -> None:
    """Headers with bytes >= 0x80 whose checksum some tars sum as signed chars: frombuf takes both."""
    named = bytes(high) + block[len(high):]
    total = 256 + sum((b - 256 if signed and b > 127 else b) for b in named[:148] + named[156:])
    assume(total >= 0)
    mutated = _with_checksum_field(named, b"%06o\0 " % total)
    assert tar_checksum_matches(mutated) and _frombuf_accepts(mutated)


_FIELD_BYTES = st.sampled_from(list(b"0123456789 +-_oOxX\0\x80\xff\t\n\x0b8a"))


@FAST
@given(st.one_of(
    st.binary(min_size=512, max_size=512),
    st.tuples(_HEADERS, st.lists(st.tuples(st.integers(0, 511), st.integers(0, 255)), max_size=4)).map(
        lambda hm: bytes(_mutate(hm[0], hm[1]))),
    st.tuples(_HEADERS, st.lists(_FIELD_BYTES, min_size=8, max_size=8)).map(
        lambda hf: _with_checksum_field(hf[0], bytes(hf[1]))),
    st.text(min_size=512, max_size=600).map(lambda t: t.encode()[:512].ljust(512, b"\n")),
))
@example(bytes(512))
@example(b"MIT License\n" + b"x" * 500)
def test_the_precheck_rejects_only_what_frombuf_rejects(block: bytes) -> None:
    if not tar_checksum_matches(block):
        assert not _frombuf_accepts(block)


def _mutate(block: bytes, changes: list[tuple[int, int]]) -> bytearray:
    out = bytearray(block)
    for at, value in changes:
        out[at] = value
    return out


# -- certainly not a pickle ------------------------------------------------------------------------
def _scan(data: bytes, name: str = "notes.txt"):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return scan(path, display_path=name, allowlist=allowlist_for([]), budget=unlimited())


def _skipped_by_the_check(data: bytes) -> bool:
    """What the check now skips without scanning: a MAYBE_PICKLE that certainly is none."""
    head = data[:512]
    return sniff(head, len(data)) is Format.MAYBE_PICKLE and certainly_no_pickle(head, len(data))


def _assert_sound(data: bytes) -> None:
    if _skipped_by_the_check(data):
        result = _scan(data)
        assert result.format is None and not result.problems and not result.units, (data[:60], result)


@pytest.mark.parametrize("text", [
    b"MIT License\n\nCopyright (c) 2025 DeepSeek\n",
    b"torch>=2.6\nsafetensors>=0.4\n",
    b"NOTICE\n",
    b"(((\n",  # MARKs, then a newline, which is no opcode
    b"K\x01h\x00",  # BINGET from an empty memo
    b"]\x97",  # NEXT_BUFFER
    b"(00",  # the first POP takes the MARK, the second pops an empty stack
])
def test_text_files_are_ruled_out_and_the_scanner_agrees(text: bytes) -> None:
    assert _skipped_by_the_check(text)
    result = _scan(text)
    assert result.format is None and not result.problems


@pytest.mark.parametrize("data", [
    b"cos\nsystem\n(S'echo hi'\ntR.",  # GLOBAL first
    b"(S'echo hi'\nios\nsystem\n.",  # pure data, then INST
    b"(cos\nsystem\nS'echo hi'\nto.",
    b"N" * 600,  # pure data to the end of what was read: the scanner decides
    b"S'abc",  # a line running past the end
    b"I1\n.",  # STOP
    b"N. trailing",  # a whole pickle, then junk: an error the scanner reports
    b"\x80\x09junk",  # PROTO
    b"X\xff\xff\x00\x00abc",  # a length running past the end
])
def test_payloads_and_undecided_streams_are_kept(data: bytes) -> None:
    assert not certainly_no_pickle(data[:512], len(data))


def test_no_malicious_payload_is_ever_ruled_out(tmp_path: Path) -> None:
    built = 0
    for case in malicious.CASES:
        _, data = case.build(tmp_path / "marker")
        assert not _skipped_by_the_check(data), case.id
        built += 1
        # nor any prefix of it that the scanner would flag (a cut-off payload)
        for cut in range(1, min(len(data), 64)):
            _assert_sound(data[:cut])
    assert built > 50


_PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=5) | st.frozensets(st.integers(), max_size=4),
    max_leaves=30,
)


@FAST
@given(_PLAIN, st.integers(min_value=0, max_value=5))
def test_real_pickles_are_never_ruled_out(value: object, protocol: int) -> None:
    data = pickle.dumps(value, protocol=protocol)
    assert not certainly_no_pickle(data[:512], len(data))


# Fragments a hand-written or corrupted stream is made of: pure data, code, memo, frames, junk.
_FRAGMENTS = [
    b"(", b".", b"0", b"1", b"2", b"N", b"\x88", b")", b"]", b"}", b"\x8f", b"t", b"\x85", b"\x86", b"\x87", b"l",
    b"d", b"a", b"e", b"s", b"u", b"\x90", b"\x91", b"R", b"b", b"\x81", b"\x92", b"o", b"\x93", b"\x94", b"Q",
    b"\x97", b"\x98", b"h\x00", b"q\x00", b"j\x01\x00\x00\x00", b"K\x07", b"M\x01\x02", b"J\xff\xff\xff\xff",
    b"\x8a\x02\x01\x02", b"\x8b\xff\xff\xff\xff", b"\x82\x01", b"\x80\x04", b"\x95" + struct.pack("<Q", 3),
    b"\x8c\x02os", b"\x8c\x06system", b"U\x01x", b"C\x00", b"T\x02\x00\x00\x00ab", b"X\x01\x00\x00\x00y",
    b"cos\nsystem\n", b"ios\nsystem\n", b"Pid\n", b"I0x1f\n", b"L12L\n", b"F1.5\n", b"S'x'\n", b"Vabc\n", b"g0\n",
    b"p1\n", b"p-1\n", b"I\n", b"S\n", b"\n", b" ", b"#", b"\x00", b"\xff", b"{",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=30).map(b"".join),
    st.tuples(st.sampled_from(sorted(OPCODE_BYTES)), st.binary(max_size=40)).map(lambda ob: bytes([ob[0]]) + ob[1]),
    st.text(alphabet="MITLicense torch>=2.6()0123.,'\"\nabcdefghijlopqrstuNVSKJFGXBCPQRU}]", max_size=60).map(
        str.encode),
    st.tuples(_PLAIN, st.integers(0, 5), st.integers(0, 40)).map(lambda v: pickle.dumps(v[0], protocol=v[1])[:v[2]]),
))
@example(b"N. ")
@example(b"]q\x00h\x01 ")  # GET of a key never written, after a PUT: fails, so nothing ran
@example(b"(I1\nI2\nd ")  # an even DICT
@example(b"cos\nsystem\n ")
def test_whatever_the_check_skips_the_scanner_finds_nothing_in(data: bytes) -> None:
    assume(data)
    _assert_sound(data)
    # and CPython agrees: neither unpickler requests a global from it, nor loads it
    assert fuzz_pickle.ruled_out_wrongly(data) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_the_fuzzers_streams_ruled_out_stop_cpython_before_any_global(rnd) -> None:  # type: ignore[no-untyped-def]
    body = b"".join(fuzz_pickle.fragment(rnd) for _ in range(rnd.randrange(1, 12))) + rnd.choice([b".", b"", b" "])
    data = fuzz_pickle.mutate(body, rnd) if rnd.random() < 0.5 else body
    assert fuzz_pickle.ruled_out_wrongly(data) == [], data


# -- the check of a release without pickles --------------------------------------------------------
_PROBE = """
import json, sys
from releasekit.cli.main import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""
_ANALYSER = ("releasekit.pickles.scanner", "releasekit.pickles.opcodes", "releasekit.pickles.machine", "pickletools",
             "pickle", "_pickle", "tarfile")


def _check_modules(root: Path, out: Path) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, "check", str(root), "--select", "pickle", "--jobs", "1",
                           "--format", "json", "--output", str(out)], capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


def test_the_pickle_check_of_a_release_without_pickles_loads_no_analyser(tmp_path: Path) -> None:
    from releasekit.example import build_example

    root = build_example(tmp_path / "example")
    assert (root / "LICENSE").read_bytes().startswith(b"MIT License")  # an opcode first: a MAYBE_PICKLE
    code, modules = _check_modules(root, tmp_path / "out.json")
    assert code == 0
    assert "releasekit.pickles.sniff" in modules  # the check did run and sniff every file
    assert sorted(m for m in _ANALYSER if m in modules) == []
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["sections"]["pickle"]["files"] == [] and report["findings"] == []

    # the same release with a text file that reaches code does load the scanner, and fails
    (root / "notes.txt").write_bytes(b"cos\nsystem\n(S'echo hi'\ntR.")
    code, modules = _check_modules(root, tmp_path / "out2.json")
    assert code == 1 and "releasekit.pickles.scanner" in modules


@pytest.mark.parametrize("section", [{}, {"allow": []}, {"allow": ["os.system"]}, {"allow": "x"}, {"alow": []},
                                     {"allow": ["mypkg.Config"]}])
def test_settings_shortcut_says_what_the_parser_says(section: dict) -> None:
    """The check reads an empty (or default) [pickle] table without loading the parser; same answer."""
    from releasekit.checks.pickle import read_settings
    from releasekit.pickles import parse_settings

    extra, findings = read_settings(section, "releasekit.toml")
    parsed = parse_settings(section)
    assert extra == list(parsed.allow)
    assert [f.message for f in findings] == [p.message for p in parsed.problems]
