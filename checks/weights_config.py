"""config.json against the weights: what the config declares must match the tensors' shapes.

Only declared fields are checked (a config that is silent on a field is not an error), only the
checkpoint beside config.json is compared, and only headers are read. Findings are aggregated
per tensor role ("layers 0-60: kv_b_proj is ...") so a systematic mismatch is one line, not 61.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from releasekit import lazy
from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check

if TYPE_CHECKING:
    from releasekit.checks._checkpoints import Tensor
    from releasekit.checks._layout import Layout

# The header and layout machinery loads when a weights check runs (in the weights lane, lanes.py),
# not when the registry lists the rules before the lanes fork.
_checkpoints = lazy.module("releasekit.checks._checkpoints")
_layout = lazy.module("releasekit.checks._layout")

_DOC_FIX = "How to fix: correct config.json, or re-export the weights from the model the config describes."

RK120 = Rule.define(
    "RK120", "config-layers", category="weights", severity=Severity.ERROR,
    summary="The weights' layer count disagrees with num_hidden_layers (+ MTP layers).",
    doc=f"""
    What it finds: decoder layers missing from the weights (an index below `num_hidden_layers`
    with no tensors), or layers beyond `num_hidden_layers` + `num_nextn_predict_layers` (the
    multi-token-prediction layers DeepSeek-V3 stores after the decoder stack). MTP layers the
    config declares but the weights omit are reported as info.

    Why it matters: missing layers load as random weights (transformers only warns); extra layers
    are silently ignored, which usually means the config belongs to another checkpoint.

    {_DOC_FIX}
    """,
)
RK121 = Rule.define(
    "RK121", "config-vocab", category="weights", severity=Severity.ERROR,
    summary="Embedding or output-head rows differ from vocab_size.",
    doc=f"""
    What it finds: an input embedding (`embed_tokens`, `wte`, `word_embeddings`, `tok_embeddings`)
    or output head (`lm_head`, `output`, the MTP `shared_head.head`) whose row count is not the
    config's `vocab_size`.

    Why it matters: transformers refuses to load mismatched shapes, and a tokenizer sized to the
    config would index past the embedding.

    {_DOC_FIX}
    """,
)
RK122 = Rule.define(
    "RK122", "config-hidden-size", category="weights", severity=Severity.ERROR,
    summary="Embedding, head or norm widths differ from hidden_size.",
    doc=f"""
    What it finds: an embedding or output head whose column count, or a layer norm
    (`input_layernorm`, `post_attention_layernorm`, the final norm) whose length, is not the
    config's `hidden_size`.

    Why it matters: the model cannot be built from this config and these weights.

    {_DOC_FIX}
    """,
)
RK123 = Rule.define(
    "RK123", "config-attention", category="weights", severity=Severity.ERROR,
    summary="Attention projection shapes disagree with the config (MLA ranks and head dims, or heads).",
    doc=f"""
    What it finds: for Multi-head Latent Attention (DeepSeek-V2/V3: `kv_lora_rank` declared), the
    shapes of `q_a_proj` [q_lora_rank, hidden], `q_a_layernorm` [q_lora_rank], `q_b_proj`
    [heads x (qk_nope_head_dim + qk_rope_head_dim), q_lora_rank] (or `q_proj` when q_lora_rank is
    null), `kv_a_proj_with_mqa` [kv_lora_rank + qk_rope_head_dim, hidden], `kv_a_layernorm`
    [kv_lora_rank], `kv_b_proj` [heads x (qk_nope_head_dim + v_head_dim), kv_lora_rank] and
    `o_proj` [hidden, heads x v_head_dim]; for standard attention, `q_proj`/`k_proj`/`v_proj`/
    `o_proj` against `num_attention_heads`, `num_key_value_heads` and `head_dim`. A projection the
    config implies but a layer lacks is reported too.

    Why it matters: MLA's absorbed inference kernels index the latent cache by these dimensions;
    a wrong rank in the config gives wrong answers or a crash at load time.

    {_DOC_FIX}
    """,
)
RK124 = Rule.define(
    "RK124", "config-moe", category="weights", severity=Severity.ERROR,
    summary="Routed experts, router or expert shapes disagree with the MoE config.",
    doc=f"""
    What it finds: a MoE layer whose experts are not exactly 0..`n_routed_experts`-1 (also
    `num_local_experts`/`num_experts`), a router (`mlp.gate.weight`) that is not [experts, hidden],
    an `e_score_correction_bias` that is not [experts], expert or shared-expert projections that
    disagree with `moe_intermediate_size` and `n_shared_experts`, and dense/MoE layers placed
    against `first_k_dense_replace`.

    Why it matters: missing experts load as random weights; a router sized for another expert
    count crashes or routes to experts that do not exist.

    {_DOC_FIX}
    """,
)
RK125 = Rule.define(
    "RK125", "config-tied-embeddings", category="weights", severity=Severity.ERROR,
    summary="tie_word_embeddings disagrees with whether an output head is shipped.",
    doc=f"""
    What it finds: `tie_word_embeddings: false` with no output head in the weights (the head
    would be initialised at random: error), or `tie_word_embeddings: true` with a separate
    `lm_head.weight` shipped (it is ignored when loading: warning).

    Why it matters: an untied model without a head produces garbage; a shipped head that is never
    loaded means the released model is not the one that was evaluated.

    {_DOC_FIX}
    """,
)
RK126 = Rule.define(
    "RK126", "config-mlp", category="weights", severity=Severity.ERROR,
    summary="Dense MLP projections disagree with intermediate_size.",
    doc=f"""
    What it finds: `mlp.gate_proj`/`up_proj` that are not [intermediate_size, hidden] or
    `mlp.down_proj` that is not [hidden, intermediate_size] in a dense (non-MoE) layer.

    Why it matters: the model cannot be built from this config and these weights.

    {_DOC_FIX}
    """,
)

RK127 = Rule.define(
    "RK127", "config-invalid", category="weights", severity=Severity.ERROR,
    summary="config.json is not a valid JSON object, so nothing that needs it could be checked.",
    doc="""
    What it finds: a root `config.json` that is not valid JSON (a trailing comma, a comment, a
    truncated upload), is not UTF-8, or is valid JSON but not an object. The finding names the
    line and column where parsing stopped. The rules that compare the config with the weights
    (RK120-RK126, RK128, RK133) each report that they could not run.

    Why it matters: transformers, vLLM and the Hub's widgets all read config.json first; the
    model does not load at all. Without this rule such a release would pass, because every rule
    that needs the config would silently find nothing to compare.

    How to fix: fix the JSON at the position given (`python -m json.tool config.json` shows the
    same error), then run `releasekit check` again so the config rules can run.
    """,
)
RK128 = Rule.define(
    "RK128", "config-dtype", category="weights", severity=Severity.WARNING,
    summary="config.json's torch_dtype (or dtype) differs from the dtype most weights are stored in.",
    doc="""
    What it finds: `torch_dtype` (transformers 4) or `dtype` (transformers 5) naming a floating
    dtype (`bfloat16`, `float16`, `float32`, `float64`) while most of the parameters of the
    checkpoint beside config.json, counted by elements, are stored in another floating dtype.
    Quantized releases are not compared: a `quantization_config` (FP8 block-scaled DeepSeek-V3
    declares `bfloat16`, the dtype it computes in) or weights mostly in integer or FP8 dtypes say
    the stored dtype is not the compute dtype. `"auto"` is not compared either.

    Why it matters: `from_pretrained(dtype="auto")` and serving engines load the model in the
    declared dtype: BF16 weights declared `float32` double the memory, F32 weights declared
    `float16` may overflow. It usually means the config was copied from another export.

    How to fix: set `torch_dtype`/`dtype` to the dtype the weights are stored in, or re-export
    the weights in the declared dtype.
    """,
)

# Packed low-bit formats store several values per element: their shapes are not the logical ones.
_PACKED = frozenset({"F4", "F6_E2M3", "F6_E3M2", "U8", "I32", "U32"})
_EMBEDDINGS = ("embed_tokens.weight", "wte.weight", "word_embeddings.weight", "tok_embeddings.weight")
_HEADS = ("lm_head.weight", "output.weight", "embed_out.weight")


class _Mismatches:
    """Collects (role, expected, actual) -> layers so each systematic mismatch is one finding."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str, str], list[tuple[int, Tensor | None]]] = {}

    def add(self, role: str, expected: str, actual: str, layer: int, tensor: Tensor | None) -> None:
        self.items.setdefault((role, expected, actual), []).append((layer, tensor))

    def findings(self, rule: Rule, fallback_path: str) -> Iterator[Finding]:
        for (role, expected, actual), hits in sorted(self.items.items(), key=lambda kv: kv[1][0][0]):
            layers = _layout.ranges([layer for layer, _ in hits])
            path = next((t.shard for _, t in hits if t is not None), fallback_path)
            noun = "layer" if len(hits) == 1 else "layers"
            yield rule.finding(path, f"{noun} {layers}: {role} {actual}, but config.json {expected}")


