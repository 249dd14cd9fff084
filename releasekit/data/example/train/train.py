# SPDX-License-Identifier: MIT
# Copyright (c) 2026 Example Lab
"""The training loop Tiny-MLA-MoE's architecture would use (next-token and MTP losses).

Kept as documentation of the recipe: the released weights are random and were not trained.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def losses(logits: torch.Tensor, mtp_logits: torch.Tensor, tokens: torch.Tensor, mtp_weight: float = 0.3) -> torch.Tensor:
    """Cross-entropy on the next token plus a weighted loss on the token after it (MTP depth 1)."""
    main = F.cross_entropy(logits[:-1].float(), tokens[1:])
    extra = F.cross_entropy(mtp_logits[:-2].float(), tokens[2:])
    return main + mtp_weight * extra


def train_step(model, optimizer: torch.optim.Optimizer, tokens: torch.Tensor) -> float:
    optimizer.zero_grad(set_to_none=True)
    logits, mtp_logits = model(tokens)
    loss = losses(logits, mtp_logits, tokens)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return float(loss)
