"""`check --changed-since REF`: audit only what a pull request touched.

Per-file rules (pickles, secrets, hygiene) run on the files changed since REF alone. Rules that
judge the release as a whole (weights against their index and config, the card, the license,
openness, the Hub's file counts) run on the whole release, but only when one of their inputs
changed. A change to the release's settings file runs everything. The report gets a
`changed-since` section saying which files and which rule groups were skipped, so a pass is
never mistaken for a full audit.

The same scoping serves the pre-commit hook, with the files being committed as the change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from releasekit.config import Settings
from releasekit.context import Section
from releasekit.errors import UsageError
from releasekit.findings import Finding
from releasekit.formats.locations import find_repo_root
from releasekit.registry import all_rules
from releasekit.release import CODE_NAMES, CODE_SUFFIXES, LICENSE_STEMS, PICKLE_SUFFIXES, Release
from releasekit.report import Report

SETTINGS_FILES = frozenset({"releasekit.toml", "pyproject.toml"})
GIT_TIMEOUT_S = 60


def _name(path: str) -> str:
    return PurePosixPath(path).name


def _is_weights_input(path: str) -> bool:
    name = _name(path).lower()
    return name.endswith((".safetensors", ".safetensors.index.json")) or name in ("config.json",
                                                                                 "generation_config.json")


def _is_card(path: str) -> bool:
    return path.lower() in ("readme.md", "readme")


def _is_license(path: str) -> bool:
    return "/" not in path and _name(path).upper().startswith(LICENSE_STEMS)


def _is_code(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in CODE_SUFFIXES or _name(path) in CODE_NAMES


def _is_model_file(path: str) -> bool:
    return _is_weights_input(path) or PurePosixPath(path).suffix.lower() in PICKLE_SUFFIXES


@dataclasses.dataclass(frozen=True)
class WholeReleaseGroup:
    """Rules that read the whole release, and what counts as a change to their inputs."""

    name: str
    inputs: str  # for the report: what would have made them run
    selects: Callable[[str, str], bool]  # (rule id, category) -> belongs to the group
    changed_by: Callable[[str], bool]  # release path -> is an input


GROUPS: tuple[WholeReleaseGroup, ...] = (
    WholeReleaseGroup("weights", "safetensors files, their index, config.json",
                      lambda rule, cat: cat == "weights", _is_weights_input),
    WholeReleaseGroup("card", "README.md, weights and checkpoints",
                      lambda rule, cat: cat == "card", lambda p: _is_card(p) or _is_model_file(p)),
    WholeReleaseGroup("license", "LICENSE, README.md, code files",
                      lambda rule, cat: cat == "license", lambda p: _is_license(p) or _is_card(p) or _is_code(p)),
    WholeReleaseGroup("openness", "README.md, LICENSE, config, code, weights",
                      lambda rule, cat: cat == "openness",
                      lambda p: _is_card(p) or _is_license(p) or _is_code(p) or _is_model_file(p)),
    WholeReleaseGroup("hub-limits", "any file added or removed",
                      lambda rule, cat: rule in ("RK608", "RK609"), lambda p: True),
)


def _group_of(rule_id: str, category: str) -> WholeReleaseGroup | None:
    return next((g for g in GROUPS if g.selects(rule_id, category)), None)


def _git(repo: Path, *args: str) -> list[str]:
    """NUL-separated paths from a read-only git command (no hooks run for these; fsmonitor is off)."""
    import subprocess  # only --changed-since runs git

    command = ["git", "-C", str(repo), "-c", "core.fsmonitor=false", *args]
    try:
        done = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--changed-since: `git {args[0]}` took more than {GIT_TIMEOUT_S}s") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"--changed-since: git {args[0]} failed: {detail[0] if detail else done.returncode}")
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def changed_paths(release_root: Path, ref: str) -> set[str]:
    """Release-relative paths changed since `ref` (committed, staged, unstaged or untracked)."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"--changed-since: {ref!r} is not a git ref")
    repo = find_repo_root(release_root)
    if repo is None:
        raise UsageError(f"--changed-since: {release_root} is not inside a git work tree")
    prefix = release_root.relative_to(repo).as_posix()
    scope = [prefix] if prefix != "." else []
    _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    names = _git(repo, "diff", "--name-only", "--no-renames", "--no-ext-diff", "--no-textconv", "-z", ref, "--",
                 *scope)
    names += _git(repo, "ls-files", "--others", "--exclude-standard", "-z", "--", *scope)
    out = set()
    for name in names:
        relative = PurePosixPath(name)
        if prefix != ".":
            try:
                relative = relative.relative_to(prefix)
            except ValueError:
                continue
        out.add(relative.as_posix())
    return out


