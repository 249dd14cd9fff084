"""How a secret is shown: never whole; its first four characters at most.

The engine scrubs every registered value from every output (`Context.register_secret`), so a
finding message could quote it by mistake and still not leak it; messages here go further and
never quote it at all. Short values (a password) show nothing: four characters of an eight-
character password is half of it.
"""

from __future__ import annotations

from releasekit.report import redact_value

REVEAL_MIN_LENGTH = 16  # below this, not even the first characters are shown
HIDDEN = "[redacted]"


def preview(value: str, *, revealable: bool = True) -> str:
    """`hf_A…[redacted]` for a long token; `[redacted]` for a short or unrevealable value."""
    if revealable and len(value) >= REVEAL_MIN_LENGTH:
        return redact_value(value)
    return HIDDEN


def scrub_candidates(value: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The strings to register for scrubbing: the value and its parts, when long enough to be safe.

    A registered string is replaced wherever it occurs in any output; a very short one (`abc`)
    would mangle unrelated text, so parts shorter than eight characters are left out (the
    messages never contain them anyway).
    """
    return [v for v in (value, *extra) if len(v) >= 8]


def redact_secrets_in(text: str) -> str:
    """`text` with every credential the scanner recognises replaced by its preview.

    For rules that quote file content or link targets in a message (a local path, a symlink
    target): they may run without the secrets check (`--select hygiene`), so nothing would have
    registered the value with the engine's scrubber.
    """
    from releasekit.secrets.scanner import find_secrets  # the scanner imports this module's neighbours

    for match in sorted(find_secrets(text), key=lambda m: m.start, reverse=True):
        text = text[: match.start] + preview(match.value, revealable=match.revealable) + text[match.end:]
    return text
