"""Hygiene: links that leave the release, leaked local paths, junk, Hub structure limits (RK6xx)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from releasekit import lazy
from releasekit.context import Context
from releasekit.findings import Finding, Severity
from releasekit.registry import Rule, check
from releasekit.release import FileKind, ReleaseFile
from releasekit.secrets.redact import redact_secrets_in

if TYPE_CHECKING:  # the local-path scanner (and its expressions) loads when RK603 runs
    from releasekit.hygiene.localpaths import LocalPath
    from releasekit.hygiene.settings import HygieneSettings

# The analysers load when a hygiene check runs (in the text lane, see lanes.py), not when the
# registry lists the rules before the lanes fork.
junk = lazy.module("releasekit.hygiene.junk")
limits = lazy.module("releasekit.hygiene.limits")
links = lazy.module("releasekit.hygiene.links")
options = lazy.module("releasekit.hygiene.settings")
patterns = lazy.module("releasekit.secrets.settings")

RK601 = Rule.define(
    "RK601", "symlink-outside-release", category="hygiene", severity=Severity.ERROR,
    summary="A symlink is absolute or points outside the release.",
    doc="""
    What it finds: a symbolic link whose target is an absolute path, or a relative path that
    climbs out of the release folder (`../../secrets/key.pem`). releasekit never follows it.

    Why it matters: uploaders follow links, so the release may publish whatever the link points
    at on the author's machine (a home folder, a key), or publish nothing and break for every
    user. An absolute target also names the author's machine layout.

    How to fix: replace the link with the file itself, or with a relative link to a file inside
    the release.
    """,
)
RK602 = Rule.define(
    "RK602", "broken-symlink", category="hygiene", severity=Severity.WARNING,
    summary="A symlink inside the release points at nothing.",
    doc="""
    What it finds: a relative symbolic link whose target is not a file or folder of the release.

    Why it matters: the file it stands for will be missing for every user; uploaders skip it or
    fail.

    How to fix: add the target, point the link at the right file, or delete the link.
    """,
)
RK603 = Rule.define(
    "RK603", "local-path", category="hygiene", severity=Severity.WARNING,
    summary="An absolute path of the author's machine is left in a config, script or notebook.",
    doc="""
    What it finds: home folders (`/home/NAME/`, `/Users/NAME/`, `C:\\Users\\NAME\\`) anywhere in
    configs, code and notebook outputs; mounts and data roots (`/mnt/`, `/data/`, `/scratch/`,
    `/fsx/`, ...) where they start a value (a quoted string, a config value, a shell argument);
    and any absolute path in a `*name_or_path` key, which `save_pretrained` fills with wherever
    the model was loaded from. Placeholders (`/home/user/`, `/Users/<you>/`) and Dockerfile
    container paths are not reported. At most five per file, then a count.

    Why it matters: the path does not exist on users' machines, so code that reads it fails; and
    it leaks user names and cluster layout.

    How to fix: use the Hub repository id (for `_name_or_path`), a path relative to the release,
    or a command-line argument or environment variable.
    """,
)
RK604 = Rule.define(
    "RK604", "junk-file", category="hygiene", severity=Severity.WARNING,
    summary="A cache, OS metadata file, editor backup or run log that should not ship.",
    doc="""
    What it finds: `__pycache__/`, `*.pyc`, `.ipynb_checkpoints/`, tool caches, `wandb/` run
    folders, virtual environments, `.DS_Store`, `Thumbs.db`, AppleDouble `._*` files, and editor
    and merge backups (`*~`, `*.swp`, `*.orig`, `*.rej`, `*.bak`, `#*#`). A junk folder is reported
    once.

    Why it matters: it bloats the download, may hold stale code or local paths (checkpoints and
    run logs hold both), and `._*` companions of weight files break loaders that glob for
    `*.safetensors`.

    How to fix: delete it, and add it to `.gitignore` (or the ignore patterns of your upload).
    """,
)
RK605 = Rule.define(
    "RK605", "core-dump", category="hygiene", severity=Severity.ERROR,
    summary="A process core dump (ELF or Mach-O core file) is in the release.",
    doc="""
    What it finds: a file named like a core dump (`core`, `core.1234`, `*.core`, `vgcore.*`)
    whose header says it is one.

    Why it matters: a core dump is a copy of a crashed process's memory: environment variables,
    tokens, data the process had read. It is also large.

    How to fix: delete it; if it was ever published, rotate any credential the process had.
    """,
)
RK606 = Rule.define(
    "RK606", "empty-file", category="hygiene", severity=Severity.WARNING,
    summary="An empty file is in the release.",
    doc="""
    What it finds: a zero-byte file other than those empty by design (`__init__.py`, `py.typed`,
    `.gitkeep`, `.keep`, `.nojekyll`, `.gitignore`).

    Why it matters: an empty weights, config or tokenizer file is almost always a failed copy or
    an interrupted download, and loaders fail on it with unhelpful errors.

    How to fix: copy the file again, or delete it if it is not needed.
    """,
)
RK607 = Rule.define(
    "RK607", "git-metadata", category="hygiene", severity=Severity.WARNING,
    summary="A .git folder or file is inside the release.",
    doc="""
    What it finds: `.git` below the release root (a nested repository or a submodule link) as a
    warning; `.git` at the root as information (the release folder is a git checkout).
    releasekit never reads inside `.git`.

    Why it matters: `.git` holds the whole history, including files deleted since (an old token,
    an unreleased checkpoint); this audit covers only the current files. Uploaders that copy the
    folder copy the history too.

    How to fix: publish from a clean export (`git archive`, or a fresh folder), or make sure the
    upload ignores `.git`; audit the history separately (for example with gitleaks).
    """,
)
RK608 = Rule.define(
    "RK608", "crowded-folder", category="hygiene", severity=Severity.WARNING,
    summary="A folder has more than 10,000 entries (the Hub's per-folder limit).",
    doc="""
    What it finds: a folder with more than 10,000 immediate entries (files, links, sub-folders).
    `[hygiene] max-folder-entries` changes the number for other hosts.

    Why it matters: the Hub recommends under 10k entries per folder; past it, listing and
    uploading degrade and large uploads fail late.

    How to fix: split the folder into sub-folders (for example by the first characters of the
    file names), or merge small files into fewer large ones.
    """,
)
RK609 = Rule.define(
    "RK609", "too-many-files", category="hygiene", severity=Severity.WARNING,
    summary="The release has more than 100,000 files (the Hub's per-repository limit).",
    doc="""
    What it finds: a release with more than 100,000 files and links in all.
    `[hygiene] max-files` changes the number for other hosts.

    Why it matters: the Hub recommends under 100k files per repository; past it, the repository
    becomes slow to clone, list and upload.

    How to fix: merge small files into fewer large ones (shards, archives, Parquet), or split the
    release into several repositories.
    """,
)
MAX_LOCAL_PATHS_PER_FILE = 5
_SHOWN_PATH = 80


def hygiene_settings(ctx: Context) -> HygieneSettings:
    """The [hygiene] table; its shape was validated with the rest of the settings (settings_model)."""
    return ctx.memo("hygiene.settings", lambda: options.parse_hygiene_settings(ctx.settings.section("hygiene")))


@check(RK601, RK602)
def check_symlinks(ctx: Context) -> Iterator[Finding]:
    """Links judged by their target text; never followed."""
    directories = frozenset(ctx.release.directories)
    for link in ctx.release.symlinks():
        problem = links.link_problem(ctx.release, link, directories)
        target = redact_secrets_in(link.link_target or "")
        if problem == "absolute":
            yield RK601.finding(link.path, f"symlink to the absolute path '{target}': replace it with the file "
                                           "itself or a relative link inside the release")
        elif problem == "outside":
            yield RK601.finding(link.path, f"symlink points outside the release ('{target}'): replace it with the "
                                           "file itself or a link to a file inside the release")
        elif problem == "dangling":
            yield RK602.finding(link.path, f"symlink target '{target}' is not in the release: add the target, "
                                           "fix the link or delete it")


def junk_folders(ctx: Context) -> dict[str, str]:
    """Junk folders of the release (outermost only) and why; `.git` folders included."""

    def compute() -> dict[str, str]:
        children: dict[str, list[str]] = defaultdict(list)
        for entry in [f.path for f in ctx.release.files] + list(ctx.release.directories):
            parent, _, name = entry.rpartition("/")
            children[parent].append(name)
        found: dict[str, str] = {}
        for folder in ctx.release.directories:
            if _inside(folder, found):
                continue
            if folder.rsplit("/", 1)[-1] == ".git":
                found[folder] = "git"
                continue
            reason = junk.junk_dir_reason(folder, children.get(folder, ()))
            if reason:
                found[folder] = reason
        return found

    return ctx.memo("hygiene.junk-folders", compute)


def _inside(path: str, folders: dict[str, str]) -> bool:
    """Whether `path` is below one of `folders` (checked by ancestors: folders may be many)."""
    parent = path.rpartition("/")[0]
    while parent:
        if parent in folders:
            return True
        parent = parent.rpartition("/")[0]
    return False


def _files_below(ctx: Context, folders: dict[str, str]) -> dict[str, int]:
    sizes = dict.fromkeys(folders, 0)
    for file in ctx.release.files:
        parent = file.path.rpartition("/")[0]
        while parent:
            if parent in sizes:
                sizes[parent] += 1
                break
            parent = parent.rpartition("/")[0]
    return sizes


@check(RK604, RK605, RK606, RK607)
def check_junk(ctx: Context) -> Iterator[Finding]:
    """Junk folders and files, core dumps, empty files, git metadata."""
    settings = hygiene_settings(ctx)
    folders = junk_folders(ctx)
    sizes = _files_below(ctx, folders)
    for folder, reason in sorted(folders.items()):
        if patterns.matches_any(folder, settings.exclude):
            continue
        if reason == "git":
            if "/" not in folder:
                yield RK607.finding(folder, "the release folder is a git checkout: .git holds its whole history, "
                                            "which this audit does not cover; publish from a clean export or make "
                                            "sure the upload ignores .git", severity=Severity.INFO)
            else:
                yield RK607.finding(folder, "a nested git repository ships inside the release: remove its .git "
                                            "folder (its history is not audited and would be published)")
            continue
        count = sizes[folder]
        yield RK604.finding(folder, f"junk folder ({reason}, {count} file{'s' if count != 1 else ''}): delete it "
                                    "and add it to .gitignore")
    for file in ctx.release.files:
        if _inside(file.path, folders) or patterns.matches_any(file.path, settings.exclude):
            continue
        if file.name == ".git":
            yield RK607.finding(file.path, "a .git file (a submodule or worktree link) ships inside the release: "
                                           "remove it")
            continue
        reason = junk.junk_file_reason(file.name)
        if reason:
            yield RK604.finding(file.path, f"junk file ({reason}): delete it and add the pattern to .gitignore")
            continue
        if file.is_symlink:
            continue
        if junk.may_be_core_dump(file.name) and file.size >= junk.CORE_HEADER_BYTES:
            kind = junk.core_dump_format(ctx.read_bytes(file, junk.CORE_HEADER_BYTES))
            if kind:
                yield RK605.finding(file.path, f"{kind} core dump (a copy of a crashed process's memory, which may "
                                               "hold credentials): delete it")
                continue
        if file.size == 0 and not junk.empty_allowed(file.name):
            yield RK606.finding(file.path, "empty file (a failed copy or interrupted download?): copy it again "
                                           "or delete it")


@check(RK608, RK609)
def check_hub_limits(ctx: Context) -> Iterator[Finding]:
    """Entries per folder and files per repository against the Hub's limits."""
    settings = hygiene_settings(ctx)
    for folder, count in limits.crowded_folders(ctx.release, settings.max_folder_entries):
        yield RK608.finding(folder or ".", f"{count:,} entries in one folder (the Hub's limit is "
                                           f"{settings.max_folder_entries:,}): split it into sub-folders or merge "
                                           "small files")
    total = limits.too_many_files(ctx.release, settings.max_files)
    if total is not None:
        yield RK609.finding(".", f"{total:,} files in the release (the Hub's limit is {settings.max_files:,} per "
                                 "repository): merge small files into fewer large ones or split the release")


