"""Errors of `releasekit convert`, each a one-line message the CLI prints as is.

Exit codes follow the rest of releasekit: 1 when the verdict is "no" (an unsafe input was refused,
the output did not verify), 2 when the input or the options are unusable.
"""

from __future__ import annotations

from collections.abc import Sequence

from releasekit.errors import ReleasekitError
from releasekit.findings import Finding


class ConvertError(ReleasekitError):
    """A checkpoint cannot be converted as asked (unreadable, not a state dict, name clash...)."""


class UnsafeCheckpointError(ConvertError):
    """The pickle analysis found an error in an input: nothing was loaded."""

    exit_code = 1

    def __init__(self, findings: Sequence[Finding]) -> None:
        files = sorted({f.path for f in findings})
        super().__init__(
            f"refusing to load {', '.join(files)}: the pickle analysis found {len(findings)} error(s); "
            "nothing was loaded or written"
        )
        self.findings = tuple(findings)


class VerificationError(ConvertError):
    """A written file does not match its source: it was not renamed into place."""

    exit_code = 1


class NeedsTorchError(ConvertError):
    """A checkpoint can only be read by torch (legacy format, tensor subclasses...), which is missing."""
