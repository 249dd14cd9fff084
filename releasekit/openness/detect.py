"""Which MOF components a release holds: from its files, its card, and `[openness]` links.

File detection goes by conventional names and folders (`train/`, `eval*.py`, `data_card.md`,
`checkpoint-1000/`), reading at most the head of code files to spot an `nn.Module` definition.
Nothing is executed. What a file layout cannot show (a paper on arXiv, a dataset on the Hub)
is declared in releasekit.toml.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from pathlib import PurePosixPath

from releasekit.cardmeta import validate
from releasekit.cardmeta.load import load_card
from releasekit.context import Context
from releasekit.openness import cardscan
from releasekit.openness.settings import is_url, release_path
from releasekit.release import FileKind, ReleaseFile

ARCHITECTURE_SNIFF_BYTES = 64 * 1024
WEIGHT_SUFFIXES = frozenset(
    {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".onnx", ".h5", ".msgpack", ".npz", ".pkl"}
)
DATA_SUFFIXES = frozenset(
    {
        ".jsonl",
        ".json",
        ".csv",
        ".tsv",
        ".parquet",
        ".arrow",
        ".txt",
        ".gz",
        ".zst",
        ".xz",
        ".bz2",
        ".tar",
        ".zip",
        ".npy",
        ".tfrecord",
    }
)
DOC_SUFFIXES = frozenset({".md", ".pdf", ".tex", ".txt", ".rst", ".html"})
_NN_MODULE = re.compile(r"^\s*class\s+\w+\s*\((?:[\w.]*nn\.Module|[\w.]*PreTrainedModel|[\w.]*Module)\)", re.M)


@dataclasses.dataclass(frozen=True)
class Evidence:
    """Where a component was found: files of the release, the model card, or links."""

    files: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # URLs (or paths) declared in [openness]
    card: tuple[str, ...] = ()  # where in the model card ("README.md § Evaluation (table)")
    card_links: tuple[str, ...] = ()  # URLs the card gives for it (a paper, a Hub dataset)

    @property
    def present(self) -> bool:
        return bool(self.files or self.links or self.card or self.card_links)

    def where(self, limit: int = 3) -> list[str]:
        items = (
            list(self.files)
            + list(self.card)
            + list(self.links)
            + [f"{u} (linked from README.md)" for u in self.card_links]
        )
        return items[:limit] + ([f"and {len(items) - limit} more"] if len(items) > limit else [])


# Memoised on the path or name: every matcher asks them of every file, and a Path per question
# is most of the detection's time on a 168-file checkpoint.
@functools.lru_cache(maxsize=4096)
def _segments(path: str) -> tuple[str, ...]:
    return tuple(p.lower() for p in PurePosixPath(path).parts[:-1])


@functools.lru_cache(maxsize=4096)
def _stem_of(name: str) -> str:
    return PurePosixPath(name).stem.lower()


@functools.lru_cache(maxsize=4096)
def _last_two_suffixes(name: str) -> str:
    return "".join(PurePosixPath(name).suffixes[-2:]).lower()


def _stem(f: ReleaseFile) -> str:
    return _stem_of(f.name)


def _in_folder(f: ReleaseFile, pattern: str) -> bool:
    return any(re.fullmatch(pattern, s) for s in _segments(f.path))


_CKPT_FOLDER = r"checkpoints?|ckpts?|intermediate.*|checkpoint[-_]\d+|step[-_]?\d+|global_step\d+|iter[-_]?\d+"
_CKPT_NAME = re.compile(r"(step|iter|checkpoint|ckpt)[-_]?\d+", re.I)
_EVAL_FOLDER = r"evals?|evaluations?|benchmarks?|bench"
_DATA_FOLDER = r"data|datasets?|corpus|corpora|training[-_]data|train[-_]data"
_TRAIN_FOLDER = r"train|training|pretrain(ing)?|fine[-_]?tun(e|ing)|sft|rlhf|dpo|ppo|recipes?"
_PREP_FOLDER = r"preprocess(ing)?|data[-_]?(processing|prep|pipeline|tools)|prepare[-_]data"


def _is_weight(f: ReleaseFile) -> bool:
    return f.suffix in WEIGHT_SUFFIXES and f.kind in (FileKind.SAFETENSORS, FileKind.PICKLE, FileKind.OTHER)


def _is_checkpoint(f: ReleaseFile) -> bool:
    return _is_weight(f) and (_in_folder(f, _CKPT_FOLDER) or bool(_CKPT_NAME.search(f.name)))


def _is_code(f: ReleaseFile) -> bool:
    return f.kind is FileKind.CODE


def _is_data(f: ReleaseFile) -> bool:
    return (
        f.suffix in DATA_SUFFIXES or _last_two_suffixes(f.name) in DATA_SUFFIXES
    ) and f.kind not in (FileKind.CODE, FileKind.LICENSE, FileKind.CARD)


def _matchers(ctx: Context) -> dict[str, Callable[[ReleaseFile], bool]]:
    def architecture(f: ReleaseFile) -> bool:
        if not _is_code(f) or f.suffix != ".py" or _in_folder(f, r"tests?") or _stem(f).startswith("test_"):
            return False
        if re.fullmatch(
            r"modeling_.*|models?|.*_model|architecture|network|net|transformer|moe|attention", _stem(f)
        ) or _in_folder(f, r"models?|modeling|architecture"):
            return True
        if _in_folder(f, _TRAIN_FOLDER + "|" + _EVAL_FOLDER):
            return False
        return bool(_NN_MODULE.search(ctx.read_text(f, ARCHITECTURE_SNIFF_BYTES)))

    return {
        "model_architecture": architecture,
        "model_parameters": lambda f: _is_weight(f) and not _is_checkpoint(f),
        "intermediate_checkpoints": _is_checkpoint,
        "data_card": lambda f: (
            f.suffix in DOC_SUFFIXES
            and (
                bool(re.fullmatch(r"(data[-_]?card|datacard|dataset[-_]?card|data[-_]?sheet|datasheet)s?.*", _stem(f)))
                or (f.name.lower() == "readme.md" and _in_folder(f, _DATA_FOLDER))
            )
        ),
        "technical_report": lambda f: (
            f.suffix in DOC_SUFFIXES
            and bool(
                re.search(r"(tech(nical)?[-_ ]?report)", _stem(f)) or (_stem(f) == "report" and f.suffix == ".pdf")
            )
        ),
        "research_paper": lambda f: (
            f.suffix in (".pdf", ".tex") and bool(re.search(r"paper", _stem(f)) or _in_folder(f, r"papers?"))
        ),
        "evaluation_results": lambda f: (
            not _is_code(f)
            and bool(
                re.fullmatch(r"(eval(uation)?[-_]?results?|results?|scores|leaderboard).*", _stem(f))
                or _in_folder(f, r"\.eval_results|results")
            )
        ),
        "sample_model_outputs": lambda f: (
            not _is_code(f)
            and "config" not in _stem(f)
            and bool(
                re.fullmatch(r"(sample[-_]?outputs?|samples?|generations?|model[-_]outputs?)([-_].*)?", _stem(f))
                or _in_folder(f, r"samples|sample[-_]outputs|generations|outputs")
            )
        ),
        "training_code": lambda f: (
            _is_code(f)
            and bool(
                re.fullmatch(
                    r"(train|training|pretrain|finetune|fine_tune|sft|trainer|rlhf|dpo|ppo)([-_].*)?", _stem(f)
                )
                or _in_folder(f, _TRAIN_FOLDER)
            )
        ),
        "inference_code": lambda f: (
            _is_code(f)
            and bool(
                re.fullmatch(
                    r"(inference|infer|generate|generation|predict|chat|serve|server|demo|run|pipeline|"
                    r"modeling_.*|model)([-_].*)?",
                    _stem(f),
                )
                or _in_folder(f, r"inference|infer|serving|serve|deploy|demo")
            )
        ),
        "evaluation_code": lambda f: (
            _is_code(f)
            and bool(
                re.fullmatch(r"(eval|evaluate|evaluation|benchmark|bench)([-_].*)?", _stem(f))
                or _in_folder(f, _EVAL_FOLDER)
            )
        ),
        "evaluation_data": lambda f: (
            _is_data(f)
            and not re.search(r"results?|scores", _stem(f))
            and _in_folder(f, _EVAL_FOLDER + r"|eval[-_]data|test[-_]?data")
        ),
        "supporting_libraries": lambda f: (
            (f.name.lower().startswith("requirements") and f.suffix == ".txt")
            or f.name in ("environment.yml", "environment.yaml", "setup.py", "pyproject.toml", "setup.cfg")
            or (_is_code(f) and _in_folder(f, r"libs?|tools|utils|kernels|third[-_]party|vendor"))
        ),
        "datasets": lambda f: _is_data(f) and _in_folder(f, _DATA_FOLDER) and not _in_folder(f, _EVAL_FOLDER),
        "data_preprocessing_code": lambda f: (
            _is_code(f)
            and bool(
                re.fullmatch(
                    r"(preprocess|prepare|prep|clean|dedup|deduplicate|filter|tokeni[sz]e|build[-_]dataset|"
                    r"make[-_]dataset|data[-_]?(prep|processing|pipeline))([-_].*)?",
                    _stem(f),
                )
                or _in_folder(f, _PREP_FOLDER)
            )
        ),
        "model_metadata": lambda f: (
            not _is_code(f)
            and (
                bool(
                    re.fullmatch(
                        r"trainer_state|training_args|hparams.*|hyperparameters.*|train(ing)?[-_]config.*|"
                        r"optimizer.*|args",
                        _stem(f),
                    )
                )
                # training configurations: configs/OLMo2-7B-stage2.yaml
                or (f.suffix in (".yaml", ".yml") and _in_folder(f, r"configs?|training[-_]configs?|hparams|recipes?"))
            )
        ),
    }


def _visible(path: str) -> bool:
    """Hidden files are no component, except the Hub's evaluation results folder."""
    return path != "releasekit.toml" and (not path.startswith(".") or path.startswith(".eval_results/"))