def _shape(t: Tensor) -> list[int]:
    return list(t.info.shape)


def _comparable(t: Tensor) -> bool:
    return t.info.dtype not in _PACKED


_DTYPE_NAMES = {"bfloat16": "BF16", "float16": "F16", "half": "F16", "float32": "F32", "float": "F32",
                "float64": "F64", "double": "F64"}
_FLOATS = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F64": "float64"}


@check(RK127)
def config_valid(ctx: Context) -> Iterator[Finding]:
    error = ctx.config_error
    if error is not None:
        yield RK127.finding("config.json", f"config.json is {error}: fix it, then the rules that compare it "
                                           "with the weights can run")


@check(RK120, RK121, RK122, RK123, RK124, RK125, RK126)
def config_against_weights(ctx: Context) -> Iterator[Finding]:
    config = ctx.config_json()
    table = _checkpoints.model_table(ctx, "")
    if not len(table):
        return
    if config is None:
        yield from _checkpoints.could_not_run(ctx, (RK120, RK121, RK122, RK123, RK124, RK125, RK126),
                                             "the comparison of config.json with the weights")
        return
    with _checkpoints.no_gc():
        layout = ctx.memo("weights.layout", lambda: _layout.build_layout(table))
    yield from _layers(config, layout)
    yield from _vocab_and_hidden(config, layout)
    yield from _attention(config, layout)
    yield from _moe(config, layout)
    yield from _dense_mlp(config, layout)
    yield from _tied(config, layout)


