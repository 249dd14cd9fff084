"""Safety gates that run before any byte of a pickle is unpickled.

1. torch must be 2.6 or newer: before 2.6, `torch.load(weights_only=True)` could still be made to
   run code (CVE-2025-32434), and weights_only is the only loader convert uses.
2. Every pickle input goes through releasekit's static pickle analysis (the same rules as
   `releasekit check`); one finding of severity error and the whole run is refused, before
   anything is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

from releasekit.convert.discovery import InputFile
from releasekit.convert.errors import ConvertError, UnsafeCheckpointError
from releasekit.errors import MissingExtraError
from releasekit.findings import Finding, Severity

MIN_TORCH = (2, 6)


def require_torch() -> ModuleType:
    """The torch module, or a clear error: missing extra, or a version with the weights_only hole."""
    try:
        import torch
    except ImportError:
        raise MissingExtraError("convert", "torch", "torch") from None
    check_torch_version(torch.__version__)
    return torch


def check_torch_version(version: str) -> None:
    match = re.match(r"^(\d+)\.(\d+)", str(version))
    if not match:
        raise ConvertError(f"cannot tell the version of torch ({version!r}); convert needs torch >= 2.6")
    if (int(match.group(1)), int(match.group(2))) < MIN_TORCH:
        raise ConvertError(
            f"torch {version} is too old: torch.load(weights_only=True) before 2.6 can run code from a "
            "checkpoint (CVE-2025-32434); upgrade: pip install 'torch>=2.6'"
        )


def release_allowlist(root: Path) -> tuple[list[str], list[Finding]]:
    """`[pickle] allow` of the release's releasekit.toml, read as `check` reads it, so that convert
    accepts exactly what check accepts; problems with the setting come back as findings."""
    from releasekit.checks.pickle import read_settings
    from releasekit.config import load_file_settings

    table, source = load_file_settings(root)
    section = table.get("pickle", {})
    if not isinstance(section, dict):
        return [], []
    return read_settings(section, source or "releasekit.toml")


def analyse(inputs: Iterable[InputFile], extra_allowed: Sequence[str] = ()) -> list[Finding]:
    """The pickle findings of every pickle input; raises UnsafeCheckpointError on any error.

    Returns the findings below error (warnings, info) so the report can show them.
    """
    try:
        from releasekit.checks.pickle import scan_file
    except ImportError as exc:  # never fall back to loading what was not analysed
        raise ConvertError(
            f"the pickle analyser (releasekit.pickles) cannot be imported ({exc}); "
            "convert refuses to load pickles it cannot analyse"
        ) from None
    findings: list[Finding] = []
    for item in inputs:
        if item.is_pickle:
            findings.extend(scan_file(item.path, display_path=item.rel, extra_allowed=extra_allowed))
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        raise UnsafeCheckpointError(sorted(errors, key=Finding.sort_key))
    return sorted(findings, key=Finding.sort_key)
