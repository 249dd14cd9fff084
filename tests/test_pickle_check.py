"""The `pickle` check over a release: files found by content, settings, the report section, the CLI."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from pickle_corpus import benign
from pickle_corpus.ops import call, const, glob, program
from releasekit.errors import UsageError
from releasekit.findings import Severity
from releasekit.checks.pickle import scan_file

EVIL = program(call(glob("posix", "system"), "touch MARKER"))
# A user's own config class: NEWOBJ of mypkg.config.TrainConfig, then BUILD with its fields.
CONFIG = program(bytes(glob("mypkg.config", "TrainConfig")) + const(()) + pickle.NEWOBJ + const({"lr": 0.1})
                 + pickle.BUILD)


def _report(run_cli, root: Path) -> tuple[int, dict]:
    result = run_cli("check", root, "--format", "json", "--select", "pickle")
    return result.exit_code, result.json()


def test_release_files_are_found_by_content(run_cli, make_release) -> None:
    import torch

    root = make_release({
        "README.md": "# model\n",
        "weights/notes.dat": EVIL,  # unknown extension: sniffed
        "docs/usage.md": b"cposix\nsystem\n(Vtouch MARKER\ntR.",  # protocol 0 pickle posing as Markdown
        "model.pt": benign.torch_bytes({"w": torch.ones(2)}, legacy=False),
        "train.py": "import torch\n",
        "config.json": {"hidden_size": 8},
    })
    code, report = _report(run_cli, root)
    assert code == 1
    by_path = {}
    for finding in report["findings"]:
        by_path.setdefault(finding["path"], []).append(finding["rule"])
    assert by_path == {"weights/notes.dat": ["RK201"], "docs/usage.md": ["RK201"], "model.pt": ["RK205"]}
    files = {f["path"]: f for f in report["sections"]["pickle"]["files"]}
    assert files["model.pt"]["format"] == "pytorch-zip" and files["model.pt"]["verdict"] == "allowlisted"
    assert files["weights/notes.dat"]["not_allowed"] == ["posix.system"]
    assert not (root / "MARKER").exists() and not Path("MARKER").exists()


def test_user_allowlist_extension_is_applied_and_reported(run_cli, make_release) -> None:
    files = {"state.pkl": CONFIG}
    code, report = _report(run_cli, make_release(files))
    assert code == 1 and [f["rule"] for f in report["findings"]] == ["RK201"]
    assert "mypkg.config.TrainConfig" in report["findings"][0]["message"]

    files["releasekit.toml"] = '[pickle]\nallow = ["mypkg.config.TrainConfig"]\n'
    code, report = _report(run_cli, make_release(files))
    assert code == 0
    assert sorted(f["rule"] for f in report["findings"]) == ["RK205", "RK206"]
    section = report["sections"]["pickle"]
    assert section["user_allowlist"] == ["mypkg.config.TrainConfig"]
    assert section["user_allowlist_used"] == ["mypkg.config.TrainConfig"]
    text = run_cli("check", make_release(files), "--select", "pickle").stdout
    assert "allowlist extended by releasekit.toml: mypkg.config.TrainConfig" in text


def test_dangerous_allow_entries_are_refused(run_cli, make_release) -> None:
    root = make_release({
        "state.pkl": EVIL,
        "releasekit.toml": '[pickle]\nallow = ["posix.system", "pathlib.os.system", "nodots"]\n',
    })
    code, report = _report(run_cli, root)
    assert code == 1
    settings = [f for f in report["findings"] if f["rule"] == "RK207"]
    assert len(settings) == 3 and all(f["path"] == "releasekit.toml" for f in settings)
    assert any(f["rule"] == "RK201" and "posix.system" in f["message"] for f in report["findings"])


@pytest.mark.parametrize(("toml", "expected"), [
    ('[pickle]\nallow = ["ok.Name", 3]\n', "[pickle] allow must be a string or a list of non-empty strings"),
    ("[pickle]\nlevel = 2\n", "[pickle]: unknown setting 'level'"),
])
def test_malformed_pickle_settings_are_usage_errors(run_cli, make_release, toml: str, expected: str) -> None:
    root = make_release({"state.pkl": EVIL, "releasekit.toml": toml})
    result = run_cli("check", root, "--format", "json")
    assert result.exit_code == 2 and f"releasekit.toml: {expected}" in result.stderr, result


def test_scan_file_rejects_dangerous_extra_allowed(tmp_path: Path) -> None:
    path = tmp_path / "x.pkl"
    path.write_bytes(EVIL)
    with pytest.raises(UsageError, match="builtins.eval"):
        scan_file(path, display_path="x.pkl", extra_allowed=["builtins.eval"])
    findings = scan_file(path, display_path="x.pkl", extra_allowed=["mypkg.Model"])
    assert [f.severity for f in findings] == [Severity.ERROR]


def test_symlinks_are_not_followed(run_cli, make_release, tmp_path: Path) -> None:
    outside = tmp_path / "outside.pkl"
    outside.write_bytes(EVIL)
    root = make_release({"README.md": "x"})
    (root / "linked.pkl").symlink_to(outside)
    code, report = _report(run_cli, root)
    assert not [f for f in report["findings"] if f["rule"] == "RK201"]


def test_named_like_a_checkpoint_but_not_a_pickle_is_a_warning(run_cli, make_release) -> None:
    """No loader can run anything from it (every one stops at its first bytes): a warning to rename it,
    not an error (ModelAudit's benign corpus holds such a .pt; see docs/pickles.md)."""
    code, report = _report(run_cli, make_release({"model.pt": b"\x89PNG\r\n\x1a\n...."}))
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("RK203", "warning")]
    assert code == 0
    assert "89 50 4e 47" in report["findings"][0]["message"]


