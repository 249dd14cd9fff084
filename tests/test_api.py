"""The public Python API: the names exported from `releasekit`, and docs/api.md's examples run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import releasekit
from pickle_corpus.ops import call, glob, program
from releasekit.findings import Severity

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_check_returns_the_report_the_cli_prints(make_release, run_cli) -> None:
    root = make_release({"README.md": "# m\n", "weights.pkl": program(call(glob("posix", "system"), "true"))})
    report = releasekit.check(root, select=["pickle"])
    assert isinstance(report, releasekit.Report) and report.failed and report.exit_code == 1
    assert [f.rule for f in report.findings if f.severity is Severity.ERROR] == ["RK201"]
    assert run_cli("check", root, "--select", "pickle", "--format", "json").json() == report.to_dict()


def test_scan_pickle_gives_a_verdict(tmp_path: Path) -> None:
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(program(call(glob("posix", "system"), "true")))
    verdict = releasekit.scan_pickle(evil)
    assert verdict.safe is False and verdict.disallowed == ("posix.system",)
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(__import__("pickle").dumps({"lr": 0.1}))
    assert releasekit.scan_pickle(plain).safe is True


def test_every_export_resolves_and_import_is_light() -> None:
    assert sorted(releasekit.__all__) == sorted(["__version__", *releasekit._EXPORTS])
    for name in releasekit.__all__:
        assert getattr(releasekit, name) is not None, name
    code = "import releasekit, sys; print(sorted(m for m in sys.modules if m.startswith('releasekit')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['releasekit']", "importing releasekit must not import its machinery"


def test_the_api_page_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/api.md has runnable examples"
    for block in blocks:
        result = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, f"{block}\n{result.stderr}"
