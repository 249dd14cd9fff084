"""Path patterns of settings files: `*` within a folder, `**` across folders, `?` one character."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """`tests/fixtures/**` -> a regex over POSIX release paths (a trailing `/` means the folder's files)."""
    if pattern.endswith("/"):
        pattern += "**"
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    pattern = "." if pattern in (".", "./") else pattern.removeprefix("./")
    return compile_glob(pattern).match(path) is not None