def detect(ctx: Context, locations: dict[str, tuple[str, ...]], withheld: frozenset[str]) -> dict[str, Evidence]:
    """Evidence for every component id (absent ones have empty evidence)."""
    files = [f for f in ctx.release.regular_files() if _visible(f.path)]
    result: dict[str, Evidence] = {}
    card = load_card(ctx)
    model_index = card is not None and bool(card.metadata) and bool(validate.eval_results(card.metadata or {}))
    in_card = cardscan.read_card(card, model_index)
    for component_id, matches in _matchers(ctx).items():
        if component_id in withheld:
            result[component_id] = Evidence()
            continue
        found = tuple(f.path for f in files if matches(f))
        declared = locations.get(component_id, ())
        inside = tuple(p for p in (release_path(d) for d in declared) if p)
        local = tuple(f.path for f in files for d in inside if f.path == d or f.path.startswith(d + "/"))
        links = tuple(d for d in declared if is_url(d))
        result[component_id] = Evidence(
            tuple(dict.fromkeys(found + local)),
            links,
            in_card.inside.get(component_id, ()),
            tuple(u for u in in_card.linked.get(component_id, ()) if u not in links),
        )
    if "model_card" not in withheld:
        has_card = card is not None and (card.metadata is not None or card.body.strip() != "")
        result["model_card"] = Evidence(("README.md",) if has_card else (), locations.get("model_card", ()))
    return result