def _local_path_candidates(ctx: Context, settings: HygieneSettings) -> Iterator[ReleaseFile]:
    from releasekit.hygiene.localpaths import file_style

    folders = junk_folders(ctx)
    for file in ctx.release.of_kind(FileKind.CONFIG, FileKind.CODE, FileKind.OTHER):
        if file.kind is FileKind.OTHER and file_style(file.path) != "shell":
            continue
        if _inside(file.path, folders) or patterns.matches_any(file.path, settings.exclude):
            continue
        yield file


@check(RK603)
def check_local_paths(ctx: Context) -> Iterator[Finding]:
    """Local paths in configs, code and notebooks (sources and outputs), with line numbers."""
    from releasekit.hygiene.localpaths import file_style, find_local_paths
    from releasekit.secrets.notebook import locate
    from releasekit.secrets.textfiles import read_text_file

    settings = hygiene_settings(ctx)
    for file in _local_path_candidates(ctx, settings):
        try:
            text = read_text_file(ctx, file, settings.max_bytes, settings.max_bytes)
        except OSError:
            continue  # unreadable: reported by the secrets scan (RK520)
        if text is None:
            continue
        style = file_style(file.path)
        hits: list[tuple[LocalPath, str, int | None]] = []
        for segment in text.segments:
            seg_style = "shell" if "output" in segment.where else style
            for found in find_local_paths(segment.text, seg_style):
                if segment.where:
                    line = locate(text.raw, found.path)
                else:
                    line = segment.text.count("\n", 0, found.offset) + 1
                hits.append((found, segment.where, line))
        yield from _local_path_findings(file, hits)


