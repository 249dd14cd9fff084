"""SHA256SUMS in the exact format of GNU `sha256sum`, so `sha256sum -c SHA256SUMS` checks a download.

One line per file, `<64 hex>  <path>` (two spaces: text mode, as GNU writes on Linux), paths
relative to the release root in byte order. A name holding a backslash, newline or carriage return
is escaped as coreutils 9 does it: the line starts with a backslash and the name has `\\`, `\n`,
`\r` in place of those characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from releasekit.provenance.hashing import Digests

_HEX = re.compile(r"[0-9a-f]{64}")
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", "\\r": "\r"}


class ChecksumsFormatError(ValueError):
    """A SHA256SUMS line that `sha256sum -c` would not accept either."""


def _escape(name: str) -> tuple[str, str]:
    if not any(c in name for c in "\\\n\r"):
        return "", name
    return "\\", name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def format_sha256sums(digests: Mapping[str, Digests]) -> bytes:
    """The SHA256SUMS file for `digests` (relative POSIX path -> Digests)."""
    lines = []
    for path in sorted(digests, key=lambda p: p.encode("utf-8", "surrogateescape")):
        prefix, name = _escape(path)
        lines.append(f"{prefix}{digests[path].sha256}  {name}\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


def parse_sha256sums(data: bytes) -> dict[str, str]:
    """Relative path -> SHA-256 from a SHA256SUMS file; raises ChecksumsFormatError with the line number."""
    out: dict[str, str] = {}
    text = data.decode("utf-8", "surrogateescape")
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        escaped = line.startswith("\\")
        body = line[1:] if escaped else line
        digest, sep, rest = body[:64], body[64:66], body[66:]
        if not _HEX.fullmatch(digest.lower()) or sep not in ("  ", " *") or not rest:
            raise ChecksumsFormatError(f"line {number}: not `<sha256>  <path>`")
        if escaped:
            rest = re.sub(r"\\(\\|n|r)", lambda m: _UNESCAPE[m.group(0)], rest)
        rest = rest.removeprefix("./")
        if rest in out:
            raise ChecksumsFormatError(f"line {number}: {rest!r} is listed twice")
        out[rest] = digest.lower()
    return out