@check(RK128)
def config_dtype(ctx: Context) -> Iterator[Finding]:
    """The declared dtype against the dtype most parameters are stored in."""
    table = _checkpoints.model_table(ctx, "")
    if not len(table):
        return
    config = ctx.config_json()
    if config is None:
        yield from _checkpoints.could_not_run(ctx, (RK128,), "the check of torch_dtype against the weights")
        return
    key = "torch_dtype" if "torch_dtype" in config else "dtype"
    declared = config.get(key)
    if not isinstance(declared, str) or config.get("quantization_config") is not None:
        return
    wanted = _DTYPE_NAMES.get(declared.removeprefix("torch.").lower())
    if wanted is None:
        return  # "auto", or a dtype name this rule does not compare
    numels = list(map(math.prod, table.shapes))
    elements = {d: sum(itertools.compress(numels, map(d.__eq__, table.dtypes))) for d in set(table.dtypes)}
    stored = max(elements, key=elements.__getitem__)
    if stored not in _FLOATS or stored == wanted:
        return  # integer or FP8 storage is quantization, whatever the config says
    if not elements[stored]:
        return
    share = elements[stored] / sum(elements.values())
    yield RK128.finding("config.json", f"{key} is {declared!r} but {share:.0%} of the parameters are stored as "
                                       f"{stored} ({_FLOATS[stored]}): set {key} to {_FLOATS[stored]!r} or "
                                       f"re-export the weights as {wanted}")


