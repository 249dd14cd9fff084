"""Benign corpora: what torch, numpy and joblib write for plain data is never an error.

A file whose pickles reach only allowlisted callables is an RK205 warning (convert it), never an
error; a file without any pickle (a plain .npy array) has no finding at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pickle_corpus import benign
from releasekit.findings import Severity
from releasekit.pickles import scan
from releasekit.pickles.allowlist import Allowlist
from releasekit.checks.pickle import to_findings

BUILDERS = benign.state_dicts()


def _scan(path: Path) -> tuple[str | None, list]:
    result = scan(path, display_path=path.name, allowlist=Allowlist())
    return result.format, to_findings(result)


def _assert_allowlisted(path: Path, expected_format: str) -> None:
    fmt, findings = _scan(path)
    errors = [(f.rule, f.message) for f in findings if f.severity is Severity.ERROR]
    assert not errors, errors
    assert fmt == expected_format
    assert [f.rule for f in findings] == ["RK205"], findings


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_torch_save_outputs_are_allowlisted(name: str, legacy: bool, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.pt"
    path.write_bytes(benign.torch_bytes(BUILDERS[name](), legacy=legacy))
    _assert_allowlisted(path, "pytorch-legacy" if legacy else "pytorch-zip")


@pytest.mark.parametrize("root", ["archive", "pytorch_model", "my model v2"])
def test_torch_zip_root_folder_can_be_anything(root: str, tmp_path: Path) -> None:
    import torch

    path = tmp_path / "weights.bin"
    path.write_bytes(benign.torch_bytes({"w": torch.ones(2)}, legacy=False, name=root))
    _assert_allowlisted(path, "pytorch-zip")


def test_torch_save_to_a_path_names_the_root_after_the_file(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "checkpoint-1000.pth"
    torch.save({"w": torch.ones(3), "opt": {"step": 3}}, path)
    _assert_allowlisted(path, "pytorch-zip")


def test_numpy_files(tmp_path: Path) -> None:
    for path in benign.numpy_files(tmp_path):
        fmt, findings = _scan(path)
        assert not [f for f in findings if f.severity is Severity.ERROR], (path.name, findings)
        has_pickle = path.name in ("objects.npy", "arrays.npz", "compressed.npz")
        assert [f.rule for f in findings] == (["RK205"] if has_pickle else []), (path.name, findings)
        assert fmt == ("npz" if path.suffix == ".npz" else "npy")


def test_joblib_files(tmp_path: Path) -> None:
    for path in benign.joblib_files(tmp_path):
        fmt, findings = _scan(path)
        assert [f.rule for f in findings] == ["RK205"], (path.name, [(f.rule, f.message) for f in findings])
        assert fmt is not None and fmt.endswith("joblib"), fmt


@pytest.mark.parametrize("name", sorted(benign.plain_pickles()))
def test_plain_pickles_of_every_protocol(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.pkl"
    path.write_bytes(benign.plain_pickles()[name])
    _assert_allowlisted(path, "pickle")


def test_protocol0_pickle_found_by_content_under_any_name(tmp_path: Path) -> None:
    path = tmp_path / "values.txt"
    path.write_bytes(benign.plain_pickles()["protocol0"])
    _assert_allowlisted(path, "pickle")


@pytest.mark.parametrize("text", [
    "import torch\nprint(torch.__version__)\n", "cmake_minimum_required(VERSION 3.10)\nproject(x)\n",
    "def main():\n    pass\n", "(see below)\n", "This model is MIT licensed.\n", "N", "]", "",
])
def test_text_that_starts_like_an_opcode_is_not_a_pickle(text: str, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(text)
    fmt, findings = _scan(path)
    assert fmt is None and findings == []


def test_a_module_name_that_is_not_an_identifier_still_counts(tmp_path: Path) -> None:
    """`__import__("my-mod")` imports my-mod.py from the working folder (perhaps the release's own):
    a text file that reaches such a GLOBAL before breaking is reported, not dropped."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"cmy-mod\nrun\n\xff")
    fmt, findings = _scan(path)
    assert fmt == "pickle" and any(f.rule == "RK201" and "my-mod.run" in f.message for f in findings)


def test_safetensors_whose_length_reads_as_proto_is_not_a_pickle(tmp_path: Path) -> None:
    header = b'{"__metadata__":{"a":"' + b"x" * 600 + b'"}}'
    header += b" " * (0x280 - len(header))
    assert len(header) == 0x280  # the length bytes 80 02 read as PROTO 2
    path = tmp_path / "model.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header)
    assert _scan(path) == (None, [])


def test_tentative_text_parse_keeps_code_reaching_opcodes(tmp_path: Path) -> None:
    """A protocol 0 start that reaches EXT before breaking is reported, not dropped as text."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"(\x82\x01(Vx\ntR\xfe")
    fmt, findings = _scan(path)
    assert fmt == "pickle" and {"RK202", "RK203"} <= {f.rule for f in findings}
