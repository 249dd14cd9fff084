"""Issue 11: every class of bypass found, built in code, live under its loader, and an error in check.

Each case is a file that, added to the bundled example release, carried a payload past the audit.
`test_payloads_are_live` loads every case with the ordinary loader in a throwaway subprocess and
checks that its marker file appears (so the corpus is real exploits, not look-alikes);
`test_check_fails_on_the_example_release_plus_the_file` runs `releasekit check` on the example
release with the file added and requires exit 1, an error finding naming the file, and no marker.
"""

from __future__ import annotations

import json
import lzma
import subprocess
import sys
from pathlib import Path

import pytest

from pickle_corpus.live import LIVE_RUNNER
from pickle_corpus.bypasses import BYPASSES, Bypass, _proto2
from releasekit.example import build_example
from releasekit.pickles import budget as budget_module




def _live(cases: list[tuple[str, str, Path, Path]], cwd: Path) -> dict[str, bool]:
    jobs = [(case_id, loader, str(path), str(marker)) for case_id, loader, path, marker in cases]
    done = subprocess.run([sys.executable, "-c", LIVE_RUNNER, json.dumps(jobs)], cwd=cwd, capture_output=True,
                          text=True, timeout=240, stdin=subprocess.DEVNULL)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_payloads_are_live(tmp_path: Path) -> None:
    cases = []
    for case in BYPASSES:
        folder = tmp_path / case.id
        folder.mkdir()
        marker = folder / "MARKER"
        (folder / case.name).write_bytes(case.build(marker))
        cases.append((case.id, case.loader, folder / case.name, marker))
    results = _live(cases, tmp_path)
    assert sorted(k for k, fired in results.items() if not fired) == []
    assert len(results) == len(BYPASSES)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example(tmp_path_factory.mktemp("example") / "release")


def _check(run_cli, release: Path) -> tuple[int, list[dict]]:
    result = run_cli("check", release, "--format", "json")
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_the_example_release_passes(run_cli, example: Path) -> None:
    code, findings = _check(run_cli, example)
    assert code == 0, [f for f in findings if f["severity"] == "error"]


@pytest.mark.parametrize("case", BYPASSES, ids=[c.id for c in BYPASSES])
def test_check_fails_on_the_example_release_plus_the_file(case: Bypass, run_cli, example: Path,
                                                          tmp_path: Path) -> None:
    release = tmp_path / "release"
    subprocess.run(["cp", "-r", str(example), str(release)], check=True)
    marker = tmp_path / "MARKER"
    (release / case.name).write_bytes(case.build(marker))
    code, findings = _check(run_cli, release)
    errors = [f for f in findings if f["severity"] == "error" and f["path"] == case.name]
    assert code == 1 and errors, f"{case.klass}: {findings}"
    assert any(f["rule"] == "RK201" and "posix.system" in f["message"] for f in errors) \
        or case.id == "frame-straddle" and any(f["rule"] == "RK203" for f in errors), errors
    assert not marker.exists()


def _cheap(marker: Path, count: int) -> bytes:
    """`count` NONE/POP pairs, then the payload: tiny once compressed, slow to walk."""
    return lzma.compress(b"\x80\x02" + b"N0" * count + _proto2(marker)[2:])


def test_budget_cheap_opcodes_live_and_over_budget(run_cli, example: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Class 4: a small xz file of cheap opcodes; over the budget it is an error, never a hang or a pass."""
    folder = tmp_path / "live"
    folder.mkdir()
    marker = folder / "MARKER"
    data = _cheap(marker, 300_000)
    assert len(data) < 8 << 10
    (folder / "state.xz").write_bytes(data)
    assert _live([("cheap", "joblib", folder / "state.xz", marker)], tmp_path) == {"cheap": True}
    monkeypatch.setattr(budget_module, "DEFAULT_LIMITS", budget_module.Limits(file_opcodes=100_000))
    release = tmp_path / "release"
    subprocess.run(["cp", "-r", str(example), str(release)], check=True)
    (release / "state.xz").write_bytes(_cheap(tmp_path / "MARKER2", 300_000))
    code, findings = _check(run_cli, release)
    assert code == 1
    assert any(f["path"] == "state.xz" and f["rule"] == "RK203" and "not fully analysed" in f["message"]
               for f in findings), findings


def test_budget_wall_time_stops_a_file_and_then_the_run(tmp_path: Path) -> None:
    """Wall time is counted per file and per run: a clock that jumps stops the analysis at once."""
    from releasekit.pickles import Budget, Limits, allowlist_for, scan

    now = [0.0]

    def clock() -> float:
        now[0] += 1.0
        return now[0]

    path = tmp_path / "state.xz"
    path.write_bytes(_cheap(tmp_path / "MARKER", 200_000))
    budget = Budget(Limits(file_seconds=3, run_seconds=8), clock=clock)
    first = scan(path, display_path="state.xz", allowlist=allowlist_for([]), budget=budget)
    assert any("not fully analysed" in p.message and "s" in p.message for p in first.problems)
    for _ in range(4):
        later = scan(path, display_path="state.xz", allowlist=allowlist_for([]), budget=budget)
    assert any("run's budget" in p.message for p in later.problems), later.problems
