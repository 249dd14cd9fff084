"""Validate card metadata offline, the way the Hub does when the README.md is pushed.

Severity follows the Hub: an `error` where the Hub refuses the push (a license id it does not list,
an unknown `pipeline_tag`, a malformed `base_model`, a `model-index` missing a required key, a
field of the wrong type); a `warning` where it accepts the card but the page degrades (an unknown
`library_name` gets no code snippet, an unknown language code is not linked, a malformed dataset
id is not linked). Repo ids are checked with huggingface_hub's own `validate_repo_id`; the
`model-index` required keys are those of the Hub's metadata spec (hub-docs `modelcard.md`), and a
valid model-index is also run through huggingface_hub's `model_index_to_eval_results`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from huggingface_hub.repocard_data import EvalResult

from releasekit.cardmeta import hubdata
from releasekit.findings import Severity
from releasekit.licenses import hub

ERROR, WARNING = Severity.ERROR, Severity.WARNING
BASE_MODEL_RELATIONS = ("adapter", "merge", "quantized", "finetune")


@dataclasses.dataclass(frozen=True)
class Issue:
    """One problem with one metadata field. `field` says which rule reports it."""

    field: str  # license, pipeline_tag, library_name, language, base_model, datasets, model-index, type
    severity: Severity
    message: str
    key: str  # the top-level key, for its line number


def _strings(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_str_or_str_list(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _repo_id_problem(value: str) -> str | None:
    # Imported here: huggingface_hub.utils pulls its HTTP stack, which `check` needs only for cards
    # that name a base model or datasets.
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(value)
    except HFValidationError as exc:
        return str(exc).split(". Use `repo_type`")[0].rstrip(".")
    return None


def validate(metadata: Mapping[str, Any]) -> list[Issue]:
    """Every problem of the metadata, in key order."""
    issues: list[Issue] = []
    issues += _license(metadata)
    issues += _pipeline_tag(metadata)
    issues += _library(metadata)
    issues += _language(metadata)
    issues += _base_model(metadata)
    issues += _datasets(metadata)
    issues += list(_model_index(metadata))
    issues += _types(metadata)
    return issues


def _license(md: Mapping[str, Any]) -> list[Issue]:
    if "license" not in md or md["license"] in (None, ""):
        return [
            Issue(
                "license",
                WARNING,
                "card metadata has no `license:`; the Hub page will show no license: "
                "add the Hub id of the LICENSE file (e.g. `license: mit`)",
                "license",
            )
        ]
    value = md["license"]
    if not isinstance(value, str):
        return [
            Issue(
                "license",
                ERROR,
                f"`license:` must be one Hub license id, not {type(value).__name__} "
                f"{value!r}; the Hub refuses the push",
                "license",
            )
        ]
    if hub.is_hub_license(value):
        return []
    hint = hub.suggestion(value)
    fix = (
        f"write `{hint}`"
        if hint
        else "use an id from the Hub's list, or `license: other` with `license_name` and `license_link`"
    )
    return [
        Issue(
            "license",
            ERROR,
            f"`license: {value}` is not a license id the Hub accepts; the push is refused: {fix}",
            "license",
        )
    ]


def _pipeline_tag(md: Mapping[str, Any]) -> list[Issue]:
    if "pipeline_tag" not in md or md["pipeline_tag"] is None:
        return []
    value = md["pipeline_tag"]
    if not isinstance(value, str) or value not in hubdata.pipeline_tags():
        close = [
            t
            for t in sorted(hubdata.pipeline_tags())
            if isinstance(value, str) and value.replace("_", "-").lower() == t
        ]
        fix = (
            f"write `pipeline_tag: {close[0]}`"
            if close
            else "use a task id from the Hub's task list (e.g. text-generation)"
        )
        return [
            Issue(
                "pipeline_tag",
                ERROR,
                f"`pipeline_tag: {value}` is not a Hub task; the push is refused: {fix}",
                "pipeline_tag",
            )
        ]
    return []


def _library(md: Mapping[str, Any]) -> list[Issue]:
    if "library_name" not in md or md["library_name"] is None:
        return []
    value = md["library_name"]
    if not isinstance(value, str):
        return [
            Issue("library_name", ERROR, f"`library_name` must be a string, not {type(value).__name__}", "library_name")
        ]
    if value not in hubdata.libraries():
        lowered = [lib for lib in hubdata.libraries() if lib.lower() == value.lower()]
        fix = f"write `library_name: {lowered[0]}`" if lowered else "use a library id the Hub knows, or remove the key"
        return [
            Issue(
                "library_name",
                WARNING,
                f"`library_name: {value}` is not a library the Hub knows: no usage "
                f"snippet or download count on the page: {fix}",
                "library_name",
            )
        ]
    return []


def _language(md: Mapping[str, Any]) -> list[Issue]:
    if "language" not in md or md["language"] is None:
        return []
    value = md["language"]
    if not _is_str_or_str_list(value):
        return [
            Issue(
                "language",
                ERROR,
                "`language` must be a language code or a list of codes (strings); the push is refused",
                "language",
            )
        ]
    issues = []
    for code in _strings(value):
        if code not in hubdata.languages():
            hint = f" (did you mean `{code.lower()}`?)" if code.lower() in hubdata.languages() else ""
            issues.append(
                Issue(
                    "language",
                    WARNING,
                    f"language `{code}` is not an ISO 639-1/639-3 code the Hub knows{hint}: the page will not link it",
                    "language",
                )
            )
    return issues


def _base_model(md: Mapping[str, Any]) -> list[Issue]:
    if "base_model" not in md or md["base_model"] is None:
        return []
    value = md["base_model"]
    if not _is_str_or_str_list(value):
        return [Issue("base_model", ERROR, "`base_model` must be a model id or a list of model ids", "base_model")]
    issues = []
    for model_id in _strings(value):
        problem = _repo_id_problem(model_id)
        if problem:
            issues.append(
                Issue(
                    "base_model",
                    ERROR,
                    f"`base_model: {model_id}` is not a Hub model id ({problem}); "
                    "the push is refused: write `owner/name`",
                    "base_model",
                )
            )
    relation = md.get("base_model_relation")
    if relation is not None and relation not in BASE_MODEL_RELATIONS:
        issues.append(
            Issue(
                "base_model",
                ERROR,
                f"`base_model_relation: {relation}` must be one of {', '.join(BASE_MODEL_RELATIONS)}",
                "base_model_relation",
            )
        )
    return issues


def _datasets(md: Mapping[str, Any]) -> list[Issue]:
    if "datasets" not in md or md["datasets"] is None:
        return []
    value = md["datasets"]
    if not _is_str_or_str_list(value):
        return [
            Issue("datasets", ERROR, "`datasets` must be a dataset id or a list of dataset ids (strings)", "datasets")
        ]
    issues = []
    for dataset_id in _strings(value):
        problem = _repo_id_problem(dataset_id)
        if problem:
            issues.append(
                Issue(
                    "datasets",
                    WARNING,
                    f"dataset `{dataset_id}` is not a Hub dataset id ({problem}): the "
                    "page will not link it: write `owner/name`",
                    "datasets",
                )
            )
    return issues


def _model_index(md: Mapping[str, Any]) -> Iterator[Issue]:
    if "model-index" not in md or md["model-index"] is None:
        return
    index = md["model-index"]

    def bad(where: str, what: str) -> Issue:
        return Issue("model-index", ERROR, f"model-index{where}: {what}; the push is refused", "model-index")

    if not isinstance(index, list) or not index:
        yield bad("", "must be a non-empty list of models")
        return
    found_error = False
    for m, model in enumerate(index):
        if not isinstance(model, dict):
            yield bad(f"[{m}]", "must be a mapping with `name` and `results`")
            found_error = True
            continue
        if not isinstance(model.get("name"), str):
            yield bad(f"[{m}].name", "is required (the model's name)")
            found_error = True
        results = model.get("results")
        if not isinstance(results, list):
            yield bad(f"[{m}].results", "is required (a list of results)")
            found_error = True
            continue
        for r, result in enumerate(results):
            where = f"[{m}].results[{r}]"
            if not isinstance(result, dict):
                yield bad(where, "must be a mapping with task, dataset and metrics")
                found_error = True
                continue
            for problem in _result_problems(result):
                yield bad(where + problem[0], problem[1])
                found_error = True
    if not found_error:
        from huggingface_hub.repocard_data import model_index_to_eval_results  # heavy: only when a card has one

        try:
            model_index_to_eval_results(index)
        except (KeyError, TypeError, ValueError) as exc:
            yield bad("", f"cannot be read by huggingface_hub ({type(exc).__name__}: {exc})")


def _result_problems(result: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    task = result.get("task")
    if not isinstance(task, dict) or not isinstance(task.get("type"), str):
        yield ".task.type", "is required (a task id, e.g. text-generation)"
    dataset = result.get("dataset")
    if not isinstance(dataset, dict):
        yield ".dataset", "is required (with `type` and `name`)"
    else:
        for key in ("type", "name"):
            if not isinstance(dataset.get(key), str):
                yield f".dataset.{key}", "is required"
    metrics = result.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        yield ".metrics", "is required (a non-empty list of metrics with `type` and `value`)"
    else:
        for k, metric in enumerate(metrics):
            if not isinstance(metric, dict):
                yield f".metrics[{k}]", "must be a mapping with `type` and `value`"
                continue
            if not isinstance(metric.get("type"), str):
                yield f".metrics[{k}].type", "is required"
            if "value" not in metric or metric["value"] is None:
                yield f".metrics[{k}].value", "is required"
    source = result.get("source")
    if source is not None and (not isinstance(source, dict) or not isinstance(source.get("url"), str)):
        yield ".source.url", "is required when `source` is given"


def _types(md: Mapping[str, Any]) -> list[Issue]:
    issues = []
    for key in ("tags", "metrics"):
        if key in md and md[key] is not None and not _is_str_or_str_list(md[key]):
            issues.append(Issue("type", ERROR, f"`{key}` must be a list of strings; the push is refused", key))
    for key in ("license_name", "license_link", "thumbnail", "model_name", "new_version"):
        if key in md and md[key] is not None and not isinstance(md[key], str):
            issues.append(Issue("type", ERROR, f"`{key}` must be a string, not {type(md[key]).__name__}", key))
    return issues


def eval_results(metadata: Mapping[str, Any]) -> list[EvalResult]:
    """The evaluation results of a valid `model-index`, through huggingface_hub; [] otherwise."""
    index = metadata.get("model-index")
    if not index or any(True for _ in _model_index(metadata)):
        return []
    from huggingface_hub.repocard_data import model_index_to_eval_results  # heavy: only when a card has one

    try:
        return model_index_to_eval_results(index)[1]
    except (KeyError, TypeError, ValueError):
        return []
