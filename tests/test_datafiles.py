"""`releasekit.datafiles`: the data folder read by path, exactly as importlib.resources reads it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from releasekit import datafiles

SHIPPED = sorted(p.name for p in (resources.files("releasekit") / "data").iterdir() if p.is_file())


def test_the_data_folder_holds_the_shipped_files() -> None:
    assert "hub_licenses-2026-06.json" in SHIPPED and "spdx_text-MIT.txt" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_each_file_reads_as_importlib_resources_reads_it(name: str) -> None:
    packaged = resources.files("releasekit") / "data" / name
    assert datafiles.read_bytes(name) == packaged.read_bytes()
    if not name.endswith(".gz"):
        assert datafiles.read_text(name) == packaged.read_text(encoding="utf-8")


def test_without_the_folder_on_disk_importlib_resources_reads_them(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    monkeypatch.setattr(datafiles, "DATA", tmp_path / "nowhere")
    assert "Permission is hereby granted" in datafiles.read_text("spdx_text-MIT.txt")
    assert datafiles.read_bytes("spdx_text-MIT.txt") == (resources.files("releasekit") / "data" / "spdx_text-MIT.txt").read_bytes()
