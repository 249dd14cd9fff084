"""FP8 block-scaled weights (DeepSeek-V3 style): every FP8 weight has its F32 `weight_scale_inv`,
shaped ceil(rows/block) x ceil(cols/block); no scale without a weight. Headers only."""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from releasekit import lazy
from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check
from releasekit.safetensors_format import FP8_DTYPES

if TYPE_CHECKING:
    from releasekit.checks._checkpoints import Table

# Loaded when a weights check runs (in the weights lane, see lanes.py), not when the registry
# lists the rules before the lanes fork.
_checkpoints = lazy.module("releasekit.checks._checkpoints")
_layout = lazy.module("releasekit.checks._layout")

RK130 = Rule.define(
    "RK130", "fp8-scale-missing", category="weights", severity=Severity.ERROR,
    summary="An FP8 weight has no `weight_scale_inv`.",
    doc="""
    What it finds: an `F8_E4M3`/`F8_E5M2` tensor `X.weight` with no `X.weight_scale_inv` in the
    same checkpoint.

    Why it matters: block-scaled FP8 weights are meaningless without their scales; loaders either
    fail or, worse, use the raw FP8 values and produce garbage.

    How to fix: export the scales with the weights (DeepSeek-V3 stores one F32 scale per 128x128
    block), or dequantize with `releasekit convert --dequantize-fp8`.
    """,
)
RK131 = Rule.define(
    "RK131", "fp8-scale-shape", category="weights", severity=Severity.ERROR,
    summary="A `weight_scale_inv` has the wrong shape or dtype for its weight and block size.",
    doc="""
    What it finds: a scale that is not F32, or whose shape is not
    [ceil(rows / block_rows), ceil(cols / block_cols)] for its 2-D FP8 weight and the config's
    `quantization_config.weight_block_size` (DeepSeek-V3: [128, 128]).

    Why it matters: dequantization and FP8 GEMM kernels index scales by block; a wrong shape reads
    the wrong scale for every block after the first mismatch.

    How to fix: re-export the scales, or correct `weight_block_size` in config.json.
    """,
)
RK132 = Rule.define(
    "RK132", "fp8-scale-orphan", category="weights", severity=Severity.WARNING,
    summary="A `weight_scale_inv` has no FP8 weight beside it.",
    doc="""
    What it finds: `X.weight_scale_inv` where `X.weight` is missing or is not an FP8 tensor
    (typically left behind after dequantizing to BF16).

    Why it matters: a loader expecting FP8 will apply the scale to BF16 weights a second time, or
    fail on an unexpected key.

    How to fix: drop the stray scales (and regenerate the index), or restore the FP8 weights.
    """,
)
RK133 = Rule.define(
    "RK133", "fp8-config", category="weights", severity=Severity.ERROR,
    summary="FP8 weights and config.json's quantization_config disagree.",
    doc="""
    What it finds: FP8 weights with no `quantization_config` in config.json, a
    `weight_block_size` that is not two positive integers, or a config that declares FP8
    quantization while the weights hold no FP8 tensor (a warning).

    Why it matters: transformers and vLLM decide how to load the weights from
    `quantization_config`; without it FP8 tensors are loaded as if they were plain weights.

    How to fix: add `"quantization_config": {"quant_method": "fp8", "fmt": "e4m3",
    "activation_scheme": "dynamic", "weight_block_size": [128, 128]}`, or drop it after
    dequantizing.
    """,
)

SCALE_SUFFIX = "_scale_inv"


def _block_size(config: Mapping[str, Any] | None) -> tuple[tuple[int, int] | None, str | None]:
    """The declared block size, or an error message when it is declared badly."""
    if not config:
        return None, None
    quant = config.get("quantization_config")
    if not isinstance(quant, dict) or "weight_block_size" not in quant:
        return None, None
    block = quant["weight_block_size"]
    if (isinstance(block, list) and len(block) == 2
            and all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in block)):
        return (block[0], block[1]), None
    return None, f"quantization_config.weight_block_size is {block!r}, not two positive integers"


@check(RK130, RK131, RK132, RK133)
def fp8_block_scales(ctx: Context) -> Iterator[Finding]:
    config = ctx.config_json()
    block, block_error = _block_size(config)
    if block_error:
        yield RK133.finding("config.json", block_error)
    quant = config.get("quantization_config") if config else None
    any_fp8 = False
    for ckpt in _checkpoints.checkpoints(ctx):
        table = _checkpoints.tensor_table(ctx, ckpt)
        fp8 = list(itertools.compress(range(len(table)), map(FP8_DTYPES.__contains__, table.dtypes)))
        any_fp8 = any_fp8 or bool(fp8)
        yield from _scales(table, fp8, block if ckpt.folder == "" else None)
        if fp8 and ckpt.folder == "" and config is not None and not isinstance(quant, dict):
            shard = table.shards[min(fp8, key=table.names.__getitem__)]
            yield RK133.finding(shard, f"{len(fp8)} FP8 tensor(s) but config.json has no quantization_config: "
                                       "loaders will treat them as plain weights")
    if any_fp8:
        yield from _checkpoints.could_not_run(ctx, (RK131, RK133), "the FP8 checks against quantization_config")
    if (isinstance(quant, dict) and str(quant.get("quant_method", "")).lower() == "fp8" and not any_fp8
            and any(c.files for c in _checkpoints.checkpoints(ctx))):
        yield RK133.finding("config.json", "quantization_config declares fp8 but the weights hold no FP8 tensor: "
                                           "drop quantization_config (after dequantizing) or ship the FP8 weights",
                            severity=Severity.WARNING)


