"""The typed (msgspec) header path: it answers only for clean headers, and then exactly as the strict path."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasekit import safetensors_format
from releasekit.safetensors_format import _parse_strict, _typed_path, encode_header, parse_header
from tests.header_strategies import json_values, tensor_entries

# Metadata text with the characters that could fool the split at the metadata's first '}'.
tricky_text = st.text(alphabet=st.sampled_from('ab:{}"\\, \u00e9'), max_size=6)
metadata_values = st.dictionaries(tricky_text, tricky_text | json_values, max_size=3) | json_values


def _typed_and_strict(raw: bytes, data_len: int):  # type: ignore[no-untyped-def]
    size = 8 + len(raw) + data_len
    return _typed_path(raw, len(raw), size), _parse_strict(raw.decode("utf-8", "surrogatepass"), len(raw), size)


def _same(typed, strict) -> None:  # type: ignore[no-untyped-def]
    assert strict.problems == () and not strict.fatal, strict.problems
    assert typed.problems == () and not typed.fatal
    assert dict(typed.tensors) == dict(strict.tensors)
    assert list(typed.names) == list(strict.names)
    assert typed.metadata == strict.metadata


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=10), tensor_entries, max_size=6), metadata_values | st.none(),
       st.integers(min_value=0, max_value=2**20), st.data())
def test_generated_headers_the_typed_path_answers_are_judged_as_the_strict_path_judges(
        document: dict, metadata, data_len: int, data) -> None:  # type: ignore[no-untyped-def]
    if metadata is not None:  # first, as the reference writer puts it (where the typed path splits)
        document = {"__metadata__": metadata, **document}
    compact = data.draw(st.booleans())
    raw = json.dumps(document, ensure_ascii=data.draw(st.booleans()),
                     separators=(",", ":") if compact else None).encode("utf-8", "surrogatepass")
    typed, strict = _typed_and_strict(raw, data_len)
    if typed is not None:
        _same(typed, strict)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(tricky_text, st.sampled_from(["F32", "BF16", "U8", "F4", "F8_E4M3"]),
                          st.lists(st.integers(min_value=0, max_value=4), max_size=3)), min_size=1, max_size=6),
       st.dictionaries(tricky_text, tricky_text, max_size=3), st.data())
def test_valid_headers_take_the_typed_path_unless_a_colon_or_brace_hides_in_a_string(
        entries: list, metadata: dict, data) -> None:  # type: ignore[no-untyped-def]
    """The reference writer's layout (metadata first, compact JSON) is the typed path's to answer;
    a ':' in a string defeats the colon count and a '}' in the metadata the split: both fall back."""
    unique = list({name: (name, dtype, shape) for name, dtype, shape in entries}.values())
    try:
        head, spans = encode_header(unique, metadata)
    except ValueError:
        return  # a sub-byte total: not a valid tensor
    raw = head[8:]
    data_len = max((end for _, end in spans.values()), default=0)
    typed, strict = _typed_and_strict(raw, data_len)
    assert not strict.problems
    strings = [name for name, _, _ in unique] + list(metadata) + list(metadata.values())
    if not any(":" in s for s in strings) and not any("}" in s for s in list(metadata) + list(metadata.values())):
        assert typed is not None
    if typed is not None:
        _same(typed, strict)
    where = data.draw(st.sampled_from(["tensor", "inner"] + (["metadata", "metadata-entry"] if metadata else [])))
    text = raw.decode().rstrip(" ")
    first = json.dumps(unique[0][0])
    if where == "tensor":
        dup = text[:-1] + f',{first}:{json.dumps(json.loads(text)[unique[0][0]])}' + "}"
    elif where == "metadata":
        dup = text[:-1] + ',"__metadata__":{"format":"pt"}}'
    elif where == "metadata-entry":  # a second __metadata__ shaped like a tensor entry
        dup = text[:-1] + ',"__metadata__":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}'
    else:
        dup = text.replace('"data_offsets"', '"dtype":"F32","data_offsets"', 1)
    typed, strict = _typed_and_strict(dup.encode(), data_len)
    assert typed is None
    assert strict.problems and "duplicate key" in strict.problems[0].message


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "18446744073709551616", "2.0", "2e0", "true",
                                   "null", "-1", '"\\ud800"'])
def test_values_the_typed_decoder_refuses_or_reads_exactly_never_pass_it(value: str) -> None:
    raw = ('{"w":{"dtype":"U8","shape":[' + value + '],"data_offsets":[0,1]}}').encode()
    assert _typed_path(raw, len(raw), 8 + len(raw) + 1) is None
    assert parse_header(raw, header_len=len(raw), file_size=8 + len(raw) + 1).problems


W = '"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}'


@pytest.mark.parametrize(("text", "problem"), [
    ('{"__metadata__":{"a":"}"},' + W + "}", None),  # a '}' inside a metadata string
    ('{"__metadata__":{"a":"x\\"}"},' + W + "}", None),  # after an escaped quote
    ('{"__metadata__":{"}":"b"},' + W + "}", None),  # in a key
    ('{"__metadata__":{"a":"b"} ,' + W + "}", None),  # not the writer's exact bytes: still valid
    ('{"__metadata__":{"a":{"b":"c"}},' + W + "}", "metadata"),  # nested: not strings
    ('{"__metadata__":{"a":1},' + W + "}", "metadata"),
    ('{"__metadata__":{"a":"b"},}', "header"),  # a trailing comma, which the split alone would hide
    ('{"__metadata__":{"a":"b"},' + W + ',"__metadata__":{"dtype":"U8","shape":[0],"data_offsets":[1,1]}}',
     "header"),  # a second __metadata__ read as an entry
    ('{' + W + ',"__metadata__":{"dtype":"U8","shape":[0],"data_offsets":[1,1]}}', "metadata"),
    ('{"__metadata__":{"a":"b"}' + W + "}", "header"),  # no comma
    ('{"__metadata__":{"a":"b"}}' + W + "}", "header"),  # the byte after the metadata is not a comma
    ('{"__metadata__":{"a":"b"}]' + W + "}", "header"),
    ('{"__metadata__":"x",' + W + "}", "metadata"),
])
def test_hostile_metadata_takes_the_exact_path(text: str, problem: str | None) -> None:
    raw = text.encode()
    data_len = 1 if '"w"' in text else 0
    assert _typed_path(raw, len(raw), 8 + len(raw) + data_len) is None
    header = parse_header(raw, header_len=len(raw), file_size=8 + len(raw) + data_len)
    if problem is None:
        assert header.ok and list(header.tensors) == ["w"] and header.metadata is not None
    else:
        assert header.problems and header.problems[0].code == problem, header.problems


def test_the_reference_layout_is_answered_with_shared_dtype_and_shape_objects() -> None:
    head, _ = encode_header([("a", "F32", [2, 3]), ("b", "F32", [2, 3]), ("c", "U8", [0])], {"format": "pt"})
    raw = head[8:].replace(b'"F32"', b'"F\\u00332"')  # an escaped dtype name is still the shared object
    header = _typed_path(raw, len(raw), 8 + len(raw) + 48)
    assert header is not None and header.ok
    assert header.metadata == {"format": "pt"} and list(header.names) == ["a", "b", "c"]
    assert header.dtypes[0] is header.dtypes[1] is safetensors_format._DTYPE_NAMES["F32"]
    assert header.shapes[0] is header.shapes[1] == (2, 3)
    assert (header.starts, header.ends) == ([0, 24, 48], [24, 48, 48])


def test_without_msgspec_headers_are_still_read_by_the_orjson_or_json_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "msgspec", None)  # `import msgspec` raises ImportError
    safetensors_format._typed_decoders.cache_clear()
    try:
        clean = b'{"__metadata__":{"format":"pt"},' + W.encode() + b"}"
        assert _typed_path(clean, len(clean), 8 + len(clean) + 1) is None
        header = parse_header(clean, header_len=len(clean), file_size=8 + len(clean) + 1)
        assert header.ok and header.metadata == {"format": "pt"}
        bad = clean.replace(b"[1]", b"[true]")
        assert parse_header(bad, header_len=len(bad), file_size=8 + len(bad) + 1).problems[0].code == "shape"
    finally:
        monkeypatch.undo()
        safetensors_format._typed_decoders.cache_clear()
    assert _typed_path(clean, len(clean), 8 + len(clean) + 1) is not None
