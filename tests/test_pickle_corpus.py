"""The malicious corpus: every gadget family and bypass is an error, and nothing ever runs.

Each case in `pickle_corpus.malicious.CASES` names its source (an advisory, a scanner's test, a
paper). The payloads would only create a marker file; scanning must report an error, name the
expected callables, and leave the marker absent. `test_payloads_are_live` loads the cases that have
a `loader` in a throwaway subprocess, to prove the corpus holds working exploits and not strings
that merely look like them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pickle_corpus.live import LIVE_RUNNER
from pickle_corpus.malicious import CASES, Case
from releasekit.findings import Severity
from releasekit.checks.pickle import scan_file


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malicious_case_is_an_error_and_never_runs(case: Case, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    name, data = case.build(marker)
    path = tmp_path / name
    path.write_bytes(data)
    findings = scan_file(path, display_path=name)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert errors, f"{case.id} ({case.source}): no error finding: {findings}"
    assert not [f for f in findings if f.rule == "RK205"], "a malicious file must not be called safe"
    rules = {f.rule for f in errors}
    for rule in case.rules:
        assert rule in rules, f"{case.id}: expected {rule}, got {[(f.rule, f.message) for f in errors]}"
    flagged = " ".join(f.message for f in errors if f.rule == "RK201")
    for name_ in case.expect:
        assert f" {name_} " in flagged, f"{case.id}: {name_} not named in {flagged!r}"
    assert all(f.path == name for f in findings)
    assert not marker.exists(), "scanning must never execute the payload"


def test_corpus_covers_the_families_named_in_the_issue() -> None:
    ids = {c.id for c in CASES}
    for family in ("pydoc-pipepager", "code-interactive-interpreter", "runpy-run-code", "functools-partial",
                   "operator-methodcaller", "torch-hub-load", "torch-serialization-load", "site-pth", "inner-pickle",
                   "memo-names", "stack-global-computed", "misleading-extension", "zip-local-name", "zip-flag-0x01",
                   "zip-crc", "several-pickles", "legacy-checkpoint", "npy-object", "npz-object", "joblib-gzip"):
        assert family in ids, family
    assert len(ids) == len(CASES)
    assert all(c.source for c in CASES)




def test_payloads_are_live(tmp_path: Path) -> None:
    """Load every case that has a loader, in a subprocess inside tmp_path: each must create its marker."""
    jobs = []
    for case in CASES:
        if case.loader is None:
            continue
        folder = tmp_path / case.id
        folder.mkdir()
        marker = folder / "MARKER"
        name, data = case.build(marker)
        (folder / name).write_bytes(data)
        jobs.append((case.id, case.loader, str(folder / name), str(marker)))
    done = subprocess.run([sys.executable, "-c", LIVE_RUNNER, json.dumps(jobs)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=240, stdin=subprocess.DEVNULL)
    results = json.loads(done.stdout.strip().splitlines()[-1])
    dead = sorted(case_id for case_id, fired in results.items() if not fired)
    assert not dead, f"payloads that did not fire when loaded: {dead}\n{done.stderr[-3000:]}"
    assert len(results) >= 40
