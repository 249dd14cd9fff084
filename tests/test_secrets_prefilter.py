"""The one-pass prefilter of large texts (`secrets.prefilter`) hides no credential: a secret planted
anywhere in a weight index-sized file (before it, in a key, in a value, in the metadata, between
entries, after it, across the automaton's chunk boundary) is found, and the scan finds exactly
what the gate-by-gate search finds."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasekit.secrets import patterns as P
from releasekit.secrets import scanner
from releasekit.secrets.prefilter import Prefilter, gate_prefixes
from releasekit.secrets.scanner import find_secrets

from tests.test_secrets_samples import SAMPLES, Sample

GATES = sorted({p.gate for p in P.TOKEN_PATTERNS + P.WANDB_PATTERNS} | {P.AWS_KEY_ID_GATE})
PLACES = ("start", "key", "value", "metadata", "between", "end")


def _index(entries: int = 6000, *, key: str = "", value: str = "", metadata: str = "") -> str:
    """A model.safetensors.index.json of `entries` tensors (~600 kB: several automaton chunks)."""
    weight_map = {}
    for i in range(entries):
        name = f"model.layers.{i // 60}.mlp.experts.{i % 60}.down_proj.weight_scale_inv"
        weight_map[name] = f"model-{i // 40 + 1:05d}-of-00163.safetensors"
        if i == entries // 2 and key:
            weight_map[key] = "model-00080-of-00163.safetensors"
        if i == entries // 3 and value:
            weight_map[f"model.layers.{i}.self_attn.kv_a_proj_with_mqa.weight"] = value
    meta: dict[str, object] = {"total_size": 688574839360}
    if metadata:
        meta["note"] = metadata
    return json.dumps({"metadata": meta, "weight_map": weight_map}, indent=2)


def _planted(sample: Sample, place: str) -> str:
    one_line = "\n" not in sample.content.strip()
    if place in ("key", "value", "metadata") and one_line:
        return _index(**{place: sample.content.strip()})  # type: ignore[arg-type]
    if place in ("key", "value", "metadata"):  # a multi-line file goes in as a JSON string (`\n` escapes)
        return _index(**{place: sample.content})  # type: ignore[arg-type]
    base = _index()
    if place == "start":
        return sample.content + base
    if place == "end":
        return base + "\n" + sample.content
    middle = base.index("\n", len(base) // 2) + 1
    return base[:middle] + sample.content + base[middle:]


def _exhaustive(text: str, dotenv: bool, monkeypatch: pytest.MonkeyPatch) -> list[scanner.SecretMatch]:
    """What the scan finds with every gate searched (the prefilter always says "maybe")."""
    with monkeypatch.context() as patch:
        patch.setattr(scanner._Text, "_may_hold", lambda self, gate: True)
        patch.setattr(scanner._Text, "may_hold_any", lambda self: True)
        return find_secrets(text, dotenv=dotenv)


CASES = [(sample, PLACES[i % len(PLACES)]) for i, sample in enumerate(SAMPLES)]
CASES += [(sample, place) for sample in SAMPLES if sample.name in ("huggingface", "aws-pair", "wandb-legacy", "pkcs8")
          for place in PLACES]


@pytest.mark.parametrize("sample, place", CASES, ids=lambda c: c if isinstance(c, str) else c.name)
def test_a_secret_planted_anywhere_in_a_large_index_is_found(sample: Sample, place: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    text = _planted(sample, place)
    assert len(text) > 4 * Prefilter.CHUNK
    dotenv = sample.filename == ".env"
    found = find_secrets(text, dotenv=dotenv)
    assert found == _exhaustive(text, dotenv, monkeypatch)
    if place in ("start", "between", "end"):  # as written (in a JSON string, some forms are legitimately not read)
        values = {m.value for m in found} | {v for m in found for v in m.extra_values}
        assert set(sample.secrets) <= values, sample.name


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_a_short_text_finds_what_the_gate_by_gate_scan_finds(sample: Sample, monkeypatch: pytest.MonkeyPatch) -> None:
    dotenv = sample.filename == ".env"
    for text in (sample.content, sample.content.upper(), sample.content.lower(), sample.content[1:-1]):
        assert find_secrets(text, dotenv=dotenv) == _exhaustive(text, dotenv, monkeypatch)


def test_the_clean_index_finds_nothing_and_the_prefilter_says_every_gate_is_absent() -> None:
    text = _index()
    assert find_secrets(text) == []
    assert scanner._prefilter().present(text) == frozenset()


@pytest.mark.parametrize("offset", [-3, -2, -1, 0, 1])
def test_a_prefix_across_a_chunk_boundary_is_seen(offset: int) -> None:
    token = "hf" + "_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
    filler = _index()
    at = Prefilter.CHUNK + offset  # where the token starts, in characters and (ASCII) bytes
    text = filler[: at - 1] + " " + token + " " + filler[at:]
    assert text.index(token) == at
    assert "hf_" in scanner._prefilter().present(text)
    assert [m.value for m in find_secrets(text)] == [token]


@pytest.mark.parametrize("word", ["DEEPSEE\u212a", "DeepSeek", "MİSTRAL", "\u212aEY"])
def test_non_ascii_text_is_prefiltered_through_its_lower_case(word: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`str.lower` turns the Kelvin sign into `k`: a case-insensitive gate must still be asked."""
    key = "sk-" + "0123456789abcdefghijklmnopqrstuv"
    text = _index(metadata=f"{word}: {key} é") + f'\n{word}_API_KEY = "{key}"\n'
    assert find_secrets(text) == _exhaustive(text, False, monkeypatch)


