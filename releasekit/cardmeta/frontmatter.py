"""Split a model card into its YAML metadata and its Markdown body, with line numbers.

The block is found with the same pattern as huggingface_hub's `REGEX_YAML_BLOCK` (what
`ModelCard` and `metadata_load` use; copied because importing `huggingface_hub.repocard` costs
most of a second on every `check`, and a test asserts the two stay identical), then parsed with PyYAML's safe loader. We compose the node tree ourselves
rather than calling `yaml.safe_load` directly only to keep line numbers for each key and to refuse
duplicate keys, which PyYAML silently accepts and the Hub rejects.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml

# huggingface_hub.repocard.REGEX_YAML_BLOCK, verbatim (tests/test_card_frontmatter_regex.py).
REGEX_YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")


@dataclasses.dataclass(frozen=True)
class CardDocument:
    """A parsed model card. `metadata` is None when the card has none or it does not parse."""

    path: str
    body: str
    body_line: int  # 1-based line of the file where the body starts
    metadata: dict[str, Any] | None
    error: str | None = None  # why `metadata` is None
    error_line: int | None = None
    key_lines: dict[str, int] = dataclasses.field(default_factory=dict)

    def line_of(self, key: str) -> int | None:
        return self.key_lines.get(key)


_EMPTY_BLOCK = re.compile(r"^\s*---[ \t]*(?:\r\n|\r|\n)---[ \t]*(?:\r\n|\r|\n|$)")


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys, as the Hub's YAML parser does."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable keys are reported by PyYAML itself
            if duplicate:
                raise _DuplicateKey(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def parse_card(text: str, path: str = "README.md") -> CardDocument:
    """Parse the card text. Never raises on bad input: problems land in `error`."""
    text = text.lstrip("\ufeff")
    match = REGEX_YAML_BLOCK.search(text)
    empty = _EMPTY_BLOCK.match(text)
    if match is None and empty is not None:  # `---` then `---`: an empty block, which the regex misses
        body_line = text[: empty.end()].count("\n") + 1
        return CardDocument(path, text[empty.end() :], body_line, {})
    if match is None:
        if text.lstrip().startswith("---"):
            first = text[: len(text) - len(text.lstrip())].count("\n") + 1
            return CardDocument(path, text, 1, None, "the YAML metadata block opened with `---` is never closed", first)
        return CardDocument(path, text, 1, None, "no YAML metadata block (the card must begin with `---`)", 1)
    block = match.group(2)
    block_line = text[: match.start(2)].count("\n") + 1  # file line of the block's first line
    body_line = text[: match.end()].count("\n") + 1
    body = text[match.end() :]
    loader = _StrictSafeLoader(block)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = block_line + mark.line if mark is not None else block_line
        reason = exc.problem or exc.context or "not valid YAML"
        if (
            exc.context
            and exc.context_mark is not None
            and exc.problem_mark is not None
            and exc.context_mark.line != exc.problem_mark.line
        ):
            reason = f"{exc.context} (line {block_line + exc.context_mark.line}): {reason}"
        return CardDocument(path, body, body_line, None, f"metadata is not valid YAML: {reason}", line)
    except yaml.YAMLError as exc:
        return CardDocument(path, body, body_line, None, f"metadata is not valid YAML: {exc}", block_line)
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return CardDocument(
            path,
            body,
            body_line,
            None,
            f"metadata must be a mapping of keys to values, not a {type(data).__name__}",
            block_line,
        )
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key_lines.setdefault(str(key_node.value), block_line + key_node.start_mark.line)
    return CardDocument(path, body, body_line, {str(k): v for k, v in data.items()}, key_lines=key_lines)
