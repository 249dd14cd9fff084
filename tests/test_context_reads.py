"""`Context.read_bytes`: at most `limit` bytes from the start, whatever the file's size says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from releasekit.config import Settings
from releasekit.context import Context
from releasekit.release import walk


def _ctx_and_file(tmp_path: Path, content: bytes) -> tuple[Context, object]:
    (tmp_path / "data.bin").write_bytes(content)
    release = walk(tmp_path)
    return Context(release, Settings()), release.by_path("data.bin")


@pytest.mark.parametrize(("size", "limit"), [(0, 10), (5, 10), (10, 10), (11, 10), (100_000, 4096), (3, 1)])
def test_reads_at_most_limit_bytes_from_the_start(tmp_path: Path, size: int, limit: int) -> None:
    content = bytes(range(256)) * (size // 256 + 1)
    ctx, file = _ctx_and_file(tmp_path, content[:size])
    assert ctx.read_bytes(file, limit) == content[:size][:limit]


def test_a_file_that_grew_after_its_size_was_taken_is_read_on_up_to_the_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size is only a hint for the allocation: a file that is longer than it said (it grew, or
    a filesystem reports 0) is still read up to the limit."""
    ctx, file = _ctx_and_file(tmp_path, b"x" * 5000)
    real = os.fstat

    class Small:
        def __init__(self, st: os.stat_result) -> None:
            self.st_size = 10
            self.st_mode = st.st_mode

    monkeypatch.setattr(os, "fstat", lambda fd: Small(real(fd)))
    assert ctx.read_bytes(file, 4096) == b"x" * 4096
    assert ctx.read_bytes(file, 10_000) == b"x" * 5000
