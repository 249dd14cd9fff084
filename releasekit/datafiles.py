"""The package's data files (license texts, the SPDX index, the Hub's lists), read by path.

Every `check` reads some of them, and `importlib.resources` costs several milliseconds to import
(it brings zipfile and tempfile along). releasekit is installed as files (its rules and kernels
are found on disk, so it is never run from a zip), so the `data` folder beside this module is read
directly; only if it is missing (a zipped install) does `importlib.resources` read it instead.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).with_name("data")


def read_bytes(name: str) -> bytes:
    """The bytes of `releasekit/data/<name>`."""
    if DATA.is_dir():
        return (DATA / name).read_bytes()
    from importlib import resources

    return (resources.files("releasekit") / "data" / name).read_bytes()


def read_text(name: str) -> str:
    """The text of `releasekit/data/<name>` (UTF-8, newlines as `open` reads them in text mode)."""
    if DATA.is_dir():
        return (DATA / name).read_text(encoding="utf-8")
    from importlib import resources

    return (resources.files("releasekit") / "data" / name).read_text(encoding="utf-8")
