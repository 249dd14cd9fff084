"""Which files are text, and reading a bounded prefix of them as text segments.

Shared by the secrets scan and the hygiene local-path rule: both read every text file of the
release, neither reads weights, and both must stop at a bounded prefix of a huge file (a 40 GB
JSONL dataset shard) and say so.
"""

from __future__ import annotations

import codecs
import dataclasses
from typing import TYPE_CHECKING

from releasekit.release import FileKind, ReleaseFile
from releasekit.secrets.notebook import Segment, notebook_segments, parse_notebook

if TYPE_CHECKING:
    from releasekit.context import Context

# Formats that are binary whatever their first bytes say: never read past the sniff.
BINARY_SUFFIXES = frozenset({
    ".safetensors", ".gguf", ".ggml", ".onnx", ".tflite", ".pb", ".mlmodel", ".engine", ".plan", ".h5",
    ".hdf5", ".keras", ".msgpack", ".parquet", ".arrow", ".feather", ".lance", ".npy", ".npz", ".pt",
    ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".joblib", ".model", ".spm", ".ot", ".png", ".jpg", ".jpeg",
    ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ico", ".heic", ".mp3", ".wav", ".flac", ".ogg", ".opus",
    ".m4a", ".mp4", ".mov", ".avi", ".mkv", ".webm", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z",
    ".tar", ".rar", ".whl", ".egg", ".so", ".dylib", ".dll", ".exe", ".o", ".a", ".lib", ".pyc", ".pyo",
    ".pdf", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".db", ".sqlite", ".sqlite3",
})
SNIFF_BYTES = 8192  # a NUL byte in this many is a binary file
KEPT_TEXT_BYTES = 64 * 1024 * 1024  # texts kept for a second scan in one run (characters, in all)


@dataclasses.dataclass(frozen=True)
class TextFile:
    """The scannable text of one file.

    `raw` is the decoded prefix as read; `segments` is what to scan (one whole-file segment, or a
    notebook's cells). `truncated` says the file is larger than what was read; `note` says why a
    notebook was scanned as plain text.
    """

    path: str
    raw: str
    segments: tuple[Segment, ...]
    truncated: bool
    size: int
    notebook: bool = False
    note: str | None = None


def is_binary_file(file: ReleaseFile) -> bool:
    """Weights, pickles and known binary formats, by kind or name (no read needed)."""
    return file.kind in (FileKind.SAFETENSORS, FileKind.PICKLE) or file.suffix in BINARY_SUFFIXES


def decode(data: bytes) -> str | None:
    """UTF-8 (or UTF-16 with a BOM) text, or None when the bytes look binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:SNIFF_BYTES]:
        return None
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def read_text_file(ctx: "Context", file: ReleaseFile, limit: int, notebook_limit: int) -> TextFile | None:
    """The text of `file` up to its limit, or None for a binary file. Raises OSError when unreadable.

    The secrets scan and the local-path scan read the same files (an 8 MB weight index among
    them): the texts read are kept for the run, up to `KEPT_TEXT_BYTES` in all, so the second
    scan does not read and decode them again, and a release of gigabytes of text costs no more
    memory than that."""
    if file.is_symlink or is_binary_file(file):
        return None
    is_notebook = file.suffix == ".ipynb"
    cap = notebook_limit if is_notebook else limit
    kept = ctx.memo("secrets.texts", _KeptTexts)
    key = (file.path, cap)
    if key in kept.texts:
        return kept.texts[key]
    text = _read_text_file(ctx, file, cap, is_notebook)
    kept.keep(key, text)
    return text


class _KeptTexts:
    """The texts one run has read, up to `KEPT_TEXT_BYTES` characters in all."""

    def __init__(self) -> None:
        self.texts: dict[tuple[str, int], TextFile | None] = {}
        self.size = 0

    def keep(self, key: tuple[str, int], text: TextFile | None) -> None:
        size = len(text.raw) if text is not None else 0
        if self.size + size <= KEPT_TEXT_BYTES:
            self.texts[key] = text
            self.size += size


def _read_text_file(ctx: "Context", file: ReleaseFile, cap: int, is_notebook: bool) -> TextFile | None:
    head = ctx.read_bytes(file, SNIFF_BYTES)
    if decode(head) is None:
        return None
    data = head if len(head) < SNIFF_BYTES or file.size <= SNIFF_BYTES else ctx.read_bytes(file, cap)
    data = data[:cap]
    truncated = file.size > len(data)
    text = decode(data)
    if text is None:
        return None
    if is_notebook:
        if truncated:  # a prefix of JSON does not parse: scan it as plain text
            return TextFile(file.path, text, (Segment("", text),), truncated, file.size, notebook=True)
        notebook = parse_notebook(text)
        if notebook is None:
            return TextFile(file.path, text, (Segment("", text),), truncated, file.size, notebook=True,
                            note="is not valid JSON, so it was scanned as plain text")
        return TextFile(file.path, text, tuple(notebook_segments(notebook)), truncated, file.size, notebook=True)
    return TextFile(file.path, text, (Segment("", text),), truncated, file.size)


def human_size(n: int) -> str:
    """`512 bytes`, `8 MiB`, `1.5 GiB`: sizes in messages."""
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024:
            break
        size /= 1024
    else:
        unit = "TiB"
    if unit == "bytes":
        return f"{n} bytes"
    return f"{size:.0f} {unit}" if size == int(size) else f"{size:.1f} {unit}"
