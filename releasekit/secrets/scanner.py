"""Find credentials in a piece of text: provider tokens, AWS key pairs, private keys, URL passwords.

`find_secrets(text)` is pure (no files, no context) so the corpus tests can throw thousands of
strings at it. It returns each credential once per place, with the offset and line it starts at;
where two detectors cover the same characters (a GitHub token used as a URL password) the more
specific one wins.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Iterator

from releasekit.secrets import patterns as P
from releasekit.secrets.dotenv import dotenv_secrets
from releasekit.secrets.filters import is_placeholder_password, looks_random, shannon_entropy
from releasekit.secrets.prefilter import Prefilter, gate_prefixes

# A line carrying one of these markers is skipped (ours, and detect-secrets' for compatibility).
ALLOW_MARKERS = ("releasekit: allow-secret", "releasekit:allow-secret", "pragma: allowlist secret")


@dataclasses.dataclass(frozen=True)
class SecretMatch:
    """One credential found in a text. `value` is the secret itself: never print it."""

    provider: str  # a key of patterns.PROVIDERS, or "private-key", "url", "dotenv", "jwt", "http"
    label: str
    value: str
    start: int
    end: int
    line: int
    paired: bool | None = None  # AWS access key IDs: whether the secret key was found with it
    extra_values: tuple[str, ...] = ()  # more strings to scrub (the lines of a private key)
    revealable: bool = True  # whether the first characters may be shown (not for short passwords)
    expired: bool = False  # a JWT whose `exp` claim is in the past


class LineIndex:
    """Offset -> 1-based line number, built once per text."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._text = text

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def line_text(self, offset: int) -> str:
        number = self.line(offset)
        start = self._starts[number - 1]
        end = self._starts[number] - 1 if number < len(self._starts) else len(self._text)
        return self._text[start:end]


