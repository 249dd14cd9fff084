"""The `[card]` table of releasekit.toml: what the files of a release cannot tell the model card.

Declared once in SETTINGS_TABLE (key -> (type, default, doc)), in the shape the settings model
folds in. `parse_card_settings` validates a raw table: an unknown key or a value of the wrong type
is a UsageError naming the file and the key (one line, exit 2). `skeleton()` is the commented
table `releasekit card --init` writes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from releasekit.errors import UsageError

SETTINGS_TABLE: dict[str, tuple[type, Any, str]] = {  # table [card] of releasekit.toml
    "name": (str, None, "The model's display name (default: the folder name)."),
    "organisation": (str, None, "Who develops the model (the card's \"Developed by\")."),
    "summary": (str, None, "One paragraph saying what the model is, for the top of the card and the GitHub README."),
    "technical_report": (str, None, "URL of the technical report."),
    "paper": (str, None, "URL of the research paper."),
    "hub_repo": (str, None, "The model's Hub repository id, `org/name` (the quick start and the README link to it)."),
    "github_repo": (str, None, "URL of the GitHub repository."),
    "demo": (str, None, "URL of a demo."),
    "base_model": (list, [], "Hub ids of the model(s) this one is derived from."),
    "base_model_relation": (str, None, "How it derives from base_model: adapter, merge, quantized or finetune."),
    "datasets": (list, [], "Hub dataset ids the model was trained on."),
    "languages": (list, [], "ISO 639-1/639-3 codes of the languages the model handles, e.g. [\"en\", \"zh\"]."),
    "tags": (list, [], "Extra Hub tags (the architecture's tags are added from config.json)."),
    "pipeline_tag": (str, None, "The Hub task (default: from config.json's architectures, e.g. text-generation)."),
    "library_name": (str, None, "The Hub library (default: transformers when config.json has a model_type)."),
    "license_name": (str, None, "Short name of a custom license releasekit cannot identify (then `license: other`)."),
    "intended_uses": (str, None, "What the model is for (Markdown)."),
    "out_of_scope": (str, None, "Uses the model is not suited or allowed for (Markdown)."),
    "limitations": (str, None, "Known biases, risks and limitations (Markdown)."),
    "training": (str, None, "How the model was trained: data, procedure, compute (Markdown)."),
    "environmental_impact": (str, None, "Hardware, hours, region and emissions of training, where known (Markdown)."),
    "evaluation": (list, [], "Evaluation results: a [[card.evaluation]] table per result (keys below)."),
    "citation": (str, None, "BibTeX entry to cite the model."),
    "contact": (str, None, "Where to reach the developers (an email address or URL)."),
}

# Keys of each [[card.evaluation]] entry: (type, required, doc).
EVALUATION_KEYS: dict[str, tuple[tuple[type, ...], bool, str]] = {
    "benchmark": ((str,), True, "The benchmark's name, e.g. \"MMLU\"."),
    "dataset": ((str,), True, "The benchmark's Hub dataset id (or short type), e.g. \"cais/mmlu\"."),
    "metric": ((str,), True, "The metric, e.g. \"accuracy\" or \"pass@1\"."),
    "value": ((int, float), True, "The score."),
    "how": ((str,), False, "How it was run: shots, prompt, harness, e.g. \"5-shot, lm-eval-harness 0.4\"."),
    "task": ((str,), False, "The Hub task of the result (default: the card's pipeline_tag)."),
    "split": ((str,), False, "The dataset split evaluated."),
    "source_url": ((str,), False, "URL where the result is published (the Hub shows it as the source)."),
}

URL_KEYS = ("technical_report", "paper", "github_repo", "demo")
# Markdown the lab writes, placed in the card as written.
PROSE_KEYS = ("summary", "intended_uses", "out_of_scope", "limitations", "training", "environmental_impact")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.M)
_URL = re.compile(r"^https?://[^\s<>()\[\]\"'`]+$")
_LIST_ITEM = str


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", list: "a list", int: "a number", float: "a number"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def parse_card_settings(table: Any, origin: str) -> dict[str, Any]:
    """Validate the raw `[card]` table; the declared keys with defaults filled in.

    `origin` is the settings file's name, for messages. Raises UsageError (exit 2) for an unknown
    key, a value of the wrong type, a list item that is not a string, or a link that is not http(s).
    """
    if table is None:
        table = {}
    if not isinstance(table, Mapping):
        raise UsageError(f"{origin}: [card] must be a table")
    unknown = sorted(set(table) - set(SETTINGS_TABLE))
    if unknown:
        raise UsageError(f"{origin}: [card] unknown key {unknown[0]!r} (known: {', '.join(SETTINGS_TABLE)})")
    out: dict[str, Any] = {}
    for key, (kind, default, _doc) in SETTINGS_TABLE.items():
        if key not in table:
            out[key] = list(default) if isinstance(default, list) else default
            continue
        value = table[key]
        if kind is list and isinstance(value, str) and key != "evaluation":
            value = [value]  # one dataset or language may be written without brackets
        if not _is(value, kind):
            raise UsageError(f"{origin}: [card] {key} must be {_type_name(kind)}, not {type(value).__name__}")
        if kind is str and not value.strip():
            raise UsageError(f"{origin}: [card] {key} is empty: remove it or give it a value")
        if key == "evaluation":
            value = [_evaluation_entry(item, n, origin) for n, item in enumerate(value, start=1)]
        elif kind is list:
            for item in value:
                if not isinstance(item, _LIST_ITEM) or not item.strip():
                    raise UsageError(f"{origin}: [card] {key} must be a list of non-empty strings, "
                                     f"not containing {item!r}")
        if key in PROSE_KEYS and len(_FENCE_LINE.findall(value)) % 2:
            raise UsageError(f"{origin}: [card] {key} opens a code fence it does not close: the rest of the card "
                             "would read as code")
        if key == "hub_repo":
            _check_repo_id(value, f"{origin}: [card] hub_repo")
        if key in URL_KEYS and not _URL.match(value):
            raise UsageError(f"{origin}: [card] {key} must be an http(s) URL, not {value!r}")
        out[key] = value
    if out["base_model_relation"] and not out["base_model"]:
        raise UsageError(f"{origin}: [card] base_model_relation needs base_model (the model it derives from)")
    return out


def _check_repo_id(value: str, where: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(value)
    except HFValidationError as exc:
        raise UsageError(f"{where} must be a Hub repo id `org/name`, not {value!r} ({exc})") from None


def _evaluation_entry(item: Any, number: int, origin: str) -> dict[str, Any]:
    where = f"{origin}: [card] evaluation #{number}"
    if not isinstance(item, Mapping):
        raise UsageError(f"{where} must be a table ([[card.evaluation]]), not {type(item).__name__}")
    unknown = sorted(set(item) - set(EVALUATION_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(EVALUATION_KEYS)})")
    for key, (kinds, required, _doc) in EVALUATION_KEYS.items():
        if key not in item:
            if required:
                raise UsageError(f"{where}: missing {key!r} ({EVALUATION_KEYS[key][2]})")
            continue
        if not _is(item[key], kinds):
            raise UsageError(f"{where}: {key} must be {_type_name(kinds)}, not {type(item[key]).__name__}")
        if isinstance(item[key], str) and not item[key].strip():
            raise UsageError(f"{where}: {key} is empty")
    if isinstance(item["value"], float) and not math.isfinite(item["value"]):
        raise UsageError(f"{where}: value must be a finite number, not {item['value']}")
    if "source_url" in item and not _URL.match(item["source_url"]):
        raise UsageError(f"{where}: source_url must be an http(s) URL, not {item['source_url']!r}")
    return dict(item)


def describe(key: str) -> str:
    """`[card] limitations = "..."  (Known biases, ...)` for error messages."""
    kind = SETTINGS_TABLE[key][0]
    example = '"..."' if kind is str else '["..."]'
    return f'releasekit.toml [card] {key} = {example} ({SETTINGS_TABLE[key][2]})'


def skeleton() -> str:
    """A commented `[card]` table with every key, for `releasekit card --init`."""
    lines = [
        "# The model card's facts that the files cannot tell (`releasekit card` reads them).",
        "# Uncomment and fill in; parameter counts, dtypes, sizes, the architecture and the license",
        "# are computed from the release itself and need no entry.",
        "[card]",
    ]
    for key, (kind, default, doc) in SETTINGS_TABLE.items():
        if key == "evaluation":
            continue
        lines.append(f"# {doc}")
        if kind is list:
            lines.append(f"# {key} = []")
        elif key in ("intended_uses", "out_of_scope", "limitations", "training", "environmental_impact",
                     "citation"):
            lines.append(f'# {key} = """\n# ...\n# """')
        else:
            lines.append(f'# {key} = ""')
    lines.append("")
    lines.append("# " + SETTINGS_TABLE["evaluation"][2])
    lines.append("# [[card.evaluation]]")
    for key, (_kinds, required, doc) in EVALUATION_KEYS.items():
        example = "0.0" if key == "value" else '""'
        lines.append(f"# {key} = {example}  # {'required' if required else 'optional'}: {doc}")
    return "\n".join(lines) + "\n"