def test_scan_file_works_without_torch_or_numpy(tmp_path: Path) -> None:
    import torch

    path = tmp_path / "model.pt"
    path.write_bytes(benign.torch_bytes({"w": torch.ones(2)}, legacy=False))
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['numpy'] = None\n"
        "from pathlib import Path\nfrom releasekit.checks.pickle import scan_file\n"
        f"print([f.rule for f in scan_file(Path({str(path)!r}), display_path='model.pt')])\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['RK205']"


def test_rules_are_listed(run_cli) -> None:
    listing = json.loads(run_cli("rules", "--format", "json").stdout)
    pickle_rules = {r["id"]: r for r in listing if r["category"] == "pickle"}
    assert sorted(pickle_rules) == ["RK201", "RK202", "RK203", "RK204", "RK205", "RK206", "RK207"]
    assert pickle_rules["RK205"]["severity"] == "warning" and pickle_rules["RK206"]["severity"] == "info"


def test_zip_of_documents_is_not_reported_but_a_hidden_pickle_zip_is(run_cli, make_release) -> None:
    from pickle_corpus.containers import plain_zip

    docs = plain_zip({"a.txt": b"hello", "b/c.md": b"# x"})
    hidden = b"JUNK" * 8 + plain_zip({"data.pkl": EVIL})  # pandas.read_pickle(compression="zip") still reads it
    code, report = _report(run_cli, make_release({"docs.zip": docs, "frame.zip": hidden}))
    rules = {(f["path"], f["rule"]) for f in report["findings"]}
    assert ("frame.zip", "RK201") in rules and ("frame.zip", "RK204") in rules
    assert not [r for r in rules if r[0] == "docs.zip"]


