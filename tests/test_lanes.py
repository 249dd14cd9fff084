"""Two lanes (weights in a forked process, the rest here) give the same report as one process,
and a lane that does not come back fails the run closed."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
from pathlib import Path

import pytest

from releasekit import engine, lanes
from releasekit.config import Settings
from releasekit.engine import audit, crash_finding, selected_checks
from releasekit.example import TINY_CONFIG, build_example, write_checkpoint
from releasekit.deepseek_layout import tensor_specs
from releasekit.formats import render
from releasekit.registry import Check, all_checks
from releasekit.release import FileKind, walk
from releasekit.safetensors_format import read_header

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not os.sys.platform.startswith("linux"),
                                reason="the second lane is used on Linux only; elsewhere every run is sequential")


def _sharded_release_with_findings(root: Path) -> Path:
    """Ten shards with a broken tensor, a leaked token in the card and a bad index entry: both
    lanes have findings, and the secrets check registers a value the weights lane must not show."""
    build_example(root)
    for shard in root.glob("*.safetensors"):
        shard.unlink()
    (root / "model.safetensors.index.json").unlink()
    specs = tensor_specs(TINY_CONFIG)
    write_checkpoint(root, specs[:-1], 10)  # the last tensor is missing: config-against-weights fires
    card = (root / "README.md").read_text()
    (root / "README.md").write_text(card + "\nDownload with hf_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bD1fH2k\n")
    return root


def _replace_check(monkeypatch: pytest.MonkeyPatch, target: Check, function: object) -> None:
    checks = [dataclasses.replace(c, function=function) if c is target else c for c in all_checks()]
    monkeypatch.setattr(engine, "all_checks", lambda: checks)


def _report(root: Path, jobs: int) -> dict[str, object]:
    report = audit(walk(root), Settings(), jobs=jobs)
    return json.loads(render(report, "json"))


def test_two_lanes_give_the_same_report_as_one(tmp_path: Path) -> None:
    root = _sharded_release_with_findings(tmp_path / "release")
    one, two = _report(root, 1), _report(root, 2)
    assert one == two
    rules = {f["rule"] for f in one["findings"]}
    assert {"RK501", "RK125"} <= rules  # the token (this lane), the missing output head (the other)
    assert "hf_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bD1fH2k" not in json.dumps(two)


def test_the_default_forks_only_for_a_sharded_checkpoint(tmp_path: Path) -> None:
    checks = selected_checks(Settings())
    big = _sharded_release_with_findings(tmp_path / "big")
    small = build_example(tmp_path / "small")
    assert lanes.worth_forking(walk(big), checks, None)
    assert not lanes.worth_forking(walk(small), checks, None)  # two shards: one process is faster
    assert lanes.worth_forking(walk(small), checks, 2)  # asked for
    assert not lanes.worth_forking(walk(big), checks, 1)  # --jobs 1
    weights_only = [c for c in checks if lanes.family(c) == "weights"]
    assert not lanes.worth_forking(walk(big), weights_only, 2)  # one lane: nothing to run beside it


def test_no_fork_while_another_thread_runs(tmp_path: Path) -> None:
    big = _sharded_release_with_findings(tmp_path / "big")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not lanes.worth_forking(walk(big), selected_checks(Settings()), 2)
    finally:
        stop.set()
        thread.join()


def test_the_weights_family_is_every_weights_check_and_nothing_else() -> None:
    weights, rest = lanes.split(all_checks())
    assert weights and all(c.name.startswith("weights_") for c in weights)
    assert not any(c.name.startswith("weights_") for c in rest)


@pytest.mark.parametrize("how", ["exit", "signal"])
def test_a_lane_that_dies_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """The child dies in the middle of the weights checks: every weights check becomes a crash
    error (RK001), the other lane's findings are kept, and the run fails."""
    root = build_example(tmp_path / "example")
    parent = os.getpid()
    target = next(c for c in all_checks() if c.name == "weights_structure.safetensors_structure")

    def dying(ctx):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:  # only in the child lane
            if how == "exit":
                os._exit(3)
            os.kill(os.getpid(), signal.SIGKILL)
        yield from ()

    _replace_check(monkeypatch, target, dying)
    report = audit(walk(root), Settings(), jobs=2)
    crashes = [f for f in report.findings if f.rule == "RK001"]
    weights = lanes.split(selected_checks(Settings()))[0]
    assert len(crashes) == len(weights)
    why = "exited with status 3" if how == "exit" else f"killed by signal {int(signal.SIGKILL)}"
    assert all(why in f.message and "were not applied" in f.message for f in crashes)
    assert report.failed
    assert "openness" in report.sections  # this lane's work is kept


