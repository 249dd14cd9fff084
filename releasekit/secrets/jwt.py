"""JSON Web Tokens: signed `header.payload.signature` strings whose header decodes to JSON.

A JWT in a release is a session, an API key (Supabase and many others issue JWTs as keys) or a
service-account assertion. The shape alone (`eyJ...`) also fits base64 of any JSON, so a
candidate is kept only when its header decodes to a JSON object naming an algorithm and its
payload decodes to a JSON object. Unsigned tokens (`alg: none`, empty signature) authenticate
nowhere and are skipped, as is the jwt.io example every tutorial copies. Candidates are found as
maximal runs of token characters, one linear pass, so hostile input cannot make the search slow.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import json
import time
from collections.abc import Iterator
from typing import Any

from releasekit.secrets.lazyre import lazy

# Anchored at each `eyJ`/`ewo` found by a substring search; every quantifier is bounded and a
# start inside an earlier run is rejected by its left neighbour, so the scan stays linear.
_JWT_AT = lazy(r"(?:eyJ|ewo)[A-Za-z0-9_-]{8,8000}\.(?:eyJ|ewo)[A-Za-z0-9_-]{8,16000}\.[A-Za-z0-9_-]{0,4000}")
_TOKEN_CHAR = lazy(r"[A-Za-z0-9_-]")
_SEGMENT_STARTS = ("eyJ", "ewo")  # `{"` and `{\n` in base64
MIN_SIGNATURE = 16
# jwt.io's example payload (sub 1234567890, name John Doe), printed in countless tutorials.
_EXAMPLE_CLAIMS = ({"sub": "1234567890", "name": "John Doe"},)


@dataclasses.dataclass(frozen=True)
class JWT:
    value: str
    start: int
    end: int
    expired: str | None  # the expiry date (YYYY-MM-DD) when it has passed


def _decode(segment: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None


def _is_example(payload: dict[str, Any]) -> bool:
    return any(all(payload.get(k) == v for k, v in claims.items()) for claims in _EXAMPLE_CLAIMS)


def _expiry(payload: dict[str, Any], now: float) -> str | None:
    exp = payload.get("exp")
    if isinstance(exp, str) and exp.isdigit():
        exp = int(exp)
    if isinstance(exp, int | float) and not isinstance(exp, bool) and 0 < exp < now:
        try:
            return datetime.datetime.fromtimestamp(exp, datetime.UTC).strftime("%Y-%m-%d")
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _starts(text: str) -> list[int]:
    found: list[int] = []
    for marker in _SEGMENT_STARTS:
        at = text.find(marker)
        while at >= 0:
            if at == 0 or _TOKEN_CHAR.match(text, at - 1) is None:
                found.append(at)
            at = text.find(marker, at + 3)
    return sorted(found)


def find_jwts(text: str, *, now: float | None = None) -> Iterator[JWT]:
    """Every signed JWT in `text`, with the date it expired if it has."""
    now = time.time() if now is None else now
    done = 0
    for start in _starts(text):
        if start < done:
            continue
        m = _JWT_AT.match(text, start)
        if m is None or _TOKEN_CHAR.match(text, m.end()) is not None:
            continue
        header, payload, signature = m.group().split(".")
        head, body = _decode(header), _decode(payload)
        if (isinstance(head, dict) and isinstance(head.get("alg"), str) and isinstance(body, dict)
                and head["alg"].lower() != "none" and len(signature) >= MIN_SIGNATURE and not _is_example(body)):
            done = m.end()
            yield JWT(m.group(), start, m.end(), _expiry(body, now))
