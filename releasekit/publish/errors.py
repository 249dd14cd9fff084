"""Publish errors: one line each, never carrying a token."""

from __future__ import annotations

from releasekit.errors import ReleasekitError
from releasekit.report import Report


class PublishError(ReleasekitError):
    """A remote refused or failed (exit 2); the message is one line and names what was being done."""


class CheckFailedError(ReleasekitError):
    """`check` found errors: nothing is published (exit 1, like `check`)."""

    exit_code = 1

    def __init__(self, report: Report) -> None:
        super().__init__(f"{report.release}: check failed ({report.summary_line()}); nothing was published")
        self.report = report


class AssetTooLargeError(PublishError):
    """A release asset is over GitHub's 2 GiB limit: refused before any upload."""
