"""The layer/expert grouping: the one-match-per-form fast path groups exactly as one match per name."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasekit.checks._checkpoints import _table
from releasekit.checks._layout import _group_by_form, _group_by_name, _Groups, build_layout
from releasekit.deepseek_layout import tensor_specs
from releasekit.example import TINY_CONFIG
from releasekit.safetensors_format import Header

WORDS = ["model", "layers", "h", "blocks", "layer", "mlp", "experts", "shared_experts", "block_sparse_moe",
         "gate_proj", "w1", "w2", "weight", "bias", "block2", "a", "0", "1", "7", "12", "03", "100", "self_attn"]


def _grouped(names: list[str], fast: bool) -> _Groups:
    groups = _Groups()
    (_group_by_form if fast else _group_by_name)(names, groups)
    return groups


def _same(names: list[str]) -> None:
    fast, slow = _grouped(names, True), _grouped(names, False)
    assert fast.other == slow.other
    assert fast.plain == slow.plain
    assert fast.counts == slow.counts
    normal = {stack: {layer: (indices, {part: sorted(rows) for part, rows in parts.items()}, moes)
                      for layer, (indices, parts, moes) in layers.items()} for stack, layers in slow.routed.items()}
    assert {stack: {layer: (indices, {part: sorted(rows) for part, rows in parts.items()}, moes)
                    for layer, (indices, parts, moes) in layers.items()}
            for stack, layers in fast.routed.items()} == normal


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(".".join), max_size=40, unique=True))
def test_form_grouping_equals_name_grouping(names: list[str]) -> None:
    _same(names)


def test_form_grouping_on_a_deepseek_layout() -> None:
    names = [s.name for s in tensor_specs(dict(TINY_CONFIG, n_routed_experts=12, num_hidden_layers=11))]
    _same(names)
    header = Header(0, 0, names, ["BF16"] * len(names), [(1,)] * len(names), [0] * len(names), [2] * len(names),
                    None, (), False)
    layout = build_layout(_table([("m.safetensors", header)]))
    assert layout.prefix == "model.layers"
    moe_layer = max(layout.routed)
    assert layout.routed[moe_layer].indices == frozenset(range(12))
    assert layout.has(moe_layer, "mlp.") and layout.get(0, "input_layernorm.weight") is not None


def test_names_the_fast_path_cannot_take_are_grouped_by_name() -> None:
    names = ["model.layers.0.a#b.weight", "model.layers.1.x.weight", "model.layers.٣.x.weight"]
    layout = build_layout(_table([("m.safetensors", Header(0, 0, names, ["U8"] * 3, [(1,)] * 3, [0, 1, 2], [1, 2, 3],
                                                            None, (), False))]))
    assert set(layout.layers) == {0, 1, 3}  # \d matches any decimal digit, as int() reads it
