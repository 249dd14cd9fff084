"""Parameter counts from tensor shapes: hand-computed small models and DeepSeek-V3's published figures."""

from __future__ import annotations

import pytest

from releasekit.deepseek_layout import DEEPSEEK_V3_CONFIG, tensor_specs
from releasekit.params import ParameterCountError, count_parameters, human


def _dense_shapes() -> dict[str, tuple[int, ...]]:
    """A Llama-style model: vocab 100, hidden 8, FFN 16, 2 layers, 2 heads of 4, 1 KV head, untied head."""
    shapes: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (100, 8), "model.norm.weight": (8,),
                                          "lm_head.weight": (100, 8)}
    for i in range(2):
        p = f"model.layers.{i}."
        shapes.update({
            p + "self_attn.q_proj.weight": (8, 8), p + "self_attn.k_proj.weight": (4, 8),
            p + "self_attn.v_proj.weight": (4, 8), p + "self_attn.o_proj.weight": (8, 8),
            p + "mlp.gate_proj.weight": (16, 8), p + "mlp.up_proj.weight": (16, 8),
            p + "mlp.down_proj.weight": (8, 16),
            p + "input_layernorm.weight": (8,), p + "post_attention_layernorm.weight": (8,),
        })
    return shapes


def test_dense_model_by_hand() -> None:
    # embeddings 800 + 2 x (64 + 32 + 32 + 64 + 3 x 128 + 16) + norm 8 + head 800 = 2792
    count = count_parameters(_dense_shapes(), {"num_hidden_layers": 2})
    assert (count.total, count.main, count.mtp, count.activated) == (2792, 2792, 0, None)
    assert (count.embeddings, count.head) == (800, 800)
    assert not count.is_moe


def _moe_shapes() -> dict[str, tuple[int, ...]]:
    """One MoE layer (hidden 4): 4 routed experts and 1 shared expert of FFN 2, router, one MTP layer."""
    shapes: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (10, 4), "model.norm.weight": (4,),
                                          "lm_head.weight": (10, 4)}
    p = "model.layers.0."
    for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
        shapes[f"{p}self_attn.{proj}.weight"] = (4, 4)
    shapes[f"{p}self_attn.q_proj.weight_scale_inv"] = (1, 1)  # a quantisation scale: not a parameter
    shapes[f"{p}input_layernorm.weight"] = shapes[f"{p}post_attention_layernorm.weight"] = (4,)
    shapes[f"{p}mlp.gate.weight"] = (4, 4)
    for expert in [f"experts.{e}" for e in range(4)] + ["shared_experts"]:
        shapes[f"{p}mlp.{expert}.gate_proj.weight"] = shapes[f"{p}mlp.{expert}.up_proj.weight"] = (2, 4)
        shapes[f"{p}mlp.{expert}.down_proj.weight"] = (4, 2)
    shapes["model.layers.1.eh_proj.weight"] = (4, 8)  # the MTP layer
    shapes["model.layers.1.enorm.weight"] = (4,)
    return shapes


MOE_CONFIG = {"num_hidden_layers": 1, "num_nextn_predict_layers": 1, "n_routed_experts": 4, "num_experts_per_tok": 2}


def test_moe_model_by_hand() -> None:
    # main: embeddings 40 + attention 64 + norms 8 + router 16 + routed 4 x 24 + shared 24 + norm 4 + head 40 = 292
    # activated: 292 - 96 routed + 2/4 of them (48) = 244; MTP: 32 + 4 = 36
    count = count_parameters(_moe_shapes(), MOE_CONFIG)
    assert (count.main, count.mtp, count.total, count.scales) == (292, 36, 328, 1)
    assert (count.routed_experts, count.activated, count.moe_layers) == (96, 244, 1)
    assert (count.experts_per_token, count.routed_experts_per_layer) == (2, 4)


def test_without_mtp_in_config_the_extra_layer_is_main_model() -> None:
    config = {k: v for k, v in MOE_CONFIG.items() if k != "num_nextn_predict_layers"}
    count = count_parameters(_moe_shapes(), config)
    assert (count.main, count.mtp) == (328, 0)


def test_expert_count_from_tensors_when_config_omits_it() -> None:
    config = {"num_hidden_layers": 1, "num_nextn_predict_layers": 1, "num_experts_per_tok": 1}
    assert count_parameters(_moe_shapes(), config).activated == 292 - 96 + 24


def test_fused_expert_tensors() -> None:
    # gpt-oss style: the experts of a layer stacked in one tensor whose first dimension is the expert count
    shapes = {"model.layers.0.mlp.experts.gate_up_proj": (8, 4, 6), "model.layers.0.mlp.experts.down_proj": (8, 3, 4),
              "model.layers.0.mlp.router.weight": (8, 4), "model.embed_tokens.weight": (10, 4)}
    count = count_parameters(shapes, {"num_local_experts": 8, "num_experts_per_tok": 2})
    routed = 8 * 24 + 8 * 12
    assert count.routed_experts == routed
    assert count.activated == 32 + 40 + routed * 2 // 8


def test_routed_experts_without_top_k_is_an_error() -> None:
    with pytest.raises(ParameterCountError, match="experts-per-token"):
        count_parameters(_moe_shapes(), {"num_hidden_layers": 1, "n_routed_experts": 4})


def test_expert_count_disagreeing_with_config_is_an_error() -> None:
    with pytest.raises(ParameterCountError, match="declares 8 routed experts"):
        count_parameters(_moe_shapes(), {**MOE_CONFIG, "n_routed_experts": 8})


def test_deepseek_v3_published_figures() -> None:
    """DeepSeek-V3: "671B total parameters with 37B activated for each token"; the MTP module, 14B, apart."""
    shapes = {s.name: s.shape for s in tensor_specs(DEEPSEEK_V3_CONFIG)}
    count = count_parameters(shapes, DEEPSEEK_V3_CONFIG)
    assert 671e9 <= count.main < 672e9
    assert 37e9 <= count.activated < 38e9
    assert 13e9 <= count.mtp < 14.5e9
    assert count.total == count.main + count.mtp
    # The Hub shows "685B" for the checkpoint: every element, the 41.5M FP8 scales included.
    assert round((count.total + count.scales) / 1e9) == 685
    assert (count.moe_layers, count.experts_per_token, count.routed_experts_per_layer) == (58, 8, 256)
    assert human(count.main) == "671.0B" and human(count.activated) == "37.6B"


def test_human() -> None:
    assert [human(n) for n in (999, 1_500, 2_000_000, 3_250_000_000, 1_200_000_000_000)] == [
        "999", "1.5K", "2.0M", "3.2B", "1.2T"]
