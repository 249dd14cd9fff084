"""The card's Hub metadata, built with huggingface_hub's ModelCardData (its YAML, not ours).

Values come from the release (license text, config.json) and from `[card]`; the result is
validated with the same offline validator the card rules use, so a card `releasekit card` writes
never fails `releasekit check --select card`. A value the Hub would refuse is an error naming
the `[card]` key that gave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from releasekit.cardgen.facts import CardError, WeightFacts
from releasekit.cardgen.license import CardLicense
from releasekit.cardgen.quickstart import auto_class
from releasekit.cardgen.settings import SETTINGS_TABLE
from releasekit.cardmeta import validate
from releasekit.safetensors_format import FP8_DTYPES

if TYPE_CHECKING:
    from huggingface_hub import ModelCardData

_PIPELINE_BY_AUTO = {
    "AutoModelForCausalLM": "text-generation",
    "AutoModelForSequenceClassification": "text-classification",
    "AutoModelForTokenClassification": "token-classification",
    "AutoModelForMaskedLM": "fill-mask",
    "AutoModelForQuestionAnswering": "question-answering",
}
# validate.Issue.field -> the [card] key that supplies it.
_KEY_OF_FIELD = {
    "pipeline_tag": "pipeline_tag",
    "library_name": "library_name",
    "language": "languages",
    "base_model": "base_model",
    "datasets": "datasets",
    "model-index": "evaluation",
    "type": "tags",
    "license": "license_name",
}


def derived_tags(config: Mapping[str, Any], facts: WeightFacts) -> list[str]:
    """Tags the release's own files justify: model type, moe, mla, fp8, mtp."""
    tags: list[str] = []
    model_type = config.get("model_type")
    if isinstance(model_type, str) and model_type.strip():
        tags.append(model_type.strip())
    if facts.params.is_moe:
        tags.append("moe")
    if config.get("kv_lora_rank"):
        tags.append("mla")
    if any(d.dtype in FP8_DTYPES for d in facts.dtypes):
        tags.append("fp8")
    if facts.params.mtp:
        tags.append("mtp")
    return tags


def pipeline_tag(card: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    return card["pipeline_tag"] or _PIPELINE_BY_AUTO.get(auto_class(config))


def library_name(card: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    if card["library_name"]:
        return str(card["library_name"])
    return "transformers" if isinstance(config.get("model_type"), str) and config["model_type"] else None


def build_metadata(card: Mapping[str, Any], name: str, config: Mapping[str, Any], facts: WeightFacts,
                   license_: CardLicense, origin: str) -> ModelCardData:
    """ModelCardData for the card; raises CardError when the Hub would refuse a value."""
    from huggingface_hub import EvalResult, ModelCardData  # the Hub client costs ~1 s to import

    task = pipeline_tag(card, config)
    results = [
        EvalResult(
            task_type=entry.get("task") or task or "text-generation",
            dataset_type=entry["dataset"],
            dataset_name=entry["benchmark"],
            dataset_split=entry.get("split"),
            metric_type=entry["metric"],
            metric_value=entry["value"],
            source_url=entry.get("source_url"),
        )
        for entry in card["evaluation"]
    ]
    tags = list(dict.fromkeys(derived_tags(config, facts) + list(card["tags"])))
    base = card["base_model"]
    kwargs: dict[str, Any] = {}
    if card["base_model_relation"]:
        kwargs["base_model_relation"] = card["base_model_relation"]
    data = ModelCardData(
        license=license_.hub_id,
        license_name=license_.name if license_.hub_id == "other" else None,
        license_link=license_.link if license_.hub_id == "other" else None,
        library_name=library_name(card, config),
        pipeline_tag=task,
        base_model=(base[0] if len(base) == 1 else list(base)) or None,
        datasets=list(card["datasets"]) or None,
        language=list(card["languages"]) or None,
        tags=tags or None,
        model_name=name if results else None,
        eval_results=results or None,
        **kwargs,
    )
    for issue in validate.validate(data.to_dict()):  # warnings too: a generated card has none
        key = issue.key if issue.key in SETTINGS_TABLE else _KEY_OF_FIELD.get(issue.field, issue.key)
        raise CardError(f"{origin}: [card] {key}: the Hub would not accept the card: {issue.message}")
    return data
