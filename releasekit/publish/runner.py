"""`publish`: gate on check, plan against both remotes, then make the plan true (or only show it)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from releasekit import __version__
from releasekit.publish import artifacts, notes
from releasekit.publish.errors import CheckFailedError, PublishError
from releasekit.publish.files import LocalFile, Selection, github_files, hash_bytes, hash_file, select
from releasekit.publish.github import Asset, GitHubPlan, GitHubTarget
from releasekit.publish.hub import HubPlan, HubTarget, lfs_transfers
from releasekit.publish.retry import Caller
from releasekit.publish.tokens import Redactor, github_token, hub_token

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")
LOGGERS = ("huggingface_hub", "github", "httpx", "httpx2", "urllib3", "requests", "releasekit")


@dataclasses.dataclass(frozen=True, kw_only=True)
class PublishOptions:
    hf_repo: str
    github_repo: str | None = None
    tag: str | None = None
    private: bool = False
    dry_run: bool = False
    hub_endpoint: str | None = None  # default: the client's (HF_ENDPOINT or https://huggingface.co)
    github_url: str | None = None  # default: https://api.github.com
    hf_token: str | None = None  # default: HF_TOKEN or the token `hf auth login` stored
    github_token: str | None = None  # default: GITHUB_TOKEN / GH_TOKEN
    lfs_only: bool = False  # upload through LFS, not Xet (what the local server speaks)
    retry_base: float = 1.0


@dataclasses.dataclass(frozen=True)
class Plan:
    release: str
    verdict: str
    files: tuple[LocalFile, ...]
    excluded: tuple[tuple[str, str], ...]
    hub: HubPlan
    github: GitHubPlan | None
    github_left: tuple[tuple[str, str], ...]

    def lines(self) -> list[str]:
        """The plan for people: every file, what exists remotely, what would be created."""
        h = self.hub
        out = [f"release {self.release}: {self.verdict}",
               f"Hub {h.repo_id} ({h.url}): " + ("exists" if h.exists else f"would be created ({'private' if h.private else 'public'})")
               + f", branch {h.branch}" + (f" at {h.head[:12]}" if h.head else "")]
        uploads = {f.path: lfs for f, lfs in h.upload}
        for f in self.files:
            if f.path in uploads:
                how = "LFS" if uploads[f.path] else "regular"
                out.append(f"  upload  {f.path}  {f.size} bytes  {how}")
            else:
                out.append(f"  skip    {f.path}  {f.size} bytes  (already on the Hub, same sha256)")
        for path, why in self.excluded:
            out.append(f"  never   {path}  ({why})")
        for n, batch in enumerate(h.commits, 1):
            size = sum(f.size for f in batch)
            out.append(f"  commit {n}/{len(h.commits)}: {len(batch)} file(s), {size} bytes")
        if not h.commits:
            out.append("  no commit: the Hub already has every file")
        if h.tag:
            out.append(f"  tag {h.tag}: " + ("exists" if h.tag_target else "would be created")
                       + (f" at {h.tag_target[:12]}" if h.tag_target else ""))
        g = self.github
        if g is not None:
            out.append(f"GitHub {g.repo}: " + ("exists" if g.exists else f"would be created ({'private' if g.private else 'public'})")
                       + f", branch {g.branch}" + (f" at {g.head[:12]}" if g.head else ""))
            for path, _, _, size in g.files:
                state = "push" if path in g.changed else "same"
                out.append(f"  {state:6}  {path}  {size} bytes")
            for path in g.removed:
                out.append(f"  drop    {path}  (not in the release)")
            for path, why in self.github_left:
                out.append(f"  hub-only {path}  ({why})")
            out.append("  one commit through the git data API" if g.commit_needed else "  no commit: the tree is the same")
            if g.tag:
                out.append(f"  release {g.tag}: " + ("exists" if g.release_exists else "would be created"))
                for a in g.assets:
                    out.append(f"  asset {a.action:7} {a.name}  {a.size} bytes")
        return out


@dataclasses.dataclass(frozen=True)
class PublishResult:
    plan: Plan
    dry_run: bool
    hub_commit: str | None = None
    github_commit: str | None = None


@contextlib.contextmanager
def _redacting(redact: Redactor) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.addFilter(redact)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redact)


def gate(root: Path) -> Any:
    """Run check with the release's own settings; refuse on error findings."""
    from releasekit.engine import check_path

    report = check_path(root)
    if report.failed:
        raise CheckFailedError(report)
    return report


def hub_client(options: PublishOptions, token: str | None) -> Any:
    from huggingface_hub import HfApi

    return HfApi(endpoint=options.hub_endpoint, token=token or False, library_name="releasekit",
                 library_version=__version__)


def github_client(options: PublishOptions, token: str | None) -> Any:
    try:
        import github
    except ModuleNotFoundError:
        from releasekit.errors import MissingExtraError

        raise MissingExtraError("publish --github", "PyGithub", "publish") from None
    auth = github.Auth.Token(token) if token else None
    base = options.github_url or "https://api.github.com"
    # retry=None: retries are ours (releasekit.publish.retry), so a retried upload never duplicates.
    # PyGithub spaces requests out (0.25 s, 1 s between writes) as GitHub asks; a loopback server needs no pacing.
    pacing = {"seconds_between_requests": 0, "seconds_between_writes": 0} if _is_loopback(base) else {}
    return github.Github(base_url=base, auth=auth, retry=None, timeout=300, **pacing), base


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname in ("127.0.0.1", "::1", "localhost")


