"""DeepSeek-V3 block-scaled FP8 weights to BF16, bit for bit as the reference does it.

The reference (deepseek-ai/DeepSeek-V3, inference/fp8_cast_bf16.py and kernel.py's
`weight_dequant`) multiplies every FP8 element, widened to float32, by the float32 `scale_inv` of
its 128x128 block, then stores the float32 product into a bfloat16 tensor (round to nearest even).
Blocks at the right and bottom edges are ragged (the scale grid is ceil(M/128) x ceil(N/128)).
Here the same product is computed one 128-row strip at a time, so the extra memory is a strip in
float32, not the whole matrix.
"""

from __future__ import annotations

import torch

from releasekit.conversion.planner import BLOCK, expected_scale_shape


def dequantize(weight: torch.Tensor, scale_inv: torch.Tensor, block: int = BLOCK) -> torch.Tensor:
    """bfloat16 (weight.float() * scale_inv per block), ragged edges included."""
    if weight.dim() != 2 or scale_inv.dim() != 2:
        raise ValueError(
            f"block dequantization needs 2-D weight and scale, got {tuple(weight.shape)} and {tuple(scale_inv.shape)}"
        )
    rows, cols = weight.shape
    if tuple(scale_inv.shape) != expected_scale_shape((rows, cols), block):
        raise ValueError(
            f"scale shape {tuple(scale_inv.shape)} does not match weight {tuple(weight.shape)} in "
            f"{block}x{block} blocks (expected {expected_scale_shape((rows, cols), block)})"
        )
    out = torch.empty((rows, cols), dtype=torch.bfloat16)
    scales = scale_inv.to(torch.float32)
    for block_row, start in enumerate(range(0, rows, block)):
        stop = min(start + block, rows)
        per_column = scales[block_row].repeat_interleave(block)[:cols]
        out[start:stop] = (weight[start:stop].to(torch.float32) * per_column).to(torch.bfloat16)
    return out
