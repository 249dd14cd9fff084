"""Absolute paths of the author's machine left in configs, code and notebook outputs.

`save_pretrained` writes `_name_or_path` from wherever the model was loaded, training scripts
hard-code `/mnt/cluster/...`, and notebook tracebacks print `/home/alice/...`. Each leaks a user
name or a cluster layout and breaks for everyone else.

Two strengths of evidence. A home folder (`/home/NAME/`, `/Users/NAME/`, `C:\\Users\\NAME\\`) is a
local path wherever it appears. A mount or data root (`/mnt/`, `/data/`, `/scratch/`, ...) is
often a container path or a documentation example, so it counts only where it starts a value: a
quoted string that is not glued to something before it (`root + "/data/x"` is relative), a
config value, a shell argument. Dockerfiles define container paths and are exempt from the weak
prefixes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

# Home folders: strong evidence anywhere.
STRONG_PREFIXES = ("/home/", "/Users/", "/private/var/folders/")
# Mounts and data roots: evidence only where they start a value.
WEAK_PREFIXES = ("/mnt/", "/data/", "/scratch/", "/fsx/", "/gpfs/", "/lustre/", "/nfs/", "/root/", "/media/", "/Volumes/")
# Stand-ins for a user or folder name in documentation, and HF Spaces' container user.
PLACEHOLDER_NAMES = frozenset({
    "user", "username", "user_name", "you", "your_name", "yourname", "your-name", "your_username", "me", "name",
    "path", "to", "xxx", "foo", "bar", "example", "someone", "somebody", "runner", "shared", "guest",
})
_PATH_CHARS = r"[^\s\"'`<>|,;()\[\]{}*?\\]"
_WINDOWS = re.compile(r"[A-Za-z]:(?:\\\\|\\|/)Users(?:\\\\|\\|/)(?P<name>[^\\/\s\"'<>|:*?]+)(?P<rest>(?:(?:\\\\|\\|/)[^\\/\s\"'<>|:*?]*)*)")
# Led by the literal (a key like `tokenizer_name_or_path` is read backwards from it), so a long
# identifier-like run in a config cannot make the search quadratic.
_NAME_OR_PATH = re.compile(
    r"name_or_path[\"']?[ \t]*[:=][ \t]*[\"']?(?P<value>/[^\"'\s,}\]\\]+|[A-Za-z]:[\\/][^\"'\s,}\]]+)"
)
_KEY_CHARS = re.compile(r"[A-Za-z0-9_.-]{0,64}\Z")
_LEFT_BOUNDARY = re.compile(r"[\w.\-/~$%:@]")  # a character that glues the match to a longer word, URL or path
_SHELL_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".slurm", ".sbatch", ".pbs"})
_CONFIG_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".env", ".jsonl", ".conf", ".txt"})


@dataclasses.dataclass(frozen=True)
class LocalPath:
    """A leaked local path: where it is and what it says."""

    offset: int
    path: str
    key: str | None = None  # the config key (`_name_or_path`) when it is one


_PREFIX_RES = {p: re.compile(re.escape(p) + rf"(?P<rest>{_PATH_CHARS}*)") for p in STRONG_PREFIXES + WEAK_PREFIXES}


def file_style(path: str) -> str:
    """How values are written in a file: "config", "shell", "docker" or "code"."""
    pure = PurePosixPath(path)
    name, suffix = pure.name, pure.suffix.lower()
    if name == "Dockerfile" or name.startswith("Dockerfile.") or suffix == ".dockerfile":
        return "docker"
    if suffix in _SHELL_SUFFIXES or name in ("Makefile", "justfile"):
        return "shell"
    if suffix in _CONFIG_SUFFIXES or name.startswith(".env"):
        return "config"
    return "code"


def find_local_paths(text: str, style: str) -> Iterator[LocalPath]:
    """Local paths in `text`, in order of appearance (at most one per offset)."""
    seen: set[int] = set()
    for m in _NAME_OR_PATH.finditer(text) if "name_or_path" in text else ():
        value = m.group("value")
        if len(value) > 1:
            head = _KEY_CHARS.search(text, max(0, m.start() - 64), m.start())
            seen.add(m.start("value"))
            yield LocalPath(m.start("value"), value, key=(head.group() if head else "") + "name_or_path")
    for prefix, regex in _PREFIX_RES.items() if "/" in text else ():  # every prefix starts with "/"
        if prefix not in text:
            continue
        strong = prefix in STRONG_PREFIXES
        if not strong and style == "docker":
            continue
        for m in regex.finditer(text):
            start = m.start()
            if start in seen or not _left_ok(text, start):
                continue
            rest = m.group("rest")
            first = rest.split("/", 1)[0]
            if not first or _placeholder(first):
                continue
            if not strong and not (_starts_value(text, start, style) and ("/" in rest or "." in first or style != "code")):
                continue
            seen.add(start)
            yield LocalPath(start, prefix + rest)
    if "U" in text and "Users" in text:  # one character first: a memchr, where "Users" is a slower search
        for m in _WINDOWS.finditer(text):
            if m.start() in seen or _placeholder(m.group("name")) or not _left_ok(text, m.start()):
                continue
            yield LocalPath(m.start(), m.group())


def _placeholder(name: str) -> bool:
    return name.lower() in PLACEHOLDER_NAMES or name[:1] in "<$%{~*." or name.upper() == name and "_" in name


def _left_ok(text: str, start: int) -> bool:
    if start == 0:
        return True
    if text[max(0, start - 7):start].lower() == "file://":
        return True
    return _LEFT_BOUNDARY.match(text[start - 1]) is None


def _starts_value(text: str, start: int, style: str) -> bool:
    """Whether a weak-prefix path begins a value rather than continuing one."""
    before = text[max(0, start - 200):start]
    line = before.rsplit("\n", 1)[-1]
    quoted = line[-1:] in ("'", '"')
    if style == "code":
        if not quoted:
            return False
        lead = line[:-1].rstrip()
        lead = re.sub(r"\b[rRbBuUfF]{1,2}$", "", lead).rstrip()
        return lead[-1:] not in ("+", "%", "}", ")", "]", "/")
    if quoted or not line.strip():
        return True
    return line[-1:] in (" ", "\t", "=", ":")
