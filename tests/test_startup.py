"""`releasekit check` starts fast: a release without weights, pickles or a card loads none of their machinery.

Start-up is paid on every pre-commit hook and CI job. Each analyser imports its heavy libraries
when a rule first needs them; this test fails when a module-level import brings one back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Libraries and analysers `check` must not import for a release that does not need them.
HEAVY = (
    "yaml", "huggingface_hub", "jinja2", "askalono", "torch", "numpy", "safetensors", "triton", "pickletools",
    "releasekit.pickles.scanner", "releasekit.pickles.opcodes", "releasekit.cardmeta.frontmatter",
    "importlib.metadata",  # ~15 ms: only SARIF output reads the homepage from the installed metadata
    "releasekit.licenses.identify",  # the SPDX texts and word diff: only when a license file is read
)

_PROBE = """
import json, sys
from releasekit.cli.main import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def _modules_after(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120)
    last = proc.stderr.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["code"] in (0, 1), proc.stderr
    return set(result["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_check_on_an_empty_release_imports_nothing_heavy(tmp_path: Path, fmt: str) -> None:
    modules = _modules_after("check", str(tmp_path), "--format", fmt, "--output", str(tmp_path.parent / "out"))
    assert _heavy(modules) == []
    if fmt == "json":
        assert "rich" not in modules  # only the text format draws with rich


def test_the_probe_sees_heavy_imports_when_they_are_needed(tmp_path: Path) -> None:
    """The same probe on a release with a card and a pickle does load YAML and the pickle scanner."""
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n# Model\n")
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04K\x01.")
    modules = _modules_after("check", str(tmp_path), "--format", "json", "--output", str(tmp_path.parent / "out"))
    assert {"yaml", "releasekit.pickles.scanner", "releasekit.cardmeta.frontmatter"} <= modules
