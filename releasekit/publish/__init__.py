"""`releasekit publish`: ship a checked release to the Hugging Face Hub and GitHub, resumably.

`publish(root, PublishOptions(...))` gates on `check`, plans against both remotes (what exists,
by hash), then uploads only what is missing; `rehearse(...)` does the same against the local
server (`releasekit.devserver`) and reads the result back. Only the CLI prints.
"""

from releasekit.publish.errors import AssetTooLargeError, CheckFailedError, PublishError
from releasekit.publish.runner import Plan, PublishOptions, PublishResult, publish

__all__ = ["AssetTooLargeError", "CheckFailedError", "Plan", "PublishError", "PublishOptions", "PublishResult", "publish"]
