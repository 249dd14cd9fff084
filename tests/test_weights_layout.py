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


def test_fp8_scales_are_paired_form_by_form_exactly_as_name_by_name() -> None:
    from releasekit.checks.weights_fp8 import SCALE_SUFFIX, _paired_by_form
    from releasekit.safetensors_format import FP8_DTYPES

    specs = tensor_specs(dict(TINY_CONFIG, n_routed_experts=12, num_hidden_layers=11))
    names = [s.name for s in specs]
    header = Header(0, 0, names, [s.dtype for s in specs], [s.shape for s in specs], [0] * len(names),
                    [0] * len(names), None, (), False)
    table = _table([("m.safetensors", header)])
    fp8 = [row for row, dtype in enumerate(table.dtypes) if dtype in FP8_DTYPES]
    assert len(fp8) > 12 * 3
    paired = _paired_by_form(table, fp8)
    assert paired is not None
    assert sorted(zip(*paired)) == sorted((w, table.row[table.names[w] + SCALE_SUFFIX]) for w in fp8)
    # Two scales stored in each other's place: the forms no longer mirror each other name for name.
    moved = names[:]
    first, last = fp8[0], fp8[-1]
    moved[first + 1], moved[last + 1] = moved[last + 1], moved[first + 1]
    swapped = _table([("m.safetensors", Header(0, 0, moved, header.dtypes, header.shapes, header.starts, header.ends,
                                                None, (), False))])
    assert _paired_by_form(swapped, fp8) is None
    assert sorted(zip(*_paired_by_form(_table([("m.safetensors", header)]), fp8))) == sorted(zip(*paired))


def test_form_grouping_in_any_order_and_with_numbers_of_every_width() -> None:
    """Layers 0-12 and experts 0-119 (one to three digits), shuffled: a layer's tensors are no longer
    stored together, and the grouping by runs of digit columns must still equal the name by name one."""
    import random

    names = [s.name for s in tensor_specs(dict(TINY_CONFIG, n_routed_experts=120, num_hidden_layers=12))]
    _same(names)
    random.Random(17).shuffle(names)
    _same(names)
    names += ["model.layers.3.mlp.experts.007.up_proj.weight", "model.layers.03.mlp.experts.5.up_proj.weight"]
    _same(names)
