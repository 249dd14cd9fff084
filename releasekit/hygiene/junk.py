"""Files and folders that should not ship: caches, OS litter, editor backups, core dumps.

Each entry names why it is junk, so a finding can say it. Folders are reported once (not every
file inside), and matching is by name only, except for core dumps, which are confirmed by their
header: a file called `core` may be a legitimate script, an ELF core file never is.
"""

from __future__ import annotations

import fnmatch
import re
import struct
from collections.abc import Iterable
from pathlib import PurePosixPath

JUNK_DIRS: dict[str, str] = {
    "__pycache__": "Python bytecode cache",
    ".ipynb_checkpoints": "Jupyter autosave copies",
    ".pytest_cache": "pytest cache",
    ".mypy_cache": "mypy cache",
    ".ruff_cache": "ruff cache",
    ".hypothesis": "Hypothesis test database",
    ".tox": "tox environments",
    ".nox": "nox environments",
    ".idea": "JetBrains IDE settings",
    ".Trash": "macOS trash",
    ".Spotlight-V100": "macOS Spotlight index",
    ".fseventsd": "macOS file-system event log",
}
JUNK_FILES: dict[str, str] = {
    ".DS_Store": "macOS Finder metadata",
    "Thumbs.db": "Windows thumbnail cache",
    "desktop.ini": "Windows folder settings",
    "nohup.out": "nohup output log",
    ".netrwhist": "vim netrw history",
}
JUNK_GLOBS: tuple[tuple[str, str], ...] = (
    ("._*", "macOS AppleDouble resource fork"),
    ("*.pyc", "Python bytecode"),
    ("*.pyo", "Python bytecode"),
    ("*~", "editor backup"),
    ("*.swp", "vim swap file"),
    ("*.swo", "vim swap file"),
    ("*.orig", "merge or patch backup"),
    ("*.rej", "rejected patch hunk"),
    ("*.bak", "backup copy"),
    ("#*#", "Emacs autosave"),
    (".#*", "Emacs lock file"),
)
# A Weights & Biases run folder: `wandb/` holding runs, not a package that happens to be called so.
_WANDB_RUN = re.compile(r"^(?:run-|offline-run-|latest-run$|debug\.log$|debug-internal\.log$|settings$)")
_VENV_MARKER = "pyvenv.cfg"
# Names a core dump gets: `core`, `core.1234`, `core.python.1000.<boot id>.1234.<time>`, `prog.core`.
_CORE_NAME = re.compile(r"^(?:core(?:\..+)?|.+\.core|vgcore\.\d+)$")
CORE_HEADER_BYTES = 20
EMPTY_ALLOWED = frozenset({"__init__.py", "__init__.pyi", "py.typed", ".gitkeep", ".keep", ".nojekyll", ".gitignore", "CACHEDIR.TAG"})


def junk_dir_reason(path: str, children: Iterable[str]) -> str | None:
    """Why the folder `path` is junk (given its immediate children's names), or None."""
    name = PurePosixPath(path).name
    if name in JUNK_DIRS:
        return JUNK_DIRS[name]
    names = list(children)
    if name == "wandb" and any(_WANDB_RUN.match(child) for child in names):
        return "Weights & Biases run logs"
    if _VENV_MARKER in names:
        return "Python virtual environment"
    return None


def junk_file_reason(name: str) -> str | None:
    """Why a file called `name` is junk, or None."""
    if name in JUNK_FILES:
        return JUNK_FILES[name]
    for pattern, reason in JUNK_GLOBS:
        if fnmatch.fnmatchcase(name, pattern):
            return reason
    return None


def may_be_core_dump(name: str) -> bool:
    return _CORE_NAME.match(name) is not None


def core_dump_format(head: bytes) -> str | None:
    """"ELF" or "Mach-O" when `head` (the first 20 bytes) starts a core file, else None."""
    if len(head) >= 18 and head[:4] == b"\x7fELF":
        order = "<" if head[5] == 1 else ">"
        (e_type,) = struct.unpack(order + "H", head[16:18])
        return "ELF" if e_type == 4 else None  # ET_CORE
    if len(head) >= 16 and head[:4] in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe"):
        (filetype,) = struct.unpack("<I", head[12:16])
        return "Mach-O" if filetype == 4 else None  # MH_CORE
    return None


def empty_allowed(name: str) -> bool:
    """Files that are empty by design (package markers, keep-files)."""
    return name in EMPTY_ALLOWED
