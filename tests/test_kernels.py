"""The Triton kernels against their fp32 references, under Triton's CPU interpreter.

Shapes are the smallest that still reach each edge: zero-length and one-token sequences, lengths
on and off page boundaries, KV splits that cross pages (so the LSE merge combines real parts),
tiles that straddle pages, two causal query tokens, dimensions that are not powers of two, and
partial tiles on every GEMM edge. Unused pages hold NaN, so any out-of-bounds read shows.
"""

from __future__ import annotations

import pytest
import torch

from releasekit.smoke.compare import compare
from releasekit.smoke.runtime import KernelModeError, load_kernels

# At import, before anything else imports triton: Triton decorates its own library functions
# for the interpreter or the GPU when it is first imported.
KERNELS = load_kernels(interpret=True)


@pytest.fixture(scope="module")
def k():
    return KERNELS


def paged_inputs(seqlens, *, q_len=1, heads=4, dv=48, dpe=24, page=16, seed=0, spare_pages=1):
    """q, a shuffled paged cache with NaN in every slot past each sequence, block table, lengths."""
    gen = torch.Generator().manual_seed(seed)
    batch, row = len(seqlens), dv + dpe
    pages_per_seq = max(1, -(-max(seqlens) // page)) + spare_pages
    n_pages = batch * pages_per_seq
    logical = torch.randn(batch, pages_per_seq * page, row, generator=gen)
    lengths = torch.tensor(seqlens, dtype=torch.int32)
    logical[torch.arange(pages_per_seq * page)[None, :] >= lengths[:, None]] = float("nan")
    table = torch.randperm(n_pages, generator=gen).to(torch.int32).view(batch, pages_per_seq)
    cache = torch.empty(n_pages, page, row)
    cache[table.flatten().long()] = logical.view(n_pages, page, row)
    q = torch.randn(batch, q_len, heads, row, generator=gen)
    return q, cache, table, lengths


def run_mla(k, seqlens, *, dv=48, scale=0.2, blocks=None, **kw):
    q, cache, table, lengths = paged_inputs(seqlens, dv=dv, **kw)
    out, lse = k.mla_decode.mla_decode(q, cache, table, lengths, kv_lora_rank=dv, softmax_scale=scale, blocks=blocks)
    ref_out, ref_lse = k.reference.mla_decode_reference(q, cache, table, lengths, kv_lora_rank=dv, softmax_scale=scale)
    return out, lse, ref_out, ref_lse


def assert_close(out, lse, ref_out, ref_lse):
    for check in (compare("out", out, ref_out, 1e-5), compare("lse", lse, ref_lse, 1e-5)):
        assert check.passed, check


def blocks(k, **kw):
    return k.mla_decode.MlaBlocks(**{"block_h": 16, "block_n": 16, "merge_rows": 16, **kw})


# -- MLA decode --------------------------------------------------------------------------------

def test_varlen_with_empty_and_page_boundary_sequences(k) -> None:
    # 0, 1, exactly one page, one page + 1, three pages and a bit; 24-token splits cross pages.
    out, lse, ref_out, ref_lse = run_mla(k, [0, 1, 16, 17, 37], blocks=blocks(k, split_tokens=24))
    assert_close(out, lse, ref_out, ref_lse)
    assert torch.isfinite(out).all()  # nothing leaked from the NaN padding
    assert torch.equal(out[0], torch.zeros_like(out[0])) and torch.isposinf(lse[0]).all()  # empty: 0 and +inf


def test_tiles_straddle_pages_and_splits_end_mid_tile(k) -> None:
    # 16-token tiles starting at multiples of 20 on 16-token pages.
    assert_close(*run_mla(k, [45, 23], blocks=blocks(k, split_tokens=20)))


def test_split_count_does_not_change_the_answer(k) -> None:
    one, lse_one, *_ = run_mla(k, [60, 33], blocks=blocks(k, split_tokens=64), seed=3)
    many, lse_many, ref_out, ref_lse = run_mla(k, [60, 33], blocks=blocks(k, split_tokens=16), seed=3)
    assert_close(many, lse_many, ref_out, ref_lse)
    assert compare("splits", many, one, 1e-10).passed and compare("lse", lse_many, lse_one, 1e-10).passed


def test_two_query_tokens_are_causal(k) -> None:
    out, lse, ref_out, ref_lse = run_mla(k, [1, 2, 29], q_len=2, blocks=blocks(k, split_tokens=16))
    assert_close(out, lse, ref_out, ref_lse)
    # Sequence 0 has one token: its first query sees nothing, its second sees that token.
    assert torch.isposinf(lse[0, 0]).all() and torch.isfinite(lse[0, 1]).all()
    # The first query of a sequence must not see the last token: compare with one token fewer.
    q, cache, table, lengths = paged_inputs([1, 2, 29], q_len=2)
    first_only, _ = k.mla_decode.mla_decode(q[:, :1].contiguous(), cache, table, (lengths - 1).clamp(min=0),
                                            kv_lora_rank=48, softmax_scale=0.2, blocks=blocks(k))
    assert compare("first", out[1:, 0], first_only[1:, 0], 1e-10).passed


def test_head_rows_spanning_several_row_blocks(k) -> None:
    # 2 x 11 = 22 query rows in blocks of 16: a partial second row block.
    assert_close(*run_mla(k, [5, 40], q_len=2, heads=11, blocks=blocks(k, split_tokens=32)))


def test_deepseek_v3_row_width_and_default_tiles(k) -> None:
    # kv_lora_rank 512 + rope 64, FlashMLA's 64-token pages, the GPU default tiles (64 rows).
    assert k.mla_decode.default_blocks(64).block_h == 64 and k.mla_decode.default_blocks(16).block_h == 16
    assert_close(*run_mla(k, [70, 0], heads=32, q_len=2, dv=512, dpe=64, page=64, scale=192 ** -0.5 * 1.87))


def test_all_sequences_empty(k) -> None:
    out, lse, ref_out, ref_lse = run_mla(k, [0, 0], blocks=blocks(k))
    assert torch.equal(out, torch.zeros_like(out)) and torch.isposinf(lse).all()
    assert_close(out, lse, ref_out, ref_lse)


def test_large_logits_stay_finite(k) -> None:
    # A scale of 3 on unit-variance rows gives logits in the hundreds: exp overflows without
    # the running max.
    out, lse, ref_out, ref_lse = run_mla(k, [50, 9], scale=3.0, blocks=blocks(k, split_tokens=16))
    assert torch.isfinite(out).all() and (lse > 50).any()
    assert_close(out, lse, ref_out, ref_lse)


def test_mismatched_widths_are_refused(k) -> None:
    q, cache, table, lengths = paged_inputs([3])
    with pytest.raises(ValueError, match="head dim"):
        k.mla_decode.mla_decode(q[..., :-1].contiguous(), cache, table, lengths, kv_lora_rank=48, softmax_scale=0.2)
    with pytest.raises(ValueError, match="leaves no rope dims"):
        k.mla_decode.mla_decode(q, cache, table, lengths, kv_lora_rank=72, softmax_scale=0.2)


# -- FP8: activation quantization, weight dequantization, GEMM ---------------------------------

def test_act_quant_matches_the_reference(k) -> None:
    x = torch.randn(3, 200) * 5  # 200 = one full 128 group and a partial one
    x[1] = 0.0  # an all-zero row: the clamped amax keeps the scale finite
    x[2, 130] = 1000.0  # an outlier group
    y, s = k.act_quant.act_quant(x, 128, y_dtype=torch.float32)
    ref_y, ref_s = k.reference.act_quant_reference(x, 128)
    assert y.dtype == torch.float8_e4m3fn and tuple(s.shape) == (3, 2)
    assert torch.equal(y.float(), ref_y.float()) and torch.equal(s, ref_s)
    assert s[1].tolist() == pytest.approx([1e-4 / 448] * 2) and torch.equal(y[1].float(), torch.zeros(200))
    assert y.float().abs().max() == 448.0  # each group's largest value lands on e4m3fn's maximum
    recovered = y.float() * s.repeat_interleave(128, dim=1)[:, :200]
    assert compare("round trip", recovered, x, 1e-3).passed


def test_weight_dequant_with_partial_blocks(k) -> None:
    w = (torch.randn(200, 130) * 50).to(torch.float8_e4m3fn)
    s = torch.rand(2, 2) + 0.5
    got = k.weight_dequant.weight_dequant(w.float(), s, (128, 128))
    assert torch.equal(got, k.reference.weight_dequant_reference(w, s, (128, 128)))
    assert got[0, 0] == w[0, 0].float() * s[0, 0] and got[199, 129] == w[199, 129].float() * s[1, 1]
    with pytest.raises(ValueError, match="needs scales of shape"):
        k.weight_dequant.weight_dequant(w.float(), s[:1], (128, 128))


def fp8_operands(m, n, kdim, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(m, kdim, generator=gen)
    w = (torch.randn(n, kdim, generator=gen) * 96).clamp(-448, 448).to(torch.float8_e4m3fn)
    ws = torch.rand(-(-n // 128), -(-kdim // 128), generator=gen) * 1.9e-3 + 1e-4
    return x, w, ws


@pytest.mark.parametrize("m, n, kdim, tiles", [
    (5, 200, 300, (16, 64, 64)),  # partial tiles on M, N and K; two K tiles per scale group
    (33, 96, 256, (16, 32, 128)),  # three M tiles, N inside one scale block
])
def test_fp8_gemm_matches_the_dequantized_product(k, m, n, kdim, tiles) -> None:
    x, w, ws = fp8_operands(m, n, kdim)
    y, xs = k.act_quant.act_quant(x, 128, y_dtype=torch.float32)
    bm, bn, bk = tiles
    c = k.fp8_gemm.fp8_gemm(y.float(), xs, w.float(), ws, out_dtype=torch.float32,
                            blocks=k.fp8_gemm.GemmBlocks(block_m=bm, block_n=bn, block_k=bk, group_m=2))
    assert tuple(c.shape) == (m, n)
    exact = k.reference.fp8_gemm_reference(y, xs, w, ws)
    assert compare("gemm", c, exact, 1e-10).passed
    unquantized = x @ k.reference.weight_dequant_reference(w, ws).T
    check = compare("vs-unquantized", c, unquantized, 1e-3)
    assert check.passed and check.rel_diff > 1e-6  # the activation's fp8 rounding is visible, and small


def test_fp8_gemm_refuses_inconsistent_scales(k) -> None:
    x, w, ws = fp8_operands(4, 130, 256)
    y, xs = k.act_quant.act_quant(x, 128, y_dtype=torch.float32)
    with pytest.raises(ValueError, match="weight scales have shape"):
        k.fp8_gemm.fp8_gemm(y.float(), xs, w.float(), ws[:1], out_dtype=torch.float32)
    with pytest.raises(ValueError, match="must divide the quantization group"):
        k.fp8_gemm.fp8_gemm(y.float(), xs, w.float(), ws, out_dtype=torch.float32,
                            blocks=k.fp8_gemm.GemmBlocks(block_k=96))


# -- the negative control's broken variants really are wrong ----------------------------------

def test_wrong_scale_choice_always_differs() -> None:
    from releasekit.kernels.broken import wrong_softmax_scale

    assert wrong_softmax_scale(0.1352, 576, 192 ** -0.5)[1].startswith("scale 0.04167: 576^-0.5")
    # When the row width gives the right scale by coincidence, the mscale omission is used ...
    value, what = wrong_softmax_scale(0.125, 64, 0.1)
    assert value == 0.1 and "YaRN" in what
    # ... and with neither available, twice the scale.
    assert wrong_softmax_scale(0.125, 64, 0.125)[0] == 0.25


def test_loading_gpu_kernels_in_an_interpreter_process_is_refused(k) -> None:
    with pytest.raises(KernelModeError):
        load_kernels(interpret=False)


