"""MLA decode attention over a paged latent KV cache, with split-KV and a log-sum-exp merge.

This is DeepSeek-V2/V3's "absorbed" decode: every query head attends to one shared latent KV
head. A cached token is `[c_kv (kv_lora_rank) | k_pe (qk_rope_head_dim)]`; the key is the whole
row and the value is `c_kv`. The cache is paged: `kv_cache[page, slot, :]`, with `block_table[b, i]`
naming the physical page that holds tokens `i*page_size ... (i+1)*page_size - 1` of sequence b,
and `cache_seqlens[b]` its length (zero allowed).

The query of sequence b is `q[b, t, h, :]` for `q_len` tokens (1, or 2 with MTP); token t sits at
position `seqlen - q_len + t` and sees keys `0 ... seqlen - q_len + t` (causal). A query that sees
no key (a zero-length sequence) gets a zero output and an LSE of +inf, the convention of
FlashMLA's tests.

Two kernels: `_split_kernel` runs online softmax over one slice of the sequence for a block of
query rows (rows = q_len x heads, all sharing the one KV head, so they form the M side of the
dot) and writes a partial output and its LSE; `_merge_kernel` combines the slices by their LSE.
The same code runs on a GPU (bf16 inputs, bf16 `tl.dot`, fp32 accumulation) and under
`TRITON_INTERPRET=1` on the CPU (fp32 inputs); only dtypes and block sizes differ.
"""

from __future__ import annotations

import dataclasses
import math

import torch
import triton
import triton.language as tl

LOG2E = 1.4426950408889634


@dataclasses.dataclass(frozen=True)
class MlaBlocks:
    """Tile sizes: query rows per program, tokens per inner step, tokens per split."""

    block_h: int = 16
    block_n: int = 32
    split_tokens: int | None = None  # None: chosen from the grid size (see `choose_split_tokens`)
    merge_rows: int = 1  # query rows per merge program
    num_warps: int = 4
    num_stages: int = 2


def default_blocks(n_rows: int) -> MlaBlocks:
    """GPU tiles for `n_rows` = q_len x heads query rows sharing the KV head.

    64 rows per program (8 warps, Hopper wgmma) once there are that many: every program reads
    the whole KV of its slice, so fewer row blocks means fewer passes over the cache. Otherwise 16
    rows (mma.sync). Both compile for sm_90 without register spills (tests/test_kernels_sm90.py).
    """
    if n_rows >= 64:
        return MlaBlocks(block_h=64, block_n=32, num_warps=8, num_stages=2)
    return MlaBlocks(block_h=16, block_n=32, num_warps=4, num_stages=2)


