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


def test_a_text_read_by_one_scan_is_not_read_again_by_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets and local-path scans share what they read (a weight index is megabytes)."""
    from releasekit.secrets import textfiles

    (tmp_path / "model.safetensors.index.json").write_text('{"weight_map": {"a": "b"}}' * 1000)
    (tmp_path / "README.md").write_text("# hello\n")
    release = walk(tmp_path)
    ctx = Context(release, Settings())
    reads: list[str] = []
    real = Context.read_bytes
    monkeypatch.setattr(Context, "read_bytes", lambda self, f, limit=1 << 20: reads.append(f.path) or real(self, f, limit))
    index = release.by_path("model.safetensors.index.json")
    first = textfiles.read_text_file(ctx, index, 1 << 20, 1 << 20)
    assert first is not None and first.raw.startswith('{"weight_map"')
    assert textfiles.read_text_file(ctx, index, 1 << 20, 1 << 20) is first
    assert reads == [index.path, index.path]  # the sniff, then the whole text: once
    smaller = textfiles.read_text_file(ctx, index, 100, 100)  # another cap is another text
    assert smaller is not None and len(smaller.raw) == 100 and smaller.truncated


def test_texts_are_kept_only_up_to_the_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A release of gigabytes of text must not be held in memory for the second scan."""
    from releasekit.secrets import textfiles

    monkeypatch.setattr(textfiles, "KEPT_TEXT_BYTES", 15_000)
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(name * 2_000)  # 10,000 characters each
    release = walk(tmp_path)
    ctx = Context(release, Settings())
    texts = [textfiles.read_text_file(ctx, release.by_path(n), 1 << 20, 1 << 20) for n in ("a.txt", "b.txt", "c.txt")]
    again = [textfiles.read_text_file(ctx, release.by_path(n), 1 << 20, 1 << 20) for n in ("a.txt", "b.txt", "c.txt")]
    assert again[0] is texts[0]  # kept
    assert again[1] is not texts[1] and again[1] == texts[1]  # over the budget: read again, same text
    assert again[2] == texts[2]
