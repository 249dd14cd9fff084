"""The cases a smoke run checks, planned from the model's shape and the device. No torch here.

CPU (Triton interpreter, which runs every program instance in Python): a handful of small cases
chosen to hit every edge the kernels have: a zero-length sequence, a one-token sequence, a
sequence ending exactly on a page boundary and one ending inside a page, several KV splits per
sequence (so the LSE merge does real work), splits and tiles that straddle pages, two query
tokens (MTP, causal), partial tiles in M, N and K of the GEMM.
GPU: the sweep batch {1, 64, 128} x query heads {16, 128} x query length {1, 2} x sequence
length {1, 140, 4096}, varlen batches with zero-length sequences, and every projection of the
model at M in {1, 128, 4096}.
Both: the negative controls, deliberately broken variants that must fail the same comparison.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from releasekit.smoke.checkpoint import WeightRef
from releasekit.smoke.shapes import ModelShape

# Tolerances on the relative difference 1 - 2*sum(x*y)/sum(x*x + y*y), computed in float64.
MLA_TOL = 1e-5  # attention output and LSE against the fp32 reference
GEMM_TOL = 1e-3  # FP8 GEMM against the unquantized fp32 product (activation quantization error)
EXACT_TOL = 1e-5  # kernel against the fp32 reference on the very same quantized inputs

CORRECT = "correct"
# Broken variants (kernels/broken.py); each must be caught by the comparison.
MLA_CONTROLS = ("wrong-softmax-scale", "mask-short-by-one", "mask-past-end-by-one", "merge-ignores-lse")
GEMM_CONTROLS = ("inverted-weight-scale", "first-activation-scale-only")


@dataclasses.dataclass(frozen=True)
class MlaCase:
    name: str
    batch: int
    q_len: int
    heads: int
    seqlens: tuple[int, ...]
    page_size: int = 64
    # Tiles; None leaves the choice to the kernel's GPU defaults (`default_blocks`).
    block_h: int | None = None
    block_n: int | None = None
    split_tokens: int | None = None
    merge_rows: int | None = None
    variant: str = CORRECT
    seed: int = 0
    note: str | None = None
    kind: str = "mla"

    @property
    def expect_fail(self) -> bool:
        return self.variant != CORRECT

    def label(self) -> str:
        lens = self.seqlens
        if len(set(lens)) == 1:
            seq = f"seqlen={lens[0]}"
        elif len(lens) <= 6:
            seq = f"seqlens={list(lens)}"
        else:
            seq = f"seqlens=varlen[{min(lens)}..{max(lens)}, {lens.count(0)} empty]"
        split = f" split={self.split_tokens}" if self.split_tokens else ""
        return f"b={self.batch} q_len={self.q_len} heads={self.heads} {seq} page={self.page_size}{split}"


@dataclasses.dataclass(frozen=True)
class GemmCase:
    name: str
    m: int
    n: int
    k: int
    weight: WeightRef | None = None  # None: synthetic FP8 weight and scales
    # Tiles; None leaves the choice to the kernel's GPU defaults (`GemmBlocks`).
    block_m: int | None = None
    block_n: int | None = None
    block_k: int | None = None
    variant: str = CORRECT
    seed: int = 0
    note: str | None = None
    kind: str = "gemm"

    @property
    def expect_fail(self) -> bool:
        return self.variant != CORRECT

    def label(self) -> str:
        source = f" weight={self.weight.name}" if self.weight else ""
        return f"M={self.m} N={self.n} K={self.k}{source}"


Case = MlaCase | GemmCase


@dataclasses.dataclass(frozen=True)
class Plan:
    device: str
    release: str | None  # the release folder, for reading checkpoint weights in the kernel process
    shape: ModelShape
    cases: tuple[Case, ...]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"device": self.device, "release": self.release, "shape": dataclasses.asdict(self.shape),
                "cases": [dataclasses.asdict(c) for c in self.cases], "notes": list(self.notes)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        shape_data = dict(data["shape"])
        shape_data["weight_block"] = tuple(shape_data["weight_block"])
        cases: list[Case] = []
        for c in data["cases"]:
            c = dict(c)
            if c["kind"] == "mla":
                c["seqlens"] = tuple(c["seqlens"])
                cases.append(MlaCase(**c))
            else:
                w = c.get("weight")
                if w is not None:
                    c["weight"] = WeightRef(**{**w, "shape": tuple(w["shape"]), "scale_shape": tuple(w["scale_shape"])})
                cases.append(GemmCase(**c))
        return cls(data["device"], data["release"], ModelShape(**shape_data), tuple(cases), tuple(data["notes"]))


def _varlen(batch: int, mean: int, q_len: int, rng: random.Random, empty_every: int = 8) -> tuple[int, ...]:
    """FlashMLA-style variable lengths: normal around `mean`, at least `q_len`, every
    `empty_every`-th sequence empty."""
    lens = [max(q_len, int(rng.normalvariate(mean, mean / 2))) for _ in range(batch)]
    for i in range(0, batch, empty_every):
        lens[i] = 0
    return tuple(lens)


def cpu_cases(shape: ModelShape, weight: WeightRef | None) -> list[Case]:
    heads = min(shape.num_heads, 16)
    cases: list[Case] = [
        # 0 tokens, 1 token, exactly one page, two pages and a bit: 3 splits of 48 crossing pages.
        MlaCase("mla-varlen", 4, 1, heads, (0, 1, 64, 140), block_h=16, block_n=16, split_tokens=48,
                merge_rows=16, seed=1),
        # Two query tokens (MTP), causal; the 1-token sequence leaves the first query with no key.
        MlaCase("mla-mtp", 3, 2, heads, (0, 1, 130), block_h=16, block_n=16, split_tokens=64, merge_rows=16,
                seed=2),
        # Small pages: tiles of 16 start mid-page (splits of 40 on 16-token pages), so tiles
        # straddle page boundaries and splits end mid-tile.
        MlaCase("mla-small-pages", 2, 1, heads, (37, 100), page_size=16, block_h=16, block_n=16,
                split_tokens=40, merge_rows=16, seed=3),
    ]
    control = cases[0]
    cases += [dataclasses.replace(control, name=f"control-{v}", variant=v, seed=11 + i)
              for i, v in enumerate(MLA_CONTROLS)]
    bn, bk = shape.weight_block
    # The smallest projection, cut to at most 4.5 x 4 blocks: partial blocks stay, the
    # interpreter's cost (one Python pass per program and K step) stays small.
    smallest = min(shape.projections(), key=lambda p: p.n * p.k)
    n, k = min(smallest.n, 4 * bn + bn // 2), min(smallest.k, 4 * bk)
    cut = f"{smallest.name} is {smallest.n}x{smallest.k}, cut for the interpreter" if (n, k) != (smallest.n, smallest.k) else None
    cases.append(GemmCase(f"gemm-{smallest.name}", 5, n, k, block_m=16, block_n=64, block_k=min(128, bk), seed=4,
                          note=cut))
    if weight is not None:
        cases.append(GemmCase("gemm-checkpoint", 4, weight.shape[0], weight.shape[1], weight=weight,
                              block_m=16, block_n=64, block_k=min(128, bk), seed=5))
    # Controls on a small synthetic shape with partial blocks and at least two K groups.
    cases += [GemmCase(f"control-{v}", 3, bn + bn // 2, 2 * bk + bk // 2, block_m=16, block_n=64,
                       block_k=min(64, bk), variant=v, seed=21 + i) for i, v in enumerate(GEMM_CONTROLS)]
    return cases


def gpu_cases(shape: ModelShape, weight: WeightRef | None) -> list[Case]:
    rng = random.Random(0)
    head_counts = sorted({min(16, shape.num_heads), shape.num_heads})
    cases: list[Case] = []
    seed = 100
    for batch in (1, 64, 128):
        for heads in head_counts:
            for q_len in (1, 2):
                for seqlen in (1, 140, 4096):
                    seed += 1
                    cases.append(MlaCase(f"mla-b{batch}-h{heads}-q{q_len}-s{seqlen}", batch, q_len, heads,
                                         (seqlen,) * batch, seed=seed))
    for batch in (64, 128):
        for heads in head_counts:
            for q_len in (1, 2):
                seed += 1
                cases.append(MlaCase(f"mla-varlen-b{batch}-h{heads}-q{q_len}", batch, q_len, heads,
                                     _varlen(batch, 4096, q_len, rng), seed=seed))
    control = MlaCase("control", 16, 2, head_counts[-1], _varlen(16, 1024, 2, rng), split_tokens=256)
    cases += [dataclasses.replace(control, name=f"control-{v}", variant=v, seed=200 + i)
              for i, v in enumerate(MLA_CONTROLS)]
    bn, bk = shape.weight_block
    block_k = min(128, bk)
    for proj in shape.projections():
        for m in (1, 128, 4096):
            seed += 1
            cases.append(GemmCase(f"gemm-{proj.name}-m{m}", m, proj.n, proj.k, block_k=block_k, seed=seed))
    if weight is not None:
        cases.append(GemmCase("gemm-checkpoint", 128, weight.shape[0], weight.shape[1], weight=weight,
                              block_k=block_k, seed=300))
    cases += [GemmCase(f"control-{v}", 128, 4 * bn + bn // 2, 4 * bk, block_k=block_k, variant=v, seed=310 + i)
              for i, v in enumerate(GEMM_CONTROLS)]
    return cases


def plan(shape: ModelShape, device: str, release: str | None, weight: WeightRef | None,
         notes: tuple[str, ...] = ()) -> Plan:
    cases = cpu_cases(shape, weight) if device == "cpu" else gpu_cases(shape, weight)
    return Plan(device, release, shape, tuple(cases), notes)
