"""Shared builders for the license, card and openness tests (no tests of its own except its self-check).

`honest_release()` is a complete, honest release: the MIT text, a card that says `license: mit`
with valid metadata and every template section, SPDX headers in the code, a transformers
config.json, safetensors weights. Every rule of the three areas must stay silent on it (except
the openness info findings, which describe it).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

LICENSES = Path(__file__).parent / "licenses"
MY_CATEGORIES = "license,card,openness"


def license_text(name: str) -> str:
    return (LICENSES / f"{name}.txt").read_text(encoding="utf-8")


def safetensors_bytes(name: str = "model.embed.weight", count: int = 4) -> bytes:
    """A minimal valid safetensors file: one F32 tensor of `count` zeros."""
    header = json.dumps({name: {"dtype": "F32", "shape": [count], "data_offsets": [0, 4 * count]}}).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"\0" * (4 * count)


FRONT_MATTER = """---
license: mit
library_name: transformers
pipeline_tag: text-generation
language:
- en
- fr
datasets:
- example-org/tiny-corpus
base_model: example-org/tiny-base
tags:
- moe
model-index:
- name: tiny-moe
  results:
  - task:
      type: text-generation
    dataset:
      type: example-org/tiny-eval
      name: Tiny Eval
    metrics:
    - type: accuracy
      value: 0.5
---
"""

BODY = """
# Tiny MoE

## Model Details

A tiny mixture-of-experts language model.

## Uses

Research on release tooling.

## Bias, Risks, and Limitations

Trained on a tiny corpus; it knows little and may repeat its data.

## How to Get Started with the Model

```python
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained("example-org/tiny-moe")
```

## Training Details

See `train/train.py`.

## Evaluation

Accuracy 0.5 on Tiny Eval (`eval/evaluate.py`).

## Citation

```bibtex
@misc{tinymoe, title={Tiny MoE}, year={2026}}
```
"""


def card(front_matter: str = FRONT_MATTER, body: str = BODY) -> str:
    return front_matter + body


def honest_release(**overrides: Any) -> dict[str, Any]:
    """The files of a complete, honest release; `overrides` replace or add files (None removes)."""
    files: dict[str, Any] = {
        "LICENSE": license_text("MIT"),
        "README.md": card(),
        "config.json": {"model_type": "tiny_moe", "architectures": ["TinyMoEForCausalLM"], "hidden_size": 8},
        "model.safetensors": safetensors_bytes(),
        "modeling_tiny_moe.py": (
            "# SPDX-License-Identifier: MIT\nimport torch\n\n\nclass TinyMoE(torch.nn.Module):\n    pass\n"
        ),
        "train/train.py": '# SPDX-License-Identifier: MIT\n"""Training loop."""\n',
        "eval/evaluate.py": "# Copyright (c) 2026 Example Lab\n# SPDX-License-Identifier: MIT\n",
    }
    for path, content in overrides.items():
        if content is None:
            files.pop(path, None)
        else:
            files[path] = content
    return files


def findings(result: Any, rule: str | None = None) -> list[dict[str, Any]]:
    """The findings of a `check --format json` run, optionally of one rule."""
    data = result.json()
    return [f for f in data["findings"] if rule is None or f["rule"] == rule]


def check_json(run_cli: Any, root: Path, *extra: str) -> Any:
    result = run_cli("check", root, "--format", "json", "--select", MY_CATEGORIES, "--fail-on", "never", *extra)
    assert result.exit_code == 0, result
    return result


def test_safetensors_bytes_is_a_valid_file(tmp_path: Path) -> None:
    from releasekit.safetensors_format import read_header

    path = tmp_path / "w.safetensors"
    path.write_bytes(safetensors_bytes(count=3))
    header = read_header(path)
    assert header.ok and list(header.tensors) == ["model.embed.weight"]
