"""Plain-PyTorch fp32 references for the kernels: the formula, written for clarity, not speed.

Nothing here imports triton, so the references run anywhere torch does.
"""

from __future__ import annotations

import torch

FP8_MAX = 448.0
AMAX_FLOOR = 1e-4


def mla_decode_reference(q: torch.Tensor, kv_cache: torch.Tensor, block_table: torch.Tensor,
                         cache_seqlens: torch.Tensor, *, kv_lora_rank: int, softmax_scale: float
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention by the formula, one sequence at a time, on the cache gathered page by page.

    Only the first `seqlen` tokens of each sequence are gathered, so nothing past the length (NaN
    in the tests) reaches the result. Query token t of `q_len` sees keys `0 ... seqlen - q_len + t`.
    A query with no visible key gets a zero output and an LSE of +inf (FlashMLA's convention).
    Returns out [batch, q_len, heads, kv_lora_rank] and lse [batch, q_len, heads], both fp32.
    """
    batch, q_len, heads, _ = q.shape
    page_size = kv_cache.shape[1]
    out = torch.zeros(batch, q_len, heads, kv_lora_rank, dtype=torch.float32, device=q.device)
    lse = torch.full((batch, q_len, heads), float("inf"), dtype=torch.float32, device=q.device)
    for b in range(batch):
        seqlen = int(cache_seqlens[b])
        if seqlen == 0:
            continue
        n_pages = -(-seqlen // page_size)
        pages = block_table[b, :n_pages].long()
        kv = kv_cache[pages].reshape(n_pages * page_size, -1)[:seqlen].float()  # [seqlen, d]
        scores = torch.einsum("thd,sd->ths", q[b].float(), kv) * softmax_scale  # [q_len, heads, seqlen]
        positions = torch.arange(seqlen, device=q.device)
        visible = seqlen - q_len + 1 + torch.arange(q_len, device=q.device)  # keys each query token sees
        mask = positions[None, :] < visible[:, None]  # [q_len, seqlen]
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        row_lse = torch.logsumexp(scores, dim=-1)  # [q_len, heads]
        has_keys = mask.any(dim=-1)
        # A row with no visible key is all -inf and softmax gives NaN there; those rows stay zero.
        probs = torch.where(has_keys[:, None, None], torch.softmax(scores, dim=-1), 0.0)
        out[b] = torch.einsum("ths,sd->thd", probs, kv[:, :kv_lora_rank])
        lse[b] = torch.where(has_keys[:, None], row_lse, torch.full_like(row_lse, float("inf")))
    return out, lse


def act_quant_reference(x: torch.Tensor, group: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """Per row, per `group` channels: scale = max(amax, 1e-4) / 448, y = x / scale in float8_e4m3fn."""
    m, k = x.shape
    groups = -(-k // group)
    padded = torch.nn.functional.pad(x.float(), (0, groups * group - k)).view(m, groups, group)
    scale = padded.abs().amax(dim=-1).clamp(min=AMAX_FLOOR) / FP8_MAX
    y = (padded / scale[..., None]).view(m, groups * group)[:, :k]
    return y.to(torch.float8_e4m3fn), scale


def block_expand(scale: torch.Tensor, shape: tuple[int, int], block: tuple[int, int]) -> torch.Tensor:
    """Repeat a per-block scale grid to one value per element of `shape`."""
    rows, cols = shape
    bn, bk = block
    return scale.float().repeat_interleave(bn, dim=0)[:rows].repeat_interleave(bk, dim=1)[:, :cols]


def weight_dequant_reference(w: torch.Tensor, scale_inv: torch.Tensor, block: tuple[int, int] = (128, 128)
                             ) -> torch.Tensor:
    """`w * weight_scale_inv`, block by block, in fp32."""
    return w.float() * block_expand(scale_inv, tuple(w.shape), block)


def fp8_gemm_reference(a: torch.Tensor, a_scale: torch.Tensor, b: torch.Tensor, b_scale: torch.Tensor,
                       block: tuple[int, int] = (128, 128)) -> torch.Tensor:
    """Dequantize both operands, then an fp32 matmul: `A_deq @ B_deq^T`."""
    a_deq = a.float() * block_expand(a_scale, tuple(a.shape), (1, block[1]))
    return a_deq @ weight_dequant_reference(b, b_scale, block).T
