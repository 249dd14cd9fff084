"""Hygiene rules over release folders: symlinks, junk, core dumps, empty files, git, settings."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from releasekit.engine import check_path
from releasekit.findings import Severity
from releasekit.hygiene.junk import core_dump_format
from releasekit.report import Report


def hygiene(root: Path) -> Report:
    return check_path(root, select="hygiene")


def found(report: Report) -> set[tuple[str, str]]:
    return {(f.rule, f.path) for f in report.findings}


# Symlinks ------------------------------------------------------------------------------------


def test_symlinks_absolute_outside_dangling_and_fine(make_release, tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("not for release\n")
    root = make_release({"config.json": {"a": 1}, "sub/x.txt": "x\n"})
    (root / "absolute").symlink_to(secret)
    (root / "absolute_inside").symlink_to(root / "config.json")  # absolute, even though it lands inside
    (root / "escape").symlink_to("../" + tmp_path.name + "/id_rsa")
    (root / "sub" / "escape_deep").symlink_to("../../id_rsa")
    (root / "dangling").symlink_to("missing.json")
    (root / "fine").symlink_to("config.json")
    (root / "fine_dir").symlink_to("sub")
    (root / "sub" / "fine_up").symlink_to("../config.json")
    (root / "through_link").symlink_to("fine_dir/x.txt")
    report = hygiene(root)
    assert found(report) == {
        ("RK601", "absolute"), ("RK601", "absolute_inside"), ("RK601", "escape"),
        ("RK601", "sub/escape_deep"), ("RK602", "dangling"),
    }
    errors = {f.path: f for f in report.findings if f.rule == "RK601"}
    assert "absolute path" in errors["absolute"].message
    assert "outside the release" in errors["escape"].message
    assert all(f.severity is Severity.ERROR for f in errors.values())


def test_symlink_loop_is_reported_not_followed(make_release) -> None:
    root = make_release({"a.txt": "a\n"})
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    report = hygiene(root)  # must return, not hang or crash
    assert {r for r, _ in found(report)} <= {"RK601", "RK602"}
    assert "RK001" not in {f.rule for f in report.findings}


# Junk ----------------------------------------------------------------------------------------


JUNK_FILES = [
    ".DS_Store", "sub/.DS_Store", "Thumbs.db", "desktop.ini", "._model.safetensors", "old.pyc", "notes.txt~",
    ".train.py.swp", "train.py.swo", "config.json.orig", "patch.rej", "model.safetensors.bak", "#draft.md#",
    ".#train.py", "nohup.out",
]


@pytest.mark.parametrize("path", JUNK_FILES)
def test_junk_files_are_warnings(path: str, make_release) -> None:
    root = make_release({path: "x", "config.json": {}})
    report = hygiene(root)
    assert found(report) == {("RK604", path)}
    assert report.findings[0].severity is Severity.WARNING


@pytest.mark.parametrize(("files", "folder", "reason"), [
    ({"pkg/__pycache__/mod.cpython-311.pyc": "x", "pkg/__pycache__/b.pyc": "x"}, "pkg/__pycache__", "bytecode"),
    ({"notebooks/.ipynb_checkpoints/demo-checkpoint.ipynb": "{}"}, "notebooks/.ipynb_checkpoints", "Jupyter"),
    ({".pytest_cache/v/cache/lastfailed": "{}"}, ".pytest_cache", "pytest"),
    ({"wandb/run-20240101_000000-abc/files/config.yaml": "a: 1", "wandb/latest-run": "x"}, "wandb", "Weights & Biases"),
    ({"venv/pyvenv.cfg": "home = /usr/bin", "venv/lib/python3.11/site-packages/x.py": "x"}, "venv", "virtual environment"),
    ({".idea/workspace.xml": "<x/>"}, ".idea", "JetBrains"),
])
def test_junk_folders_are_reported_once(files: dict, folder: str, reason: str, make_release) -> None:
    root = make_release({**files, "config.json": {}})
    report = hygiene(root)
    assert found(report) == {("RK604", folder)}
    assert reason in report.findings[0].message


def test_look_alikes_of_junk_are_not_junk(make_release) -> None:
    root = make_release({
        "wandb/__init__.py": "# an integration module, not a run folder\n",
        "inference/core.py": "print(1)\n",
        "core": "#!/bin/sh\necho not a core dump\n",
        "backup/config.json": {},
        "pkg/__init__.py": "",
        "py.typed": "",
        ".gitkeep": "",
        ".gitignore": "",
        "data.swap": "x",
    })
    assert hygiene(root).findings == ()


def _elf_core(order: str = "<", e_type: int = 4) -> bytes:
    ident = b"\x7fELF" + bytes([2, 1 if order == "<" else 2, 1]) + b"\0" * 9
    return ident + struct.pack(order + "H", e_type) + b"\0" * 46


@pytest.mark.parametrize(("name", "content"), [
    ("core", _elf_core()),
    ("core.12345", _elf_core(">")),
    ("python.core", _elf_core()),
    ("vgcore.991", _elf_core()),
    ("core.python.1000.abc.42.1700000000", b"\xcf\xfa\xed\xfe" + b"\x07\x00\x00\x01" + b"\x03\x00\x00\x00"
     + struct.pack("<I", 4) + b"\0" * 16),
])
def test_core_dumps_are_errors(name: str, content: bytes, make_release) -> None:
    root = make_release({name: content})
    report = hygiene(root)
    assert found(report) == {("RK605", name)}
    assert report.findings[0].severity is Severity.ERROR


def test_core_named_executable_is_not_a_core_dump(make_release) -> None:
    root = make_release({"core": _elf_core(e_type=2), "core.bin": _elf_core(e_type=3)})
    assert hygiene(root).findings == ()
    assert core_dump_format(_elf_core()[:10]) is None


def test_empty_files(make_release) -> None:
    root = make_release({"tokenizer.json": "", "model-00001-of-00002.safetensors": b"", "__init__.py": "", "a.txt": "x"})
    assert found(hygiene(root)) == {("RK606", "tokenizer.json"), ("RK606", "model-00001-of-00002.safetensors")}


def test_empty_file_inside_a_junk_folder_is_not_reported_twice(make_release) -> None:
    root = make_release({"__pycache__/empty.pyc": b""})
    assert found(hygiene(root)) == {("RK604", "__pycache__")}


# Git metadata --------------------------------------------------------------------------------


def test_root_git_is_info_nested_git_is_warning(make_release) -> None:
    root = make_release({
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/config": "[core]\n",
        "third_party/lib/.git/HEAD": "ref: refs/heads/main\n",
        "vendor/sub/.git": "gitdir: ../../.git/modules/sub\n",
    })
    report = hygiene(root)
    by_path = {f.path: f for f in report.findings}
    assert set(by_path) == {".git", "third_party/lib/.git", "vendor/sub/.git"}
    assert by_path[".git"].severity is Severity.INFO
    assert by_path["third_party/lib/.git"].severity is Severity.WARNING
    assert by_path["vendor/sub/.git"].severity is Severity.WARNING
    assert {f.rule for f in report.findings} == {"RK607"}


# Settings ------------------------------------------------------------------------------------


def test_exclude_setting_silences_junk_and_local_paths(make_release) -> None:
    root = make_release({
        "releasekit.toml": '[hygiene]\nexclude = ["scratch/"]\n',
        "scratch/.DS_Store": "x",
        "scratch/run.py": "p = '/home/alice/x'\n",
        ".DS_Store": "x",
    })
    assert found(hygiene(root)) == {("RK604", ".DS_Store")}


@pytest.mark.parametrize(("toml", "expected"), [
    ("max-files = -1", "[hygiene] max-files must be a positive integer"),
    ('max-folder-entries = "many"', "[hygiene] max-folder-entries must be a positive integer"),
    ("exclude = [1]", "[hygiene] exclude must be a string or a list of non-empty strings"),
    ("junk = true", "[hygiene]: unknown setting 'junk'"),
])
def test_bad_hygiene_settings_are_usage_errors(toml: str, expected: str, make_release, run_cli) -> None:
    """One policy for every table: a bad key or value stops the run (exit 2) naming the file and key."""
    root = make_release({"releasekit.toml": f"[hygiene]\n{toml}\n", ".DS_Store": "x"})
    result = run_cli("check", root, "--select", "hygiene")
    assert result.exit_code == 2 and f"releasekit.toml: {expected}" in result.stderr, result
    assert "Traceback" not in result.stderr


def test_cli_exit_codes_follow_severity(make_release, run_cli) -> None:
    warn_only = make_release({".DS_Store": "x"})
    assert run_cli("check", warn_only, "--select", "hygiene").exit_code == 0
    assert run_cli("check", warn_only, "--select", "hygiene", "--fail-on", "warning").exit_code == 1
    error = make_release({"a.txt": "a"})
    os.symlink("/etc/hostname", error / "link")
    result = run_cli("check", error, "--select", "hygiene", "--format", "json")
    assert result.exit_code == 1
    assert [f["rule"] for f in result.json()["findings"]] == ["RK601"]
