"""Symlinks judged from what they say, never by following them.

The walk records each link's target text and whether it resolves inside the release. A link that
leaves the release, or an absolute one (which breaks on any other machine), uploads the file it
points to, or nothing; a relative link whose target is not in the release is dangling.
"""

from __future__ import annotations

import posixpath
import re

from releasekit.release import Release, ReleaseFile

_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")


def is_absolute_target(target: str) -> bool:
    return target.startswith("/") or _WINDOWS_ABSOLUTE.match(target) is not None


def link_problem(release: Release, link: ReleaseFile, directories: frozenset[str] | None = None) -> str | None:
    """"absolute", "outside", "dangling" or None for a link that stays inside and resolves.

    `directories` is `frozenset(release.directories)`, passed in when judging many links.
    """
    target = link.link_target or ""
    if is_absolute_target(target):
        return "absolute"
    if not link.link_inside:
        return "outside"
    resolved = posixpath.normpath(posixpath.join(link.parent, target))
    folders = directories if directories is not None else frozenset(release.directories)
    if release.by_path(resolved) is not None or resolved in folders or resolved == ".":
        return None
    # Through another link (`a -> b`, `c -> a/x`): the walk did not descend it; cannot judge.
    parts = resolved.split("/")
    for i in range(1, len(parts)):
        entry = release.by_path("/".join(parts[:i]))
        if entry is not None and entry.is_symlink:
            return None
    return "dangling"

