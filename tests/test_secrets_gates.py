"""The gates' character prefilter never hides a credential: every character it asks a text for is
in every match of the gate, so a text that lacks one cannot match (and is not searched)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from releasekit.secrets import patterns as P
from releasekit.secrets.scanner import find_secrets, gate_characters

GATES = sorted({p.gate for p in P.TOKEN_PATTERNS + P.WANDB_PATTERNS})


@pytest.mark.parametrize("gate", GATES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_match_of_a_gate_holds_its_characters(gate: str, data: st.DataObject) -> None:
    text = data.draw(st.from_regex(gate))
    match = re.search(gate, text)
    assert match is not None
    assert gate_characters(gate) <= set(match.group())


@pytest.mark.parametrize("gate, needed", [
    ("ab|cd", ""), ("a(b|c)d", "a"), ("ab?c", "a"), ("ab*", "a"), ("ab+", "ab"), ("a{2}", ""),
    (r"hooks\.slack\.com/", "hooks.slackcm/"), (r"\d+x", ""), ("[|]x", ""),
])
def test_the_literal_ends_where_the_expression_stops_being_one(gate: str, needed: str) -> None:
    assert gate_characters(gate) == frozenset(needed)


def test_a_token_in_a_large_text_is_found_whichever_way_its_gate_is_asked() -> None:
    """A weight index-sized text takes the per-character path, a message the character-set path."""
    token = "hf_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"
    filler = '"model.layers.0.mlp.experts.0.down_proj.weight": "model-00001-of-000163.safetensors", ' * 2000
    for text in (f"token = {token}", filler + f'"token": "{token}", ' + filler):
        assert [m.value for m in find_secrets(text)] == [token]
