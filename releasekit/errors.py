"""The few errors releasekit raises; the CLI maps each to a one-line message and an exit code.

Library code never prints or exits (the pip-audit pattern): it raises one of these, and only
`releasekit.cli` turns them into output.
"""

from __future__ import annotations


class ReleasekitError(Exception):
    """Base class: a problem the user can act on, described in one line."""

    exit_code = 2


class UsageError(ReleasekitError):
    """Bad options, a bad configuration file, or an unknown rule or category."""


class NotAReleaseError(ReleasekitError):
    """The path given is not a folder releasekit can audit."""


class MissingExtraError(ReleasekitError):
    """A command needs an optional dependency (torch, triton, PyGithub, ...) that is not installed."""

    def __init__(self, command: str, package: str, extra: str) -> None:
        super().__init__(
            f"`releasekit {command}` needs {package}, which is not installed: "
            f"pip install 'releasekit[{extra}]'"
        )
        self.package = package
        self.extra = extra
