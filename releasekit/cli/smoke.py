"""`releasekit smoke [DIR]`: run the bundled Triton kernels against fp32 references."""

from __future__ import annotations

from pathlib import Path

import click

from releasekit.smoke import runtime
from releasekit.smoke.launch import DEFAULT_TIMEOUT, KernelRun, prepare
from releasekit.smoke.report import SmokeReport, header_lines
from releasekit.smoke.shapes import load_shape


@click.command("smoke")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--device", type=click.Choice(["cuda", "cpu"]), default=None,
              help="Where the kernels run (default: cuda when torch sees a GPU, else cpu). "
                   "cpu runs them under Triton's interpreter on small shapes.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option("--timeout", type=click.FloatRange(min=1), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds before the kernel process is stopped and the run fails.")
@click.pass_context
def smoke_command(ctx: click.Context, directory: Path | None, device: str | None, fmt: str, timeout: float) -> None:
    """Check the bundled MLA decode and FP8 GEMM kernels against PyTorch references, with the
    shapes of the release in DIRECTORY (DeepSeek-V3's when none is given).

    Exit status: 0 when every case passes and every negative control is caught, 1 when one does
    not, 2 for a bad config, a missing torch/triton, or --device cuda without a GPU.
    """
    shape = load_shape(directory)
    runtime.require_extras()
    if device is None:
        device = "cuda" if runtime.cuda_available() else "cpu"
    elif device == "cuda":
        runtime.require_cuda()
    prepared = prepare(shape, directory, device)
    the_plan = prepared.plan
    mode = runtime.device_mode(device)
    run = KernelRun(the_plan, timeout=timeout)
    results = list(prepared.setup_failures)
    if fmt == "text":
        for line in header_lines(device, mode, shape.source, shape.describe(), shape.softmax_scale,
                                 shape.scale_note, the_plan.notes):
            click.echo(line)
        for result in results:
            click.echo(result.line())
    for result in run:
        results.append(result)
        if fmt == "text":
            click.echo(result.line())
    report = SmokeReport(device, mode, shape.source, shape.describe(), shape.softmax_scale, shape.scale_note,
                         the_plan.notes, tuple(results))
    click.echo(report.summary_line() if fmt == "text" else report.to_json(), nl=fmt == "text")
    ctx.exit(report.exit_code)
