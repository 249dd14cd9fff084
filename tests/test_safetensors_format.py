"""The safetensors header parser: every specification rule, hostile input, and generated headers."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasekit.safetensors_format import MAX_HEADER_BYTES, parse_header, read_header
from tests.builders import entry, raw_safetensors, safetensors_bytes
from tests.header_strategies import tensor_entries


def codes(path: Path) -> list[str]:
    return [p.code for p in read_header(path).problems]


def write(tmp_path: Path, data: bytes, name: str = "m.safetensors") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_valid_file_from_the_reference_writer_has_no_problems(tmp_path: Path) -> None:
    import torch  # the dev install always has torch; the core must not need it
    from safetensors.torch import save_file

    tensors = {"a": torch.zeros(3, 4), "b": torch.ones(2, dtype=torch.bfloat16), "empty": torch.zeros(0, 5),
               "scalar": torch.tensor(1.5), "f8": torch.zeros(4, 4).to(torch.float8_e4m3fn),
               "i64": torch.arange(7), "flag": torch.tensor([True, False])}
    save_file(tensors, tmp_path / "ok.safetensors", metadata={"format": "pt"})
    header = read_header(tmp_path / "ok.safetensors")
    assert header.problems == ()
    assert set(header.tensors) == set(tensors)
    assert header.tensors["scalar"].shape == ()
    assert header.metadata == {"format": "pt"}


def test_our_encoder_round_trips_through_the_reference_reader(tmp_path: Path) -> None:
    from safetensors import safe_open

    path = write(tmp_path, safetensors_bytes([("x", "F32", [2, 3]), ("y", "BF16", [5]), ("z", "F8_E4M3", [0])]))
    assert read_header(path).problems == ()
    with safe_open(path, "numpy") as handle:
        assert sorted(handle.keys()) == ["x", "y", "z"]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "too short"),
        (b"\x01\x02\x03", "too short"),
        (struct.pack("<Q", 2**62) + b"{}", "exceeds"),
        (struct.pack("<Q", MAX_HEADER_BYTES + 1) + b"{}", "exceeds"),
        (struct.pack("<Q", 10 * 2**30) + b"{" + b" " * 100, "exceeds"),  # a 10 GB header claim
        (struct.pack("<Q", 5000) + b"{}", "runs past the end"),
        (raw_safetensors(b"[1, 2]", 0), "does not start with '{'"),
        (raw_safetensors(b"{not json", 0), "not valid JSON"),
        (raw_safetensors(b"{\xff\xfe}", 0), "not UTF-8"),
        (raw_safetensors(b'{"a": 1, "a": 2}', 0), "duplicate key"),
        (raw_safetensors(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [NaN, 4]}}', 4), "not valid JSON"),
        (raw_safetensors(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 0), "nested too deeply"),
        (raw_safetensors(b'"a string"', 0, pad=False), "does not start with '{'"),
    ],
)
def test_unreadable_headers_are_fatal_with_a_clear_message(tmp_path: Path, data: bytes, needle: str) -> None:
    header = read_header(write(tmp_path, data))
    assert header.fatal
    assert header.problems[0].code == "header"
    assert needle in header.problems[0].message


def test_unknown_dtype(tmp_path: Path) -> None:
    path = write(tmp_path, raw_safetensors({"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, 16))
    assert "dtype" in codes(path)


@pytest.mark.parametrize("shape", [[-1], [1.5], ["3"], "3", [True]])
def test_bad_shape_values(tmp_path: Path, shape: object) -> None:
    path = write(tmp_path, raw_safetensors({"a": {"dtype": "U8", "shape": shape, "data_offsets": [0, 3]}}, 3))
    assert codes(path) == ["shape", "length"] or codes(path)[0] == "shape"


def test_shape_times_dtype_must_equal_span(tmp_path: Path) -> None:
    path = write(tmp_path, raw_safetensors({"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}, 12))
    problems = read_header(path).problems
    assert [p.code for p in problems] == ["shape"]
    assert "needs 16 bytes" in problems[0].message and "span 12" in problems[0].message


def test_sub_byte_dtypes_must_fill_whole_bytes(tmp_path: Path) -> None:
    ok = write(tmp_path, raw_safetensors({"a": {"dtype": "F4", "shape": [4], "data_offsets": [0, 2]}}, 2), "ok.safetensors")
    odd = write(tmp_path, raw_safetensors({"a": {"dtype": "F4", "shape": [3], "data_offsets": [0, 2]}}, 2), "odd.safetensors")
    assert codes(ok) == []
    assert codes(odd)[0] == "shape"


@pytest.mark.parametrize(
    ("tensors", "data_len", "needle"),
    [
        ({"a": entry("U8", [4], 2)}, 6, "gap of 2 byte(s) before the first tensor"),
        ({"a": entry("U8", [4], 0), "b": entry("U8", [4], 6)}, 10, "gap of 2 byte(s) before this tensor"),
        ({"a": entry("U8", [4], 0), "b": entry("U8", [4], 2)}, 6, "overlap of 2 byte(s)"),
    ],
)
def test_offsets_must_tile_the_buffer(tmp_path: Path, tensors: dict, data_len: int, needle: str) -> None:
    header = read_header(write(tmp_path, raw_safetensors(tensors, data_len)))
    offsets = [p for p in header.problems if p.code == "offsets"]
    assert offsets and needle in offsets[0].message


@pytest.mark.parametrize("offsets", [[4, 0], [0], [0, 1, 2], "0-4", [0, 4.0], [-1, 3]])
def test_malformed_offsets(tmp_path: Path, offsets: object) -> None:
    path = write(tmp_path, raw_safetensors({"a": {"dtype": "U8", "shape": [4], "data_offsets": offsets}}, 4))
    assert "offsets" in codes(path)


def test_offsets_in_any_order_are_fine_when_they_tile(tmp_path: Path) -> None:
    tensors = {"b": entry("U8", [4], 4), "a": entry("U8", [4], 0)}
    assert codes(write(tmp_path, raw_safetensors(tensors, 8))) == []


def test_truncated_and_padded_files(tmp_path: Path) -> None:
    good = safetensors_bytes([("a", "F32", [4, 4])])
    truncated = read_header(write(tmp_path, good[:-3], "t.safetensors"))
    padded = read_header(write(tmp_path, good + b"\0" * 5, "p.safetensors"))
    assert [p.code for p in truncated.problems] == ["length"] and "truncated" in truncated.problems[0].message
    assert [p.code for p in padded.problems] == ["length"] and "5 byte(s) after the last tensor" in padded.problems[0].message


def test_metadata_must_map_strings_to_strings(tmp_path: Path) -> None:
    nested = write(tmp_path, raw_safetensors({"__metadata__": {"a": {"b": 1}}}, 0), "n.safetensors")
    listy = write(tmp_path, raw_safetensors({"__metadata__": ["x"]}, 0), "l.safetensors")
    fine = write(tmp_path, raw_safetensors({"__metadata__": {"format": "pt"}}, 0), "f.safetensors")
    assert codes(nested) == ["metadata"]
    assert codes(listy) == ["metadata"]
    assert codes(fine) == []


def test_entries_need_exactly_the_three_keys(tmp_path: Path) -> None:
    missing = write(tmp_path, raw_safetensors({"a": {"dtype": "U8", "shape": [1]}}, 1), "m.safetensors")
    extra = write(tmp_path, raw_safetensors({"a": {**entry("U8", [1], 0), "crc": 1}}, 1), "e.safetensors")
    assert "header" in codes(missing)
    assert codes(extra) == ["header"]


def test_reading_never_touches_tensor_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 TB sparse file is checked from its header: at most 8 + header bytes are read."""
    from releasekit.safetensors_format import encode_header

    head, _ = encode_header([("w", "U8", [1 << 40])])
    path = tmp_path / "huge.safetensors"
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(len(head) + (1 << 40))
    import builtins

    real_open = builtins.open
    reads: list[int] = []

    class Counting:
        def __init__(self, handle):  # type: ignore[no-untyped-def]
            self.handle = handle

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.handle.close()

        def fileno(self) -> int:
            return self.handle.fileno()

        def read(self, n: int = -1) -> bytes:
            assert n >= 0, "read() without a size would read the whole file"
            data = self.handle.read(n)
            reads.append(len(data))
            return data

    monkeypatch.setattr(builtins, "open", lambda *a, **k: Counting(real_open(*a, **k)))
    header = read_header(path)
    assert header.problems == ()
    assert sum(reads) == len(head)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512), st.integers(min_value=0, max_value=2**64 - 1))
