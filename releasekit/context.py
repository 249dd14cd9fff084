"""What a check sees: the release, the settings, and caches shared between checks.

Checks run in one process over one release; several need the same parsed artefacts (every
weights rule needs every safetensors header, the card rules and the openness rules both need the
card). `Context.memo` computes each once. `Context.add_section` lets a check attach a structured
section (the openness table) that every output format renders without knowing what it is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from releasekit.config import Settings
from releasekit.release import Release, ReleaseFile
from releasekit.report import Section

T = TypeVar("T")

# Bounded reads: a check that only needs text reads at most this much of a file.
DEFAULT_TEXT_LIMIT = 4 * 1024 * 1024


class Helper(Protocol):
    """Another process computing part of a per-file map (`lanes.py`)."""

    def promised(self, key: str, function: Callable[[Path], Any]) -> frozenset[str]:
        """The paths it is computing `function` of for `key` (none when it does not help with it)."""
        ...

    def results(self, key: str, function: Callable[[Path], Any]) -> dict[str, Any]:
        """What it computed, by path (waits for it; whatever it could not deliver is left out)."""
        ...


class Context:
    """Per-run state handed to every check."""

    def __init__(self, release: Release, settings: Settings) -> None:
        self.release = release
        self.settings = settings
        self._memo: dict[str, Any] = {}
        self.sections: dict[str, Section] = {}
        self._secrets: set[str] = set()
        self.helper: Helper | None = None

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute `key` once per run and share it between checks."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def map_files(self, key: str, files: Sequence[ReleaseFile], function: Callable[[Path], T]) -> dict[str, T]:
        """`{f.path: function(f.abspath)}`, memoised under `key`.

        `function` must be a pure function of the file (a header parse). Where a sibling process
        has computed it for some of the files (`self.helper`, set by `lanes.py`), those results are
        taken and the rest computed here; whatever the helper could not deliver is computed here
        too, so the map never depends on the helper having worked.
        """

        def compute() -> dict[str, T]:
            promised = self.helper.promised(key, function) if self.helper is not None else frozenset()
            done = {f.path: function(f.abspath) for f in files if f.path not in promised}
            if promised:  # our share first, then theirs (computed meanwhile)
                assert self.helper is not None
                helped = self.helper.results(key, function)
                done.update((f.path, helped[f.path] if f.path in helped else function(f.abspath))
                            for f in files if f.path in promised)
            return {f.path: done[f.path] for f in files}

        return self.memo(key, compute)

    def add_section(self, section: Section) -> None:
        self.sections[section.name] = section

    def register_secret(self, value: str) -> None:
        """Remember a secret so the report can scrub it from every output, whatever rule wrote it."""
        if value:
            self._secrets.add(value)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def read_bytes(self, file: ReleaseFile, limit: int = DEFAULT_TEXT_LIMIT) -> bytes:
        """At most `limit` bytes from the start of a regular file of the release."""
        if file.is_symlink:
            raise ValueError(f"{file.path} is a symlink; checks never follow links")
        with open(file.abspath, "rb") as handle:
            # read(limit) allocates `limit` bytes before it reads (512 MB for an index: ~3 ms of
            # mapping and unmapping); ask for the file's size and one byte more, and read on up to
            # `limit` only if it grew meanwhile.
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(limit, size + 1))
            if size < len(data) < limit:
                data += handle.read(limit - len(data))
            return data

    def read_text(self, file: ReleaseFile, limit: int = DEFAULT_TEXT_LIMIT) -> str:
        """The first `limit` bytes of a file, decoded as UTF-8 with replacement characters."""
        return self.read_bytes(file, limit).decode("utf-8", errors="replace")

    def config_json(self) -> dict[str, Any] | None:
        """The root `config.json` as a dict, or None when missing or unusable (see `config_error`)."""

        def load() -> tuple[dict[str, Any] | None, str | None]:
            f = self.release.top_level("config.json")
            if f is None:
                return None, None
            try:
                value = json.loads(self.read_bytes(f))
            except json.JSONDecodeError as exc:
                return None, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
            except UnicodeDecodeError as exc:
                return None, f"not UTF-8 text (byte {exc.start})"
            except RecursionError:
                return None, "not usable: its JSON is nested too deeply"
            except (ValueError, OSError) as exc:
                return None, f"not readable: {exc}"
            if not isinstance(value, dict):
                return None, f"a JSON {type(value).__name__}, not an object"
            return value, None

        return self.memo("config.json", load)[0]

    @property
    def config_error(self) -> str | None:
        """Why the root `config.json` exists but could not be used (None when fine or absent)."""
        self.config_json()
        return self._memo["config.json"][1]  # type: ignore[no-any-return]