def publish(root: str | Path, options: PublishOptions) -> PublishResult:
    """Publish the release at `root`; raises CheckFailedError, PublishError (one line, no token)."""
    root = Path(root)
    if not REPO_ID.match(options.hf_repo):
        raise PublishError(f"--hf {options.hf_repo!r}: expected org/name")
    if options.github_repo is not None and not REPO_ID.match(options.github_repo):
        raise PublishError(f"--github {options.github_repo!r}: expected owner/name")
    if options.tag is not None and (not TAG.match(options.tag) or ".." in options.tag):
        raise PublishError(f"--tag {options.tag!r}: not a valid tag name")
    report = gate(root)
    hf_tok = hub_token(options.hf_token)
    gh_tok = github_token(options.github_token) if options.github_repo else None
    if not options.dry_run and not hf_tok:
        raise PublishError("no Hub token: set HF_TOKEN or run `hf auth login`")
    if not options.dry_run and options.github_repo and not gh_tok:
        raise PublishError("no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)")
    redact = Redactor(hf_tok, gh_tok)
    try:
        with _redacting(redact), tempfile.TemporaryDirectory(prefix="releasekit-publish-") as staging, \
                (lfs_transfers() if options.lfs_only else contextlib.nullcontext()):
            return _run(root, options, report, hf_tok, gh_tok, redact, Path(staging))
    except PublishError as exc:
        raise type(exc)(redact(str(exc))) from None


def _run(root: Path, options: PublishOptions, report: Any, hf_tok: str | None, gh_tok: str | None,
         redact: Redactor, staging: Path) -> PublishResult:
    from releasekit.release import walk

    release = walk(root)
    selection: Selection = select(release)
    summary = report.summary()
    verdict = f"check {summary['verdict']}: {summary['errors']} error(s), {summary['warnings']} warning(s)"
    title = f"Publish {release.name} with releasekit {__version__} ({verdict})"
    description = f"Published by releasekit {__version__}.\n\n{report.summary_line()}\n"
    hub_api = hub_client(options, hf_tok)
    hub = HubTarget(hub_api, Caller("Hub", "HF_TOKEN", redact, base_wait=options.retry_base))
    hub_plan = hub.plan(options.hf_repo, list(selection.files), private=options.private, tag=options.tag)

    github_plan = None
    github_left: list[tuple[str, str]] = []
    sources: dict[str, LocalFile | bytes] = {}
    if options.github_repo:
        code, github_left = github_files(release, selection)
        readme = artifacts.github_readme(root)
        readme_sha256, readme_git = hash_bytes(readme)
        sources = {f.path: f for f in code}
        sources["README.md"] = readme
        assets = _assets(root, release.name, options, selection, code, readme, staging)
        client, base = github_client(options, gh_tok)
        target = GitHubTarget(client, Caller("GitHub", "GITHUB_TOKEN", redact, base_wait=options.retry_base), base)
        github_plan = target.plan(options.github_repo, code, (readme_git, len(readme)), assets,
                                  private=options.private, tag=options.tag)
    plan = Plan(release.name, report.summary_line(), selection.files, selection.excluded, hub_plan, github_plan,
                tuple(github_left))
    if options.dry_run:
        return PublishResult(plan, dry_run=True)

    hub_commit = hub.execute(hub_plan, title=title, description=description)
    github_commit = None
    if github_plan is not None:
        body = notes.render(name=release.name, tag=options.tag or "", root=root, hub_repo=options.hf_repo,
                            hub_url=hub_plan.url + (f"/tree/{options.tag}" if options.tag else ""),
                            verdict=verdict, checksums=[(f.path, f.size, f.sha256) for f in selection.files],
                            version=__version__)
        github_commit = target.execute(github_plan, sources, message=title, notes=body,
                                       release_name=f"{release.name} {options.tag or ''}".strip())
    return PublishResult(plan, dry_run=False, hub_commit=hub_commit, github_commit=github_commit)


def _assets(root: Path, name: str, options: PublishOptions, selection: Selection, code: list[LocalFile],
            readme: bytes, staging: Path) -> list[Asset]:
    if not options.tag:
        return []
    out: list[tuple[str, Path, str]] = []
    sums = staging / "SHA256SUMS"
    artifacts.sha256sums(root, selection.files, sums)
    out.append(("SHA256SUMS", sums, "text/plain"))
    spdx = artifacts.sbom(root)
    if spdx is not None:
        path = staging / f"{name}.spdx.json"
        path.write_text(spdx, encoding="utf-8")
        out.append((path.name, path, "application/spdx+json"))
    safe_tag = options.tag.replace("/", "-")
    archive = staging / f"{name}-{safe_tag}-source.tar.gz"
    artifacts.source_archive(f"{name}-{safe_tag}", code, readme, archive)
    out.append((archive.name, archive, "application/gzip"))
    readme_path = staging / "README.md"
    readme_path.write_bytes(readme)
    out.append(("README.md", readme_path, "text/markdown"))
    assets = []
    for asset_name, path, content_type in out:
        size = path.stat().st_size
        sha256, _ = hash_file(path, size)
        assets.append(Asset(asset_name, path, size, sha256, content_type))
    return assets