def test_arbitrary_bytes_never_raise(raw: bytes, file_size: int) -> None:
    parse_header(raw, header_len=len(raw), file_size=file_size)




@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=10), tensor_entries, max_size=6), st.integers(min_value=0, max_value=2**20))
def test_generated_headers_never_raise_and_are_judged_consistently(document: dict, data_len: int) -> None:
    raw = json.dumps(document).encode()
    header = parse_header(raw, header_len=len(raw), file_size=8 + len(raw) + data_len)
    # Every tensor that survived parsing is internally consistent or its problem is reported.
    for problem in header.problems:
        assert problem.code in {"header", "dtype", "shape", "offsets", "length", "metadata"}
        assert "\n" not in problem.message
    if header.ok:
        spans = sorted((t.start, t.end) for t in header.tensors.values())
        position = 0
        for start, end in spans:
            assert start == position
            position = end
        assert position == data_len


def _both_paths(text: str, header_len: int, file_size: int):  # type: ignore[no-untyped-def]
    """The fast path as `read_header` runs it (orjson on the bytes), and the strict path. The fast
    path on json's parse must agree too, wherever it answers."""
    from releasekit.safetensors_format import _fast_path, _parse_strict

    strict = _parse_strict(text, header_len, file_size)
    with_json = _fast_path(text, header_len, file_size)
    if with_json is not None:
        _same(with_json, strict)
    return _fast_path(text, header_len, file_size, text.encode("utf-8", "surrogatepass")), strict


