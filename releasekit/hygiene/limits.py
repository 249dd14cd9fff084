"""The Hub's structural limits beyond file size: entries per folder and files per repository.

From huggingface.co/docs/hub/repositories-recommendations: under 100k files per repository
("merge data into fewer files") and under 10k entries per folder ("use subdirectories"). Past
them the Hub's git backend degrades and uploads fail late. releasekit reports a count *over*
each number; the constants are the documented figures, and the check takes them as parameters
so tests (and other hosts, through settings) can use smaller ones.
"""

from __future__ import annotations

from collections import Counter

from releasekit.release import Release

HUB_MAX_FOLDER_ENTRIES = 10_000
HUB_MAX_FILES = 100_000


def folder_entry_counts(release: Release) -> Counter[str]:
    """Immediate entries (files, links and sub-folders) of each folder; "" is the root."""
    # String splitting, not PurePosixPath: this runs over every file of releases with 100k+ files.
    return Counter(entry.rpartition("/")[0] for entry in (*(f.path for f in release.files), *release.directories))


def crowded_folders(release: Release, max_entries: int = HUB_MAX_FOLDER_ENTRIES) -> list[tuple[str, int]]:
    """Folders with more than `max_entries` entries, largest first."""
    over = [(folder, n) for folder, n in folder_entry_counts(release).items() if n > max_entries]
    return sorted(over, key=lambda item: (-item[1], item[0]))


def too_many_files(release: Release, max_files: int = HUB_MAX_FILES) -> int | None:
    """The file count when it is over `max_files`, else None."""
    count = len(release.files)
    return count if count > max_files else None
