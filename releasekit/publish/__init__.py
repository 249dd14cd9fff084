"""`releasekit publish`: ship a checked release to the Hugging Face Hub and GitHub, resumably.

`publish(root, PublishOptions(...))` gates on `check`, plans against both remotes (what exists,
by hash), then uploads only what is missing; `rehearse(...)` does the same against the local
server (`releasekit.devserver`) and reads the result back. Only the CLI prints.

Names load on first use (PEP 562): the settings model reads `publish.settings` at every `check`,
which must not pay for huggingface_hub and PyGithub.
"""

from __future__ import annotations

from releasekit import lazy

_EXPORTS = {
    "AssetTooLargeError": "errors", "CheckFailedError": "errors", "PublishError": "errors",
    "Plan": "runner", "PublishOptions": "runner", "PublishResult": "runner", "publish": "runner",
}

__all__ = ["AssetTooLargeError", "CheckFailedError", "Plan", "PublishError", "PublishOptions", "PublishResult", "publish"]


__getattr__ = lazy.exports(__name__, {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()})
