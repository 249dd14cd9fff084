"""What `check` does between the audit and the output when it gates CI: scope, suppress, baseline.

Each step is a function over the report (`changes`, `suppressions`, `baseline`); this module
only chains them in the one order that makes sense: audit only what changed, then hide what the
release's own suppressions cover (never pickle or engine findings), then compare with the
baseline, so a baseline records what is left after suppressions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from releasekit import formats, suppressions
from releasekit.config import Settings
from releasekit.fsutil import write_output
from releasekit.release import Release
from releasekit.report import Report

Audit = Callable[[Release, Settings], Report]


def gate(
    release: Release, settings: Settings, audit: Audit, *,
    baseline: Path | None = None, write_baseline: Path | None = None, changed_since: str | None = None,
    repo_root: Path | None = None, also: Iterable[tuple[str, Path]] = (),
) -> Report:
    """The report `check` prints: audited (maybe only the changes), suppressed, baselined.

    Under `--isolated` (`settings.isolated`) the release's own suppressions are ignored; otherwise
    they come from the settings file `settings` was built from (read once).
    """
    # changes and baseline load only when asked for: most runs use neither, and start-up counts.
    if changed_since:
        from releasekit import changes

        changed = changes.changed_paths(Path(release.root), changed_since)
        report = changes.audit_changes(release, settings, changed, label=f"since {changed_since}", audit=audit)
    else:
        report = audit(release, settings)
    if not settings.isolated:
        report = suppressions.suppress_report(report, settings.release_table, settings.source)
    chosen = None
    if write_baseline is not None or baseline is not None:
        from releasekit import baseline as baselines
        from releasekit import changes
    if write_baseline is not None:
        chosen = baselines.write_baseline(report, write_baseline)
        baseline = write_baseline
    elif baseline is not None:
        chosen = baselines.load_baseline(baseline)
    if chosen is not None and baseline is not None:
        could_see = changes.in_scope(report)
        report, _ = baselines.apply_baseline(
            report, chosen, protect=baselines.inside(baseline, Path(release.root)),
            in_scope=None if could_see is None else (lambda e: could_see(e.rule, e.path)),
        )
    return report


def write_also(report: Report, outputs: Iterable[tuple[str, Path]], *, repo_root: Path | None = None) -> None:
    """`--also FORMAT=FILE`: the same report in more formats, so CI audits the release once."""
    for name, path in outputs:
        write_output(path, formats.render(report, name, repo_root=repo_root).encode("utf-8"))