def _layers(config: Mapping[str, Any], layout: Layout) -> Iterator[Finding]:
    total = _layout.config_int(config, "num_hidden_layers")
    if total is None or not layout.present():
        return
    mtp = _layout.config_int(config, "num_nextn_predict_layers") or 0
    present = layout.present()
    missing = [i for i in range(total) if i not in present]
    beyond = sorted(i for i in present if i >= total + mtp)
    declared = f"num_hidden_layers={total}" + (f" + num_nextn_predict_layers={mtp}" if mtp else "")
    if missing:
        yield RK120.finding("config.json", f"{declared}, but the weights have no tensors for layer(s) "
                                           f"{_layout.ranges(missing)}: they would load as random weights")
    if beyond:
        shard = layout.first(beyond[0]).shard
        yield RK120.finding(shard, f"layer(s) {_layout.ranges(beyond)} are beyond {declared}: fix the config "
                                   "(MTP layers need num_nextn_predict_layers) or drop the extra layers")
    mtp_layers = range(total, total + mtp)
    mtp_missing = [i for i in mtp_layers if i not in present]
    if mtp_missing and len(mtp_missing) == mtp:
        yield RK120.finding("config.json", f"num_nextn_predict_layers={mtp} but the weights ship no MTP layer "
                                           f"({_layout.ranges(mtp_missing)}): fine for inference, needed for speculative "
                                           "decoding", severity=Severity.INFO)
    elif mtp_missing:
        yield RK120.finding("config.json", f"MTP layer(s) {_layout.ranges(mtp_missing)} of {mtp} declared are missing "
                                           "from the weights")


def _vocab_and_hidden(config: Mapping[str, Any], layout: Layout) -> Iterator[Finding]:
    vocab = _layout.config_int(config, "vocab_size")
    hidden = _layout.config_int(config, "hidden_size")
    total = _layout.config_int(config, "num_hidden_layers")
    matrices: list[tuple[str, Tensor]] = []
    for name, row in layout.other.items():
        if name.endswith(_EMBEDDINGS) or name in _HEADS or name.endswith(tuple("." + h for h in _HEADS)):
            matrices.append((name, layout.table.tensor(row)))
    for index in layout.layers:
        if total is not None and index >= total:  # MTP layers carry their own embedding and head
            for rest in ("embed_tokens.weight", "shared_head.head.weight"):
                tensor = layout.get(index, rest)
                if tensor is not None:
                    matrices.append((f"{layout.prefix}.{index}.{rest}", tensor))
    for name, tensor in matrices:
        shape = _shape(tensor)
        if len(shape) != 2 or not _comparable(tensor):
            continue
        if vocab is not None and shape[0] != vocab:
            yield RK121.finding(tensor.shard, f"{name} has {shape[0]:,} rows but config.json vocab_size is {vocab:,}")
        if hidden is not None and shape[1] != hidden:
            yield RK122.finding(tensor.shard, f"{name} has {shape[1]:,} columns but config.json hidden_size is "
                                              f"{hidden:,}")
    if hidden is None:
        return
    norms = _Mismatches()
    for index in sorted(layout.layers):
        for rest in ("input_layernorm.weight", "post_attention_layernorm.weight"):
            t = layout.get(index, rest)
            if t is not None and _shape(t) != [hidden]:
                norms.add(rest, f"hidden_size={hidden}", f"is {_shape(t)}", index, t)
    yield from norms.findings(RK122, "config.json")
    for name, row in layout.other.items():
        t = layout.table.tensor(row)
        if name.endswith(("norm.weight", "ln_f.weight")) and "." in name and _shape(t) != [hidden] and len(_shape(t)) == 1:
            yield RK122.finding(t.shard, f"{name} has length {_shape(t)[0]:,} but config.json hidden_size is {hidden:,}")


