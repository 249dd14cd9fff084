"""Release notes for GitHub, rendered from `templates/release_notes.md.j2`.

Jinja2 with `StrictUndefined` (a missing value is an error, not an empty string) and a `md`
filter that escapes Markdown and HTML in everything the release controls (names, config values),
so a hostile file name cannot inject links or markup into the release page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

MAX_CHECKSUM_ROWS = 200
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def md(value: object) -> str:
    """Plain text for a Markdown table cell or paragraph: one line, no markup, no HTML."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def code(value: object) -> str:
    """Text inside a `code span`: one line, without backticks that would end it."""
    return " ".join(str(value).split()).replace("`", "'")


def model_facts(root: Path) -> tuple[str, list[tuple[str, str]]]:
    """A one-line summary and a few facts from config.json (read as data, never executed)."""
    facts: list[tuple[str, str]] = []
    summary = "Model release."
    config_path = root / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    except (OSError, ValueError):
        config = {}
    if not isinstance(config, dict):
        config = {}
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures:
        summary = f"{', '.join(str(a) for a in architectures)} model release."
    for key, label in (("model_type", "Model type"), ("num_hidden_layers", "Layers"), ("hidden_size", "Hidden size"),
                       ("n_routed_experts", "Routed experts"), ("num_experts_per_tok", "Experts per token"),
                       ("num_nextn_predict_layers", "MTP layers"), ("kv_lora_rank", "MLA KV rank"),
                       ("torch_dtype", "Dtype")):
        if key in config and isinstance(config[key], str | int | float):
            facts.append((label, str(config[key])))
    quant = config.get("quantization_config")
    if isinstance(quant, dict) and quant.get("quant_method"):
        block = quant.get("weight_block_size")
        facts.append(("Quantization", f"{quant.get('quant_method')} {quant.get('fmt', '')} "
                                      f"{'block ' + 'x'.join(map(str, block)) if isinstance(block, list) else ''}".strip()))
    return summary, facts


def render(*, name: str, tag: str, root: Path, hub_repo: str, hub_url: str, verdict: str,
           checksums: list[tuple[str, int, str]], version: str) -> str:
    import jinja2

    # `releasekit.templates` is the top-level templates/ folder, installed as a subpackage.
    env = jinja2.Environment(loader=jinja2.PackageLoader("releasekit.templates", "."),
                             undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["md"] = md
    env.filters["code"] = code
    summary, facts = model_facts(root)
    shown = checksums[:MAX_CHECKSUM_ROWS]
    context: dict[str, Any] = dict(name=name, tag=tag, summary=summary, facts=facts, hub_repo=hub_repo,
                                   hub_url=hub_url, verdict=verdict, checksums=shown,
                                   more=len(checksums) - len(shown), version=version)
    return env.get_template("release_notes.md.j2").render(**context)
