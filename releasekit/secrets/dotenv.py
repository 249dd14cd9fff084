"""`.env` files: names that say "secret", with values that are not stand-ins.

A `.env` file holds one machine's environment: API tokens, database passwords. Provider tokens in
it are found by the token table like anywhere else; this module adds the values whose *name* says
they are secret (`DB_PASSWORD=...`, `SECRET_KEY=...`), which no pattern can recognise by shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from releasekit.secrets.filters import is_placeholder_password
from releasekit.secrets.lazyre import lazy

_ASSIGNMENT = lazy(r"^[ \t]*(?:export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(?P<value>.*)$", re.M)
_SECRET_NAME = lazy(
    r"(?:^|_)(?:TOKEN|SECRET|PASSWORD|PASSWD|PWD|PASS|PASSPHRASE|API_?KEY|ACCESS_?KEY|SECRET_?KEY|"
    r"PRIVATE_?KEY|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|CREDENTIALS?|CLIENT_?SECRET)(?:$|_)",
    re.IGNORECASE,
)
# Names that mention a secret but hold something else: its id, where it lives, its size.
_NOT_SECRET_SUFFIX = lazy(
    r"_(?:ID|FILE|PATH|DIR|URL|URI|NAME|USER|USERNAME|EMAIL|TYPE|LENGTH|LEN|LIMIT|SIZE|ENDPOINT|HOST|PORT|"
    r"REGION|EXPIRY|EXPIRES|TTL|ENABLED|DISABLED|HEADER|PREFIX|ENV|VAR)$",
    re.IGNORECASE,
)
MIN_VALUE_LENGTH = 8
_EXAMPLE_MARKERS = ("example", "sample", "template", "dist", "defaults", "default", "schema", "tpl")


def is_dotenv(name: str) -> bool:
    """`.env`, `.env.local`, `prod.env`: files in the dotenv format."""
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def is_dotenv_example(name: str) -> bool:
    """`.env.example`, `.env.sample`, `example.env`: templates meant to ship."""
    parts = PurePosixPath(name).name.lower().replace("-", ".").replace("_", ".").split(".")
    return any(p in _EXAMPLE_MARKERS for p in parts)


def secret_name(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None and _NOT_SECRET_SUFFIX.search(name) is None


def _unquote(raw: str) -> tuple[str, int]:
    """The value of a dotenv right-hand side and its offset within `raw`."""
    stripped = raw.rstrip()
    if stripped[:1] in ("'", '"'):
        quote = stripped[0]
        close = stripped.find(quote, 1)
        return (stripped[1:close] if close > 0 else stripped[1:]), 1
    comment = re.search(r"[ \t]#", stripped)
    return (stripped[: comment.start()] if comment else stripped).strip(), 0


def dotenv_secrets(text: str) -> Iterator[tuple[str, str, int]]:
    """(name, value, offset of the value) for each secret-named variable with a real value."""
    for m in _ASSIGNMENT.finditer(text):
        name = m.group("name")
        if not secret_name(name):
            continue
        value, shift = _unquote(m.group("value"))
        if len(value) < MIN_VALUE_LENGTH or is_placeholder_password(value):
            continue
        if value.isdigit() or value.lower() in ("true", "false", "yes", "no"):
            continue
        if value.startswith(("/", "./", "~", "http://", "https://")):
            continue  # a path or a URL: URL passwords are found by their own detector
        yield name, value, m.start("value") + shift
