"""Where tokens come from, and the one place that keeps them out of every message.

The clients' usual places: `HF_TOKEN` or the token `hf auth login` stored (huggingface_hub's
`get_token`), and `GITHUB_TOKEN` / `GH_TOKEN` for GitHub. A token is never put in a plan, a
message, a log record or an exception: `Redactor` replaces it wherever text leaves this package.
"""

from __future__ import annotations

import logging
import os

MASK = "[token redacted]"


def hub_token(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit
    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"]
    from huggingface_hub import get_token

    return get_token()


def github_token(explicit: str | None = None) -> str | None:
    return explicit or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None


class Redactor(logging.Filter):
    """Replaces the tokens it knows in text and in log records that pass through it."""

    def __init__(self, *tokens: str | None) -> None:
        super().__init__()
        self.tokens = sorted({t for t in tokens if t}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for token in self.tokens:
            text = text.replace(token, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.tokens:
            record.msg = self(record.getMessage())
            record.args = ()
        return True
