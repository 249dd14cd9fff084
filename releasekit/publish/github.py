"""Publishing the code and a release to GitHub through PyGithub.

The code goes in ONE commit made through the git data API (blobs, one tree, one commit, a
fast-forward ref update), so the branch never shows half a release; the tree is compared by git
ids first, so a rerun makes no commit. The release for the tag is created once (looked up by
tag before and after a failed attempt); assets are compared by name and sha256 digest, and a
failed upload is re-listed before it is retried, so none is ever duplicated.
"""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

from releasekit.publish.errors import AssetTooLargeError, PublishError
from releasekit.publish.files import LocalFile
from releasekit.publish.retry import Caller

ASSET_LIMIT = 2 * 1024**3  # GitHub refuses release assets of 2 GiB and more


@dataclasses.dataclass(frozen=True)
class Asset:
    name: str
    path: Path
    size: int
    sha256: str
    content_type: str
    action: str = "upload"  # upload | skip | replace


@dataclasses.dataclass(frozen=True)
class GitHubPlan:
    repo: str
    api_url: str
    private: bool
    exists: bool
    branch: str
    head: str | None
    files: tuple[tuple[str, str, str, int], ...]  # (path, mode, git blob id, size)
    changed: tuple[str, ...]  # paths new or different from the branch's tree
    removed: tuple[str, ...]  # paths on the branch that the commit drops
    commit_needed: bool
    tag: str | None
    release_exists: bool
    assets: tuple[Asset, ...]


