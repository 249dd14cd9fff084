"""Jupyter notebooks as text to scan: every cell's source and every output, images left out.

A notebook is JSON, and its outputs are where credentials hide: a printed `os.environ`, a
`!huggingface-cli whoami` log, a traceback with a connection string. Scanning the raw JSON would
see escaped text (`\\n` inside strings) and megabytes of base64 images; parsing it gives each
cell's text as the author saw it, lets images be skipped, and names the cell in the finding.
Handles nbformat 4 (`cells`) and 3 (`worksheets`); anything else is walked generically.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from releasekit.secrets.lazyre import lazy

# Output payloads that are binary (base64) or images: never credentials, often megabytes.
_BINARY_MIME = lazy(r"^(?:image|audio|video|font)/|^application/(?:pdf|octet-stream|zip|x-|vnd\.(?!jupyter\.widget))")
_BINARY_V3_KEYS = frozenset({"png", "jpeg", "jpg", "gif", "svg", "pdf"})
_ANSI = lazy(r"\x1b\[[0-9;?]*[A-Za-z]")  # colour codes in tracebacks and progress bars


@dataclasses.dataclass(frozen=True)
class Segment:
    """A piece of a file to scan. `where` names it ("cell 3 output 1"); "" is the whole file."""

    where: str
    text: str


def parse_notebook(raw: str) -> dict[str, Any] | None:
    """The notebook's JSON object, or None when `raw` is not one."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def notebook_segments(notebook: dict[str, Any]) -> Iterator[Segment]:
    """Sources, outputs and metadata of a parsed notebook, as text, binary payloads skipped."""
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        cells = [c for ws in _list(notebook.get("worksheets")) if isinstance(ws, dict) for c in _list(ws.get("cells"))]
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", cell.get("input"))
        text = _join(source)
        if text:
            yield Segment(f"cell {number} source", text)
        for index, output in enumerate(_list(cell.get("outputs")), 1):
            text = "".join(_strings(output))
            if text:
                yield Segment(f"cell {number} output {index}", _ANSI.sub("", text))
        rest = {k: v for k, v in cell.items() if k not in ("source", "input", "outputs", "attachments")}
        text = "".join(_strings(rest))
        if text.strip():
            yield Segment(f"cell {number} metadata", text)
    rest = {k: v for k, v in notebook.items() if k not in ("cells", "worksheets")}
    for ws in _list(notebook.get("worksheets")):
        if isinstance(ws, dict):
            rest.update({f"worksheet.{k}": v for k, v in ws.items() if k != "cells"})
    text = "".join(_strings(rest))
    if text.strip():
        yield Segment("notebook metadata", text)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _join(value: Any) -> str:
    """nbformat's multi-line strings: a string, or a list of lines that keep their newlines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(s if s.endswith("\n") else s + "\n" for s in value if isinstance(s, str))
    return ""


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string in a JSON value, one per line, skipping binary MIME payloads."""
    if depth > 64:
        return
    if isinstance(value, str):
        yield value if value.endswith("\n") else value + "\n"
    elif isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            yield _join(value)
        else:
            for item in value:
                yield from _strings(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (_BINARY_MIME.search(key) or key in _BINARY_V3_KEYS):
                continue
            yield from _strings(item, depth + 1)


def locate(raw: str, needle: str) -> int | None:
    """The 1-based line of the raw notebook JSON where `needle` (as JSON-escaped) first occurs."""
    if not needle:
        return None
    for form in (needle, json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]):
        at = raw.find(form)
        if at >= 0:
            return raw.count("\n", 0, at) + 1
    return None
