"""Safety gates that run before any byte of a pickle is unpickled.

1. torch must be 2.6 or newer: before 2.6, `torch.load(weights_only=True)` could still be made to
   run code (CVE-2025-32434), and weights_only is the only loader convert uses.
2. Every pickle input goes through releasekit's static pickle analysis (the same rules as
   `releasekit check`); one finding of severity error and the whole run is refused, before
   anything is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from releasekit.conversion.discovery import InputFile
from releasekit.conversion.errors import ConvertError, UnsafeCheckpointError
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


def analyse(root: Path, inputs: Iterable[InputFile]) -> list[Finding]:
    """Check's own pickle rules on every pickle input, run by the engine; UnsafeCheckpointError on any error.

    The settings are read as `check` reads them (`[pickle] allow` of the folder's releasekit.toml,
    which can never switch these rules off), so convert refuses exactly what `check` fails. Returns
    the findings below error (warnings, info; problems with the settings) for the report.
    """
    import dataclasses

    from releasekit.config import build_settings
    from releasekit.engine import audit
    from releasekit.registry import all_rules
    from releasekit.release import walk

    wanted = {item.rel for item in inputs if item.is_pickle}
    if not wanted:
        return []
    release = walk(root)
    release = dataclasses.replace(release, files=tuple(f for f in release.files if f.path in wanted),
                                  unreadable=(), special=())
    missing = wanted - {f.path for f in release.files}
    if missing:  # never load what the analysis did not see
        raise ConvertError(f"{sorted(missing)[0]}: not found under {root} by the pickle analysis; nothing was loaded")
    report = audit(release, build_settings(Path(root), rules=all_rules(), select="pickle"))
    findings = [f for f in report.findings if f.category == "pickle"]
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        raise UnsafeCheckpointError(sorted(errors, key=Finding.sort_key))
    return sorted(findings, key=Finding.sort_key)
