"""Parameter counts from tensor shapes (safetensors headers) and config.json, never typed by hand.

A model card states how many parameters the model has and, for a mixture of experts, how many
each token uses. Both are computed here from the tensors the release actually ships:

- total: every element of every weight tensor; quantisation scales (`*_scale_inv`,
  `weight_scale`, `input_scale`) are not parameters and are counted apart;
- the multi-token-prediction (MTP) module, layers past `num_hidden_layers` or tensors named
  `mtp`, is counted separately, as DeepSeek-V3 reports it (671B + 14B MTP);
- activated per token: everything but the routed experts (attention, dense layers, shared
  experts, routers, norms, embeddings and head), plus top-k of the routed experts of each MoE layer
  (`num_experts_per_tok / n_routed_experts` of that layer's routed-expert parameters).

Expert tensors are recognised by name (`.experts.<i>.`, or fused `.experts.` tensors whose
first dimension is the expert count); shared experts (`shared_expert`) are always active.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_SCALE = re.compile(r"(_scale_inv|\.weight_scale(_2)?|\.input_scale)$")
_LAYER = re.compile(r"(?:^|\.)layers\.(\d+)\.")
_EXPERT = re.compile(r"\.experts\.(\d+)\.")
_FUSED_EXPERTS = re.compile(r"\.experts\.(?!\d)")
_MTP_NAME = re.compile(r"(?:^|\.)mtp[._]")
_EMBEDDING = re.compile(r"(embed_tokens|wte|word_embeddings|tok_embeddings)\.weight$")
_HEAD = re.compile(r"^(lm_head|output)\.weight$|\.shared_head\.head\.weight$")

# config.json keys for the routed-expert count and the experts each token picks, across families.
EXPERT_COUNT_KEYS = ("n_routed_experts", "num_local_experts", "num_experts", "moe_num_experts")
TOP_K_KEYS = ("num_experts_per_tok", "moe_top_k", "num_selected_experts", "top_k", "moe_k")


class ParameterCountError(ValueError):
    """The tensors and config.json disagree in a way that makes a per-token count meaningless."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ParameterCount:
    """Counts in parameters (tensor elements). `activated` is None for a dense model."""

    total: int  # everything, MTP included
    main: int  # the model without its MTP module
    mtp: int
    routed_experts: int  # routed-expert parameters of the main model
    activated: int | None  # per token, main model; None when the model has no routed experts
    embeddings: int  # main model's input embeddings
    head: int  # main model's output head (0 when tied to the embeddings)
    scales: int  # quantisation-scale elements, not counted as parameters
    moe_layers: int
    experts_per_token: int | None
    routed_experts_per_layer: int | None

    @property
    def is_moe(self) -> bool:
        return self.activated is not None


def _first_int(config: Mapping[str, Any], keys: Sequence[str]) -> int | None:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _is_mtp(name: str, layer: int | None, main_layers: int | None) -> bool:
    if "mtp" in name and _MTP_NAME.search(name):
        return True
    return layer is not None and main_layers is not None and layer >= main_layers


def count_parameters(shapes: Mapping[str, Sequence[int]], config: Mapping[str, Any] | None = None) -> ParameterCount:
    """Count the parameters of tensors `name -> shape` (see the module docstring for the rules).

    Raises ParameterCountError when the checkpoint has routed experts but config.json does not say
    how many each token uses, or when the expert tensors disagree with the config's expert count.
    """
    config = config or {}
    main_layers = config.get("num_hidden_layers") if config.get("num_nextn_predict_layers") else None
    if main_layers is not None and not isinstance(main_layers, int):
        main_layers = None
    top_k = _first_int(config, TOP_K_KEYS)
    declared_experts = _first_int(config, EXPERT_COUNT_KEYS)
    total = mtp = scales = embeddings = head = 0
    routed_by_layer: dict[int, int] = {}
    experts_by_layer: dict[int, set[int]] = {}
    fused_layers: set[int] = set()
    # Substring tests before each regular expression: 92k tensors per DeepSeek-V3 checkpoint.
    for name, shape in shapes.items():
        numel = math.prod(shape)
        if "scale" in name and _SCALE.search(name):
            scales += numel
            continue
        total += numel
        match = _LAYER.search(name) if "layers." in name else None
        layer = int(match.group(1)) if match else None
        if _is_mtp(name, layer, main_layers):
            mtp += numel
            continue
        if layer is None:  # embeddings and head sit outside the layer stack
            if _EMBEDDING.search(name):
                embeddings += numel
            elif _HEAD.search(name):
                head += numel
        if "experts" not in name or "shared_expert" in name:
            continue
        expert = _EXPERT.search(name)
        key = layer if layer is not None else -1
        if expert:
            routed_by_layer[key] = routed_by_layer.get(key, 0) + numel
            experts_by_layer.setdefault(key, set()).add(int(expert.group(1)))
        elif _FUSED_EXPERTS.search(name) and shape and declared_experts and shape[0] == declared_experts:
            routed_by_layer[key] = routed_by_layer.get(key, 0) + numel
            fused_layers.add(key)
    main = total - mtp
    routed = sum(routed_by_layer.values())
    if not routed:
        return ParameterCount(total=total, main=main, mtp=mtp, routed_experts=0, activated=None,
                              embeddings=embeddings, head=head, scales=scales, moe_layers=0,
                              experts_per_token=None, routed_experts_per_layer=None)
    if top_k is None:
        raise ParameterCountError(
            f"the weights hold routed experts but config.json names no experts-per-token count "
            f"(one of {', '.join(TOP_K_KEYS)}): the activated parameters cannot be computed")
    counts = {len(found) for layer, found in experts_by_layer.items() if layer not in fused_layers}
    if declared_experts is None:
        if len(counts) != 1:
            raise ParameterCountError("config.json names no routed-expert count and the MoE layers hold "
                                      f"different numbers of experts ({sorted(counts)})")
        declared_experts = counts.pop()
    elif counts - {declared_experts}:
        raise ParameterCountError(
            f"config.json declares {declared_experts} routed experts per layer but the weights hold "
            f"{', '.join(str(c) for c in sorted(counts - {declared_experts}))} in some layer(s)")
    if top_k > declared_experts:
        raise ParameterCountError(f"config.json picks {top_k} experts per token out of {declared_experts}")
    # Integer arithmetic: each layer's experts are the same size, so k/n of them is exact.
    active_routed = sum(p * top_k // declared_experts for p in routed_by_layer.values())
    return ParameterCount(total=total, main=main, mtp=mtp, routed_experts=routed,
                          activated=main - routed + active_routed, embeddings=embeddings, head=head,
                          scales=scales, moe_layers=len(routed_by_layer), experts_per_token=top_k,
                          routed_experts_per_layer=declared_experts)


def human(count: int) -> str:
    """671026419712 -> '671.0B'; 12345 -> '12.3K' (one decimal, SI-style suffix as model names use)."""
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if count >= size:
            return f"{count / size:.1f}{suffix}"
    return str(count)