def _same(fast, strict) -> None:  # type: ignore[no-untyped-def]
    """The columnar fast path, when it answers, says exactly what the strict path says."""
    assert strict.problems == () and not strict.fatal, strict.problems
    assert fast.problems == () and not fast.fatal
    assert dict(fast.tensors) == dict(strict.tensors)
    assert list(fast.names) == list(strict.names)
    assert fast.metadata == strict.metadata


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=10), tensor_entries, max_size=6), st.integers(min_value=0, max_value=2**20),
       st.data())
def test_fast_path_agrees_with_the_strict_path(document: dict, data_len: int, data) -> None:  # type: ignore[no-untyped-def]
    raw = json.dumps(document, ensure_ascii=data.draw(st.booleans()))
    fast, strict = _both_paths(raw, len(raw.encode()), 8 + len(raw.encode()) + data_len)
    if fast is not None:
        _same(fast, strict)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.text(max_size=6), st.sampled_from(["F32", "BF16", "U8", "F4"]),
                          st.lists(st.integers(min_value=0, max_value=4), max_size=3)), min_size=1, max_size=6),
       st.data())
def test_fast_path_never_accepts_a_duplicate_key(entries: list, data) -> None:  # type: ignore[no-untyped-def]
    """Valid tiled headers, then one key written twice (a tensor, `__metadata__`, or a key inside an entry)."""
    from releasekit.safetensors_format import encode_header

    unique = list({name: (name, dtype, shape) for name, dtype, shape in entries}.values())
    try:
        head, _ = encode_header(unique, {"format": "pt"})
    except ValueError:
        return  # a sub-byte total: not a valid tensor
    text = head[8:].decode().rstrip(" ")
    data_len = sum(e - s for s, e in encode_header(unique)[1].values())
    fast, strict = _both_paths(text, len(text.encode()), 8 + len(text.encode()) + data_len)
    assert not strict.problems
    if not any(":" in name for name, _, _ in unique):  # no colon inside a string: the fast path answers
        assert fast is not None
    if fast is not None:
        _same(fast, strict)
    where = data.draw(st.sampled_from(["tensor", "metadata", "inner"]))
    if where == "tensor":
        name = json.dumps(unique[0][0])
        dup = text[:-1] + f',{name}:{json.dumps(json.loads(text)[unique[0][0]])}' + "}"
    elif where == "metadata":
        dup = text[:-1] + ',"__metadata__":{"format":"pt"}}'
    else:
        dup = text.replace('"data_offsets"', '"dtype":"F32","data_offsets"', 1)
    fast, strict = _both_paths(dup, len(dup.encode()), 8 + len(dup.encode()) + data_len)
    assert fast is None
    assert strict.problems and "duplicate key" in strict.problems[0].message


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "18446744073709551616", "2.0", "true", '"\\ud800"'])
def test_values_the_parsers_read_differently_never_pass_the_fast_path(value: str) -> None:
    """orjson refuses NaN, 1e400 and lone surrogates that json reads, and reads a 65-bit integer as
    a float: each lands on the strict path, which names the problem."""
    from releasekit.safetensors_format import _fast_path

    text = '{"w":{"dtype":"U8","shape":[' + value + '],"data_offsets":[0,1]}}'
    raw = text.encode()
    assert _fast_path(text, len(raw), 8 + len(raw) + 1, raw) is None
    header = parse_header(raw, header_len=len(raw), file_size=8 + len(raw) + 1)
    assert header.problems


