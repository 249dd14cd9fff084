"""The one walk of the release folder: kinds, symlinks never followed, .git never descended."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releasekit.errors import NotAReleaseError
from releasekit.release import FileKind, ReleaseFile, walk


def test_kinds_by_name_and_content(make_release) -> None:
    root = make_release({
        "README.md": "# card", "LICENSE": "MIT", "docs/LICENSE-THIRD-PARTY.txt": "x", "config.json": {},
        "model.safetensors": b"\0" * 8, "pytorch_model.bin": b"PK\x03\x04", "inference/model.py": "pass",
        "paper/report.pdf": b"%PDF", "tokenizer.model": b"\x0a\x0b", "notes/README.md": "# notes",
        "weights.txt": b"\x80\x04\x95rest",  # a pickle whatever its name says
        "arrays.data": b"\x93NUMPY\x01\x00",
    })
    kinds = {f.path: f.kind for f in walk(root).files}
    assert kinds == {
        "README.md": FileKind.CARD, "LICENSE": FileKind.LICENSE, "docs/LICENSE-THIRD-PARTY.txt": FileKind.LICENSE,
        "config.json": FileKind.CONFIG, "model.safetensors": FileKind.SAFETENSORS,
        "pytorch_model.bin": FileKind.PICKLE, "inference/model.py": FileKind.CODE,
        "paper/report.pdf": FileKind.DOCUMENT, "tokenizer.model": FileKind.OTHER,
        # Text formats are not sniffed by the walk (the pickle rules scan content); binary or unknown ones are.
        "notes/README.md": FileKind.DOCUMENT, "weights.txt": FileKind.DOCUMENT, "arrays.data": FileKind.PICKLE,
    }


def test_sizes_and_posix_relative_paths(make_release) -> None:
    root = make_release({"a/b/c.json": "{}", "x.bin": b"12345"})
    files = {f.path: f.size for f in walk(root).files}
    assert files == {"a/b/c.json": 2, "x.bin": 5}
    assert walk(root).directories == ("a", "a/b")


def test_symlinks_are_recorded_never_followed(make_release, tmp_path: Path) -> None:
    outside = tmp_path / "secret-dir"
    outside.mkdir()
    (outside / "id_rsa").write_text("private")
    root = make_release({"config.json": "{}"})
    (root / "escape").symlink_to(outside)
    (root / "abs.json").symlink_to(root / "config.json")  # absolute, even though it points inside
    (root / "rel.json").symlink_to("config.json")
    (root / "loop").symlink_to("loop")
    release = walk(root)
    links = {f.path: (f.link_target, f.link_inside) for f in release.symlinks()}
    assert links == {
        "escape": (str(outside), False),
        "abs.json": (str(root / "config.json"), False),
        "rel.json": ("config.json", True),
        "loop": ("loop", False),
    }
    assert not any(f.path.startswith("escape/") for f in release.files)
    assert [f.path for f in release.regular_files()] == ["config.json"]


def test_git_folder_is_pruned(make_release) -> None:
    root = make_release({".git/objects/ab/cdef": b"x", ".git/config": "[core]", "README.md": "# x"})
    release = walk(root)
    assert release.pruned == (".git",)
    assert [f.path for f in release.files] == ["README.md"]


def test_unreadable_folder_is_recorded(make_release, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permissions cannot stop root (CI runs as root), so the failure is injected at os.scandir."""
    root = make_release({"a/b.txt": "x", "c.txt": "y"})
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path).name == "a":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    release = walk(root)
    assert release.unreadable == ("a",)
    assert [f.path for f in release.files] == ["c.txt"]


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(NotAReleaseError, match="no such file"):
        walk(tmp_path / "missing")
    (tmp_path / "f").write_text("x")
    with pytest.raises(NotAReleaseError, match="not a folder"):
        walk(tmp_path / "f")


def test_safetensors_whose_header_length_looks_like_a_pickle_proto(make_release) -> None:
    """A header length of 0x0280 + ... begins with the bytes of PROTO 2: still a safetensors file."""
    import struct

    root = make_release({"model.safetensors": struct.pack("<Q", 0x0280) + b"{" + b" " * 0x27F})
    assert walk(root).by_path("model.safetensors").kind is FileKind.SAFETENSORS  # type: ignore[union-attr]


def test_named_pipe_is_reported_never_opened(make_release, run_cli) -> None:
    """Opening a FIFO blocks forever: the walk must not read it, and the report must say so."""
    root = make_release({"README.md": "# x"})
    os.mkfifo(root / "pipe")
    release = walk(root)
    assert release.special == (("pipe", "a named pipe (FIFO)"),)
    assert "pipe" not in [f.path for f in release.files]
    result = run_cli("check", root, "--select", "engine", "--format", "json")
    assert result.exit_code == 1
    assert [(f["rule"], f["path"]) for f in result.json()["findings"]] == [("RK003", "pipe")]


_SEGMENT = st.text(alphabet=st.sampled_from("ab.-_ XY1é"), min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))


@given(st.lists(_SEGMENT, min_size=1, max_size=4))
def test_name_suffix_and_parent_are_what_pure_posix_path_says(segments: list[str]) -> None:
    """The string shortcuts give PurePosixPath's answers for any relative path the walk makes."""
    path = "/".join(segments)
    file = ReleaseFile(path=path, abspath=Path("/x") / path, size=0, kind=FileKind.OTHER)
    pure = PurePosixPath(path)
    assert file.name == pure.name
    assert file.suffix == pure.suffix.lower()
    assert file.parent == ("" if str(pure.parent) == "." else str(pure.parent))
