"""Model card rules: metadata the Hub accepts, the sections readers expect, and claims the release keeps."""

from __future__ import annotations

import re
from collections.abc import Iterator

from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check
from releasekit.release import FileKind

_HUB_RULE = """

    Why it matters: the Hub validates the card's metadata when `README.md` is pushed and refuses
    the whole push when it is invalid (an error here); where it only degrades the page (no
    snippet, no link, no filter) this is a warning."""

RK401 = Rule.define(
    "RK401",
    "card-missing",
    category="card",
    severity=Severity.ERROR,
    summary="The release has no model card (README.md at its root).",
    doc="""
    What it finds: no `README.md` at the root of the release.

    Why it matters: the card is the release's documentation and its Hub metadata (license, task,
    library); without it the Hub page is empty and users cannot know what they are getting.

    How to fix: write a `README.md` with YAML metadata and the sections of the Hub's model card
    template (`huggingface_hub.ModelCard.from_template` renders one).
    """,
)

RK402 = Rule.define(
    "RK402",
    "card-metadata-missing",
    category="card",
    severity=Severity.ERROR,
    summary="The model card does not begin with a YAML metadata block.",
    doc="""
    What it finds: `README.md` does not begin with a `---` ... `---` YAML block, or the block is
    never closed.

    Why it matters: the Hub reads license, task, library, languages and evaluation results from
    that block only; without it the model has no license on the Hub and is missing from filters.

    How to fix: begin the card with
    `---` / `license: mit` / `library_name: transformers` / `pipeline_tag: text-generation` / `---`.
    """,
)

RK403 = Rule.define(
    "RK403",
    "card-metadata-invalid",
    category="card",
    severity=Severity.ERROR,
    summary="The card's YAML metadata does not parse, has duplicate keys, or is not a mapping.",
    doc="""
    What it finds: a metadata block PyYAML's safe loader cannot parse (the line is reported), a
    key given twice, or a block that is a list or a scalar instead of `key: value` pairs.

    Why it matters: the Hub refuses to push a README.md whose metadata does not parse.

    How to fix: fix the YAML at the reported line (quote values with `:` or `#`, close brackets,
    keep one entry per key).
    """,
)

RK404 = Rule.define(
    "RK404",
    "card-license-id",
    category="card",
    severity=Severity.ERROR,
    summary="The card's `license:` is missing or not a license id the Hub accepts.",
    doc="""
    What it finds: no `license:` in the metadata (a warning), or a value that is not on the Hub's
    list of license ids (an error; releasekit ships a dated snapshot of the list), with the id to
    use where it can guess (`Apache 2.0` -> `apache-2.0`, `deepseek` -> `license: other` with
    `license_name: deepseek-license`)."""
    + _HUB_RULE
    + """

    How to fix: use an id from https://huggingface.co/docs/hub/repositories-licenses, or
    `license: other` with `license_name` and `license_link`.
    """,
)

RK405 = Rule.define(
    "RK405",
    "card-pipeline-tag",
    category="card",
    severity=Severity.ERROR,
    summary="The card's `pipeline_tag` is not a Hub task.",
    doc="""
    What it finds: a `pipeline_tag` that is not one of the Hub's task ids (snapshot of
    huggingface.js `pipelines.ts`), for example `text_generation` instead of `text-generation`."""
    + _HUB_RULE
    + """

    How to fix: use the Hub's task id (https://huggingface.co/tasks).
    """,
)

RK406 = Rule.define(
    "RK406",
    "card-library-name",
    category="card",
    severity=Severity.WARNING,
    summary="The card's `library_name` is not a library the Hub knows.",
    doc="""
    What it finds: a `library_name` that is not in the Hub's library list (snapshot of
    huggingface.js `model-libraries.ts`), e.g. `Transformers` for `transformers`; an error when
    it is not a string."""
    + _HUB_RULE
    + """

    How to fix: use the Hub's library id, or drop the key if your library is not integrated.
    """,
)

RK407 = Rule.define(
    "RK407",
    "card-language",
    category="card",
    severity=Severity.WARNING,
    summary="A `language` entry is not an ISO 639-1/639-3 code the Hub knows.",
    doc="""
    What it finds: `language` entries that are not language codes on the Hub's list (ISO 639-1
    and 639-3, from huggingface.js `languages`), e.g. `English` or `EN`; an error when `language`
    is not a string or a list of strings."""
    + _HUB_RULE
    + """

    How to fix: use codes: `language: [en, fr]`.
    """,
)

RK408 = Rule.define(
    "RK408",
    "card-base-model",
    category="card",
    severity=Severity.ERROR,
    summary="`base_model` is not a Hub model id (or `base_model_relation` is unknown).",
    doc="""
    What it finds: a `base_model` that is not a valid repo id by huggingface_hub's own
    `validate_repo_id` (a URL, a local path, `a/b/c`), or a `base_model_relation` other than
    adapter, merge, quantized, finetune. Whether the model exists cannot be checked offline."""
    + _HUB_RULE
    + """

    How to fix: write the base model's id, `owner/name`, or a list of them for a merge.
    """,
)

