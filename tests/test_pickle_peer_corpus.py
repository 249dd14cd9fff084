"""Peer corpora: every malicious sample is caught, and no benign sample is a false alarm.

The samples (tests/pickle_corpus/peers.py) regenerate in code what the public suites of picklescan,
modelscan, fickling and ModelAudit test, plus issue 11's bypasses. The figures in docs/pickles.md
come from `benchmarks/bench_pickle.py --corpus` (which also runs picklescan when it is installed).
"""

from __future__ import annotations

from pathlib import Path

from pickle_corpus.peers import PEER_BENIGN, benign_samples, malicious_samples
from releasekit.checks.pickle import scan_file
from releasekit.findings import Severity


def _errors(path: Path) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in scan_file(path, display_path=path.name) if f.severity is Severity.ERROR]


def test_every_malicious_sample_is_caught(tmp_path: Path) -> None:
    samples = malicious_samples(tmp_path)
    missed = [sample_id for sample_id, path in samples if not _errors(path)]
    assert missed == [], f"{len(samples) - len(missed)}/{len(samples)} caught; missed {missed}"
    assert len(samples) >= 75
    assert not (tmp_path / "MARKER").exists()


def test_no_benign_sample_is_a_false_alarm(tmp_path: Path) -> None:
    samples = benign_samples(tmp_path)
    alarms = {sample_id: _errors(path) for sample_id, path in samples if _errors(path)}
    assert alarms == {}, f"{len(alarms)}/{len(samples)} false alarms"
    assert {sample_id for sample_id, _ in samples} >= set(PEER_BENIGN)


def test_each_benign_decision_is_narrow(tmp_path: Path) -> None:
    """Allowing the benign names does not let a call of something else through, nor the name
    reached another way: ABCs and len are allowed as they are, not as a door to other callables."""
    for name, data in {
        "abc-other.pkl": b"\x80\x02ccollections.abc\nCallable\n.",  # only the listed ABCs
        "future-other.pkl": b"\x80\x02c__future__\n_Feature\n.",
        "len-of-system.pkl": b"\x80\x02cbuiltins\nlen\ncposix\nsystem\n\x85R.",
    }.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert _errors(path), name
