"""releasekit: audit and package open model releases before they go public.

The public API (see docs/api.md), exported lazily so that `import releasekit` costs nothing:

    import releasekit

    report = releasekit.check("path/to/release")      # -> releasekit.Report
    verdict = releasekit.scan_pickle("model.bin")     # -> releasekit.PickleScan
    report = releasekit.convert("pytorch_model.bin")  # -> the conversion report (streamed, verified)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it; resolved on first use (PEP 562).
_EXPORTS = {
    "check": "releasekit.api",
    "scan_pickle": "releasekit.api",
    "convert": "releasekit.api",
    "PickleScan": "releasekit.api",
    "Report": "releasekit.report",
    "Section": "releasekit.report",
    "Finding": "releasekit.findings",
    "Severity": "releasekit.findings",
    "ReleasekitError": "releasekit.errors",
    "UsageError": "releasekit.errors",
    "NotAReleaseError": "releasekit.errors",
}

__all__ = [
    "Finding", "NotAReleaseError", "PickleScan", "ReleasekitError", "Report", "Section", "Severity", "UsageError",
    "__version__", "check", "convert", "scan_pickle",
]

if TYPE_CHECKING:
    from releasekit.api import PickleScan, check, convert, scan_pickle
    from releasekit.errors import NotAReleaseError, ReleasekitError, UsageError
    from releasekit.findings import Finding, Severity
    from releasekit.report import Report, Section


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:  # a submodule (`from releasekit import lazy`) is found by the import system
        raise AttributeError(f"module 'releasekit' has no attribute {name!r}")
    import importlib

    return importlib.import_module("releasekit.lazy").exports(__name__, _EXPORTS)(name)


def __dir__() -> list[str]:
    return sorted(__all__)
