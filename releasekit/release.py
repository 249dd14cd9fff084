"""One walk of the release folder, turned into a model every check shares.

The walk never follows a symlink (a link is recorded as a link, with where it points), never
descends into `.git`, and reads at most a few bytes of a file to tell its kind when the name is
not enough. Everything later reads through this model, so a check cannot wander outside the
release by accident.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from releasekit.errors import NotAReleaseError


class FileKind(str, enum.Enum):
    SAFETENSORS = "safetensors"
    PICKLE = "pickle"  # anything that can carry a pickle: torch checkpoints, .pkl, .npy, joblib
    CODE = "code"
    DOCUMENT = "document"
    CONFIG = "config"
    CARD = "card"
    LICENSE = "license"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


PICKLE_SUFFIXES = frozenset(
    {".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".th", ".pk",
     ".dat", ".data", ".model_state", ".optim"}
)
CODE_SUFFIXES = frozenset(
    {".py", ".pyi", ".ipynb", ".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".cu", ".cuh", ".rs",
     ".go", ".java", ".js", ".ts", ".sh", ".bash", ".zsh", ".jl", ".lua", ".r", ".scala",
     ".swift", ".kt", ".m", ".mm", ".triton", ".cmake", ".mk"}
)
DOCUMENT_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".tex", ".pdf", ".html", ".org", ".adoc"})
CONFIG_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".jsonl", ".env"})
LICENSE_STEMS = ("LICENSE", "LICENCE", "COPYING", "COPYRIGHT", "NOTICE", "UNLICENSE")
CODE_NAMES = frozenset({"Makefile", "CMakeLists.txt", "Dockerfile", "setup.py", "justfile"})

_SNIFF_BYTES = 16


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReleaseFile:
    """A file (or symlink) of the release. `path` is relative to the root, POSIX style."""

    path: str
    abspath: Path
    size: int
    kind: FileKind
    is_symlink: bool = False
    link_target: str | None = None  # what the link says, verbatim
    link_inside: bool | None = None  # whether it resolves to a path inside the release

    # name, suffix and parent as PurePosixPath has them, by string operations: checks ask them of
    # every file of a 168-file checkpoint many times over, and a Path object per call adds up.
    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def suffix(self) -> str:
        name = self.path.rpartition("/")[2]
        dot = name.rfind(".")
        return name[dot:].lower() if 0 < dot < len(name) - 1 else ""

    @property
    def parent(self) -> str:
        return self.path.rpartition("/")[0]


@dataclasses.dataclass(frozen=True)
class Release:
    """The release folder as one immutable model: its files, symlinks and directories."""

    root: Path
    files: tuple[ReleaseFile, ...]
    directories: tuple[str, ...]
    pruned: tuple[str, ...]  # directories seen but not walked (`.git`)
    unreadable: tuple[str, ...] = ()  # paths the walk could not read (reported, never skipped silently)
    special: tuple[tuple[str, str], ...] = ()  # (path, what) of FIFOs, sockets, devices: never opened

    def by_path(self, path: str) -> ReleaseFile | None:
        return self._index.get(path)

    @property
    def _index(self) -> dict[str, ReleaseFile]:
        index = self.__dict__.get("_index_cache")
        if index is None:
            index = {f.path: f for f in self.files}
            object.__setattr__(self, "_index_cache", index)
        return index

    def of_kind(self, *kinds: FileKind) -> list[ReleaseFile]:
        """Regular files (not symlinks) of the given kinds, in path order."""
        return [f for f in self.files if f.kind in kinds and not f.is_symlink]

    def regular_files(self) -> list[ReleaseFile]:
        return [f for f in self.files if not f.is_symlink]

    def symlinks(self) -> list[ReleaseFile]:
        return [f for f in self.files if f.is_symlink]

    def top_level(self, name: str) -> ReleaseFile | None:
        """A regular file at the root, by exact name."""
        f = self.by_path(name)
        return f if f is not None and not f.is_symlink else None

    @property
    def name(self) -> str:
        return self.root.name


def classify(path: str, head: bytes | None) -> FileKind:
    """The kind of a file from its name, refined by its first bytes where names can lie."""
    pure = PurePosixPath(path)
    name, suffix = pure.name, pure.suffix.lower()
    if suffix == ".safetensors":
        # Its 8-byte header length can start with the bytes of a pickle PROTO opcode; the weights
        # rules judge the content (and the pickle rules scan every file by content anyway).
        return FileKind.SAFETENSORS
    if head:
        sniffed = sniff(head)
        if sniffed is not None:
            return sniffed
    if pure.parent == PurePosixPath(".") and name.lower() in ("readme.md", "readme"):
        return FileKind.CARD
    if name.upper().startswith(LICENSE_STEMS) and suffix in ("", ".md", ".txt", ".rst"):
        return FileKind.LICENSE
    if suffix in PICKLE_SUFFIXES:
        return FileKind.PICKLE
    if suffix in CODE_SUFFIXES or name in CODE_NAMES:
        return FileKind.CODE
    if suffix in CONFIG_SUFFIXES or name.startswith(".env"):
        return FileKind.CONFIG
    if suffix in DOCUMENT_SUFFIXES:
        return FileKind.DOCUMENT
    return FileKind.OTHER


def sniff(head: bytes) -> FileKind | None:
    """Recognise pickle-bearing content whatever the file is called."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return FileKind.PICKLE  # pickle protocol 2+, also the legacy torch format
    if head.startswith(b"\x93NUMPY"):
        return FileKind.PICKLE  # .npy may hold an object array, which is a pickle
    return None


