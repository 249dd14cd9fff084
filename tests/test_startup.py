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


def test_selected_rules_load_only_their_own_machinery(tmp_path: Path) -> None:
    """`--select weights` on a whole release (card, license, code) loads none of the card, license,
    openness or local-path analysers: each rule imports what it needs when it runs."""
    from releasekit.example import build_example

    root = build_example(tmp_path / "example")
    modules = _modules_after("check", str(root), "--select", "weights", "--format", "json",
                             "--output", str(tmp_path / "out"))
    text_machinery = {"yaml", "license_expression", "releasekit.cardmeta.frontmatter", "releasekit.cardmeta.validate",
                      "releasekit.licenses.identify", "releasekit.openness.evaluate", "releasekit.hygiene.localpaths"}
    assert not text_machinery & modules
    assert "releasekit.checks._checkpoints" in modules  # the probe sees what the weights rules load
    everything = _modules_after("check", str(root), "--format", "json", "--output", str(tmp_path / "out2"))
    assert text_machinery - {"license_expression"} <= everything  # and the whole check does load them


_FORK_PROBE = """
import json, sys
from releasekit import lanes
from releasekit.cli.main import run
seen = {}
def record(*args, **kwargs):
    seen["modules"] = sorted(sys.modules)
    return None  # no second process: the run goes on in this one
lanes.run_two_lanes = record
code = run(sys.argv[1:])
print(json.dumps({"code": code, "at_fork": seen.get("modules"), "after": sorted(sys.modules)}), file=sys.stderr)
"""

# What each lane loads for itself once it runs: loaded before the fork, it would be paid by both
# lanes' critical paths (the weights lane does not need the text detectors, nor the text lane the
# header columns), and the output formats are needed only once both are done.
LANE_OWN = (
    "releasekit.checks._checkpoints", "releasekit.checks._layout", "msgspec",
    "releasekit.secrets.scanner", "releasekit.secrets.patterns", "releasekit.secrets.textfiles",
    "releasekit.hygiene.junk", "releasekit.hygiene.links",
    "releasekit.formats.json_format", "releasekit.formats.sarif", "releasekit.formats.text",
    "releasekit.formats.github", "releasekit.formats.markdown", "importlib.resources",
)


def test_before_the_lanes_fork_neither_lanes_machinery_is_loaded(tmp_path: Path) -> None:
    from releasekit.deepseek_layout import tensor_specs
    from releasekit.example import TINY_CONFIG, build_example, write_checkpoint

    root = build_example(tmp_path / "release")
    for shard in root.glob("*.safetensors"):
        shard.unlink()
    write_checkpoint(root, tensor_specs(TINY_CONFIG), 10)  # sharded: the weights lane forks off
    proc = subprocess.run([sys.executable, "-c", _FORK_PROBE, "check", str(root), "--format", "json",
                           "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stderr.strip().splitlines()[-1])
    assert result["code"] in (0, 1), proc.stderr
    assert result["at_fork"] is not None, "the probe never reached the fork"
    early = sorted(m for m in result["at_fork"] if any(m == h or m.startswith(h + ".") for h in LANE_OWN))
    assert early == []
    # and the lanes do load their own (those a run that writes JSON, without symlinks, needs)
    unused_here = {"releasekit.formats.sarif", "releasekit.formats.text", "releasekit.formats.github",
                   "releasekit.formats.markdown", "importlib.resources", "releasekit.hygiene.links"}
    assert set(LANE_OWN) - unused_here <= set(result["after"])
