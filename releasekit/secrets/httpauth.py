"""Credentials handed to HTTP clients: `Authorization:` headers and `curl -u user:password`.

Tokens with a provider prefix are found by the token table (and win an overlap); this module
finds the rest: a bearer token or Basic credentials written into a header, an API-key header in
a curl command, and the `user:password` pair of `curl -u`. Placeholders (`Bearer $TOKEN`,
`<token>`, `user:password`, `${{ secrets.X }}`) are not credentials.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Iterator

from releasekit.secrets.filters import is_placeholder, is_placeholder_password, shannon_entropy
from releasekit.secrets.lazyre import lazy

_VALUE = r"[A-Za-z0-9+/=~._:@-]"
AUTHORIZATION = lazy(
    r"authorization[\"'\]]{0,2}[ \t]*(?::|=|=>|,)[ \t]*[\"']?"
    rf"(?:(?P<scheme>bearer|basic|token|api-token|apikey|jwt)[ \t]+)?(?P<value>{_VALUE}{{8,4000}})(?!{_VALUE})",
    re.IGNORECASE,
)
CURL_HEADER = lazy(
    r"(?:-H|--header)(?:=|[ \t]{1,5})[\"'](?P<name>(?:x-(?:[a-z]+-)?)?(?:api-?)?(?:key|token)|apikey):[ \t]{0,5}"
    rf"(?P<value>{_VALUE}{{8,4000}})[\"']",
    re.IGNORECASE,
)
CURL_USER = lazy(
    r"(?<![\w-])(?:-u|--user)(?:=|[ \t]{1,5})(?P<cred>(?:\"[^\"\n]{0,300}\"|'[^'\n]{0,300}'|[^\s\"'\\]){1,400})"
)
_CURL = lazy(r"\bcurl\b")
_SNAKE_CASE = lazy(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_CONTINUATION_LINES = 6


@dataclasses.dataclass(frozen=True)
class HttpCredential:
    label: str
    value: str
    start: int
    end: int
    revealable: bool = True


def _real_token(value: str, *, need_digit: bool) -> bool:
    if is_placeholder(value) or is_placeholder_password(value):
        return False
    if need_digit and not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    return shannon_entropy(value) >= 2.75  # gitleaks' figure for curl headers: 16 hex digits reach ~2.9


def _basic_secret(value: str) -> bool:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return len(value) >= 20 and shannon_entropy(value) >= 4.0  # not base64 text, but random: a token
    user, sep, password = decoded.partition(":")
    if not sep or not decoded.isprintable():
        return False
    secret = password or user
    return len(secret) >= 4 and not is_placeholder_password(secret) and user != password


def _occurrences(lower: str, word: str) -> Iterator[int]:
    at = lower.find(word)
    while at >= 0:
        yield at
        at = lower.find(word, at + len(word))


def curl_windows(text: str, lower: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each curl command: its line and the lines that continue it (a trailing `\\`,
    or a next line that starts with an option). The curl expressions run only there."""
    end = 0
    for at in _occurrences(lower, "curl"):
        if at < end:
            continue
        start = text.rfind("\n", 0, at) + 1
        end = _line_end(text, at)
        for _ in range(_CONTINUATION_LINES):
            following = text[end + 1:_line_end(text, end + 1)]
            if end >= len(text) or not (text[start:end].rstrip().endswith("\\") or following.lstrip().startswith("-")):
                break
            end = _line_end(text, end + 1)
        yield start, end


def _line_end(text: str, at: int) -> int:
    nl = text.find("\n", at)
    return len(text) if nl < 0 else nl


def authorization_headers(text: str, lower: str) -> Iterator[HttpCredential]:
    """Bearer, token and Basic credentials after `Authorization`, and API-key headers in curl."""
    for at in _occurrences(lower, "authorization"):
        m = AUTHORIZATION.match(text, at)
        if m is None:
            continue
        scheme, value = (m.group("scheme") or "").lower(), m.group("value").rstrip(".:")
        quoted = text[m.start("value") - 1:m.start("value")] in ("'", '"')
        if not scheme and not quoted and _SNAKE_CASE.fullmatch(value):
            continue  # `"Authorization": auth_header`: a variable of the code, not a credential
        ok = _basic_secret(value) if scheme == "basic" else _real_token(value, need_digit=not scheme)
        if ok:
            label = {"basic": "Basic credentials in an Authorization header",
                     "": "credential in an Authorization header"}.get(scheme, "token in an Authorization header")
            yield HttpCredential(label, value, m.start("value"), m.start("value") + len(value))
    for start, end in curl_windows(text, lower):
        for m in CURL_HEADER.finditer(text, start, end):
            value = m.group("value")
            if _real_token(value, need_digit=True):
                yield HttpCredential(f"API key in a curl {m.group('name')} header", value, m.start("value"), m.end("value"))


def _in_curl(text: str, at: int) -> bool:
    """Whether offset `at` is inside a curl command: its line, or lines continued with `\\`."""
    start = text.rfind("\n", 0, at) + 1
    for _ in range(_CONTINUATION_LINES):
        if _CURL.search(text, start, at):
            return True
        if start == 0:
            return False
        previous = text.rfind("\n", 0, start - 1) + 1
        if not text[previous:start - 1].rstrip().endswith("\\"):
            return False
        start = previous
    return _CURL.search(text, start, at) is not None


def _unquote(cred: str) -> str:
    return re.sub(r"\"([^\"]*)\"|'([^']*)'", lambda q: q.group(1) if q.group(1) is not None else q.group(2), cred)


def curl_user_credentials(text: str, lower: str) -> Iterator[HttpCredential]:
    """`curl -u user:password` (or `--user`), also across continued lines."""
    for m in (m for start, end in curl_windows(text, lower) for m in CURL_USER.finditer(text, start, end)):
        cred = _unquote(m.group("cred"))
        user, sep, password = cred.partition(":")
        if not sep or not (user or password) or user == password:
            continue
        secret = password or user
        if len(secret) < 4 or is_placeholder_password(secret) or "$(" in secret:
            continue
        if not password and (shannon_entropy(user) < 3.0 or not any(c.isdigit() for c in user)):
            continue  # `-u admin:` prompts for the password
        if not _in_curl(text, m.start()):
            continue
        yield HttpCredential("password in a curl -u option", cred, m.start("cred"), m.end("cred"), revealable=False)
