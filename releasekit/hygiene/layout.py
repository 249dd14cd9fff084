"""What a transformers release needs beside its weights: the code `auto_map` names, tokenizer files.

Pure functions over the release's file list and its parsed config; `checks/layout.py` turns their
answers into findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

# Files any transformers tokenizer is loaded from (fast, sentencepiece, BPE, WordPiece, tiktoken, tekken).
TOKENIZER_FILES = frozenset({
    "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "vocab.json", "vocab.txt", "merges.txt",
    "spiece.model", "sentencepiece.bpe.model", "sentencepiece.model", "tekken.json", "vocab.model", "bpe.codes",
})
TOKENIZER_SUFFIXES = (".tiktoken",)
# Heads that take pixels or audio, not text: such models ship a preprocessor, not a tokenizer.
_NON_TEXT_HEAD = re.compile(
    r"For(?:Image|Video|Audio)\w*|For(?:ObjectDetection|SemanticSegmentation|InstanceSegmentation|"
    r"UniversalSegmentation|DepthEstimation|KeypointDetection|MaskGeneration|ImageClassification|"
    r"ZeroShotObjectDetection|MaskedImageModeling)$"
)
_TOKENIZER_ELSEWHERE_KEYS = ("tokenizer_name", "tokenizer_name_or_path", "tokenizer_path", "tokenizer_repo")


def auto_map_references(auto_map: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(auto class, `module.Class` reference) for each local class `auto_map` names.

    A value is a reference, or a list of them (AutoTokenizer: slow and fast, either may be null);
    `repo--module.Class` loads code from another repository and is not this release's to ship.
    """
    for auto_class, value in auto_map.items():
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, str) and ref and "--" not in ref:
                yield str(auto_class), ref


def module_file(reference: str) -> str | None:
    """The file transformers imports for `module.Class` (`modeling_x.Cls` -> `modeling_x.py`)."""
    module, dot, cls = reference.rpartition(".")
    if not dot or not module or not cls:
        return None
    return module.replace(".", "/") + ".py"


def has_tokenizer(paths: Iterable[str]) -> bool:
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        if name in TOKENIZER_FILES or name.endswith(TOKENIZER_SUFFIXES):
            return True
    return False


def needs_tokenizer(config: Mapping[str, Any], paths: Iterable[str]) -> bool:
    """Whether a config describes a text model: a vocabulary and no pixel/audio-only head."""
    if not (config.get("model_type") or config.get("architectures")):
        return False
    if any(isinstance(config.get(k), str) and config.get(k) for k in _TOKENIZER_ELSEWHERE_KEYS):
        return False  # the tokenizer is loaded from where the config says
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    if "vocab_size" not in config and "vocab_size" not in text:
        return False  # no vocabulary: a vision, audio or time-series model
    architectures = config.get("architectures") if isinstance(config.get("architectures"), list) else []
    names = [a for a in architectures if isinstance(a, str)]
    if names and all(_NON_TEXT_HEAD.search(a) for a in names):
        return False
    return "model_index.json" not in set(paths)  # diffusers pipelines keep tokenizers in subfolders
