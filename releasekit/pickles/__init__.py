"""Pickle safety: prove a checkpoint safe by static analysis, never by loading it.

`scan` reads one file the way every standard loader would (torch.load, pickle.load,
numpy.load(allow_pickle=True), joblib.load) and returns a typed `ScanResult`: the pickles it found,
what each imports, and every problem (including "not fully analysed" when the shared `Budget` runs
out). It imports neither torch nor numpy, and it never imports, loads or executes anything from
the file it reads. The RK2xx rules in `releasekit.checks.pickle` turn results into findings
(`releasekit.checks.pickle.scan_file` does both for one file).

    from releasekit.pickles import allowlist_for, scan

    result = scan(Path("model.pt"), display_path="model.pt", allowlist=allowlist_for(["mypkg.Config"]))
    if result.problems or any(use.status is None for use in result.imports.values()):
        ...  # unsafe or not fully analysed: do not load it
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from releasekit import lazy

if TYPE_CHECKING:
    from releasekit.pickles.allowlist import Allowlist
    from releasekit.pickles.budget import Budget, Limits
    from releasekit.pickles.scanner import ScanResult, scan
    from releasekit.pickles.settings import PickleSettings, SettingProblem, parse_settings

_EXPORTS = {"Budget": "budget", "Limits": "budget", "PickleSettings": "settings", "SettingProblem": "settings",
            "parse_settings": "settings", "scan": "scanner", "ScanResult": "scanner"}
# Every name loads its module on first use: `check` of a release without a pickle sniffs each file
# (`releasekit.pickles.sniff`, which imports this package first) and never pays for the scanner,
# the allowlist or the budget (start-up is measured: tests/test_startup.py, tests/test_pickle_sniff.py).
__getattr__ = lazy.exports(__name__, {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()})


def allowlist_for(extra_allowed: Iterable[str]) -> Allowlist:
    """The built-in allowlist extended with `extra_allowed`; UsageError for a bad entry."""
    from releasekit.errors import UsageError
    from releasekit.pickles.allowlist import Allowlist

    try:
        return Allowlist.with_extensions(list(extra_allowed))
    except ValueError as exc:
        raise UsageError(f"[pickle] allow: {exc}") from None


__all__ = ["Budget", "Limits", "PickleSettings", "ScanResult", "SettingProblem", "allowlist_for", "parse_settings",
           "scan"]
