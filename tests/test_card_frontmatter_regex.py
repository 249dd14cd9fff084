"""Our copy of huggingface_hub's front-matter pattern must stay the Hub client's own."""

from huggingface_hub.repocard import REGEX_YAML_BLOCK as HUB_PATTERN

from releasekit.cardmeta.frontmatter import REGEX_YAML_BLOCK


def test_same_pattern_as_huggingface_hub() -> None:
    assert REGEX_YAML_BLOCK.pattern == HUB_PATTERN.pattern
    assert REGEX_YAML_BLOCK.flags == HUB_PATTERN.flags
