"""`releasekit publish`: ship a checked release to the Hugging Face Hub and GitHub, resumably.

`publish(root, PublishOptions(...))` gates on `check`, plans against both remotes (what exists,
by hash), then uploads only what is missing; `rehearse(...)` does the same against the local
server (`releasekit.devserver`) and reads the result back. Only the CLI prints.

Names load on first use (PEP 562): the settings model reads `publish.settings` at every `check`,
which must not pay for huggingface_hub and PyGithub.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AssetTooLargeError": "errors", "CheckFailedError": "errors", "PublishError": "errors",
    "Plan": "runner", "PublishOptions": "runner", "PublishResult": "runner", "publish": "runner",
}

__all__ = ["AssetTooLargeError", "CheckFailedError", "Plan", "PublishError", "PublishOptions", "PublishResult", "publish"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'releasekit.publish' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"releasekit.publish.{module}"), name)
    globals()[name] = value
    return value