def _expect(found: _Mismatches, missing: _Mismatches, index: int, layout: Layout, rest: str,
            shape: list[int] | None, why: str) -> None:
    if shape is None:
        return
    t = layout.get(index, rest)
    if t is None:
        missing.add(rest, f"{why} implies it", "is missing", index, None)
    elif _comparable(t) and _shape(t) != shape:
        found.add(rest, f"{why} gives {shape}", f"is {_shape(t)}", index, t)


def _product(*values: int | None) -> int | None:
    return None if any(v is None for v in values) else math.prod(values)  # type: ignore[arg-type]


def _sum(*values: int | None) -> int | None:
    return None if any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def _attention(config: Mapping[str, Any], layout: Layout) -> Iterator[Finding]:
    hidden = _layout.config_int(config, "hidden_size")
    heads = _layout.config_int(config, "num_attention_heads")
    found, missing = _Mismatches(), _Mismatches()
    if "kv_lora_rank" in config and config.get("kv_lora_rank") is not None:
        yield from _mla(config, layout, hidden, heads, found, missing)
    else:
        _standard_attention(config, layout, hidden, heads, found)
    yield from found.findings(RK123, "config.json")
    yield from missing.findings(RK123, "config.json")


def _mla(config: Mapping[str, Any], layout: Layout, hidden: int | None, heads: int | None,
         found: _Mismatches, missing: _Mismatches) -> Iterator[Finding]:
    kv_rank = _layout.config_int(config, "kv_lora_rank")
    nope = _layout.config_int(config, "qk_nope_head_dim")
    rope = _layout.config_int(config, "qk_rope_head_dim")
    v_dim = _layout.config_int(config, "v_head_dim")
    q_declared = "q_lora_rank" in config
    q_rank = _layout.config_int(config, "q_lora_rank")
    if kv_rank is None:
        yield RK123.finding("config.json", f"kv_lora_rank is {config.get('kv_lora_rank')!r}, not a positive integer")
        return
    qk = _sum(nope, rope)
    expectations: list[tuple[str, list[int] | None, str]] = [
        ("self_attn.kv_a_proj_with_mqa.weight", _dims(_sum(kv_rank, rope), hidden),
         f"kv_lora_rank={kv_rank} + qk_rope_head_dim={rope}, hidden_size={hidden}"),
        ("self_attn.kv_a_layernorm.weight", [kv_rank], f"kv_lora_rank={kv_rank}"),
        ("self_attn.kv_b_proj.weight", _dims(_product(heads, _sum(nope, v_dim)), kv_rank),
         f"num_attention_heads={heads} x (qk_nope_head_dim={nope} + v_head_dim={v_dim}), kv_lora_rank={kv_rank}"),
        ("self_attn.o_proj.weight", _dims(hidden, _product(heads, v_dim)),
         f"hidden_size={hidden}, num_attention_heads={heads} x v_head_dim={v_dim}"),
    ]
    if q_rank is not None:
        expectations += [
            ("self_attn.q_a_proj.weight", _dims(q_rank, hidden), f"q_lora_rank={q_rank}, hidden_size={hidden}"),
            ("self_attn.q_a_layernorm.weight", [q_rank], f"q_lora_rank={q_rank}"),
            ("self_attn.q_b_proj.weight", _dims(_product(heads, qk), q_rank),
             f"num_attention_heads={heads} x (qk_nope_head_dim={nope} + qk_rope_head_dim={rope}), q_lora_rank={q_rank}"),
        ]
    elif q_declared:  # declared null: queries are projected directly
        expectations.append(("self_attn.q_proj.weight", _dims(_product(heads, qk), hidden),
                             f"q_lora_rank=null, num_attention_heads={heads} x (qk_nope_head_dim={nope} + "
                             f"qk_rope_head_dim={rope}), hidden_size={hidden}"))
    for index in sorted(layout.present()):
        if not layout.has(index, "self_attn."):
            continue
        for rest, shape, why in expectations:
            _expect(found, missing, index, layout, rest, shape, why)


