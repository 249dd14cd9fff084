# SPDX-License-Identifier: MIT
# Copyright (c) 2026 Example Lab
"""Reference inference for Tiny-MLA-MoE: MLA attention, MoE routing, FP8 block dequantization."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

BLOCK = 128


def dequantize(weight: torch.Tensor, scale_inv: torch.Tensor) -> torch.Tensor:
    """FP8 weight times its per-128x128-block scale, in BF16."""
    rows, cols = weight.shape
    scale = scale_inv.repeat_interleave(BLOCK, 0)[:rows].repeat_interleave(BLOCK, 1)[:, :cols]
    return (weight.float() * scale).to(torch.bfloat16)


def load_state(folder: str | Path) -> dict[str, torch.Tensor]:
    folder = Path(folder)
    index = json.loads((folder / "model.safetensors.index.json").read_text())
    state: dict[str, torch.Tensor] = {}
    for shard in sorted(set(index["weight_map"].values())):
        state.update(load_file(folder / shard))
    for name in [n for n in state if n.endswith(".weight_scale_inv")]:
        weight = name[: -len("_scale_inv")]
        state[weight] = dequantize(state[weight], state.pop(name))
    return state


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    x = x.float()
    return (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)).to(weight.dtype) * weight


class TinyMLAMoE:
    """A straightforward (not fast) forward pass over the released weights."""

    def __init__(self, config: dict, state: dict[str, torch.Tensor]) -> None:
        self.c, self.w = config, state
        self.scale = (config["qk_nope_head_dim"] + config["qk_rope_head_dim"]) ** -0.5

    def attention(self, i: int, x: torch.Tensor) -> torch.Tensor:
        c, w, p = self.c, self.w, f"model.layers.{i}.self_attn."
        heads, nope, rope, v = c["num_attention_heads"], c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
        q = rms_norm(x @ w[p + "q_a_proj.weight"].T, w[p + "q_a_layernorm.weight"], c["rms_norm_eps"])
        q = (q @ w[p + "q_b_proj.weight"].T).view(*x.shape[:-1], heads, nope + rope)
        kv = x @ w[p + "kv_a_proj_with_mqa.weight"].T
        latent, k_rope = kv.split([c["kv_lora_rank"], rope], dim=-1)
        kv = rms_norm(latent, w[p + "kv_a_layernorm.weight"], c["rms_norm_eps"]) @ w[p + "kv_b_proj.weight"].T
        kv = kv.view(*x.shape[:-1], heads, nope + v)
        k = torch.cat([kv[..., :nope], k_rope.unsqueeze(-2).expand(*x.shape[:-1], heads, rope)], dim=-1)
        out = F.scaled_dot_product_attention(q.transpose(0, 1), k.transpose(0, 1), kv[..., nope:].transpose(0, 1),
                                             is_causal=True, scale=self.scale)
        return out.transpose(0, 1).reshape(*x.shape[:-1], heads * v) @ w[p + "o_proj.weight"].T

    def mlp(self, i: int, x: torch.Tensor) -> torch.Tensor:
        c, w, p = self.c, self.w, f"model.layers.{i}.mlp."

        def ffn(prefix: str, h: torch.Tensor) -> torch.Tensor:
            gate, up = h @ w[prefix + "gate_proj.weight"].T, h @ w[prefix + "up_proj.weight"].T
            return (F.silu(gate) * up) @ w[prefix + "down_proj.weight"].T

        if i < c["first_k_dense_replace"]:
            return ffn(p, x)
        scores = (x.float() @ w[p + "gate.weight"].float().T).sigmoid()
        weights, experts = (scores + w[p + "gate.e_score_correction_bias"]).topk(c["num_experts_per_tok"], dim=-1)
        weights = scores.gather(-1, experts)
        weights = weights / weights.sum(-1, keepdim=True)
        out = ffn(p + "shared_experts.", x)
        for slot in range(experts.shape[-1]):
            for e in experts[:, slot].unique().tolist():
                rows = experts[:, slot] == e
                out[rows] += weights[rows, slot, None].to(x.dtype) * ffn(f"{p}experts.{e}.", x[rows])
        return out

    @torch.no_grad()
    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        c, w = self.c, self.w
        x = w["model.embed_tokens.weight"][tokens]
        for i in range(c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            x = x + self.attention(i, rms_norm(x, w[p + "input_layernorm.weight"], c["rms_norm_eps"]))
            x = x + self.mlp(i, rms_norm(x, w[p + "post_attention_layernorm.weight"], c["rms_norm_eps"]))
        return rms_norm(x, w["model.norm.weight"], c["rms_norm_eps"]) @ w["lm_head.weight"].T


def load_model(folder: str | Path) -> TinyMLAMoE:
    config = json.loads((Path(folder) / "config.json").read_text())
    return TinyMLAMoE(config, load_state(folder))


if __name__ == "__main__":
    model = load_model(Path(__file__).resolve().parent.parent)
    logits = model.forward(torch.tensor([0, 5, 7, 11]))
    print("logits", tuple(logits.shape), "finite:", bool(torch.isfinite(logits).all()))