RK409 = Rule.define(
    "RK409",
    "card-datasets",
    category="card",
    severity=Severity.WARNING,
    summary="A `datasets` entry is not a Hub dataset id.",
    doc="""
    What it finds: `datasets` entries that are not valid repo ids (a URL, a sentence); an error
    when `datasets` is not a string or a list of strings."""
    + _HUB_RULE
    + """

    How to fix: list the Hub ids of the training datasets, `owner/name`; describe others in the
    card's Training Data section.
    """,
)

RK410 = Rule.define(
    "RK410",
    "card-model-index",
    category="card",
    severity=Severity.ERROR,
    summary="The card's `model-index` misses a required key (task, dataset, metrics ...).",
    doc="""
    What it finds: a `model-index` that is not a list of `{name, results}`, or a result without
    `task.type`, `dataset.type`, `dataset.name`, or metrics with `type` and `value`, or a `source`
    without `url` (the Hub's metadata spec); the path of each missing key is reported."""
    + _HUB_RULE
    + """

    How to fix: complete the entry (see hub-docs `modelcard.md`), or let
    `huggingface_hub.EvalResult` and `ModelCardData(eval_results=...)` write it.
    """,
)

RK411 = Rule.define(
    "RK411",
    "card-field-type",
    category="card",
    severity=Severity.ERROR,
    summary="A metadata field has the wrong type (e.g. `tags` is not a list of strings).",
    doc="""
    What it finds: `tags` or `metrics` that are not a list of strings; `license_name`,
    `license_link`, `thumbnail`, `model_name` or `new_version` that are not strings."""
    + _HUB_RULE
    + """

    How to fix: give the field the type of the Hub's metadata spec.
    """,
)

RK412 = Rule.define(
    "RK412",
    "card-section-missing",
    category="card",
    severity=Severity.WARNING,
    summary="The card lacks a section of the Hub's model card template.",
    doc="""
    What it finds: no heading for one of the sections of the Hub's model card template: Model
    Details, Uses, Bias, Risks, and Limitations, How to Get Started with the Model, Training
    Details, Evaluation, Citation. Headings are matched loosely ("Quickstart", "Intended Use",
    "Benchmarks", "How to cite" all count).

    Why it matters: readers look for these to decide whether and how to use the model; an
    undocumented limitation or training set is a risk the card should state.

    How to fix: add the section, even to say "not evaluated" or "no known limitations yet".
    """,
)

RK413 = Rule.define(
    "RK413",
    "card-transformers-config",
    category="card",
    severity=Severity.ERROR,
    summary="`library_name: transformers` without a config.json carrying `model_type`.",
    doc="""
    What it finds: a card declaring `library_name: transformers` while the release has no root
    `config.json`, or one without a `model_type`.

    Why it matters: `AutoConfig`/`AutoModel.from_pretrained` dispatch on `model_type`; without it
    the snippet the Hub shows fails for every user.

    How to fix: ship the model's `config.json` with its `model_type` (and `auto_map` for custom
    code), or set `library_name` to the library that does load the model.
    """,
)

RK414 = Rule.define(
    "RK414",
    "card-weights-format",
    category="card",
    severity=Severity.WARNING,
    summary="The card's code loads safetensors when only pickles ship, or pickles when only safetensors ship.",
    doc="""
    What it finds: code blocks of the card that load `model.safetensors` (or use
    `safetensors.torch.load_file`, `use_safetensors=True`) while the release ships only pickled
    weights, or that load `pytorch_model.bin`/`*.pt`/`torch.load` while it ships only safetensors.

    Why it matters: the card's instructions are the first thing users run; if they name weights
    the release does not have, they fail.

    How to fix: update the card's code to the files the release ships (prefer safetensors; see
    `releasekit convert`).
    """,
)

_BY_FIELD = {
    "license": RK404,
    "pipeline_tag": RK405,
    "library_name": RK406,
    "language": RK407,
    "base_model": RK408,
    "datasets": RK409,
    "model-index": RK410,
    "type": RK411,
}

_FENCED = re.compile(r"^\s{0,3}(```|~~~)[^\n]*\n(.*?)^\s{0,3}\1", re.M | re.S)
_LOADS_SAFETENSORS = re.compile(
    r"\.safetensors\b|use_safetensors\s*=\s*True|safetensors\.(torch|numpy|flax)|"
    r"\bsafe_open\s*\("
)
_LOADS_PICKLE = re.compile(
    r"pytorch_model\.bin|\.(bin|pt|pth|ckpt|pkl)[\"']|\btorch\.load\s*\(|"
    r"use_safetensors\s*=\s*False|\bpickle\.load"
)
_WEIGHT_PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