def _expected_scale(shape: tuple[int, ...], block: tuple[int, int]) -> tuple[int, ...] | None:
    if len(shape) != 2:
        return None
    return (math.ceil(shape[0] / block[0]), math.ceil(shape[1] / block[1]))


def _paired_by_form(table: Table, fp8: list[int]) -> tuple[list[int], list[int]] | None:
    """Every FP8 tensor's row and its scale's row, when every scale sits in a form of its own that
    mirrors its weights' form name for name (else None: the exact path decides).

    A scale form ("...experts.##.up_proj.weight_scale_inv") pairs with the weight form it extends
    when the scales' names, joined, equal the weights' names joined with the suffix: names of one
    form share one length, so the joins match only if scale i is weight i's name plus the suffix.
    Two joins per form replace a name built and looked up per tensor (58,000 in DeepSeek-V3).
    """
    forms = _layout.name_forms(table)
    if forms is None:
        return None
    names, dtypes = table.names, table.dtypes
    weights: list[int] = []
    scales: list[int] = []
    for form, rows in forms.items():
        if not form.endswith(SCALE_SUFFIX):
            continue
        base = forms.get(form[: -len(SCALE_SUFFIX)])
        if base is None or len(base) != len(rows):
            return None
        if "".join(map(names.__getitem__, rows)) != SCALE_SUFFIX.join(map(names.__getitem__, base)) + SCALE_SUFFIX:
            return None
        if not FP8_DTYPES.issuperset(map(dtypes.__getitem__, base)):
            return None  # a scale beside a weight that is not FP8
        weights += base
        scales += rows
    # The paired weights are distinct FP8 rows (forms do not overlap): all of them when the counts agree.
    return (weights, scales) if len(weights) == len(fp8) else None


def _scales(table: Table, fp8: list[int], block: tuple[int, int] | None) -> Iterator[Finding]:
    """Whole columns first (58,000 FP8 weights in DeepSeek-V3): a Python loop only where they differ."""
    paired = _paired_by_form(table, fp8)
    if paired is not None and (not paired[0] or _scales_fit(table, *paired, block)):
        return  # every FP8 weight has its scale, every scale its FP8 weight, and the scales fit (or: no FP8, no scale)
    names = table.names
    fp8_names = list(map(names.__getitem__, fp8))
    scale_rows = list(map(table.row.get, map(operator.add, fp8_names, itertools.repeat(SCALE_SUFFIX))))
    missing: list[str] = []
    weights, scales_of = fp8, scale_rows
    if None in scale_rows:
        missing = sorted(name for name, row in zip(fp8_names, scale_rows) if row is None and name.endswith(".weight"))
        weights = [w for w, s in zip(fp8, scale_rows) if s is not None]
        scales_of = [s for s in scale_rows if s is not None]
    if weights and not _scales_fit(table, weights, scales_of, block):  # type: ignore[arg-type]
        yield from _scale_problems(table, list(zip(weights, scales_of)), block)  # type: ignore[arg-type]
    if missing:
        shard = table.shards[table.row[missing[0]]]
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        yield RK130.finding(shard, f"{len(missing)} FP8 weight(s) without {SCALE_SUFFIX.lstrip('_')} ({shown}): "
                                   "export their block scales")
    scales = list(itertools.compress(names, map(str.endswith, names, itertools.repeat(SCALE_SUFFIX))))
    fp8_set = set(fp8_names)
    if fp8_set.issuperset(map(operator.getitem, scales, itertools.repeat(slice(None, -len(SCALE_SUFFIX))))):
        return
    orphans = sorted(n for n in scales if n[: -len(SCALE_SUFFIX)] not in fp8_set)
    shown = ", ".join(orphans[:3]) + (f" and {len(orphans) - 3} more" if len(orphans) > 3 else "")
    yield RK132.finding(table.shards[table.row[orphans[0]]], f"{len(orphans)} scale(s) without an FP8 weight "
                                                             f"({shown}): drop them or restore the FP8 weights")


def _scales_fit(table: Table, weights: list[int], scales: list[int], block: tuple[int, int] | None) -> bool:
    """Every scale is F32 and, with a block size, shaped for its weight: checked once per distinct
    (weight shape, scale shape) pair, a handful for 58,000 pairs (a weight that is not 2-D: False,
    the exact path skips it)."""
    if set(map(table.dtypes.__getitem__, scales)) != {"F32"}:
        return False
    if block is None:
        return True
    shapes = table.shapes
    pairs = set(zip(map(shapes.__getitem__, weights), map(shapes.__getitem__, scales)))
    return all(_expected_scale(weight, block) == scale for weight, scale in pairs)


def _scale_problems(table: Table, pairs: list[tuple[int, int]], block: tuple[int, int] | None) -> Iterator[Finding]:
    names, shapes, dtypes = table.names, table.shapes, table.dtypes
    bad: list[tuple[str, Finding]] = []
    bad += [(names[w], RK131.finding(table.shards[s], f"{names[s]} is {dtypes[s]}, not F32"))
            for w, s in pairs if dtypes[s] != "F32"]
    if block is not None:
        expected_by_shape = {shape: _expected_scale(shape, block) for shape in {shapes[w] for w, _ in pairs}}
        for w, s in pairs:
            expected = expected_by_shape[shapes[w]]
            if expected is not None and shapes[s] != expected:
                bad.append((names[w], RK131.finding(
                    table.shards[s], f"{names[s]} is {list(shapes[s])} but {names[w]} {list(shapes[w])} in "
                                     f"{block[0]}x{block[1]} blocks needs {list(expected)}")))
    bad.sort(key=lambda item: item[0])
    yield from (finding for _, finding in bad)
