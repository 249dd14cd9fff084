"""The public Python API: what the command line does, for scripts. Kept stable like the JSON schema.

    >>> import releasekit
    >>> report = releasekit.check("path/to/release")            # doctest: +SKIP
    >>> report.failed, report.summary()["errors"]               # doctest: +SKIP

`releasekit/__init__.py` exports these names lazily, so `import releasekit` stays cheap. The CLI
calls the same functions; nothing here prints or exits (errors are `releasekit.errors` classes).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path

from releasekit.engine import Progress
from releasekit.report import Report


def check(
    path: str | os.PathLike[str],
    *,
    select: str | Iterable[str] | None = None,
    ignore: str | Iterable[str] | None = None,
    fail_on: str | None = None,
    format: str | None = None,
    isolated: bool = False,
    config: str | os.PathLike[str] | None = None,
    baseline: str | os.PathLike[str] | None = None,
    write_baseline: str | os.PathLike[str] | None = None,
    changed_since: str | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> Report:
    """Audit a release folder and return its report: `releasekit check` without the output.

    Args:
        path: the release folder.
        select, ignore: rule ids or categories, comma-separated or as a list (as `--select`).
        fail_on: "error" (default), "warning", "info" or "never".
        format: the output format the report should be rendered in (`report.format`).
        isolated: ignore the release's own `releasekit.toml` / `[tool.releasekit]` (auditing
            someone else's release).
        config: a settings file outside the release, trusted like command-line options.
        baseline: a baseline file: its findings are hidden, and fixed ones are listed (docs/ci.md).
        write_baseline: record this run's findings in this baseline file.
        changed_since: a git ref: check only what changed since, plus the whole-release rules
            whose inputs changed.
        progress: called with (check name, done, total) as checks run (in one process only).
        jobs: processes to use: 1 runs every check here; 2 or more runs the weights checks in a
            second process beside the rest; None (default) does so on Linux for a checkpoint of 8
            or more safetensors files. The report is the same either way.

    Returns:
        A `Report`: `report.findings` (frozen `Finding`s), `report.failed`, `report.exit_code`,
        `report.to_dict()` (the JSON document).

    Raises:
        releasekit.errors.NotAReleaseError: `path` is not a folder.
        releasekit.errors.UsageError: a bad option or settings file.

    Example:
        >>> report = releasekit.check("my-model", select="weights,pickle")  # doctest: +SKIP
        >>> [f.rule for f in report.findings if f.severity is releasekit.Severity.ERROR]  # doctest: +SKIP
    """
    from releasekit import ci_gate
    from releasekit.config import build_settings
    from releasekit.engine import audit
    from releasekit.registry import all_rules
    from releasekit.release import walk

    release = walk(path)
    settings = build_settings(
        Path(release.root), rules=all_rules(), select=_joined(select), ignore=_joined(ignore), fail_on=fail_on,
        format=format, isolated=isolated, config=Path(config) if config is not None else None,
    )
    return ci_gate.gate(
        release, settings, lambda rel, sett: audit(rel, sett, progress=progress, jobs=jobs),
        baseline=Path(baseline) if baseline is not None else None,
        write_baseline=Path(write_baseline) if write_baseline is not None else None,
        changed_since=changed_since,
    )


def _joined(value: str | Iterable[str] | None) -> str | None:
    return value if value is None or isinstance(value, str) else ",".join(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PickleScan:
    """The verdict of the static pickle analysis on one file.

    `safe` is True only when every pickle in the file was parsed to the end and reaches only
    allowlisted callables; `disallowed` names the globals that make it unsafe, `problems` says
    what could not be analysed. `format` is None for a file that carries no pickle at all.
    """

    path: str
    format: str | None
    safe: bool
    disallowed: tuple[str, ...]
    problems: tuple[str, ...]


def scan_pickle(path: str | os.PathLike[str], *, allow: Iterable[str] = ()) -> PickleScan:
    """Analyse one file's pickles statically (never loading them) and say whether it is safe to load.

    Args:
        path: any file: a torch checkpoint, a pickle, an .npy/.npz, a joblib dump, a zip...
        allow: your own plain-data classes by dotted name, as `[pickle] allow` in releasekit.toml.

    Raises:
        releasekit.errors.UsageError: an `allow` entry names something that can never be allowed.

    Example:
        >>> verdict = releasekit.scan_pickle("pytorch_model.bin")  # doctest: +SKIP
        >>> verdict.safe, verdict.disallowed                        # doctest: +SKIP
        (False, ('os.system',))
    """
    from releasekit.pickles import allowlist_for, scan

    file = Path(path)
    result = scan(file, display_path=file.name, allowlist=allowlist_for(allow))
    disallowed = tuple(sorted(name for name, use in result.imports.items() if use.status is None))
    problems = tuple(p.message + p.where() for p in result.problems)
    return PickleScan(path=str(file), format=result.format, safe=not disallowed and not problems,
                      disallowed=disallowed, problems=problems)


def convert(
    path: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    max_shard_size: int | None = None,
    dequantize_fp8: bool = False,
    dry_run: bool = False,
    exclude: Iterable[str] = (),
    verify_with_torch: bool = False,
    overwrite: bool = False,
):  # -> releasekit.conversion.report.ConvertReport
    """Convert pickled PyTorch checkpoints to safetensors: `releasekit convert` without the output.

    Every pickle is analysed first (check's own pickle rules; nothing is loaded when one fails),
    then written streamed and verified, then renamed into place. Torch zip checkpoints convert
    without torch; legacy ones and `dequantize_fp8` need the `torch` extra.

    Args:
        path: a checkpoint file, an index (`*.bin.index.json`) or a folder holding them.
        output: where the safetensors go (default: beside the inputs).
        max_shard_size: bytes per output shard (default: the Hub's 5 GB).
        dequantize_fp8: DeepSeek-V3 block-scaled FP8 weights to bf16, scales dropped.
        dry_run: plan only; nothing is written.
        exclude: top-level entries left out on purpose (`optimizer`).
        verify_with_torch: also compare every output with `torch.load(weights_only=True, mmap=True)`.
        overwrite: replace existing outputs.

    Returns:
        The conversion report: `files` written (each verified), `notes` (pickle findings below
        error), `engine` ("direct" without torch, or "torch").

    Raises:
        releasekit.conversion.UnsafeCheckpointError: the pickle analysis found an error.
        releasekit.conversion.ConvertError: unusable input, or an output that did not verify.

    Example:
        >>> report = releasekit.convert("checkpoints/pytorch_model.bin", output="release")  # doctest: +SKIP
        >>> [f.rel for f in report.files]                                                   # doctest: +SKIP
    """
    from releasekit.conversion import ConvertOptions
    from releasekit.conversion import convert as run

    options = ConvertOptions(
        output=Path(output) if output is not None else None, dequantize_fp8=dequantize_fp8, dry_run=dry_run,
        exclude=tuple(exclude), verify_with_torch=verify_with_torch, overwrite=overwrite,
        **({"max_shard_size": max_shard_size} if max_shard_size is not None else {}),
    )
    return run(path, options)