def _dims(*values: int | None) -> list[int] | None:
    return None if any(v is None for v in values) else list(values)  # type: ignore[arg-type]


def _standard_attention(config: Mapping[str, Any], layout: Layout, hidden: int | None, heads: int | None,
                        found: _Mismatches) -> None:
    if heads is None or hidden is None:
        return
    head_dim = _layout.config_int(config, "head_dim") or (hidden // heads if hidden % heads == 0 else None)
    kv_heads = _layout.config_int(config, "num_key_value_heads") or heads
    if head_dim is None:
        return
    expectations = [
        ("self_attn.q_proj.weight", [heads * head_dim, hidden], f"num_attention_heads={heads} x head_dim={head_dim}"),
        ("self_attn.k_proj.weight", [kv_heads * head_dim, hidden], f"num_key_value_heads={kv_heads} x head_dim={head_dim}"),
        ("self_attn.v_proj.weight", [kv_heads * head_dim, hidden], f"num_key_value_heads={kv_heads} x head_dim={head_dim}"),
        ("self_attn.o_proj.weight", [hidden, heads * head_dim], f"hidden_size={hidden}, heads x head_dim={heads * head_dim}"),
    ]
    for index in sorted(layout.layers):
        for rest, shape, why in expectations:
            t = layout.get(index, rest)
            if t is not None and _comparable(t) and _shape(t) != shape:
                found.add(rest, f"{why} gives {shape}", f"is {_shape(t)}", index, t)


def _expert_count(config: Mapping[str, Any]) -> tuple[str, int] | None:
    for key in ("n_routed_experts", "num_local_experts", "num_experts"):
        value = _layout.config_int(config, key)
        if value is not None:
            return key, value
    return None


def _moe(config: Mapping[str, Any], layout: Layout) -> Iterator[Finding]:
    declared = _expert_count(config)
    if declared is None or not layout.present():
        return
    key, count = declared
    hidden = _layout.config_int(config, "hidden_size")
    moe_inter = _layout.config_int(config, "moe_intermediate_size")
    shared = _layout.config_int(config, "n_shared_experts")
    total = _layout.config_int(config, "num_hidden_layers")
    first_dense = _layout.config_int(config, "first_k_dense_replace")
    found, missing = _Mismatches(), _Mismatches()
    wrong_sets: dict[tuple[str, str], list[tuple[int, Tensor]]] = {}
    dense_but_moe: list[int] = []
    moe_but_dense: list[int] = []
    for index in sorted(layout.present()):
        experts = layout.experts(index)
        is_mtp = total is not None and index >= total
        if first_dense is not None and not is_mtp:
            if index < first_dense and experts:
                dense_but_moe.append(index)
            elif index >= first_dense and not experts and layout.has(index, "mlp."):
                moe_but_dense.append(index)
        if not experts:
            continue
        indices = experts.indices
        if indices != set(range(count)):
            lacking = sorted(set(range(count)) - indices)
            extra = sorted(indices - set(range(count)))
            parts = []
            if lacking:
                parts.append(f"lacks expert(s) {_layout.ranges(lacking)}")
            if extra:
                parts.append(f"has expert(s) {_layout.ranges(extra)} beyond")
            some = layout.table.tensor(next(iter(experts.parts.values()))[0])
            wrong_sets.setdefault((" and ".join(parts), f"{key}={count}"), []).append((index, some))
        for rest in ("mlp.gate.weight", "block_sparse_moe.gate.weight"):
            _expect_if_present(found, index, layout, rest, _dims(count, hidden), f"{key}={count}, hidden_size={hidden}")
        _expect_if_present(found, index, layout, "mlp.gate.e_score_correction_bias", [count], f"{key}={count}")
        for proj, shape in (("gate_proj.weight", _dims(moe_inter, hidden)), ("up_proj.weight", _dims(moe_inter, hidden)),
                            ("down_proj.weight", _dims(hidden, moe_inter))):
            rows = experts.parts.get(proj)
            if not rows or shape is None:
                continue
            shapes = layout.table.shapes
            if set(map(shapes.__getitem__, rows)) == {tuple(shape)}:
                continue  # every expert of the layer, checked as one set of shapes
            for row in rows:
                t = layout.table.tensor(row)
                if _comparable(t) and _shape(t) != shape:
                    found.add(f"experts.*.{proj}", f"moe_intermediate_size={moe_inter}, hidden_size={hidden} gives {shape}",
                              f"is {_shape(t)}", index, t)
        if shared is not None and moe_inter is not None:
            width = shared * moe_inter
            for proj, shape in (("mlp.shared_experts.gate_proj.weight", _dims(width, hidden)),
                                ("mlp.shared_experts.up_proj.weight", _dims(width, hidden)),
                                ("mlp.shared_experts.down_proj.weight", _dims(hidden, width))):
                if shared == 0:
                    continue
                _expect(found, missing, index, layout, proj, shape,
                        f"n_shared_experts={shared} x moe_intermediate_size={moe_inter}, hidden_size={hidden}")
    for (what, declared_text), hits in wrong_sets.items():
        layers = _layout.ranges([i for i, _ in hits])
        yield RK124.finding(hits[0][1].shard, f"layer(s) {layers} {what} config.json {declared_text}")
    if dense_but_moe:
        yield RK124.finding("config.json", f"first_k_dense_replace={first_dense} but layer(s) {_layout.ranges(dense_but_moe)} "
                                           "have routed experts")
    if moe_but_dense:
        yield RK124.finding("config.json", f"first_k_dense_replace={first_dense} but layer(s) {_layout.ranges(moe_but_dense)} "
                                           "have no routed experts")
    yield from found.findings(RK124, "config.json")
    yield from missing.findings(RK124, "config.json")


def _expect_if_present(found: _Mismatches, index: int, layout: Layout, rest: str,
                       shape: list[int] | None, why: str) -> None:
    t = layout.get(index, rest)
    if t is not None and shape is not None and _comparable(t) and _shape(t) != shape:
        found.add(rest, f"{why} gives {shape}", f"is {_shape(t)}", index, t)


def _dense_mlp(config: Mapping[str, Any], layout: Layout) -> Iterator[Finding]:
    inter = _layout.config_int(config, "intermediate_size")
    hidden = _layout.config_int(config, "hidden_size")
    if inter is None or hidden is None:
        return
    found = _Mismatches()
    for index in sorted(layout.layers):
        for rest, shape in (("mlp.gate_proj.weight", [inter, hidden]), ("mlp.up_proj.weight", [inter, hidden]),
                            ("mlp.down_proj.weight", [hidden, inter])):
            _expect_if_present(found, index, layout, rest, shape, f"intermediate_size={inter}, hidden_size={hidden}")
    yield from found.findings(RK126, "config.json")


def _tied(config: Mapping[str, Any], layout: Layout) -> Iterator[Finding]:
    if "tie_word_embeddings" not in config or not isinstance(config["tie_word_embeddings"], bool):
        return
    tied = config["tie_word_embeddings"]
    heads = [layout.table.tensor(row) for name, row in layout.other.items()
             if name in _HEADS or name.endswith(tuple("." + h for h in _HEADS))]
    has_embedding = any(name.endswith(_EMBEDDINGS) for name in layout.other)
    if not tied and not heads and has_embedding:
        yield RK125.finding("config.json", "tie_word_embeddings is false but the weights have no output head "
                                           "(lm_head.weight): it would be initialised at random; ship the head or "
                                           "set tie_word_embeddings to true")
    if tied and heads:
        yield RK125.finding(heads[0].shard, f"tie_word_embeddings is true, so {heads[0].name} is ignored when "
                                            "loading: drop it or set tie_word_embeddings to false",
                            severity=Severity.WARNING)