@check(RK401, RK402, RK403)
def card_present(ctx: Context) -> Iterator[Finding]:
    """A README.md that begins with parseable YAML metadata."""
    from releasekit.cardmeta.load import load_card  # the card machinery loads when a card rule runs

    card = load_card(ctx)
    if card is None:
        yield RK401.finding(".", "no model card: add README.md with YAML metadata and the model card sections")
        return
    if card.metadata is None:
        if card.error and card.error.startswith(("no YAML", "the YAML metadata block")):
            yield RK402.finding(
                card.path,
                f"{card.error}: begin the card with a `---` block holding license, library_name and pipeline_tag",
                line=card.error_line,
            )
        else:
            yield RK403.finding(
                card.path, f"{card.error}: the Hub refuses to push it; fix the YAML", line=card.error_line
            )


@check(RK404, RK405, RK406, RK407, RK408, RK409, RK410, RK411)
def card_metadata_valid(ctx: Context) -> Iterator[Finding]:
    """Each metadata field holds a value the Hub accepts."""
    from releasekit.cardmeta import validate
    from releasekit.cardmeta.load import load_card

    card = load_card(ctx)
    if card is None or card.metadata is None:
        return
    for issue in validate.validate(card.metadata):
        rule = _BY_FIELD[issue.field]
        message = issue.message
        if issue.field == "license" and issue.key == "license" and "no `license:`" in message:
            message = _no_license_message(ctx)
        yield rule.finding(card.path, message, line=card.line_of(issue.key), severity=issue.severity)


def _no_license_message(ctx: Context) -> str:
    """RK404 for a card without `license:`: name the id of the license that covers the weights."""
    from releasekit.licenses import hub, scan

    covering = [lf for lf in scan.scan(ctx).covering(scan.MODEL) if lf.identification.license_id]
    base = "card metadata has no `license:`; the Hub page will show no license: "
    if not covering:
        return base + "add the Hub id of the LICENSE file (e.g. `license: mit`)"
    lf = covering[0]
    license_id = lf.identification.license_id or ""
    hub_ids = [h for h in sorted(hub.hub_license_ids()) if h not in hub.NO_SPDX and hub.to_spdx(h) == license_id]
    if license_id.startswith("LicenseRef-") and hub.is_hub_license(license_id[len("LicenseRef-") :]):
        hub_ids = [license_id[len("LicenseRef-") :]]
    if hub_ids:
        return base + f"add `license: {hub_ids[0]}` ({lf.path} is {license_id}, the license of the weights)"
    name = license_id[len("LicenseRef-") :] if license_id.startswith("LicenseRef-") else license_id
    return (
        base + f"add `license: other`, `license_name: {name}`, `license_link: {lf.path}` "
        f"({lf.path} is {license_id}, the license of the weights)"
    )


@check(RK412)
def card_sections(ctx: Context) -> Iterator[Finding]:
    """The sections of the Hub's template are there, under whatever heading."""
    from releasekit.cardmeta import sections
    from releasekit.cardmeta.load import load_card

    card = load_card(ctx)
    if card is None:
        return
    missing = sections.missing_sections(card.body)
    if missing:  # one finding per card: the sections are one fact about it
        names = ", ".join(f'"{section.name}"' for section in missing)
        yield RK412.finding(
            card.path,
            f"no {names} section{'s' if len(missing) > 1 else ''}: add "
            f'{"them" if len(missing) > 1 else "it"} (a heading such as "## {missing[0].name}"), '
            "even to say what is not known yet",
        )


@check(RK413, RK414)
def card_against_release(ctx: Context) -> Iterator[Finding]:
    """What the card claims about the release's files holds."""
    from releasekit.cardmeta.load import load_card

    card = load_card(ctx)
    if card is None:
        return
    metadata = card.metadata or {}
    if metadata.get("library_name") == "transformers":
        config_file = ctx.release.top_level("config.json")
        config = ctx.config_json()
        if config_file is None:
            yield RK413.finding(
                card.path,
                "`library_name: transformers` but the release has no config.json: ship the "
                "model's config.json with its model_type",
                line=card.line_of("library_name"),
            )
        elif config is None or not isinstance(config.get("model_type"), str) or not config.get("model_type"):
            yield RK413.finding(
                "config.json",
                "card says `library_name: transformers` but config.json has no "
                "`model_type`: add it (AutoModel dispatches on it)",
            )
    code = "\n".join(m.group(2) for m in _FENCED.finditer(card.body))
    has_safetensors = bool(ctx.release.of_kind(FileKind.SAFETENSORS))
    pickled = [f for f in ctx.release.of_kind(FileKind.PICKLE) if f.suffix in _WEIGHT_PICKLE_SUFFIXES]
    if _LOADS_SAFETENSORS.search(code) and not has_safetensors and pickled:
        yield RK414.finding(
            card.path,
            f"the card's code loads safetensors but the release ships only pickled weights "
            f"({pickled[0].path}): convert them (`releasekit convert`) or fix the card's code",
        )
    if _LOADS_PICKLE.search(code) and has_safetensors and not pickled:
        yield RK414.finding(
            card.path,
            "the card's code loads pickled weights (pytorch_model.bin / torch.load) but the "
            "release ships only safetensors: load them with safetensors or from_pretrained",
        )
