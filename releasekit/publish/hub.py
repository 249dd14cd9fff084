"""Publishing to the Hugging Face Hub through `huggingface_hub`'s own client.

Plan: read the repository (does it exist, its head, every file's hash) and compare with the
release, so that files already there (same sha256 for LFS files, same git blob id for regular
ones) are skipped. Execute: create the repository if missing, then commits of at most
`MAX_FILES_PER_COMMIT` files and `MAX_REGULAR_BYTES` of inline payload, each made with
`parent_commit` = the head it was planned on (a concurrent change is a 412, not an overwrite),
the model card last; then the tag. A commit whose response was lost is recognised (head moved
to a commit with our title whose parent is the planned one) and never made twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from releasekit.devserver.hub_api import DEFAULT_GITATTRIBUTES, goes_to_lfs, lfs_patterns
from releasekit.publish.errors import PublishError
from releasekit.publish.files import LocalFile
from releasekit.publish.retry import Caller

MAX_FILES_PER_COMMIT = 100
MAX_REGULAR_BYTES = 20 * 1024 * 1024  # inline (base64) payload of one commit
MAX_LFS_BYTES_PER_COMMIT = 50 * 1024**3  # progress is kept per commit: a failure loses at most this much
DEFAULT_PATTERNS = lfs_patterns(DEFAULT_GITATTRIBUTES)


@dataclasses.dataclass(frozen=True)
class HubPlan:
    repo_id: str
    endpoint: str
    private: bool
    exists: bool
    branch: str
    head: str | None
    upload: tuple[tuple[LocalFile, bool], ...]  # (file, through LFS)
    skip: tuple[LocalFile, ...]  # already there, same bytes
    commits: tuple[tuple[LocalFile, ...], ...]
    tag: str | None
    tag_target: str | None  # where the tag already points, if it exists

    @property
    def url(self) -> str:
        return f"{self.endpoint.rstrip('/')}/{self.repo_id}"


@contextlib.contextmanager
def lfs_transfers() -> Iterator[None]:
    """Make the client use the LFS protocol instead of Xet, for this block only.

    huggingface_hub 2.x uploads through Xet when `hf_xet` is installed; the local server speaks
    LFS. `HF_HUB_DISABLE_XET` is read once at import, so the rehearsal flips the constant the
    client consults (`constants.HF_HUB_DISABLE_XET`) and restores it: the real Hub path keeps
    the client's default.
    """
    from huggingface_hub import constants

    before = constants.HF_HUB_DISABLE_XET
    constants.HF_HUB_DISABLE_XET = True
    try:
        yield
    finally:
        constants.HF_HUB_DISABLE_XET = before


class HubTarget:
    def __init__(self, api: Any, caller: Caller, *, branch: str = "main") -> None:
        self.api = api
        self.call = caller
        self.branch = branch

    # -- plan --------------------------------------------------------------------------------------
    def plan(self, repo_id: str, files: list[LocalFile], *, private: bool, tag: str | None) -> HubPlan:
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        def info() -> Any:
            try:
                return self.api.repo_info(repo_id, revision=self.branch)
            except (RepositoryNotFoundError, RevisionNotFoundError):
                return None
            except Exception as exc:
                if getattr(getattr(exc, "response", None), "status_code", None) == 404:
                    return None
                raise

        repo = self.call(f"read {repo_id}", info)
        head = repo.sha if repo is not None else None
        remote: dict[str, tuple[str | None, str]] = {}
        tag_target = None
        if head is not None:
            tree = self.call(f"list files of {repo_id}",
                             lambda: list(self.api.list_repo_tree(repo_id, revision=head, recursive=True)))
            for entry in tree:
                if hasattr(entry, "blob_id"):
                    remote[entry.path] = (entry.lfs.sha256 if entry.lfs else None, entry.blob_id)
            if tag:
                refs = self.call(f"read tags of {repo_id}", lambda: self.api.list_repo_refs(repo_id))
                tag_target = next((t.target_commit for t in refs.tags if t.name == tag), None)
        upload, skip = [], []
        for f in files:
            sha256, blob = remote.get(f.path, (None, None))
            if sha256 == f.sha256 or (sha256 is None and blob == f.git_sha1):
                skip.append(f)
            else:
                upload.append((f, goes_to_lfs(f.path, f.size, DEFAULT_PATTERNS)))
        return HubPlan(repo_id=repo_id, endpoint=self.api.endpoint, private=private, exists=repo is not None,
                       branch=self.branch, head=head, upload=tuple(upload), skip=tuple(skip),
                       commits=tuple(batches(upload)), tag=tag, tag_target=tag_target)

    # -- execute -----------------------------------------------------------------------------------
    def execute(self, plan: HubPlan, *, title: str, description: str) -> str:
        """Make the plan true; returns the commit the branch (and the tag) ends on."""
        if plan.tag and plan.tag_target is not None and plan.tag_target != plan.head and not plan.commits:
            raise PublishError(f"Hub: {plan.repo_id}: tag {plan.tag} already points at {plan.tag_target[:12]}, "
                               f"not at the published revision {str(plan.head)[:12]}")
        if plan.tag and plan.tag_target is not None and plan.commits:
            raise PublishError(f"Hub: {plan.repo_id}: tag {plan.tag} already exists (at {plan.tag_target[:12]}) "
                               "and the files differ: use a new tag")
        head = plan.head
        if not plan.exists:
            self.call(f"create {plan.repo_id}",
                      lambda: self.api.create_repo(plan.repo_id, private=plan.private, exist_ok=True))
            # A repository just created has its first commit (.gitattributes): commit on top of it.
            head = self.call(f"read {plan.repo_id}", lambda: self.api.repo_info(plan.repo_id, revision=self.branch).sha)
        total = len(plan.commits)
        for number, batch in enumerate(plan.commits, 1):
            summary = title if total == 1 else f"{title} (part {number}/{total})"
            head = self._commit(plan.repo_id, batch, summary, description, head)
        if plan.tag and plan.tag_target is None:
            assert head is not None
            self._tag(plan.repo_id, plan.tag, head)
        assert head is not None
        return head

    def _commit(self, repo_id: str, batch: tuple[LocalFile, ...], summary: str, description: str,
                parent: str | None) -> str:
        from huggingface_hub import CommitOperationAdd

        ops = []
        for f in batch:
            op = CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(f.abspath))
            if op.upload_info.size == f.size:
                # The hash the plan computed: the client need not read the file a second time. Had the
                # file changed since, the server's own check of the received bytes refuses it.
                op.upload_info.sha256 = bytes.fromhex(f.sha256)
            ops.append(op)

        def make() -> str:
            for op in ops:
                op._is_committed = False  # a failed attempt may be retried with the same operations
            info = self.api.create_commit(repo_id, operations=ops, commit_message=summary,
                                          commit_description=description, revision=self.branch,
                                          parent_commit=parent)
            return str(info.oid)

        def landed() -> str | None:
            head = self.api.repo_info(repo_id, revision=self.branch).sha
            if head == parent:
                return None  # not applied: try again
            commits = self.api.list_repo_commits(repo_id, revision=head)
            if commits and commits[0].title == summary and len(commits) > 1 and commits[1].commit_id == parent:
                return str(head)  # the lost attempt landed: never commit twice
            raise PublishError(f"Hub: {repo_id}: the branch {self.branch} moved to {str(head)[:12]} while "
                               "publishing (someone else committed); nothing was overwritten, rerun to plan again")

        return self.call(f"commit to {repo_id}", make, recover=landed)

    def _tag(self, repo_id: str, tag: str, revision: str) -> None:
        def exists_at_revision(exc: BaseException) -> bool | None:
            if getattr(getattr(exc, "response", None), "status_code", None) != 409:
                return None
            refs = self.api.list_repo_refs(repo_id)
            target = next((t.target_commit for t in refs.tags if t.name == tag), None)
            return True if target == revision else None

        def make() -> bool:
            self.api.create_tag(repo_id, tag=tag, revision=revision, tag_message=f"releasekit publish {tag}")
            return True

        self.call(f"tag {repo_id} {tag}", make, ok=exists_at_revision)


def batches(upload: list[tuple[LocalFile, bool]]) -> list[tuple[LocalFile, ...]]:
    """Commits the Hub accepts: few enough files, bounded inline payload; README.md last."""
    ordered = sorted(upload, key=lambda item: (item[0].path == "README.md", not item[1], item[0].path))
    out: list[tuple[LocalFile, ...]] = []
    current: list[LocalFile] = []
    inline = lfs = 0
    for f, is_lfs in ordered:
        add_inline = 0 if is_lfs else f.size
        add_lfs = f.size if is_lfs else 0
        if current and (len(current) >= MAX_FILES_PER_COMMIT or inline + add_inline > MAX_REGULAR_BYTES
                        or lfs + add_lfs > MAX_LFS_BYTES_PER_COMMIT):
            out.append(tuple(current))
            current, inline, lfs = [], 0, 0
        current.append(f)
        inline += add_inline
        lfs += add_lfs
    if current:
        out.append(tuple(current))
    return out