def _local_path_findings(file: ReleaseFile, hits: list[tuple[LocalPath, str, int | None]]) -> Iterator[Finding]:
    seen_lines: set[tuple[str, int | None]] = set()
    reported = 0
    extra: list[int | None] = []
    for found, where, line in hits:
        if (where, line) in seen_lines and line is not None:
            continue
        seen_lines.add((where, line))
        if reported == MAX_LOCAL_PATHS_PER_FILE:
            extra.append(line)
            continue
        reported += 1
        shown = redact_secrets_in(found.path.replace("\\\\", "\\"))  # JSON's escaped backslashes
        shown = shown if len(shown) <= _SHOWN_PATH else shown[: _SHOWN_PATH - 1] + "…"
        place = f" in {where}" if where else ""
        if found.key:
            message = (f"config key {found.key} holds the local path '{shown}'{place} (save_pretrained records "
                       "where the model was loaded from): set it to the Hub repository id")
        else:
            message = (f"local path '{shown}'{place} leaks the author's machine and does not exist for users: use "
                       "a path relative to the release, a Hub id, or an argument")
        yield RK603.finding(file.path, message, line=line)
    if extra:
        lines = [n for n in extra if n is not None]
        at = f" (lines {', '.join(map(str, lines[:10]))}{', ...' if len(lines) > 10 else ''})" if lines else ""
        yield RK603.finding(file.path, f"{len(extra)} more local path{'s' if len(extra) > 1 else ''} in this "
                                       f"file{at}: fix them the same way")
