"""The one hashing pass: digests equal hashlib's and sha256sum's, the cache saves reads but never lies."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from releasekit.provenance import HashingError, hash_release
from releasekit.provenance import hashing
from releasekit.provenance.api import hash_content
from releasekit.provenance.cache import DigestCache


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))


def _tree(root: Path) -> Path:
    root.mkdir()
    (root / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    (root / "empty.txt").write_bytes(b"")
    (root / "sub").mkdir()
    (root / "sub" / "code.py").write_text("print('hi')\n")
    return root


def test_digests_equal_hashlib_across_chunk_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(hashing, "CHUNK", 64 * 1024)  # many chunks, odd tail, SHA-1 on the helper thread
    root = _tree(tmp_path / "r")
    digests = hash_release(root, use_cache=False)
    assert set(digests) == {"big.bin", "empty.txt", "sub/code.py"}
    for rel, d in digests.items():
        data = (root / rel).read_bytes()
        assert (d.size, d.sha1, d.sha256) == (len(data), hashlib.sha1(data).hexdigest(), hashlib.sha256(data).hexdigest())


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum is not installed")
def test_sha256_equals_sha256sum(tmp_path):
    root = _tree(tmp_path / "r")
    digests = hash_release(root)
    out = subprocess.run(["sha256sum", "big.bin", "empty.txt", "sub/code.py"], cwd=root, capture_output=True,
                         text=True, check=True).stdout
    expected = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in out.splitlines()}
    assert {p: d.sha256 for p, d in digests.items()} == expected


def test_cache_reuses_unchanged_files_and_rereads_edited_ones(tmp_path):
    root = _tree(tmp_path / "r")
    first = hash_content(root)
    assert first.cache_hits == 0
    second = hash_content(root)
    assert second.cache_hits == 3 and second.digests == first.digests
    # Same size, mtime set back: ctime still moves, so the edit is seen.
    path = root / "sub" / "code.py"
    st = path.stat()
    path.write_text("print('HI')\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    third = hash_content(root)
    assert third.cache_hits == 2
    assert third.digests["sub/code.py"].sha256 == hashlib.sha256(b"print('HI')\n").hexdigest()


def test_cache_lives_outside_the_release_and_a_corrupt_cache_is_ignored(tmp_path):
    root = _tree(tmp_path / "r")
    hash_content(root)
    cache = DigestCache(root)
    assert cache.path.is_file() and root.resolve() not in cache.path.resolve().parents
    assert sorted(p.name for p in root.rglob("*")) == ["big.bin", "code.py", "empty.txt", "sub"]
    cache.path.write_text("{not json")
    again = hash_content(root)
    assert again.cache_hits == 0 and len(again.digests) == 3
    # A cache that lies about a digest for a different stamp is not believed.
    data = {"format": 1, "root": str(root.resolve()), "files": {"empty.txt": {
        "size": 0, "mtime_ns": 1, "ctime_ns": 1, "inode": 1, "device": 1, "sha1": "0" * 40, "sha256": "0" * 64}}}
    cache.path.write_text(json.dumps(data))
    assert hash_release(root)["empty.txt"].sha256 == hashlib.sha256(b"").hexdigest()


def test_fifo_is_a_failure_not_a_hang(tmp_path):
    root = _tree(tmp_path / "r")
    os.mkfifo(root / "pipe")
    hashed = hash_content(root, use_cache=False)
    assert "pipe" in hashed.failures
    with pytest.raises(HashingError, match="pipe"):
        hash_release(root, use_cache=False)


def test_symlink_content_is_hashed_and_a_broken_link_fails(tmp_path):
    root = _tree(tmp_path / "r")
    (root / "link.bin").symlink_to("big.bin")
    digests = hash_release(root, use_cache=False)
    assert digests["link.bin"] == digests["big.bin"]
    (root / "dangling").symlink_to("nowhere")
    assert "missing" in hash_content(root, use_cache=False).failures["dangling"]


def test_provenance_files_and_staging_are_not_content(tmp_path):
    root = _tree(tmp_path / "r")
    for name in ("SHA256SUMS", "release.spdx.json", "release.cdx.json", "model.sig"):
        (root / name).write_text("x")
    (root / ".releasekit").mkdir()
    (root / ".releasekit" / "staged").write_text("x")
    (root / "sub" / "SHA256SUMS").write_text("only the root's provenance files are excluded")
    (root / "evil.spdx.json").write_text("a look-alike name is content")
    assert set(hash_release(root)) == {"big.bin", "empty.txt", "sub/code.py", "sub/SHA256SUMS", "evil.spdx.json"}