class _Text:
    """A text with its lazily built lower-case copy and line index."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None
        self._lines: LineIndex | None = None
        self._gates: dict[tuple[str, bool], bool] = {}
        self._chars: dict[tuple[str, bool], bool] = {}
        self._charsets: dict[bool, frozenset[str]] = {}
        self._present: frozenset[str] | None = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    @property
    def lines(self) -> LineIndex:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines

    def has(self, gate: str, *, ci: bool = False) -> bool:
        """Whether `gate` (an expression led by a literal) matches; each gate is searched once.

        A gate whose literal needs a character the text lacks cannot match: that is asked first,
        one character at a time (a `memchr`, 20 times faster than searching the gate through a
        large text such as an 8 MB weight index, whose names hold no capital, `=` or `~`).
        """
        key = (gate, ci)
        found = self._gates.get(key)
        if found is None:
            if not self._may_hold(gate):
                present = False
            elif len(self.text) <= _SHORT:  # a message or a line: its set of characters is cheaper than asking
                present = gate_characters(gate) <= self._charset(ci)
            else:
                present = all(self._holds(c, ci) for c in gate_characters(gate))
            found = self._gates[key] = present and re.search(gate, self.lower if ci else self.text) is not None
        return found

    def may_hold_any(self) -> bool:
        """Whether any gate's prefix occurs (one pass); False means no detector can match, as
        long as every detector of `find_secrets` (but `.env` reading) starts with a gate."""
        if self._present is None:
            self._present = _prefilter().present(self.text)
        any_case, as_written = _exact_forms()
        return any(lit in any_case or any(form in self.text for form in as_written.get(lit, ()))
                   for lit in self._present)

    def _may_hold(self, gate: str) -> bool:
        """False only when none of the gate's prefixes occurs in the text: all the known gates'
        prefixes are looked for in one pass (`prefilter`), the first time a large text is asked."""
        prefixes = gate_prefixes(gate)
        prefilter = _prefilter()
        if prefixes is None or not prefixes <= prefilter.known:
            return True
        if self._present is None:
            self._present = prefilter.present(self.text)
        return any(p.lower() in self._present for p in prefixes)

    def contains(self, literal: str, *, ci: bool = False) -> bool:
        """`literal in text` (or in its lower case), asked once per text, characters first."""
        if (literal, ci) not in CONTAINED:
            raise ValueError(f"{literal!r} (ci={ci}) is not declared in CONTAINED: the prefilter would skip it")
        return self.has(_escaped(literal), ci=ci)

    def _holds(self, char: str, ci: bool) -> bool:
        key = (char, ci)
        if key not in self._chars:
            self._chars[key] = char in (self.lower if ci else self.text)
        return self._chars[key]

    def _charset(self, ci: bool) -> frozenset[str]:
        if ci not in self._charsets:
            self._charsets[ci] = frozenset(self.lower if ci else self.text)
        return self._charsets[ci]


_SHORT = 4096
# Literals asked through `_Text.contains` by the detectors below, and whether in any case (the
# token gates are in `patterns`). `contains` refuses any other: the prefilter must know them all.
CONTAINED = (("secret", True), ("PRIVATE KEY", False), ("://", False), ("eyJ", False), ("ewo", False),
             ("authorization", True), ("curl", True))


def _gates() -> set[tuple[str, bool]]:
    """Every gate the detectors ask, with whether it is asked of the lower-cased text."""
    gates = {(p.gate, p.gate_ci) for p in P.TOKEN_PATTERNS + P.WANDB_PATTERNS}
    gates |= {(re.escape(literal), ci) for literal, ci in CONTAINED}
    gates.add((P.AWS_KEY_ID_GATE, False))
    return gates


@functools.cache
def _prefilter() -> Prefilter:
    return Prefilter(p for gate, _ in _gates() for p in gate_prefixes(gate) or ())


@functools.cache
def _exact_forms() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """The lower-cased prefixes any case of which opens a gate, and for the others the prefixes as
    written (a case-sensitive gate: `sk` in `skipped` is not `SK`)."""
    any_case: set[str] = set()
    as_written: dict[str, set[str]] = {}
    for gate, ci in _gates():
        for prefix in gate_prefixes(gate) or ():
            if ci:
                any_case.add(prefix.lower())
            else:
                as_written.setdefault(prefix.lower(), set()).add(prefix)
    return frozenset(any_case), {k: tuple(sorted(v)) for k, v in as_written.items()}
_escaped = functools.cache(re.escape)


_QUANTIFIERS = frozenset("?*{")
_META = frozenset("\\.^$*+?{}[]()|")


@functools.cache
def gate_characters(gate: str) -> frozenset[str]:
    """Characters every match of `gate` contains: those of the literal it starts with (up to the
    first special character; a character a quantifier makes optional is left out). None at all for a
    gate with a top-level alternative (`ab|cd`), whose matches need not start with that literal."""
    depth = 0
    for i, char in enumerate(gate):
        escaped = i > 0 and gate[i - 1] == "\\" and (i < 2 or gate[i - 2] != "\\")
        if escaped:
            continue
        depth += (char == "(") - (char == ")")
        if char == "|" and depth <= 0:
            return frozenset()
    literal: list[str] = []
    i = 0
    while i < len(gate):
        char = gate[i]
        if char == "\\" and i + 1 < len(gate) and not gate[i + 1].isalnum():
            literal.append(gate[i + 1])  # an escaped punctuation character is itself
            i += 2
        elif char in _META:
            break
        else:
            literal.append(char)
            i += 1
        if i < len(gate) and gate[i] in _QUANTIFIERS:
            literal.pop()
            break
    return frozenset(literal)


def find_secrets(text: str, *, dotenv: bool = False) -> list[SecretMatch]:
    """Every credential in `text`, in order; `dotenv=True` also reads it as a `.env` file."""
    t = _Text(text)
    if not dotenv and not t.may_hold_any():
        return []  # every detector below is gated by a prefiltered literal, and none occurs
    found: list[tuple[int, SecretMatch]] = []  # (priority, match): lower wins an overlap
    found += [(0, m) for m in _tokens(t)]
    found += [(0, m) for m in _aws(t)]
    found += [(0, m) for m in _private_keys(t)]
    found += [(0, m) for m in _jwts(t)]
    found += [(1, m) for m in _url_credentials(t)]
    found += [(1, m) for m in _http_credentials(t)]
    if dotenv:
        found += [(2, m) for m in _dotenv(t)]
    kept: list[SecretMatch] = []
    for _, match in sorted(found, key=lambda pm: (pm[0], pm[1].start)):
        if any(match.start < k.end and k.start < match.end for k in kept):
            continue
        if _allowed(t, match.start):
            continue
        kept.append(match)
    return sorted(kept, key=lambda m: (m.start, m.end))


def _allowed(t: _Text, offset: int) -> bool:
    line = t.lines.line_text(offset)
    return any(marker in line for marker in ALLOW_MARKERS)


def _left_ok(text: str, start: int, word: str) -> bool:
    return start == 0 or re.match(f"[{word}]", text[start - 1]) is None


def _tokens(t: _Text) -> Iterator[SecretMatch]:
    for pattern in P.TOKEN_PATTERNS + P.WANDB_PATTERNS:
        if not t.has(pattern.gate, ci=pattern.gate_ci):
            continue
        for m in _candidates(t, pattern):
            body = m.group("body")
            if pattern.random_body and not looks_random(body, mixed_case=pattern.mixed_case,
                                                        min_entropy=pattern.min_entropy):
                continue
            if pattern.need_digit and not any(c.isdigit() for c in body):
                continue
            if pattern.secret_is_body:  # a context pattern: the secret is the key, not the whole line
                start, end = m.span("body")
                if t.text[max(0, start - 6):start] == "local-":
                    start -= 6
            else:
                start, end = m.span()
            if not _left_ok(t.text, start, pattern.word):
                continue
            value = t.text[start:end]
            if value in P.KNOWN_EXAMPLES:
                continue
            yield SecretMatch(pattern.provider, pattern.label, value, start, end, t.lines.line(start))


def _candidates(t: _Text, pattern: P.TokenPattern) -> Iterator[re.Match[str]]:
    """The pattern's matches: tried only at each occurrence of its anchor keyword, when it has one
    (a keyword-led expression run over the whole text would test every position)."""
    if not pattern.anchor or len(t.lower) != len(t.text):
        yield from pattern.regex.finditer(t.text)
        return
    for at in _find_all(t.lower, pattern.anchor):
        m = pattern.regex.match(t.text, at)
        if m is not None:
            yield m


def _aws(t: _Text) -> Iterator[SecretMatch]:
    ids = [m for m in (P.AWS_KEY_ID.finditer(t.text) if t.has(P.AWS_KEY_ID_GATE) else ())
           if _left_ok(t.text, m.start(), "A-Za-z0-9") and looks_random(m.group("body"), mixed_case=False, min_entropy=2.5)]
    secrets: dict[int, re.Match[str]] = {}
    for m in _aws_assignments(t):
        if _aws_secret_ok(m.group("body")):
            secrets[m.start("body")] = m
    if ids:  # a bare 40-character string next to an access key ID is its secret key
        id_lines = {t.lines.line(m.start()) for m in ids}
        for m in P.AWS_SECRET_CANDIDATE.finditer(t.text):
            line = t.lines.line(m.start())
            if any(abs(line - n) <= P.AWS_PAIR_LINES for n in id_lines) and _aws_secret_ok(m.group("body")):
                secrets.setdefault(m.start("body"), m)
    for m in ids:
        yield SecretMatch("aws", "AWS access key ID", m.group(), m.start(), m.end(), t.lines.line(m.start()),
                          paired=bool(secrets))
    for start, m in sorted(secrets.items()):
        value = m.group("body")
        yield SecretMatch("aws", "AWS secret access key", value, start, start + len(value), t.lines.line(start))


def _aws_assignments(t: _Text) -> Iterator[re.Match[str]]:
    """`aws_secret_access_key = ...` and the like, anchored at each "secret" in the text."""
    if not t.contains("secret", ci=True):
        return
    if len(t.lower) != len(t.text):  # rare Unicode whose lower case changes length: offsets differ
        starts = (m.start() for m in re.finditer("secret", t.text, re.IGNORECASE))
    else:
        starts = _find_all(t.lower, "secret")
    for start in starts:
        m = P.AWS_SECRET_ASSIGNED.match(t.text, start)
        if m and (m.group("access") or t.lower[max(0, start - 4):start].endswith(("aws", "aws_"))):
            yield m


def _find_all(haystack: str, needle: str) -> Iterator[int]:
    at = haystack.find(needle)
    while at >= 0:
        yield at
        at = haystack.find(needle, at + 1)


def _aws_secret_ok(body: str) -> bool:
    return looks_random(body, mixed_case=True, min_entropy=3.5) and not re.fullmatch(r"[A-Za-z]+|[0-9a-fA-F]+", body)


_KEY_LABELS = {
    "": "private key", "RSA": "RSA private key", "EC": "EC private key", "DSA": "DSA private key",
    "OPENSSH": "OpenSSH private key", "ENCRYPTED": "encrypted private key", "PGP": "PGP private key block",
}


def _private_keys(t: _Text) -> Iterator[SecretMatch]:
    if not t.contains("PRIVATE KEY"):
        return
    for m in P.PRIVATE_KEY_BEGIN.finditer(t.text):
        end = t.text.find(P.PRIVATE_KEY_END, m.end(), m.end() + P.PRIVATE_KEY_MAX_BODY)
        stop = end if end >= 0 else min(len(t.text), m.end() + 4096)
        body = t.text[m.end():stop]
        # JSON strings (service-account files, notebooks) carry the key's newlines as `\n`.
        runs = re.findall(r"[A-Za-z0-9+/=]{16,}", body.replace("\\n", "\n").replace("\\r", "\n"))
        joined = "".join(runs)
        if len(joined) < P.PRIVATE_KEY_MIN_BASE64 or shannon_entropy(joined) < 4.0:
            continue  # an elided example: `-----BEGIN PRIVATE KEY-----\n...\n-----END...`
        label = _KEY_LABELS.get(" ".join(m.group("label").split()), f"{m.group('label').strip().lower()} private key")
        yield SecretMatch("private-key", label,
                          runs[0], m.start(), stop, t.lines.line(m.start()),
                          extra_values=tuple(runs[1:]), revealable=False)


def _url_credentials(t: _Text) -> Iterator[SecretMatch]:
    if not t.contains("://"):
        return
    for m in P.URL_CREDENTIALS.finditer(t.text):
        scheme = P.URL_SCHEME_TAIL.search(t.text, max(0, m.start() - 31), m.start())
        if scheme is None:
            continue
        user, password, host = m.group("user"), m.group("password"), m.group("host").lower()
        if len(password) < 4 or is_placeholder_password(password):
            continue
        if user.lower() == password.lower():
            continue  # guest:guest, postgres:postgres: a well-known default, not a leak
        if any(host == h or host.endswith("." + h) for h in P.EXAMPLE_HOSTS) or host.endswith(P.EXAMPLE_HOST_SUFFIXES):
            continue
        start = m.start("user")
        credential = f"{user}:{password}"
        extra = (password,) if len(password) >= 8 else ()
        yield SecretMatch("url", f"password in a {scheme.group().lower()}:// URL", credential, start,
                          m.end("password"), t.lines.line(start), extra_values=extra, revealable=False)


def _dotenv(t: _Text) -> Iterator[SecretMatch]:
    for name, value, start in dotenv_secrets(t.text):
        yield SecretMatch("dotenv", f"value of {name}", value, start, start + len(value), t.lines.line(start),
                          revealable=False)


def _jwts(t: _Text) -> Iterator[SecretMatch]:
    if not t.contains("eyJ") and not t.contains("ewo"):
        return
    from releasekit.secrets.jwt import find_jwts  # imported by the few texts that need it: start-up imports this module
    for token in find_jwts(t.text):
        label = "JSON Web Token" + (f" (expired {token.expired})" if token.expired else "")
        yield SecretMatch("jwt", label, token.value, token.start, token.end, t.lines.line(token.start),
                          expired=token.expired is not None)


def _http_credentials(t: _Text) -> Iterator[SecretMatch]:
    from releasekit.secrets.httpauth import authorization_headers, curl_user_credentials  # as `find_jwts`

    if t.contains("authorization", ci=True) or t.contains("curl", ci=True):
        for cred in authorization_headers(t.text, t.lower):
            yield SecretMatch("http", cred.label, cred.value, cred.start, cred.end, t.lines.line(cred.start),
                              revealable=cred.revealable)
    if t.contains("curl", ci=True):
        for cred in curl_user_credentials(t.text, t.lower):
            yield SecretMatch("http", cred.label, cred.value, cred.start, cred.end, t.lines.line(cred.start),
                              revealable=False)
