"""Release layout: what transformers needs to load the release, and convert's leftovers (RK610-RK612)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from releasekit.context import Context
from releasekit.conversion.staging import STAGING_DIR
from releasekit.findings import Finding, Severity
from releasekit.hygiene.layout import auto_map_references, has_tokenizer, module_file, needs_tokenizer
from releasekit.registry import Rule, check
from releasekit.release import FileKind, ReleaseFile

RK610 = Rule.define(
    "RK610", "auto-map-missing-code", category="hygiene", severity=Severity.ERROR,
    summary="`auto_map` names a code file the release does not ship.",
    doc="""
    What it finds: in `config.json` (or `tokenizer_config.json`), an `auto_map` entry such as
    `"AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM"` whose module file
    (`modeling_deepseek.py`) is not in the release, or an `auto_map` that is not an object.
    References to another repository (`org/repo--module.Class`) are not this release's to ship.

    Why it matters: `from_pretrained(..., trust_remote_code=True)` imports that file from the
    repository; without it, loading fails for every user with a missing-module error.

    How to fix: add the modeling (or configuration, tokenizer) file to the release, or correct
    the module name in `auto_map`.
    """,
)
RK611 = Rule.define(
    "RK611", "missing-tokenizer", category="hygiene", severity=Severity.WARNING,
    summary="A transformers text model ships weights but no tokenizer files.",
    doc="""
    What it finds: a release whose `config.json` describes a text model (`model_type` or
    `architectures`, and a `vocab_size`) and which ships weights, but none of `tokenizer.json`,
    `tokenizer.model`, `tokenizer_config.json`, `vocab.json`/`vocab.txt`/`merges.txt`,
    sentencepiece or tiktoken files. Models without a vocabulary (vision, audio), pixel- or
    audio-only heads, diffusers pipelines, GGUF-only releases (a GGUF file carries its tokenizer),
    and configs that name where the tokenizer lives (`tokenizer_name_or_path`) are not reported;
    a Trainer's `training_args.bin` or `optimizer.pt` are not weights.

    Why it matters: `AutoTokenizer.from_pretrained` fails on the release, so the weights cannot be
    used for text as published.

    How to fix: save the tokenizer next to the model (`tokenizer.save_pretrained(dir)`), or say in
    the card which tokenizer to use and set `tokenizer_name_or_path` in the config.
    """,
)
RK612 = Rule.define(
    "RK612", "convert-staging-left", category="hygiene", severity=Severity.ERROR,
    summary=f"releasekit convert's staging folder (`{STAGING_DIR}`) is left in the release.",
    doc=f"""
    What it finds: a `{STAGING_DIR}/` folder, where `releasekit convert` keeps partial output
    while it runs: its presence means a conversion was interrupted.

    Why it matters: the folder holds half-written safetensors files and the run's state; the
    converted weights beside it may be incomplete, and the partial files would be published.

    How to fix: rerun `releasekit convert` with the same arguments to finish (it resumes from the
    staging folder and removes it), or delete the folder and convert again.
    """,
)

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack")
# Pickles a Trainer checkpoint carries beside the weights: not weights.
_NOT_WEIGHTS = ("training_args", "optimizer", "scheduler", "rng_state", "trainer_state", "scaler")


def _is_weights(f: ReleaseFile) -> bool:
    if f.name.startswith(_NOT_WEIGHTS):
        return False
    return f.kind == FileKind.SAFETENSORS or f.suffix in _WEIGHT_SUFFIXES


@check(RK610)
def auto_map_code_is_shipped(ctx: Context) -> Iterator[Finding]:
    """Every local module `auto_map` names exists in the release."""
    for name, data in (("config.json", ctx.config_json()), ("tokenizer_config.json", _json(ctx, "tokenizer_config.json"))):
        if not isinstance(data, dict) or "auto_map" not in data:
            continue
        auto_map = data["auto_map"]
        if not isinstance(auto_map, dict):
            yield RK610.finding(name, "auto_map is not an object mapping auto classes to `module.Class`: "
                                      "trust_remote_code loading fails; fix it")
            continue
        missing: dict[str, list[str]] = {}
        for auto_class, reference in auto_map_references(auto_map):
            path = module_file(reference)
            if path is None:
                yield RK610.finding(name, f"auto_map[{auto_class!r}] = {reference!r} is not `module.Class`: "
                                          "trust_remote_code loading fails; fix it")
            elif ctx.release.top_level(path) is None and ctx.release.by_path(path) is None:
                missing.setdefault(path, []).append(auto_class)
        for path, classes in sorted(missing.items()):
            yield RK610.finding(name, f"auto_map names {path} (for {', '.join(classes)}) but the release does not "
                                      f"ship it: trust_remote_code loading fails; add the file or fix auto_map")


def _json(ctx: Context, name: str) -> Any:
    f = ctx.release.top_level(name)
    if f is None:
        return None
    try:
        return json.loads(ctx.read_bytes(f))
    except (ValueError, RecursionError, OSError):
        return None  # invalid JSON is reported by the rules that own the file


@check(RK611)
def text_model_ships_a_tokenizer(ctx: Context) -> Iterator[Finding]:
    config = ctx.config_json()
    if config is None:
        return
    paths = [f.path for f in ctx.release.files]
    # GGUF files carry their tokenizer inside, so a GGUF-only release needs none beside them.
    weights = [f for f in ctx.release.regular_files() if _is_weights(f)]
    if not weights or has_tokenizer(paths) or not needs_tokenizer(config, paths):
        return
    yield RK611.finding("config.json", "a text model (it has a vocab_size) ships weights but no tokenizer files "
                                       "(tokenizer.json, tokenizer.model, tokenizer_config.json, vocab files): "
                                       "AutoTokenizer cannot load it; save the tokenizer with the model, or set "
                                       "tokenizer_name_or_path and say in the card which tokenizer to use")


@check(RK612)
def no_convert_staging_folder(ctx: Context) -> Iterator[Finding]:
    folders = {d for d in ctx.release.directories if d.split("/")[-1] == STAGING_DIR}
    for f in ctx.release.files:
        parts = f.path.split("/")
        if STAGING_DIR in parts[:-1]:
            folders.add("/".join(parts[:parts.index(STAGING_DIR) + 1]))
    for folder in sorted(folders):
        yield RK612.finding(folder, "an interrupted `releasekit convert` left its staging folder here (partial "
                                    "output and run state): delete it or rerun convert to finish")