def test_a_colon_in_a_name_takes_the_slow_path_and_is_still_valid(tmp_path: Path) -> None:
    from releasekit.safetensors_format import _fast_path

    path = write(tmp_path, safetensors_bytes([("a:b", "F32", [2]), ("c", "U8", [3])], {"note": "x:y"}))
    header = read_header(path)
    assert header.problems == () and list(header.tensors) == ["a:b", "c"]
    text = path.read_bytes()[8:8 + header.header_len].decode()
    assert _fast_path(text, header.header_len, header.file_size) is None


@pytest.mark.parametrize("odd", ["2.0", "true", "2e0"])
def test_a_dimension_equal_to_an_int_but_not_one_is_refused_beside_that_int(odd: str) -> None:
    """2.0 == 2 and True == 1 in Python: a fast path that compared shapes as values (a set of
    shapes) would let [2.0] or [true] pass beside a tensor of shape [2] or [1]."""
    for first, second in ((f"[{odd}]", "[2]" if odd != "true" else "[1]"),
                          ("[2]" if odd != "true" else "[1]", f"[{odd}]")):
        text = ('{"a":{"dtype":"U8","shape":' + first + ',"data_offsets":[0,2]},'
                '"b":{"dtype":"U8","shape":' + second + ',"data_offsets":[2,4]}}')
        if odd == "true":
            text = text.replace("[0,2]", "[0,1]").replace("[2,4]", "[1,2]")
        raw = text.encode()
        size = 8 + len(raw) + (2 if odd == "true" else 4)
        header = parse_header(raw, header_len=len(raw), file_size=size)
        assert header.problems and header.problems[0].code == "shape", (text, header.problems)
        assert "not a list of non-negative integers" in header.problems[0].message


def test_without_orjson_the_fallback_reader_refuses_what_orjson_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where orjson is missing, `json` reads the fast path: it must refuse UTF-16 and NaN as orjson
    does (json.loads alone reads UTF-16 bytes, which no safetensors loader accepts)."""
    import importlib.util
    import sys

    import releasekit.safetensors_format as installed

    monkeypatch.setitem(sys.modules, "orjson", None)  # `from orjson import loads` raises ImportError
    spec = importlib.util.spec_from_file_location("safetensors_format_without_orjson", installed.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module._FAST_LOADS is not installed._FAST_LOADS
    utf16 = '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'.encode("utf-16-le")
    assert json.loads(utf16)  # what the fallback must not do
    header = module.parse_header(utf16, header_len=len(utf16), file_size=8 + len(utf16) + 1)
    assert header.fatal and "not valid JSON" in header.problems[0].message
    with pytest.raises(ValueError):
        module.fast_json_loads(b'{"a": NaN}')
    clean = b'{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'
    assert module.parse_header(clean, header_len=len(clean), file_size=8 + len(clean) + 1).ok