def _needs_sniff(name: str) -> bool:
    suffix = PurePosixPath(name).suffix.lower()
    # Text formats are read by their own checks; anything binary-looking or unknown is sniffed.
    return suffix not in CODE_SUFFIXES | DOCUMENT_SUFFIXES | CONFIG_SUFFIXES | {".safetensors"}


def _read_head(path: Path, size: int) -> bytes | None:
    if size == 0:
        return b""
    try:
        with open(path, "rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError:
        return None


def _is_inside(root: Path, link: Path) -> tuple[str, bool]:
    target = os.readlink(link)
    try:
        resolved = (link.parent / target).resolve(strict=False)
    except (OSError, RuntimeError):  # a loop
        return target, False
    inside = not os.path.isabs(target) and (resolved == root or root in resolved.parents)
    return target, inside


def walk(root: str | os.PathLike[str]) -> Release:
    """Walk `root` once and build the release model.

    Raises NotAReleaseError when `root` is not a readable folder.
    """
    base = Path(root)
    if not base.exists():
        raise NotAReleaseError(f"{base}: no such file or directory")
    if not base.is_dir():
        raise NotAReleaseError(f"{base}: not a folder (releasekit check takes a release folder)")
    base = base.resolve()
    files: list[ReleaseFile] = []
    directories: list[str] = []
    pruned: list[str] = []
    unreadable: list[str] = []
    special: list[tuple[str, str]] = []
    for rel, entry in _scan(base, "", unreadable):
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            unreadable.append(rel)
            continue
        if stat.S_ISLNK(st.st_mode):
            target, inside = _is_inside(base, Path(entry.path))
            files.append(ReleaseFile(
                path=rel, abspath=Path(entry.path), size=0, kind=classify(rel, None),
                is_symlink=True, link_target=target, link_inside=inside,
            ))
        elif stat.S_ISDIR(st.st_mode):
            if entry.name == ".git":
                pruned.append(rel)
            directories.append(rel)
        elif stat.S_ISREG(st.st_mode):
            head = _read_head(Path(entry.path), st.st_size) if _needs_sniff(entry.name) else b""
            if head is None:
                unreadable.append(rel)
            files.append(ReleaseFile(
                path=rel, abspath=Path(entry.path), size=st.st_size, kind=classify(rel, head),
            ))
        else:  # opening a FIFO would block forever; a device could be anything
            special.append((rel, _special_kind(st.st_mode)))
    files.sort(key=lambda f: f.path)
    directories.sort()
    return Release(
        root=base, files=tuple(files), directories=tuple(directories), pruned=tuple(pruned),
        unreadable=tuple(sorted(unreadable)), special=tuple(sorted(special)),
    )


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        return "a device file"
    return "not a regular file"


def _scan(base: Path, prefix: str, unreadable: list[str]) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Depth-first scandir that yields directories before their contents and skips `.git`."""
    stack = [(base, prefix)]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            unreadable.append(rel or ".")
            continue
        for entry in entries:
            child = f"{rel}/{entry.name}" if rel else entry.name
            yield child, entry
            if entry.is_dir(follow_symlinks=False) and entry.name != ".git":
                stack.append((Path(entry.path), child))
