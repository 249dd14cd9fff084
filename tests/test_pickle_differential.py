"""The analyser agrees with CPython: every global either unpickler would import is reported.

A differential test (scripts/fuzz_pickle.py has the machinery and runs for hours): generated
pickles with odd bytes in their text arguments, and mutated ones, go to CPython's C unpickler
(pickle.load, torch.load, numpy.load), its pure-Python one (joblib.load) and the analyser. The
unpicklers' find_class records each request and answers with a harmless stub, so nothing is ever
imported. Inputs where the loaders themselves disagree (frame straddles, text arguments the two
read differently) must at least be flagged by the analyser as an error.
"""

from __future__ import annotations

import pickle
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts import fuzz_pickle

ROOT = Path(__file__).resolve().parents[1]
BOUNDED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text_arg = st.builds(lambda op, arg: op + arg + b"\n", st.sampled_from(fuzz_pickle.TEXT_OPS),
                     st.one_of(st.sampled_from(fuzz_pickle.ODD_NUMBERS),
                               st.binary(max_size=6).filter(lambda b: b"\n" not in b)))
generated = st.builds(lambda rnd: fuzz_pickle.fragment(rnd), st.randoms(use_true_random=False))
stream = st.builds(lambda head, parts, stop: head + b"".join(parts) + stop,
                   st.sampled_from([b"", b"\x80\x02", b"\x80\x04", b"\x80\x05"]),
                   st.lists(st.one_of(text_arg, generated), min_size=1, max_size=20),
                   st.sampled_from([b".", b""]))


@BOUNDED
@given(stream)
def test_every_global_cpython_imports_is_reported(data: bytes) -> None:
    missed, flagged, _ = fuzz_pickle.disagreements(data)
    assert not missed or flagged, f"{data!r}: {missed}"


def test_known_differentials_are_reported() -> None:
    """Inputs from the issue's first bypass class, each where a naive decoder stops early."""
    payload = b"cposix\nsystem\n(Vtrue\ntR."
    for prefix in (b"I1\x00junk\n0", b"I010\n0", b"L1_0L\n0", b"F1.5\x00x\n0", b"I 7\n0", b"p0\x00\n0",
                   b"N\x95\x02\x00\x00\x00\x00\x00\x00\x00I1\n0"):
        data = prefix + payload
        imported = fuzz_pickle.cpython_requests(data, fuzz_pickle.C_UNPICKLER)
        reported, _ = fuzz_pickle.analyse(data)
        if imported:
            assert "posix.system" in reported, prefix
        missed, flagged, _ = fuzz_pickle.disagreements(data)
        assert not missed or flagged, (prefix, missed)


def test_python_unpickler_at_end_of_data_is_reported() -> None:
    """joblib's Python unpickler takes a last line without newline (minus a byte) and imports it."""
    data = b"cos\nsystemX"
    assert ("os", "system") in fuzz_pickle.cpython_requests(data, fuzz_pickle.PY_UNPICKLER)
    assert "os.system" in fuzz_pickle.analyse(data)[0]


def test_fuzz_script_long_run_bounded(tmp_path: Path) -> None:
    """The script itself (generated and byte-mutated inputs, memory-capped), a bounded run."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "fuzz_pickle.py"), "--count", "3000", "--seed",
                           str(random.randrange(1 << 30)), "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "inputs run: 3,000" in done.stdout and "disagreements: 0" in done.stdout
    assert not list(tmp_path.iterdir())


def test_stub_never_imports() -> None:
    """The harness is honest: find_class records and returns a stub, so no module gets imported."""
    before = set(sys.modules)
    requests = fuzz_pickle.cpython_requests(b"cfuzz_never_imported\nf\n)R.", fuzz_pickle.C_UNPICKLER)
    assert requests == [("fuzz_never_imported", "f")]
    assert "fuzz_never_imported" not in set(sys.modules) - before
    assert pickle.loads(b"I1\n.") == 1
