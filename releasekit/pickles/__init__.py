"""Pickle safety: prove a checkpoint safe by static analysis, never by loading it.

The public entry point is `scan_file`; the `check` rules in `releasekit.checks.pickle` and the
`convert` command both call it. It imports neither torch nor numpy, and it never imports, loads or
executes anything from the file it reads.

    from releasekit.pickles import scan_file

    findings = scan_file(Path("model.pt"), display_path="model.pt", extra_allowed=["mypkg.Config"])
    if any(f.severity is Severity.ERROR for f in findings):
        ...  # unsafe or unparseable: do not load it
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from releasekit.findings import Finding

if TYPE_CHECKING:
    from releasekit.pickles.allowlist import Allowlist
    from releasekit.pickles.scanner import ScanResult, scan


def scan_file(path: Path, *, display_path: str, extra_allowed: Iterable[str] = ()) -> list[Finding]:
    """Every RK2xx finding for one file, found by content whatever the file is called.

    Args:
        path: the file to read (opened read-only; only pickle bytes and container headers are read,
            never tensor storages or array data).
        display_path: how findings name the file (relative to the release root, POSIX style).
        extra_allowed: dotted names ("pkg.module.Class") to allow beyond the built-in allowlist,
            as `[pickle] allow` in releasekit.toml does.

    Returns:
        The findings for that one file, possibly none (a file that carries no pickle):

        * any finding of severity ``error`` (RK201-RK204) means unsafe or unparseable: do not load it;
        * RK205 (``warning``) means every pickle in it reaches only allowlisted callables: safe to
          load by static analysis, but it should become safetensors;
        * RK206 (``info``) says that `extra_allowed` entries were needed.

    Raises:
        releasekit.errors.UsageError: an `extra_allowed` entry is not a dotted name, or names
            something that can never be allowed (os, subprocess, builtins.eval, ...).
    """
    from releasekit.pickles.report import to_findings
    from releasekit.pickles.scanner import scan

    return to_findings(scan(Path(path), display_path=display_path, allowlist=allowlist_for(extra_allowed)))


def allowlist_for(extra_allowed: Iterable[str]) -> Allowlist:
    """The built-in allowlist extended with `extra_allowed`; UsageError for a bad entry."""
    from releasekit.errors import UsageError
    from releasekit.pickles.allowlist import Allowlist

    try:
        return Allowlist.with_extensions(list(extra_allowed))
    except ValueError as exc:
        raise UsageError(f"[pickle] allow: {exc}") from None


def __getattr__(name: str) -> Any:
    """`scan` and `ScanResult` load the scanner on first use: `check` on a release without pickles never does."""
    if name in ("scan", "ScanResult"):
        from releasekit.pickles import scanner

        return getattr(scanner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ScanResult", "scan", "scan_file", "allowlist_for"]
