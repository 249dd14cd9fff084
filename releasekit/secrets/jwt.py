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
import re
import time
from collections.abc import Iterator
from typing import Any

_RUN = re.compile(r"[A-Za-z0-9_.\-]{30,}")
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


def find_jwts(text: str, *, now: float | None = None) -> Iterator[JWT]:
    """Every signed JWT in `text`, with the date it expired if it has."""
    now = time.time() if now is None else now
    for run in _RUN.finditer(text):
        parts = run.group().split(".")
        offset = run.start()
        i = 0
        while i < len(parts) - 2:
            header, payload, signature = parts[i], parts[i + 1], parts[i + 2]
            if header.startswith(_SEGMENT_STARTS) and payload.startswith(_SEGMENT_STARTS):
                head, body = _decode(header), _decode(payload)
                if (isinstance(head, dict) and isinstance(head.get("alg"), str) and isinstance(body, dict)
                        and head["alg"].lower() != "none" and len(signature) >= MIN_SIGNATURE
                        and not _is_example(body)):
                    value = f"{header}.{payload}.{signature}"
                    start = offset + sum(len(p) + 1 for p in parts[:i])
                    yield JWT(value, start, start + len(value), _expiry(body, now))
                    i += 3
                    continue
            i += 1
