"""`releasekit convert PATH`: pickled PyTorch checkpoints to verified safetensors.

Exit status: 0 when every output verified (or a dry run planned), 1 when an input was refused by
the pickle analysis or an output did not verify, 2 for unusable input or options.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from releasekit.conversion import ConvertOptions, UnsafeCheckpointError, convert, parse_size


class RichProgress:
    """A rich progress bar on standard error: bytes (written and verified), speed, tensors, ETA."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[tensors]} tensors"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = None
        self._tensors = 0
        self._total_tensors = 0

    def start(self, total_bytes: int, total_tensors: int) -> None:
        self._total_tensors = total_tensors
        self._bar.start()
        self._task = self._bar.add_task("converting", total=max(total_bytes, 1), tensors=f"0/{total_tensors}")

    def update(self, *, nbytes: int = 0, tensors: int = 0, stage: str | None = None) -> None:
        if self._task is None:
            return
        self._tensors += tensors
        fields: dict[str, object] = {"tensors": f"{self._tensors}/{self._total_tensors}"}
        if stage is not None:
            fields["description"] = stage
        self._bar.update(self._task, advance=nbytes, **fields)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.stop()


def _show_progress(choice: bool | None, fmt: str) -> bool:
    if choice is not None:
        return choice
    return fmt == "text" and sys.stderr.isatty() and not os.environ.get("CI")


@click.command("convert")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder to write to (default: beside the inputs, which are never modified).",
)
@click.option(
    "--max-shard-size",
    default="5GB",
    show_default=True,
    metavar="SIZE",
    help="Largest output file: 5GB, 500MB, 2GiB or bytes (GB = 10^9, as the Hub counts).",
)
@click.option(
    "--strip-prefix",
    default=None,
    metavar="PREFIX",
    help="Remove PREFIX from tensor names that start with it (e.g. 'module.' of DataParallel).",
)
@click.option(
    "--prefer-name",
    "prefer_names",
    multiple=True,
    metavar="NAME",
    help="For tied tensors, keep this name rather than the first in the checkpoint (repeatable).",
)
@click.option(
    "--dequantize-fp8",
    is_flag=True,
    help="Turn DeepSeek-V3-style FP8 weights with 128x128 weight_scale_inv into BF16 "
    "(reads safetensors too) and update config.json.",
)
@click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="NAME",
    help="Leave out an entry of the checkpoint on purpose (e.g. 'optimizer'), by the name it would be "
    "written under (repeatable); every other tensor is written or the run fails.",
)
@click.option(
    "--verify-with-torch",
    is_flag=True,
    help="Also compare every output with torch.load(weights_only=True, mmap=True) of its input (needs torch).",
)
@click.option("--engine", type=click.Choice(["auto", "direct", "torch"]), default="auto", hidden=True)
@click.option("--dry-run", is_flag=True, help="Analyse and plan, say what would be written, write nothing.")
@click.option(
    "--remove-originals", is_flag=True, help="Delete the input checkpoints, only after every output verified."
)
@click.option("--overwrite", is_flag=True, help="Replace output files that already exist.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Summary format on standard output."
)
@click.option(
    "--progress/--no-progress",
    "show_progress",
    default=None,
    help="Progress bar on standard error (default: on a terminal, off in CI).",
)
@click.pass_context
def convert_command(
    ctx: click.Context,
    path: Path,
    output: Path | None,
    max_shard_size: str,
    strip_prefix: str | None,
    prefer_names: tuple[str, ...],
    dequantize_fp8: bool,
    exclude: tuple[str, ...],
    verify_with_torch: bool,
    engine: str,
    dry_run: bool,
    remove_originals: bool,
    overwrite: bool,
    fmt: str,
    show_progress: bool | None,
) -> None:
    """Convert the PyTorch checkpoints at PATH (a release folder, a file, or a *.bin.index.json)
    to safetensors: analysed before loading, streamed, verified bit for bit, then renamed into place.
    """
    options = ConvertOptions(
        output=output,
        max_shard_size=parse_size(max_shard_size),
        strip_prefix=strip_prefix or None,
        dequantize_fp8=dequantize_fp8,
        dry_run=dry_run,
        remove_originals=remove_originals,
        overwrite=overwrite,
        prefer_names=prefer_names,
        exclude=exclude,
        verify_with_torch=verify_with_torch,
        engine=engine,
    )
    progress = RichProgress() if _show_progress(show_progress, fmt) else None
    try:
        report = convert(path, options, progress=progress)
    except UnsafeCheckpointError as exc:
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "command": "convert",
                        "refused": True,
                        "error": str(exc),
                        "findings": [f.to_dict() for f in exc.findings],
                    },
                    indent=2,
                )
            )
        for finding in exc.findings:
            click.echo(f"{finding.path}: {finding.rule} [{finding.severity}] {finding.message}", err=True)
        click.echo(f"releasekit: error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for line in report.lines():
            click.echo(line)
    ctx.exit(0)