def test_truncated_torch_checkpoint_is_an_error_whatever_its_name(tmp_path) -> None:
    """A zip checkpoint cut short (no central directory) cannot be analysed: error, not a silent pass."""
    import torch

    from releasekit.checks.pickle import scan_file

    for name in ("pytorch_model.bin", "weights.data", "model.pt"):
        path = tmp_path / name
        torch.save({"a": torch.zeros(64, 64)}, path)
        with open(path, "r+b") as handle:
            handle.truncate(path.stat().st_size // 2)
        findings = scan_file(path, display_path=name)
        assert [f.severity.value for f in findings] == ["error"], (name, findings)
        assert "not a readable zip archive" in findings[0].message


def test_text_that_reads_like_an_import_is_not_a_pickle_unless_the_release_plants_the_module(
        run_cli, make_release, tmp_path) -> None:
    """A requirements.txt whose first line is `click>=8.1` reads as GLOBAL to an unpickler, which would
    import `lick>=8.1` and fail: no code of the release runs, so it is no finding (a real false alarm,
    fixed). The same bytes beside a module the release ships would run that module: an error."""
    text = {"requirements.txt": "click>=8.1\nrequests\n", "train/backend.txt": "cuda\n"}
    clean = make_release(text)
    result = run_cli("check", clean, "--select", "pickle", "--format", "json")
    assert [f["path"] for f in result.json()["findings"]] == []
    planted = make_release({**text, "ertifi/__init__.py": "import os\n", "deps.txt": "certifi\nidna\n"},
                           name="planted")
    result = run_cli("check", planted, "--select", "pickle", "--format", "json")
    assert result.exit_code == 1
    assert [f["rule"] for f in result.json()["findings"] if f["path"] == "deps.txt"][:1] == ["RK201"]


def test_every_problem_kind_has_its_fix() -> None:
    from releasekit.checks import pickle as pickle_rules
    from releasekit.pickles.problems import Kind

    assert set(pickle_rules._FIX) == {kind.name for kind in Kind}


def _safetensors_lookalike(payload: bytes) -> bytes:
    """PROTO 2, then BINFLOAT, whose 8-byte argument swallows the rest of the 'header length' and
    the '{' at byte 8: the first 9 bytes read as a plausible safetensors header, and the unpickler
    goes on at byte 11 with `payload`."""
    import struct

    head = b"\x80\x02G" + b"\x00" * 5 + b"{\x00\x00"
    (length,) = struct.unpack("<Q", head[:8])
    data = head + payload
    return data + b"\x00" * (8 + length + 16 - len(data))


def test_a_pickle_behind_a_safetensors_look_is_found_under_any_other_name(run_cli, make_release) -> None:
    """torch.load reads any file as a raw pickle stream: content that merely looks like safetensors
    (a plausible header length, then '{') is scanned like any other file unless it is named
    .safetensors (read by the safetensors library, its header by the weights rules)."""
    from releasekit.pickles.sniff import sniff

    evil = _safetensors_lookalike(b"cposix\nsystem\n(S'touch MARKER'\ntR.")
    assert sniff(evil[:512], len(evil)) is None  # it does look like safetensors
    root = make_release({"README.md": "# model\n", "weights.dat": evil, "blob": evil, "sub/.safetensors": evil})
    code, report = _report(run_cli, root)
    assert code == 1
    flagged = {f["path"] for f in report["findings"] if f["rule"] == "RK201"}
    assert flagged == {"weights.dat", "blob", "sub/.safetensors"}  # a dotfile has no .safetensors suffix
    assert not (root / "MARKER").exists()


def test_real_safetensors_shards_are_not_read_as_pickles(run_cli, make_release) -> None:
    """Genuine shards whose header lengths start with opcode bytes (as 8 of DeepSeek-V3's 163 do)
    get no pickle finding: a .safetensors file is not read as a raw pickle stream."""
    from releasekit.pickles.sniff import OPCODE_BYTES
    from tests.builders import safetensors_bytes

    shards = {f"model-{i:05d}-of-00040.safetensors": safetensors_bytes([(f"t{i}", "F32", [i + 1])],
                                                                      metadata={"pad": "x" * (i * 5)})
              for i in range(40)}
    assert sum(data[0] in OPCODE_BYTES for data in shards.values()) >= 5
    root = make_release({"README.md": "# model\n", **shards})
    code, report = _report(run_cli, root)
    assert [f for f in report["findings"] if f["rule"].startswith("RK2")] == []
