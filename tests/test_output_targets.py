"""`check --output` writes where the user pointed, and never destroys what is not a report file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest


@pytest.fixture
def release(make_release) -> Path:
    return make_release({"README.md": "# m\n"})


def test_new_file_gets_the_umask_mode(release, run_cli, tmp_path) -> None:
    old = os.umask(0o022)
    try:
        out = tmp_path / "report.json"
        assert run_cli("check", release, "--fail-on", "never", "--format", "json", "--output", out).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert '"schema_version"' in out.read_text()


def test_replacing_a_file_keeps_its_mode(release, run_cli, tmp_path) -> None:
    out = tmp_path / "report.txt"
    out.write_text("old")
    out.chmod(0o640)
    run_cli("check", release, "--fail-on", "never", "--output", out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and "PASS" in out.read_text()


def test_a_symlink_is_written_through_and_kept(release, run_cli, tmp_path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    run_cli("check", release, "--fail-on", "never", "--output", link)
    assert link.is_symlink() and "PASS" in target.read_text()


def test_a_fifo_is_written_through(release, run_cli, tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run_cli("check", release, "--fail-on", "never", "--output", fifo)
    reader.join(timeout=30)
    assert result.exit_code == 0 and b"PASS" in got[0]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_is_written_through_not_replaced(release, run_cli) -> None:
    assert run_cli("check", release, "--fail-on", "never", "--output", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_is_refused(release, run_cli, tmp_path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    link = tmp_path / "to-folder"
    link.symlink_to(folder)
    result = run_cli("check", release, "--fail-on", "never", "--output", link)
    assert result.exit_code == 2 and "is a directory" in result.stderr and link.is_symlink()
    assert len(result.stderr.strip().splitlines()) == 1, "usage errors are one line"
    assert not any(folder.iterdir())


def test_write_output_refuses_a_folder(tmp_path) -> None:
    """The library refuses too, for callers that bypass the CLI's own validation."""
    from releasekit.errors import ReleasekitError
    from releasekit.fsutil import write_output

    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ReleasekitError, match="refusing to replace it"):
        write_output(folder, b"x")


@pytest.mark.parametrize("target", ["/dev/null", "link", "fifo"])
def test_write_atomic_never_replaces_what_is_not_a_file(tmp_path, target) -> None:
    """The lowest layer refuses too: every command's writes go through it."""
    from releasekit.errors import ReleasekitError
    from releasekit.fsutil import write_atomic

    if target == "link":
        (tmp_path / "real").write_text("x")
        (tmp_path / "link").symlink_to(tmp_path / "real")
    elif target == "fifo":
        os.mkfifo(tmp_path / "fifo")
    path = Path(target) if target.startswith("/") else tmp_path / target
    with pytest.raises(ReleasekitError, match="not a regular file"):
        write_atomic(path, b"data")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_also_writes_through_a_fifo_as_output_does(release, run_cli, tmp_path) -> None:
    fifo = tmp_path / "sarif-pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run_cli("check", release, "--fail-on", "never", "--also", f"sarif={fifo}")
    reader.join(timeout=30)
    assert result.exit_code == 0 and b'"version": "2.1.0"' in got[0] and stat.S_ISFIFO(os.lstat(fifo).st_mode)