def test_a_literal_repeated_a_million_times_is_reported_once() -> None:
    present = Prefilter(["sk", "hf_"]).present("sk" * 1_000_000)
    assert present == frozenset({"sk"})


@pytest.mark.parametrize("gate", GATES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_match_of_a_gate_starts_with_one_of_its_prefixes(gate: str, data: st.DataObject) -> None:
    text = data.draw(st.from_regex(gate))
    match = re.search(gate, text)
    assert match is not None
    prefixes = gate_prefixes(gate)
    assert prefixes is not None, gate
    assert any(match.group().startswith(p) for p in prefixes)


@pytest.mark.parametrize("gate, prefixes", [
    ("ab|cd", None), ("a(b|c)d", {"a"}), ("ab?c", {"a"}), ("ab*", {"a"}), ("ab+c", {"ab"}), ("a{2}", None),
    (r"hooks\.slack\.com/", {"hooks.slack.com/"}), (r"\d+x", None), ("[|]x", {"|x"}), ("x[a-c]y", {"x"}),
    ("gh[pu]_", {"ghp_", "ghu_"}), ("g(?:a|bc)-", {"ga-", "gbc-"}), ("(?:a|b)|c", None), ("[^a]b", None),
])
def test_prefixes_stop_where_the_expression_stops_being_literal(gate: str, prefixes: set[str] | None) -> None:
    assert gate_prefixes(gate) == (frozenset(prefixes) if prefixes is not None else None)


def test_every_gate_and_contained_literal_is_prefiltered() -> None:
    """A gate the prefilter cannot expand is searched every time: none of ours is."""
    known = scanner._prefilter().known
    for gate in GATES + [re.escape(c) for c, _ in scanner.CONTAINED]:
        prefixes = gate_prefixes(gate)
        assert prefixes is not None and prefixes <= known, gate


def test_importing_the_scanner_compiles_no_expression() -> None:
    """Start-up imports the scanner (suppressions -> redact): its expressions compile on first use."""
    # (and its HTTP and JWT detectors load on first use)
    import subprocess
    import sys

    probe = (
        "import re, sys\n"
        "compiled = []\n"
        "real = re.compile\n"
        "def spy(*args, **kwargs):\n"
        "    caller = sys._getframe(1).f_code.co_filename\n"
        "    if 'releasekit' in caller and 'secrets' in caller:\n"
        "        compiled.append(args[0])\n"
        "    return real(*args, **kwargs)\n"
        "re.compile = spy\n"
        "import releasekit.secrets, releasekit.secrets.notebook, releasekit.secrets.textfiles\n"
        "print(len(compiled), 'releasekit.secrets.httpauth' in sys.modules, 'releasekit.secrets.jwt' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "False", "False"]  # the HTTP and JWT detectors load when a text needs them


def test_a_text_of_one_repeated_literal_costs_bounded_memory() -> None:
    """Every position of a megabyte of `=` matches `==`: the matches of one chunk at most are held."""
    import tracemalloc

    text = "=" * (4 * 1024 * 1024)
    tracemalloc.start()
    try:
        assert scanner._prefilter().present(text) == frozenset({"=="})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * len(text) + 16 * 1024 * 1024  # the encoded and lower-cased copies, and one chunk's matches


def test_the_ascii_lower_table_is_bytes_lower() -> None:
    """The prefilter lower-cases ASCII texts with a translate table: every byte as bytes.lower maps it."""
    from releasekit.secrets.prefilter import _ASCII_LOWER

    every = bytes(range(256))
    assert every.translate(_ASCII_LOWER) == every.lower()


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.one_of(st.sampled_from(["hf_", "ghp_", "AKIA", "xoxb", "SECRET", "sk-ant-", "://"]),
                                 st.text(alphabet="aZ _-:/İıΣσßﬁ€😀\u0307", max_size=12)), max_size=40),
       chunk=st.integers(min_value=8, max_value=40))
def test_chunked_lower_casing_finds_what_the_whole_text_holds(pieces: list[str], chunk: int) -> None:
    """Each chunk is lower-cased and encoded on its own (no copy of the whole text): a literal
    present in the whole lower-cased text is found, whatever straddles a chunk's edge, and
    characters that lower-case to several (İ) or by context (Σ) change nothing."""
    text = "".join(pieces)
    prefilter = Prefilter(["hf_", "ghp_", "akia", "xoxb", "secret", "sk-ant-", "://", "ss", "i"])
    prefilter.CHUNK = chunk  # small chunks: many edges in a short text
    whole = text.lower().encode("utf-8", "surrogatepass")
    expected = {literal for literal in prefilter.literals if literal.encode("utf-8") in whole}
    assert prefilter.present(text) == expected
