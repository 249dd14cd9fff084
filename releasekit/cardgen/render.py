"""Render the model card and the GitHub README from the release and its `[card]` table.

Order matters once: the openness rules read the card (is there one, does its metadata carry
evaluation results), so the assessment is made against the card being generated, not the one on
disk: the metadata is built first, parsed as the card rules will parse it, and handed to the
run's Context before the openness rules look. What `releasekit check` then says about the
written card is what the card says about itself.

Templates are Jinja2 with StrictUndefined: a fact the template needs and nobody declared is an
error naming the `[card]` key that provides it, never a blank in the card.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from releasekit.cardgen import escape
from releasekit.cardgen.facts import CardError, WeightFacts, architecture, weight_facts
from releasekit.cardgen.license import CardLicense, card_license
from releasekit.cardgen.metadata import build_metadata
from releasekit.cardgen.openness_table import OpennessTable, openness_table
from releasekit.cardgen.quickstart import QuickStart, quickstart
from releasekit.cardgen.settings import SETTINGS_TABLE, describe, parse_card_settings
from releasekit.cardmeta.frontmatter import parse_card
from releasekit.cardmeta.load import CARD_PATH, MEMO_KEY
from releasekit.config import build_settings, load_file_settings
from releasekit.registry import all_rules
from releasekit.context import Context
from releasekit.params import human
from releasekit.release import walk

MODEL_CARD_TEMPLATE = "model_card.md.j2"
GITHUB_README_TEMPLATE = "github_readme.md.j2"
TEMPLATES = (MODEL_CARD_TEMPLATE, GITHUB_README_TEMPLATE)


@dataclasses.dataclass(frozen=True)
class CardFacts:
    """Everything the templates see."""

    name: str
    card: Mapping[str, Any]  # the declared [card] keys (undeclared text keys are absent)
    config: Mapping[str, Any]
    architecture: list[tuple[str, str]]
    weights: WeightFacts
    license: CardLicense
    metadata_yaml: str
    quickstart: QuickStart
    openness: OpennessTable
    pipeline_tag: str | None
    model_type: str  # the architecture class(es) or model_type of config.json
    has_card_table: bool = True


def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """Packaged templates, overridden one by one by files of the same name in `template_dir`."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("releasekit.templates", ".")]
    if template_dir is not None:
        if not template_dir.is_dir():
            raise CardError(f"{template_dir}: --template-dir is not a folder")
        loaders.insert(0, jinja2.FileSystemLoader(str(template_dir)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, escaped explicitly by the filters of `escape`
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(escape.FILTERS)
    env.globals["human"] = human
    return env


def _declared(settings: Mapping[str, Any], name: str) -> dict[str, Any]:
    """What the templates see as `card`: lists always, strings only when declared."""
    out = {k: v for k, v in settings.items() if v is not None}
    out["name"] = name
    return out


def collect(root: str | Path, template_dir: Path | None = None) -> CardFacts:
    """Read the release and its settings; compute every fact the card states."""
    release = walk(root)
    table, source = load_file_settings(release.root)
    origin = source or "releasekit.toml"
    settings = parse_card_settings(table.get("card"), origin)
    ctx = Context(release, build_settings(release.root, rules=all_rules()))
    config = ctx.config_json()
    if config is None:
        raise CardError("config.json: missing or not a JSON object: the card's architecture is read from it")
    name = settings["name"] or release.name
    weights = weight_facts(ctx)
    license_ = card_license(ctx, settings["license_name"])
    data = build_metadata(settings, name, config, weights, license_, origin)
    metadata_yaml = data.to_yaml()
    # The card being generated is the card the openness rules must judge (see the module docstring).
    provisional = parse_card(f"---\n{metadata_yaml}\n---\n\n# {name}\n", CARD_PATH)
    if ctx.memo(MEMO_KEY, lambda: provisional) is not provisional:
        raise RuntimeError("the card on disk was read before the generated one was in place")  # a bug, not input
    table_ = openness_table(ctx)
    facts = CardFacts(
        name=name,
        card=_declared(settings, name),
        config=config,
        architecture=architecture(config),
        weights=weights,
        license=license_,
        metadata_yaml=metadata_yaml,
        quickstart=quickstart(ctx, settings["hub_repo"]),
        openness=table_,
        pipeline_tag=data.pipeline_tag,
        model_type=_model_type(config),
        has_card_table="card" in table,
    )
    # Second pass: the openness rules read the card's text too (a linked technical report, an
    # evaluation table, a training-data section), so they judge the whole card as it will be written.
    whole = parse_card(render(facts, MODEL_CARD_TEMPLATE, template_dir), CARD_PATH)
    judged = Context(release, ctx.settings)
    judged.memo(MEMO_KEY, lambda: whole)
    return dataclasses.replace(facts, openness=openness_table(judged))


def _model_type(config: Mapping[str, Any]) -> str:
    archs = config.get("architectures")
    if isinstance(archs, list) and archs and all(isinstance(a, str) for a in archs):
        return ", ".join(archs)
    model_type = config.get("model_type")
    return model_type if isinstance(model_type, str) and model_type else "not stated in config.json"


_UNDEFINED = re.compile(r"has no attribute '([^']+)'|'([^']+)' is undefined")


def render(facts: CardFacts, template: str, template_dir: Path | None = None) -> str:
    """Render one template; a missing fact is a CardError naming the [card] key that provides it."""
    env = environment(template_dir)
    try:
        text = env.get_template(template).render(facts=facts, card=facts.card)
    except jinja2.UndefinedError as exc:
        match = _UNDEFINED.search(str(exc))
        key = next((g for g in match.groups() if g), "") if match else ""
        if key in SETTINGS_TABLE:
            hint = "" if facts.has_card_table else " (`releasekit card DIR --init` writes a [card] skeleton)"
            raise CardError(f"{template}: the card needs `{key}`: declare it in {describe(key)}{hint}") from None
        raise CardError(f"{template}: uses {key or str(exc)!r}, which no fact or [card] key provides") from None
    except jinja2.TemplateError as exc:
        raise CardError(f"{template}: template error: {exc}") from None
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def _check_model_card(text: str, facts: CardFacts) -> None:
    """The card parses back (huggingface_hub.ModelCard) with the metadata we built."""
    from huggingface_hub import ModelCard

    try:
        loaded = ModelCard(text, ignore_metadata_errors=False)
    except ValueError as exc:
        raise CardError(f"the rendered card does not load with huggingface_hub.ModelCard: {exc}") from None
    expected = parse_card(f"---\n{facts.metadata_yaml}\n---\n", CARD_PATH).metadata
    if loaded.data.to_dict() != expected:
        raise CardError("the rendered card's metadata differs from what was built (a template edited the "
                        "metadata block?)")


def render_model_card(root: str | Path, template_dir: Path | None = None) -> str:
    """The model card (README.md with Hub metadata) for the release at `root`."""
    facts = collect(root, template_dir)
    text = render(facts, MODEL_CARD_TEMPLATE, template_dir)
    _check_model_card(text, facts)
    return text


def render_github_readme(root: str | Path, template_dir: Path | None = None) -> str:
    """The GitHub README for the release at `root` (no metadata block)."""
    return render(collect(root, template_dir), GITHUB_README_TEMPLATE, template_dir)
