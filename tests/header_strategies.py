"""Hypothesis strategies for safetensors headers, shared by the header parser's property tests."""

from __future__ import annotations

from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)
dtypes = st.sampled_from(["F32", "BF16", "U8", "F8_E4M3", "F4", "bogus", ""]) | st.text(max_size=5)
tensor_entries = st.fixed_dictionaries(
    {"dtype": dtypes, "shape": st.lists(st.integers(min_value=-2, max_value=2**40), max_size=4) | json_values,
     "data_offsets": st.lists(st.integers(min_value=-2, max_value=2**50), max_size=3) | json_values},
    optional={"extra": json_values},
) | json_values
