"""The card's "How to Get Started" code: it loads the files of this very release.

When the release ships its own inference code with a loader (a top-level `load_model(folder)`,
found by parsing the module with `ast`, never importing it), the quick start imports that loader
and, when the module has a `__main__` block, runs it. Otherwise it is the transformers snippet for
the architecture in config.json, with `trust_remote_code=True` exactly when config.json maps
classes to code shipped in the release (`auto_map`).
"""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from releasekit.context import Context
from releasekit.release import FileKind, ReleaseFile

LOADER_NAMES = ("load_model", "from_pretrained", "load")
INFERENCE_FOLDERS = ("inference", "infer", "serving", "demo")
MAX_SOURCE_BYTES = 1024 * 1024
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
_AUTO_CLASSES = (
    ("ForCausalLM", "AutoModelForCausalLM"),
    ("ForConditionalGeneration", "AutoModelForSeq2SeqLM"),
    ("ForSequenceClassification", "AutoModelForSequenceClassification"),
    ("ForTokenClassification", "AutoModelForTokenClassification"),
    ("ForMaskedLM", "AutoModelForMaskedLM"),
    ("ForQuestionAnswering", "AutoModelForQuestionAnswering"),
)


@dataclasses.dataclass(frozen=True)
class QuickStart:
    python: str  # a runnable Python snippet, run from the release folder
    shell: str | None  # shell lines (install the requirements, run the demo), or None
    source: str  # "release" (its inference code) or "transformers"
    module: str | None = None  # the release's inference module, when source == "release"


def _module_name(path: str) -> str | None:
    parts = PurePosixPath(path).with_suffix("").parts
    return ".".join(parts) if all(p.isidentifier() for p in parts) else None


def _loader(tree: ast.Module) -> str | None:
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name in LOADER_NAMES:
        fn = functions.get(name)
        if fn is not None and (fn.args.posonlyargs or fn.args.args):
            return name
    return None


def _has_main(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            constants = {n.value for n in ast.walk(node.test) if isinstance(n, ast.Constant)}
            if "__name__" in names and "__main__" in constants:
                return True
    return False


def _candidates(ctx: Context) -> list[ReleaseFile]:
    code = [f for f in ctx.release.of_kind(FileKind.CODE) if f.suffix == ".py"]
    in_folder = [f for f in code if f.parent.split("/")[0].lower() in INFERENCE_FOLDERS]
    at_root = [f for f in code if not f.parent and PurePosixPath(f.name).stem in ("inference", "generate", "model")]
    return in_folder + at_root


def _release_quickstart(ctx: Context) -> QuickStart | None:
    for f in _candidates(ctx):
        module = _module_name(f.path)
        if module is None:
            continue
        try:
            tree = ast.parse(ctx.read_bytes(f, MAX_SOURCE_BYTES))
        except (SyntaxError, ValueError):
            continue
        loader = _loader(tree)
        if loader is None:
            continue
        python = (
            f"# Run from the release folder.\n"
            f"from {module} import {loader}\n\n"
            f'model = {loader}(".")  # reads config.json and the safetensors shards of this release\n'
            f'print(type(model).__name__, "loaded")\n'
        )
        shell_lines = []
        requirements = ctx.release.by_path(f"{f.parent}/requirements.txt" if f.parent else "requirements.txt")
        if requirements is not None and not requirements.is_symlink:
            shell_lines.append(f"pip install -r {requirements.path}")
        if _has_main(tree):
            shell_lines.append(f"python {f.path}")
        return QuickStart(python, "\n".join(shell_lines) + "\n" if shell_lines else None, "release", module)
    return None


def auto_class(config: Mapping[str, Any]) -> str:
    archs = config.get("architectures")
    first = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else ""
    for suffix, auto in _AUTO_CLASSES:
        if first.endswith(suffix):
            return auto
    return "AutoModel"


def trust_remote_code(config: Mapping[str, Any]) -> bool:
    """True when config.json maps the model's classes to code in the release (`auto_map`)."""
    return isinstance(config.get("auto_map"), dict) and bool(config["auto_map"])


def _transformers_quickstart(ctx: Context, hub_repo: str | None) -> QuickStart:
    config = ctx.config_json() or {}
    auto = auto_class(config)
    remote = ", trust_remote_code=True" if trust_remote_code(config) else ""
    tokenizer = any(ctx.release.top_level(name) is not None for name in TOKENIZER_FILES)
    model_id = hub_repo or "."
    lines = [f"from transformers import {auto}" + (", AutoTokenizer" if tokenizer else ""), ""]
    lines.append(f"model_id = {json.dumps(model_id)}" + ("  # or the path of a local copy of this release" if hub_repo
                                                 else "  # this release's folder"))
    if tokenizer:
        lines.append(f"tokenizer = AutoTokenizer.from_pretrained(model_id{remote})")
    lines.append(f'model = {auto}.from_pretrained(model_id{remote}, torch_dtype="auto", device_map="auto")')
    if tokenizer and auto == "AutoModelForCausalLM":
        lines += ['inputs = tokenizer("The capital of France is", return_tensors="pt").to(model.device)',
                  "print(tokenizer.decode(model.generate(**inputs, max_new_tokens=20)[0]))"]
    else:
        lines.append('print(type(model).__name__, "loaded")')
    return QuickStart("\n".join(lines) + "\n", "pip install transformers accelerate\n", "transformers")


def quickstart(ctx: Context, hub_repo: str | None) -> QuickStart:
    """The release's own inference code when it ships a loader, else transformers."""
    return _release_quickstart(ctx) or _transformers_quickstart(ctx, hub_repo)
