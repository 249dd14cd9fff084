"""The Hub's structure limits: boundary logic at the real constants, on an in-memory release model,
and through the CLI with small thresholds from releasekit.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.config import Settings
from releasekit.engine import audit
from releasekit.hygiene.limits import (
    HUB_MAX_FILES,
    HUB_MAX_FOLDER_ENTRIES,
    crowded_folders,
    folder_entry_counts,
    too_many_files,
)
from releasekit.release import FileKind, Release, ReleaseFile

ROOT = Path("/nonexistent/release")  # the limit rules never open a file


def model(files_per_folder: dict[str, int], extra_dirs: tuple[str, ...] = ()) -> Release:
    files = [
        ReleaseFile(path=f"{folder}/f{i:06d}.json" if folder else f"f{i:06d}.json",
                    abspath=ROOT, size=1, kind=FileKind.CONFIG)
        for folder, count in files_per_folder.items() for i in range(count)
    ]
    directories = tuple(sorted({f for f in files_per_folder if f} | set(extra_dirs)))
    return Release(root=ROOT, files=tuple(files), directories=directories, pruned=())


def limit_findings(release: Release) -> set[tuple[str, str]]:
    report = audit(release, Settings(select=frozenset({"RK608", "RK609"})))
    return {(f.rule, f.path) for f in report.findings}


def test_the_constants_are_the_hubs_documented_numbers() -> None:
    assert (HUB_MAX_FOLDER_ENTRIES, HUB_MAX_FILES) == (10_000, 100_000)


@pytest.mark.parametrize(("count", "flagged"), [(HUB_MAX_FOLDER_ENTRIES, False), (HUB_MAX_FOLDER_ENTRIES + 1, True)])
def test_folder_entries_boundary_at_the_real_limit(count: int, flagged: bool) -> None:
    release = model({"images": count})
    assert limit_findings(release) == ({("RK608", "images")} if flagged else set())


def test_subfolders_count_as_entries_of_their_parent() -> None:
    release = model({"shards": HUB_MAX_FOLDER_ENTRIES}, extra_dirs=("shards/extra",))
    assert folder_entry_counts(release)["shards"] == HUB_MAX_FOLDER_ENTRIES + 1
    assert crowded_folders(release) == [("shards", HUB_MAX_FOLDER_ENTRIES + 1)]


def test_root_folder_is_named_dot() -> None:
    assert limit_findings(model({"": HUB_MAX_FOLDER_ENTRIES + 1})) == {("RK608", ".")}


@pytest.mark.parametrize(("total", "flagged"), [(HUB_MAX_FILES, False), (HUB_MAX_FILES + 1, True)])
def test_total_files_boundary_at_the_real_limit(total: int, flagged: bool) -> None:
    # Spread over folders of 5,000 so only the total is over a limit.
    folders = {f"part{i:02d}": 5_000 for i in range(total // 5_000)}
    if total % 5_000:
        folders["rest"] = total % 5_000
    release = model(folders)
    assert len(release.files) == total
    assert limit_findings(release) == ({("RK609", ".")} if flagged else set())
    assert too_many_files(release) == (total if flagged else None)


def test_small_thresholds_from_settings_through_the_cli(make_release, run_cli) -> None:
    root = make_release({
        "releasekit.toml": "[hygiene]\nmax-folder-entries = 3\nmax-files = 5\n",
        **{f"data/{i}.json": "{}" for i in range(4)},
        "a.txt": "a",
    })
    result = run_cli("check", root, "--select", "RK608,RK609", "--format", "json")
    findings = {(f["rule"], f["path"]): f["message"] for f in result.json()["findings"]}
    assert set(findings) == {("RK608", "data"), ("RK609", ".")}
    assert "4 entries" in findings[("RK608", "data")] and "limit is 3" in findings[("RK608", "data")]
    assert "6 files" in findings[("RK609", ".")]  # releasekit.toml, a.txt and four in data/
    assert result.exit_code == 0  # warnings only