@triton.jit
def _split_kernel(
    q_ptr, kv_ptr, block_table_ptr, seqlens_ptr, part_out_ptr, part_lse_ptr,
    scale_log2,  # softmax_scale * log2(e): the softmax runs in base 2
    stride_qb, stride_qr,
    stride_kv_page, stride_kv_slot,
    stride_bt,
    stride_pob, stride_por, stride_pos,
    stride_plb, stride_plr,
    n_rows, n_heads, q_len, split_tokens,
    DV: tl.constexpr, DPE: tl.constexpr, DV_PAD: tl.constexpr, DPE_PAD: tl.constexpr,
    PAGE: tl.constexpr, BLOCK_H: tl.constexpr, BLOCK_N: tl.constexpr,
):
    # Head blocks vary fastest, so the programs that read the same pages run side by side and
    # share them through L2.
    row_block = tl.program_id(0)
    split = tl.program_id(1)
    b = tl.program_id(2)

    seqlen = tl.load(seqlens_ptr + b)
    rows = row_block * BLOCK_H + tl.arange(0, BLOCK_H)
    row_ok = rows < n_rows
    # Number of keys each row may see: query token t sits at position seqlen - q_len + t.
    visible = seqlen - q_len + 1 + rows // n_heads

    offs_v = tl.arange(0, DV_PAD)
    offs_pe = tl.arange(0, DPE_PAD)
    v_ok = offs_v < DV
    pe_ok = offs_pe < DPE

    q_rows = q_ptr + b.to(tl.int64) * stride_qb + rows[:, None] * stride_qr
    q_nope = tl.load(q_rows + offs_v[None, :], mask=row_ok[:, None] & v_ok[None, :], other=0.0)
    q_pe = tl.load(q_rows + DV + offs_pe[None, :], mask=row_ok[:, None] & pe_ok[None, :], other=0.0)

    m_i = tl.full([BLOCK_H], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_H], dtype=tl.float32)
    acc = tl.zeros([BLOCK_H, DV_PAD], dtype=tl.float32)

    start = split * split_tokens
    end = tl.minimum(start + split_tokens, seqlen)
    for tile in range(start, end, BLOCK_N):
        toks = tile + tl.arange(0, BLOCK_N)
        tok_ok = toks < end
        # Tokens past the length are never read: their pages may hold anything (NaN in the tests).
        page = tl.load(block_table_ptr + b * stride_bt + toks // PAGE, mask=tok_ok, other=0)
        slot = page.to(tl.int64) * stride_kv_page + (toks % PAGE).to(tl.int64) * stride_kv_slot
        c_kv = tl.load(kv_ptr + slot[:, None] + offs_v[None, :], mask=tok_ok[:, None] & v_ok[None, :], other=0.0)
        k_pe = tl.load(kv_ptr + slot[:, None] + DV + offs_pe[None, :], mask=tok_ok[:, None] & pe_ok[None, :],
                       other=0.0)

        scores = tl.dot(q_nope, tl.trans(c_kv))
        scores = tl.dot(q_pe, tl.trans(k_pe), scores)
        scores = scores * scale_log2
        seen = tok_ok[None, :] & (toks[None, :] < visible[:, None])
        scores = tl.where(seen, scores, float("-inf"))

        m_new = tl.maximum(m_i, tl.max(scores, 1))
        # A row that has seen no key yet keeps m = -inf; shift by 0 there to avoid inf - inf.
        m_shift = tl.where(m_new == float("-inf"), 0.0, m_new)
        alpha = tl.exp2(m_i - m_shift)
        p = tl.exp2(scores - m_shift[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None]
        acc = tl.dot(p.to(c_kv.dtype), c_kv, acc)
        m_i = m_new

    has_keys = l_i > 0.0
    out = acc / tl.where(has_keys, l_i, 1.0)[:, None]
    # Natural-log LSE of the scaled scores; -inf marks a slice with no visible key.
    lse = tl.where(has_keys, (m_i + tl.log2(tl.where(has_keys, l_i, 1.0))) / 1.4426950408889634, float("-inf"))

    po = part_out_ptr + b.to(tl.int64) * stride_pob + rows[:, None].to(tl.int64) * stride_por + split * stride_pos
    tl.store(po + offs_v[None, :], out, mask=row_ok[:, None] & v_ok[None, :])
    tl.store(part_lse_ptr + b * stride_plb + rows * stride_plr + split, lse, mask=row_ok)


@triton.jit
def _merge_kernel(
    part_out_ptr, part_lse_ptr, out_ptr, lse_ptr,
    stride_pob, stride_por, stride_pos,
    stride_plb, stride_plr,
    stride_ob, stride_or,
    stride_lb,
    n_rows, n_splits,
    DV: tl.constexpr, DV_PAD: tl.constexpr, SPLITS_PAD: tl.constexpr, BLOCK_R: tl.constexpr,
):
    # Each program merges BLOCK_R query rows: 1 on a GPU (plenty of programs), more under the
    # interpreter, where every program and every reduction has a fixed Python cost.
    rows = tl.program_id(0) * BLOCK_R + tl.arange(0, BLOCK_R)
    b = tl.program_id(1)
    row_ok = rows < n_rows
    splits = tl.arange(0, SPLITS_PAD)
    split_ok = splits < n_splits
    offs_v = tl.arange(0, DV_PAD)
    v_ok = offs_v < DV

    lse_parts = tl.load(part_lse_ptr + b * stride_plb + rows[:, None] * stride_plr + splits[None, :],
                        mask=row_ok[:, None] & split_ok[None, :], other=float("-inf"))
    m = tl.max(lse_parts, 1)
    empty = m == float("-inf")  # no split saw a key: the query attends to nothing
    weights = tl.exp(lse_parts - tl.where(empty, 0.0, m)[:, None])
    total = tl.sum(weights, 1)

    parts = tl.load(part_out_ptr + b.to(tl.int64) * stride_pob + rows[:, None, None].to(tl.int64) * stride_por
                    + splits[None, :, None] * stride_pos + offs_v[None, None, :],
                    mask=row_ok[:, None, None] & split_ok[None, :, None] & v_ok[None, None, :], other=0.0)
    out = tl.sum(parts * weights[:, :, None], 1) / tl.where(empty, 1.0, total)[:, None]
    lse = tl.where(empty, float("inf"), m + tl.log(tl.where(empty, 1.0, total)))

    tl.store(out_ptr + b.to(tl.int64) * stride_ob + rows[:, None] * stride_or + offs_v[None, :],
             out.to(out_ptr.dtype.element_ty), mask=row_ok[:, None] & v_ok[None, :])
    tl.store(lse_ptr + b * stride_lb + rows, lse, mask=row_ok)


def choose_split_tokens(batch: int, row_blocks: int, max_seqlen: int, block_n: int, *,
                        target_programs: int = 528, min_split: int = 256) -> int:
    """Tokens per split: enough splits to fill the GPU (about 4 programs per H100 SM), no fewer
    than `min_split` tokens each so the merge stays cheap."""
    max_seqlen = max(max_seqlen, 1)
    wanted_splits = max(1, math.ceil(target_programs / max(1, batch * row_blocks)))
    split = max(min_split, math.ceil(max_seqlen / wanted_splits))
    return triton.cdiv(split, block_n) * block_n


def _pad(n: int) -> int:
    # tl.dot needs every dimension to be at least 16.
    return max(16, triton.next_power_of_2(n))


def mla_decode(q: torch.Tensor, kv_cache: torch.Tensor, block_table: torch.Tensor, cache_seqlens: torch.Tensor, *,
               kv_lora_rank: int, softmax_scale: float, blocks: MlaBlocks | None = None,
               merge_kernel=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode attention. Shapes:

    q [batch, q_len, heads, kv_lora_rank + rope_dim]; kv_cache [pages, page_size, kv_lora_rank + rope_dim];
    block_table [batch, max_pages] int32; cache_seqlens [batch] int32.
    Returns out [batch, q_len, heads, kv_lora_rank] (q's dtype) and lse [batch, q_len, heads] fp32.
    `softmax_scale` is required: it comes from the model's config, never from the head size.
    `blocks` defaults to `default_blocks(q_len * heads)`. `merge_kernel` exists for the negative
    control, which swaps in a broken merge.
    """
    batch, q_len, heads, dim = q.shape
    pages, page_size, kv_dim = kv_cache.shape
    if kv_dim != dim:
        raise ValueError(f"q has head dim {dim} but the KV cache rows are {kv_dim}")
    rope_dim = dim - kv_lora_rank
    if rope_dim <= 0:
        raise ValueError(f"kv_lora_rank {kv_lora_rank} leaves no rope dims in a {dim}-wide row")
    if q.stride(-1) != 1 or kv_cache.stride(-1) != 1 or block_table.stride(-1) != 1:
        raise ValueError("q, kv_cache and block_table need a contiguous last dimension")
    if q.stride(1) != heads * q.stride(2):
        raise ValueError("q's query-token and head dimensions must be packed (q[:, t, h] rows evenly spaced)")
    n_rows = q_len * heads
    blocks = blocks or default_blocks(n_rows)
    row_blocks = triton.cdiv(n_rows, blocks.block_h)
    max_seqlen = int(cache_seqlens.max().item()) if batch else 0
    split_tokens = blocks.split_tokens or choose_split_tokens(batch, row_blocks, max_seqlen, blocks.block_n)
    n_splits = max(1, triton.cdiv(max_seqlen, split_tokens))

    part_out = torch.empty(batch, n_rows, n_splits, kv_lora_rank, dtype=torch.float32, device=q.device)
    part_lse = torch.empty(batch, n_rows, n_splits, dtype=torch.float32, device=q.device)
    out = torch.empty(batch, q_len, heads, kv_lora_rank, dtype=q.dtype, device=q.device)
    lse = torch.empty(batch, q_len, heads, dtype=torch.float32, device=q.device)
    if batch == 0:
        return out, lse

    _split_kernel[(row_blocks, n_splits, batch)](
        q, kv_cache, block_table, cache_seqlens, part_out, part_lse,
        softmax_scale * LOG2E,
        q.stride(0), q.stride(2),
        kv_cache.stride(0), kv_cache.stride(1),
        block_table.stride(0),
        part_out.stride(0), part_out.stride(1), part_out.stride(2),
        part_lse.stride(0), part_lse.stride(1),
        n_rows, heads, q_len, split_tokens,
        DV=kv_lora_rank, DPE=rope_dim, DV_PAD=_pad(kv_lora_rank), DPE_PAD=_pad(rope_dim),
        PAGE=page_size, BLOCK_H=blocks.block_h, BLOCK_N=blocks.block_n,
        num_warps=blocks.num_warps, num_stages=blocks.num_stages,
    )
    (merge_kernel or _merge_kernel)[(triton.cdiv(n_rows, blocks.merge_rows), batch)](
        part_out, part_lse, out, lse,
        part_out.stride(0), part_out.stride(1), part_out.stride(2),
        part_lse.stride(0), part_lse.stride(1),
        out.stride(0), out.stride(2),
        lse.stride(0),
        n_rows, n_splits,
        DV=kv_lora_rank, DV_PAD=triton.next_power_of_2(kv_lora_rank), SPLITS_PAD=triton.next_power_of_2(n_splits),
        BLOCK_R=blocks.merge_rows, num_warps=4,
    )
    return out, lse