class GitHubTarget:
    def __init__(self, client: Any, caller: Caller, api_url: str) -> None:
        self.gh = client
        self.call = caller
        self.api_url = api_url

    def _get_repo(self, full: str) -> Any:
        from github import UnknownObjectException

        def get() -> Any:
            try:
                repo = self.gh.get_repo(full)
                repo.default_branch  # noqa: B018 - completes the lazy object (a 404 surfaces here)
                return repo
            except UnknownObjectException:
                return None

        return self.call(f"read {full}", get)

    def _head(self, repo: Any, branch: str) -> str | None:
        from github import GithubException

        def get() -> str | None:
            try:
                return str(repo.get_git_ref(f"heads/{branch}").object.sha)
            except GithubException as exc:
                if exc.status in (404, 409):  # no such branch, or an empty repository
                    return None
                raise

        return self.call(f"read {repo.full_name} {branch}", get)

    def _tree(self, repo: Any, head: str) -> dict[str, str]:
        def get() -> dict[str, str]:
            commit = repo.get_git_commit(head)
            tree = repo.get_git_tree(commit.tree.sha, recursive=True)
            return {e.path: e.sha for e in tree.tree if e.type == "blob"}

        return self.call(f"read the tree of {repo.full_name}", get)

    # -- plan --------------------------------------------------------------------------------------
    def plan(self, full: str, code: list[LocalFile], readme: tuple[str, int], assets: list[Asset], *,
             private: bool, tag: str | None) -> GitHubPlan:
        too_big = [a for a in assets if a.size >= ASSET_LIMIT]
        if too_big:
            names = ", ".join(f"{a.name} ({a.size} bytes)" for a in too_big)
            raise AssetTooLargeError(f"GitHub: release assets over the 2 GiB limit: {names}; nothing was uploaded")
        files = {f.path: ("100755" if f.executable else "100644", f.git_sha1, f.size) for f in code}
        files["README.md"] = ("100644", readme[0], readme[1])
        repo = self._get_repo(full)
        head = self._head(repo, repo.default_branch) if repo is not None else None
        branch = repo.default_branch if repo is not None else "main"
        remote = self._tree(repo, head) if head is not None else {}
        changed = tuple(sorted(p for p, (_, sha, _) in files.items() if remote.get(p) != sha))
        removed = tuple(sorted(set(remote) - set(files)))
        release = None
        if repo is not None and tag:
            release = self._release(repo, tag)
        existing = {}
        if release is not None:
            existing = {a.name: a for a in self.call(f"list assets of {tag}", lambda: list(release.get_assets()))}
        planned = []
        for asset in assets:
            remote_asset = existing.get(asset.name)
            if remote_asset is None:
                planned.append(asset)
            elif remote_asset.size == asset.size and _digest(remote_asset) in (None, asset.sha256):
                planned.append(dataclasses.replace(asset, action="skip"))
            else:
                planned.append(dataclasses.replace(asset, action="replace"))
        return GitHubPlan(repo=full, api_url=self.api_url,
                          private=private, exists=repo is not None, branch=branch, head=head,
                          files=tuple((p, m, s, n) for p, (m, s, n) in sorted(files.items())),
                          changed=changed, removed=removed, commit_needed=bool(changed or removed) or head is None,
                          tag=tag, release_exists=release is not None, assets=tuple(planned) if tag else ())

    def _release(self, repo: Any, tag: str) -> Any:
        from github import UnknownObjectException

        def get() -> Any:
            try:
                return repo.get_release(tag)
            except UnknownObjectException:
                return None

        return self.call(f"read release {tag}", get)

    # -- execute -----------------------------------------------------------------------------------
    def execute(self, plan: GitHubPlan, sources: dict[str, LocalFile | bytes], *, message: str,
                notes: str, release_name: str) -> str | None:
        repo = self._get_repo(plan.repo)
        if repo is None:
            repo = self._create(plan.repo, plan.private)
        head = self._head(repo, repo.default_branch)
        if head != plan.head and plan.exists:
            raise PublishError(f"GitHub: {plan.repo}: {repo.default_branch} moved to {str(head)[:12]} since the plan; "
                               "rerun to plan again")
        commit = head
        if plan.commit_needed or head is None:
            remote = self._tree(repo, head) if head is not None else {}
            wanted = {p: s for p, _, s, _ in plan.files}
            if remote != wanted:
                commit = self._push(repo, plan, sources, remote, head, message)
        if plan.tag:
            self._publish_release(repo, plan, commit, notes, release_name)
        return commit

    def _create(self, full: str, private: bool) -> Any:
        owner, name = full.split("/", 1)

        def make() -> Any:
            user = self.gh.get_user()
            parent = user if user.login == owner else self.gh.get_organization(owner)
            return parent.create_repo(name, private=private, auto_init=True)

        def created() -> Any:
            return self._get_repo(full)

        self.call(f"create {full}", make, recover=created,
                  ok=lambda exc: self._get_repo(full) if getattr(exc, "status", None) == 422 else None)
        repo = self._get_repo(full)
        if repo is None:
            raise PublishError(f"GitHub: {full}: created but not readable back")
        return repo

    def _push(self, repo: Any, plan: GitHubPlan, sources: dict[str, LocalFile | bytes], remote: dict[str, str],
              head: str | None, message: str) -> str:
        from github import InputGitTreeElement

        have = set(remote.values())
        for path, _, sha, _ in plan.files:
            if sha in have:
                continue
            source = sources[path]
            data = source if isinstance(source, bytes) else source.abspath.read_bytes()
            content = base64.b64encode(data).decode("ascii")
            self.call(f"upload {path}", lambda: repo.create_git_blob(content, "base64"))  # idempotent: same bytes, same id
            have.add(sha)
        elements = [InputGitTreeElement(path, mode, "blob", sha=sha) for path, mode, sha, _ in plan.files]
        tree = self.call("create the tree", lambda: repo.create_git_tree(elements))
        parents = [self.call("read the head commit", lambda: repo.get_git_commit(head))] if head else []
        commit = self.call("create the commit", lambda: repo.create_git_commit(message, tree, parents))
        branch = repo.default_branch
        if head is None:
            self.call(f"create {branch}", lambda: repo.create_git_ref(f"refs/heads/{branch}", commit.sha),
                      recover=lambda: commit.sha if self._head(repo, branch) == commit.sha else None)
        else:
            ref = self.call(f"read {branch}", lambda: repo.get_git_ref(f"heads/{branch}"))

            def update() -> str:
                ref.edit(commit.sha, force=False)
                return str(commit.sha)

            def landed() -> str | None:
                current = self._head(repo, branch)
                if current == commit.sha:
                    return str(commit.sha)
                if current != head:
                    raise PublishError(f"GitHub: {plan.repo}: {branch} moved while publishing; rerun to plan again")
                return None

            self.call(f"update {branch}", update, recover=landed)
        return str(commit.sha)

    def _publish_release(self, repo: Any, plan: GitHubPlan, commit: str | None, notes: str, name: str) -> None:
        assert plan.tag is not None
        tag = plan.tag
        release = self._release(repo, tag)
        if release is None:
            target = commit or repo.default_branch
            self.call(f"create release {tag}",
                      lambda: repo.create_git_release(tag, name, notes, target_commitish=target),
                      recover=lambda: self._release(repo, tag),
                      ok=lambda exc: self._release(repo, tag) if getattr(exc, "status", None) == 422 else None)
            release = self._release(repo, tag)
            if release is None:
                raise PublishError(f"GitHub: {plan.repo}: release {tag} was created but cannot be read back")
        for asset in plan.assets:
            self._upload(release, asset)

    def _assets(self, release: Any) -> dict[str, Any]:
        return {a.name: a for a in self.call("list release assets", lambda: list(release.get_assets()))}

    def _upload(self, release: Any, asset: Asset) -> None:
        current = self._assets(release).get(asset.name)
        if current is not None:
            if current.size == asset.size and _digest(current) in (None, asset.sha256):
                return
            self.call(f"delete stale asset {asset.name}", current.delete_asset)

        def uploaded() -> Any:
            found = self._assets(release).get(asset.name)
            if found is not None and found.size == asset.size and _digest(found) in (None, asset.sha256):
                return found
            if found is not None:  # a partial upload the service kept: remove it, then retry
                self.call(f"delete partial asset {asset.name}", found.delete_asset)
            return None

        self.call(f"upload asset {asset.name}", lambda: _upload(release, asset), recover=uploaded)


def _upload(release: Any, asset: Any) -> Any:
    """Stream one asset, with a progress bar on standard error when progress is on (as for the Hub)."""
    from huggingface_hub.utils import tqdm  # honours --progress/--no-progress like the Hub's own bars

    with open(asset.path, "rb") as handle, tqdm(total=asset.size, unit="B", unit_scale=True,
                                                   desc=f"GitHub {asset.name}", leave=False) as bar:
        return release.upload_asset_from_memory(_Counted(handle, bar), asset.size, name=asset.name,
                                                content_type=asset.content_type)


class _Counted:
    """A read-only file that reports every chunk the HTTP client reads to a progress bar."""

    def __init__(self, handle: Any, bar: Any) -> None:
        self._handle, self._bar = handle, bar

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._bar.update(len(data))
        return data

    def __len__(self) -> int:
        return int(self._bar.total)


def _digest(asset: Any) -> str | None:
    try:
        value = asset.digest
    except AttributeError:
        return None
    if isinstance(value, str) and value.startswith("sha256:"):
        return value[len("sha256:"):]
    return None
