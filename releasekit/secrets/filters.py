"""Near-miss filters: what makes a token-shaped string a placeholder rather than a credential.

A pattern with the provider's prefix, alphabet and length already rules out hashes, UUIDs and git
SHAs (none has a provider prefix). What is left are strings written by people to look like a
token: `hf_xxxx...`, `ghp_1234567890abcdef...`, `AKIA...EXAMPLE`. Real tokens are random, so
they have high entropy, no long runs, no alphabet sequences and no English placeholder words;
these checks throw away the rest. Each check is cheap and errs towards keeping a real token: the
chance that a random 36-character token trips one is below one in a hundred thousand.
"""

from __future__ import annotations

import math
import re
from collections import Counter

# Words people put in fake tokens. Only words of five letters or more (or a run of x's), so a
# random token almost never contains one by chance.
PLACEHOLDER_WORDS = (
    "example", "sample", "placeholder", "dummy", "redacted", "changeme", "notreal",
    "yourtoken", "yourkey", "yourapikey", "yoursecret", "insertyour", "replaceme", "xxxx",
)
_MAX_SAME_RUN = 5  # `aaaaa` in a token: written by a person
_MAX_SEQUENCE = 6  # `abcdef`, `123456`, `AbCdEf`: written by a person
_MIN_DISTINCT = 6


def shannon_entropy(text: str) -> float:
    """Bits per character of `text` (0 for an empty string)."""
    if not text:
        return 0.0
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


def longest_same_run(text: str) -> int:
    best = run = 0
    previous = ""
    for char in text:
        run = run + 1 if char == previous else 1
        best = max(best, run)
        previous = char
    return best


def longest_sequence(text: str) -> int:
    """The longest run of consecutive alphabet letters or digits (`abcd`, `4567`), any case."""
    best = run = 1 if text else 0
    lowered = text.lower()
    for a, b in zip(lowered, lowered[1:]):
        if a.isalnum() and b.isalnum() and ord(b) == ord(a) + 1:
            run += 1
            best = max(best, run)
        else:
            run = 1
    return best


def is_placeholder(body: str) -> bool:
    """Whether `body` (the random part of a token) was written by a person, not generated."""
    lowered = body.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return True
    if any(mark in body for mark in ("...", "…", "<", ">", "{", "}", "$", "*")):
        return True
    if longest_same_run(body) >= _MAX_SAME_RUN:
        return True
    if longest_sequence(body) >= _MAX_SEQUENCE:
        return True
    return len(body) >= 12 and len(set(body)) < _MIN_DISTINCT


def looks_random(body: str, *, mixed_case: bool, min_entropy: float) -> bool:
    """Whether the random part of a candidate token plausibly came from a token generator."""
    if is_placeholder(body):
        return False
    if mixed_case and not (any(c.isupper() for c in body) and any(c.islower() for c in body)):
        return False
    return shannon_entropy(body) >= min_entropy


PLACEHOLDER_PASSWORDS = frozenset({
    "password", "passwd", "pass", "pwd", "pw", "secret", "changeme", "pass123", "password123",
    "yourpassword", "your_password", "your-password", "mypassword", "my_password", "xxx", "xxxx",
    "token", "apikey", "api_key", "redacted", "hidden", "none", "null", "todo",
    # metasyntactic stand-ins of documentation (`https://foo:bar@host`), and `org:repo@` URL forms
    "foo", "bar", "baz", "qux", "quux", "spam", "eggs", "repo",
})


def is_placeholder_password(value: str) -> bool:
    """Whether a password or `.env` value is a template, a variable reference or a stand-in."""
    stripped = value.strip()
    lowered = stripped.lower()
    if not stripped or lowered in PLACEHOLDER_PASSWORDS:
        return True
    if stripped[0] in "$%{<[(*`" or stripped.endswith((">", "}", "]")):
        return True  # ${VAR}, $VAR, %(password)s, {password}, <password>, [password], ***
    if any(mark in stripped for mark in ("${", "{{", "}}", "%s", "%(", "...", "…", "***", "xxxx", "XXXX")):
        return True
    if any(word in lowered for word in ("your", "example", "placeholder", "password", "passwd", "changeme", "dummy", "token")):
        return True
    if re.fullmatch(r"[a-z]+(?:[_-][a-z]+)+|[A-Z]+(?:_[A-Z]+)+", stripped):
        return True  # a variable name standing in for the value: hf_token, api-key, DB_PASSWORD
    return len(set(stripped)) == 1
