"""The card's "How to Get Started" code runs: against the bundled example, in a fresh process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import safetensors  # noqa: F401 - the example's inference code needs them: a missing extra fails here
import torch  # noqa: F401
from cardgen_support import example_release

from releasekit.cardgen import render_model_card
from releasekit.cardgen.quickstart import auto_class, trust_remote_code


def _blocks(card: str, lang: str) -> list[str]:
    section = card.split("\n## How to Get Started with the Model\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{lang}\n(.*?)^```$", section, re.M | re.S)


def test_quick_start_runs_against_the_example(tmp_path: Path) -> None:
    root = example_release(tmp_path / "example")
    card = render_model_card(root)
    (python,) = _blocks(card, "python")
    assert "from inference.model import load_model" in python
    proc = subprocess.run([sys.executable, "-c", python], cwd=root, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "TinyMLAMoE loaded"
    (shell,) = _blocks(card, "bash")
    commands = [line.split() for line in shell.splitlines() if line.startswith("python ")]
    assert commands == [["python", "inference/model.py"]]
    proc = subprocess.run([sys.executable, *commands[0][1:]], cwd=root, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "finite: True" in proc.stdout


def test_without_inference_code_the_quick_start_is_transformers(tmp_path: Path) -> None:
    root = example_release(tmp_path / "example")
    for path in sorted((root / "inference").iterdir()):
        path.unlink()
    (root / "inference").rmdir()
    card = render_model_card(root)
    (python,) = _blocks(card, "python")
    assert "AutoModelForCausalLM.from_pretrained(model_id" in python
    assert 'model_id = "example-lab/tiny-mla-moe"' in python
    assert "trust_remote_code" not in python  # config.json maps no class to shipped code


def test_trust_remote_code_only_with_auto_map() -> None:
    assert trust_remote_code({"auto_map": {"AutoModelForCausalLM": "modeling_x.XForCausalLM"}})
    assert not trust_remote_code({"model_type": "llama"})
    assert not trust_remote_code({"auto_map": "not a mapping"})
    assert auto_class({"architectures": ["XForCausalLM"]}) == "AutoModelForCausalLM"
    assert auto_class({"architectures": "XForCausalLM"}) == "AutoModel"