def _subset(release: Release, paths: set[str]) -> Release:
    """The release restricted to `paths` (and the folders above them) for the per-file rules."""
    files = tuple(f for f in release.files if f.path in paths)
    folders = {str(p) for f in files for p in PurePosixPath(f.path).parents if str(p) != "."}
    return dataclasses.replace(release, files=files, directories=tuple(d for d in release.directories if d in folders))


def audit_changes(
    release: Release, settings: Settings, changed: Iterable[str], *, label: str,
    audit: Callable[[Release, Settings], Report],
) -> Report:
    """Audit only what `changed` touches; `label` names the change in the report ("since main")."""
    changed = set(changed)
    if changed & SETTINGS_FILES:
        report = audit(release, settings)
        note = Section(name="changed-since", title=f"Changed {label}",
                       data={"changed": sorted(changed), "full": True, "skipped_files": 0, "skipped_rules": []},
                       lines=(f"the release's settings changed {label}: every file and rule was checked",))
        return dataclasses.replace(report, sections={**report.sections, "changed-since": note})
    rules = [r for r in all_rules() if settings.is_selected(r.id, r.category)]
    per_file = frozenset(r.id for r in rules if _group_of(r.id, r.category) is None)
    run_groups = [g for g in GROUPS if any(g.changed_by(p) for p in changed)]
    skipped_groups = [g for g in GROUPS if g not in run_groups and any(g.selects(r.id, r.category) for r in rules)]
    whole = frozenset(r.id for r in rules if _group_of(r.id, r.category) in run_groups)
    present = {f.path for f in release.files} & changed
    reports: list[Report] = []
    if per_file and present:
        reports.append(audit(_subset(release, present), dataclasses.replace(settings, select=per_file)))
    if whole:
        reports.append(audit(release, dataclasses.replace(settings, select=whole)))
    if not reports:  # nothing to run: still report the walk's own findings (unreadable, special files)
        reports.append(audit(_subset(release, set()), dataclasses.replace(settings, select=frozenset({"RK001"}))))
    findings: set[Finding] = set()
    sections: dict = {}
    rules_run: set[str] = set()
    for part in reports:
        findings.update(part.findings)
        sections.update(part.sections)
        rules_run.update(part.rules_run)
    skipped_files = len(release.files) - len(present)
    lines = [f"{len(present)} of {len(release.files)} file(s) changed {label} were checked; "
             f"{skipped_files} unchanged file(s) were skipped"]
    lines += [f"skipped {g.name} rules: none of their inputs ({g.inputs}) changed" for g in skipped_groups]
    note = Section(
        name="changed-since", title=f"Changed {label}",
        data={"changed": sorted(changed), "checked_files": sorted(present), "skipped_files": skipped_files,
              "full": False, "skipped_rules": [g.name for g in skipped_groups],
              "whole_release_rules_run": [g.name for g in run_groups]},
        lines=tuple(lines),
    )
    sections["changed-since"] = note
    return dataclasses.replace(
        reports[0], findings=tuple(sorted(findings, key=Finding.sort_key)), sections=sections,
        files_checked=len(present), rules_run=tuple(sorted(rules_run)),
    )


def in_scope(report: Report) -> Callable[[str, str], bool] | None:
    """For baselines: whether this run could have seen a (rule, path) finding again; None: all."""
    note = report.sections.get("changed-since")
    if note is None or note.data.get("full"):
        return None
    checked = set(note.data.get("checked_files", ()))
    groups_run = set(note.data.get("whole_release_rules_run", ()))
    ran = set(report.rules_run)
    category = {r.id: r.category for r in all_rules()}

    def could_see(rule: str, path: str) -> bool:
        if rule not in ran:
            return False
        group = _group_of(rule, category.get(rule, ""))
        return group.name in groups_run if group is not None else path in checked

    return could_see
