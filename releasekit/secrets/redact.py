"""How a secret is shown: never whole; its first four characters at most.

The engine scrubs every registered value from every output (`Context.register_secret`), so a
finding message could quote it by mistake and still not leak it; messages here go further and
never quote it at all. Short values (a password) show nothing: four characters of an eight-
character password is half of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

REVEAL_MIN_LENGTH = 16  # below this, not even the first characters are shown
HIDDEN = "[redacted]"
REDACTED_KEEP = 4


def redact_value(secret: str) -> str:
    """How a secret is shown anywhere: its first four characters, then a fixed mask."""
    return secret[:REDACTED_KEEP] + "…[redacted]"


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


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every registered value replaced by its redacted form, longest first."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, redact_value(secret))
    return text


def clean(text: str, secrets: Iterable[str]) -> str:
    """What the engine applies to every finding and section before it leaves: the exact values
    checks registered (`Context.register_secret`), then whatever the secret patterns recognise,
    whatever was selected (under `--select license` the secrets check never ran)."""
    return redact_secrets_in(scrub(text, secrets))


def clean_any(value: object, clean_text: Callable[[str], str]) -> object:
    """`clean_text` (a `memoised_clean`) through a JSON-like value: a report section's data."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [clean_any(v, clean_text) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_any(v, clean_text) for k, v in value.items()}
    return value


def memoised_clean(secrets: Iterable[str]) -> Callable[[str], str]:
    """`clean` with these secrets, each distinct text scanned once: what the engine applies to a
    whole report, where rule ids, file names and paths recur in hundreds of strings."""
    secrets = tuple(secrets)
    done: dict[str, str] = {}

    def clean_text(text: str) -> str:
        result = done.get(text)
        if result is None:
            result = done[text] = clean(text, secrets)
        return result

    return clean_text
