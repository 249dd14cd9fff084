"""Releases for the `releasekit card` tests: the bundled example, a split-license copy, DeepSeek-V3's layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG, V3_SHARDS, tensor_specs, write_sparse_checkpoint
from releasekit.example import build_example

CARD_TOML = '''[card]
name = "Tiny-MLA-MoE"
organisation = "Example Lab"
summary = "A tiny DeepSeek-V3-style model with random weights, bundled with releasekit to test release tooling."
hub_repo = "example-lab/tiny-mla-moe"
technical_report = "https://example.org/tiny-mla-moe/report.pdf"
languages = ["en"]
intended_uses = "Testing release tooling: checkpoint validation, conversion and kernel smoke tests."
out_of_scope = "Anything that needs a useful language model: the weights are random."
limitations = "The model is untrained and produces meaningless text; it must not be used to make decisions."
training = "None: the weights are random, drawn from a fixed seed. `train/train.py` shows the loop."
citation = """@misc{examplelab2026tiny,
  title  = {Tiny-MLA-MoE: an example release for releasekit},
  author = {{Example Lab}},
  year   = {2026}
}"""
contact = "models@example.org"

[[card.evaluation]]
benchmark = "Random baseline: sanity | check"
dataset = "example-lab/sanity"
metric = "accuracy"
value = 0.25
how = "4-way multiple choice, 0-shot"
'''

DEEPSEEK_LICENSE = (
    "DEEPSEEK LICENSE AGREEMENT\n\nVersion 1.0, 23 October 2023\n\nCopyright (c) 2023 DeepSeek\n\n"
    "Section I: PREAMBLE\n\nThe terms under which the model may be used.\n"
)


def example_release(dest: Path, toml: str = CARD_TOML) -> Path:
    """The bundled example with a [card] table (its hand-written README.md is left in place)."""
    build_example(dest)
    (dest / "releasekit.toml").write_text(toml, encoding="utf-8")
    return dest


def split_license_release(dest: Path) -> Path:
    """The example with separate code (MIT) and model (DeepSeek License) licenses, as DeepSeek-V3 ships."""
    example_release(dest)
    (dest / "LICENSE").rename(dest / "LICENSE-CODE")
    (dest / "LICENSE-MODEL").write_text(DEEPSEEK_LICENSE, encoding="utf-8")
    return dest


def deepseek_v3_release(dest: Path) -> Path:
    """DeepSeek-V3's real layout (163 shards, 91,991 tensors) as sparse files: headers only, data as holes."""
    dest.mkdir(parents=True)
    write_sparse_checkpoint(dest, tensor_specs(DEEPSEEK_V3_CONFIG), V3_SHARDS)
    (dest / "config.json").write_text(json.dumps(DEEPSEEK_V3_CONFIG, indent=2))
    example = Path(__file__).resolve().parent.parent / "releasekit" / "data" / "example"
    shutil.copy(example / "LICENSE", dest / "LICENSE-CODE")
    (dest / "LICENSE-MODEL").write_text(DEEPSEEK_LICENSE, encoding="utf-8")
    shutil.copytree(example / "inference", dest / "inference")
    (dest / "releasekit.toml").write_text(CARD_TOML.replace("Tiny-MLA-MoE", "DeepSeek-V3-layout", 1), encoding="utf-8")
    return dest