def test_a_check_that_raises_in_the_child_is_the_same_crash_finding_as_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_example(tmp_path / "example")
    target = next(c for c in all_checks() if c.name == "weights_fp8.fp8_block_scales")

    def broken(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")
        yield

    _replace_check(monkeypatch, target, broken)
    one, two = (audit(walk(root), Settings(), jobs=j) for j in (1, 2))
    assert one.findings == two.findings
    assert [f.message for f in two.findings if f.rule == "RK001"] == [
        crash_finding(target, "crashed: RuntimeError: boom").message]
    assert two.failed


def test_an_unreadable_result_is_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_example(tmp_path / "example")
    parent = os.getpid()
    real = lanes.run_lane

    def garbled(checks, ctx, run):  # type: ignore[no-untyped-def]
        result = real(checks, ctx, run)
        if os.getpid() != parent:
            return dataclasses.replace(result, findings=[[lambda: None]])  # cannot be pickled
        return result

    monkeypatch.setattr(lanes, "run_lane", garbled)
    report = audit(walk(root), Settings(), jobs=2)
    crashes = [f for f in report.findings if f.rule == "RK001"]
    assert crashes and all("exited with status 70" in f.message for f in crashes)


# --- the header hand-over: the parent parses half of the shards' headers for the child -------------

def test_the_hand_over_delivers_exactly_what_the_child_would_parse(tmp_path: Path) -> None:
    root = _sharded_release_with_findings(tmp_path / "release")
    shards = walk(root).of_kind(FileKind.SAFETENSORS)
    read_end, write_end = os.pipe()
    handover = lanes._shared_memory(lanes.HANDOVER_BYTES)
    assert handover is not None
    lanes._send_headers(shards[5:], write_end, handover)
    os.close(write_end)
    helper = lanes.PipeHelper(read_end, frozenset(f.path for f in shards[5:]), handover)
    assert helper.promised(lanes.HEADERS_KEY, read_header) == {f.path for f in shards[5:]}
    assert helper.promised("something else", read_header) == frozenset()
    assert helper.results(lanes.HEADERS_KEY, read_header) == {f.path: read_header(f.abspath) for f in shards[5:]}


def test_a_hand_over_too_large_for_its_room_is_not_sent(tmp_path: Path) -> None:
    """The child is told there is nothing to take (it parses those headers itself)."""
    root = _sharded_release_with_findings(tmp_path / "release")
    shards = walk(root).of_kind(FileKind.SAFETENSORS)
    read_end, write_end = os.pipe()
    handover = lanes._shared_memory(256)  # far less than ten headers need
    assert handover is not None
    lanes._send_headers(shards[5:], write_end, handover)
    os.close(write_end)
    helper = lanes.PipeHelper(read_end, frozenset(f.path for f in shards[5:]), handover)
    assert helper.results(lanes.HEADERS_KEY, read_header) == {}


def test_without_shared_memory_nothing_is_promised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the mapping cannot be made, the child parses every header and the report is the same."""
    root = _sharded_release_with_findings(tmp_path / "release")
    helper = lanes.PipeHelper(0, frozenset({"model-00001-of-00010.safetensors"}), None)
    assert helper.promised(lanes.HEADERS_KEY, read_header) == frozenset()
    expected = _report(root, 1)
    monkeypatch.setattr(lanes, "_shared_memory", lambda size: None)
    assert _report(root, 2) == expected


def test_a_broken_hand_over_costs_time_not_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent sends garbage instead of headers: the child parses them itself, same report."""
    root = _sharded_release_with_findings(tmp_path / "release")

    def garbage(files, length_end, handover):  # type: ignore[no-untyped-def]
        handover.write(b"not a pickle")
        os.write(length_end, lanes._LENGTH.pack(len(b"not a pickle")))

    def too_long(files, length_end, handover):  # type: ignore[no-untyped-def]
        os.write(length_end, lanes._LENGTH.pack(len(handover) + 1))

    def nothing(files, length_end, handover):  # type: ignore[no-untyped-def]
        pass  # not even a length: the child reads the end of the pipe

    def raising(files, length_end, handover):  # type: ignore[no-untyped-def]
        raise MemoryError("parsing the parent's share")  # the child must not wait for a length forever

    expected = _report(root, 1)
    for broken in (garbage, too_long, nothing):
        monkeypatch.setattr(lanes, "_send_headers", broken)
        assert _report(root, 2) == expected, broken.__name__
    monkeypatch.setattr(lanes, "_send_headers", raising)
    with pytest.raises(MemoryError):  # raised here, after the child was collected (no hang, no orphan)
        _report(root, 2)


def test_map_files_takes_the_helpers_share_and_computes_the_rest(tmp_path: Path) -> None:
    """Promised paths come from the helper (or are computed when it fails to deliver one), the
    rest are computed here, and the map keeps the files' order."""
    from releasekit.context import Context

    root = build_example(tmp_path / "example")
    release = walk(root)
    files = release.regular_files()
    promised = frozenset(f.path for f in files[1::2])
    delivered = sorted(promised)[1:]  # one promised path never arrives

    class Helper:
        def promised(self, key, function):  # type: ignore[no-untyped-def]
            return promised if key == "sizes" else frozenset()

        def results(self, key, function):  # type: ignore[no-untyped-def]
            return {path: ("helped", path) for path in delivered}

    ctx = Context(release, Settings())
    ctx.helper = Helper()
    computed = ctx.map_files("sizes", files, lambda p: ("here", os.path.getsize(p)))
    assert list(computed) == [f.path for f in files]
    for f in files:
        if f.path in delivered:
            assert computed[f.path] == ("helped", f.path)
        else:
            assert computed[f.path] == ("here", f.size)


def test_no_second_process_to_be_had_means_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fork() failing (out of processes or memory) runs every check here: the same report."""
    root = _sharded_release_with_findings(tmp_path / "release")
    expected = _report(root, 1)
    before = len(os.listdir("/proc/self/fd"))

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert _report(root, 2) == expected
    assert len(os.listdir("/proc/self/fd")) == before  # the pipes made for it are closed


def test_progress_hears_of_every_check_and_ends_at_the_total(tmp_path: Path) -> None:
    """The terminal display clears itself at the last check: with two lanes it still hears of
    every check once, counting up to the total (the other lane's when they come back)."""
    root = _sharded_release_with_findings(tmp_path / "release")
    calls: list[tuple[str, int, int]] = []
    audit(walk(root), Settings(), jobs=2, progress=lambda name, done, total: calls.append((name, done, total)))
    checks = selected_checks(Settings())
    assert sorted(name for name, _, _ in calls) == sorted(c.name for c in checks)
    assert [done for _, done, _ in calls] == list(range(len(checks)))
    assert {total for _, _, total in calls} == {len(checks)}
