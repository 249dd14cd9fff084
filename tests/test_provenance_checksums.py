"""SHA256SUMS is accepted by the real `sha256sum -c`, odd names included, and catches a changed byte."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from releasekit.provenance import write_sha256sums
from releasekit.provenance.checksums import ChecksumsFormatError, parse_sha256sums

needs_sha256sum = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum is not installed")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))


NAMES = ["plain.txt", "with space.bin", "back\\slash.py", "new\nline.md", "cr\rname", "dir/ü-nicode.json"]


@needs_sha256sum
def test_sha256sum_check_accepts_the_file(tmp_path, run_cli):
    root = tmp_path / "r"
    for i, name in enumerate(NAMES):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(bytes([i]) * (i * 1000 + 1))
    result = run_cli("checksums", root)
    assert result.exit_code == 0, result
    assert "6 files" in result.stdout
    check = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=root, capture_output=True)
    assert check.returncode == 0, check.stderr
    assert check.stdout.count(b": OK") == len(NAMES)
    assert set(parse_sha256sums((root / "SHA256SUMS").read_bytes())) == set(NAMES)
    with open(root / "with space.bin", "r+b") as handle:
        handle.seek(500)
        handle.write(b"\xff")
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=root, capture_output=True)
    assert check.returncode == 1 and b"with space.bin: FAILED" in check.stdout


@needs_sha256sum
def test_output_outside_the_release_and_own_file_not_listed(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    (root / "a.txt").write_text("a")
    assert write_sha256sums(root, tmp_path / "SUMS") == 1
    assert write_sha256sums(root, root / "custom.sums") == 1  # its own output is never listed
    check = subprocess.run(["sha256sum", "-c", str(tmp_path / "SUMS")], cwd=root, capture_output=True)
    assert check.returncode == 0


@pytest.mark.parametrize("text", ["zz  a.txt\n", f"{'0' * 64}a.txt\n", f"{'0' * 64}  a\n{'1' * 64}  a\n"])
def test_malformed_lines_are_refused(text):
    with pytest.raises(ChecksumsFormatError, match="line"):
        parse_sha256sums(text.encode())
