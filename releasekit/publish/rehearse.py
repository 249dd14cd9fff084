"""`publish --rehearse`: the whole publish against the local server, then read everything back.

A lab can run its publish step in CI with no credentials and no network: the local server
(`releasekit.devserver`) is started on loopback with a throwaway token, the real clients publish
to it exactly as they would to the Hub and GitHub, and the remote state is then read back through
the same clients and compared with the release: every file by sha256, the tag, the release and
each asset. The server is stopped and its folder removed at the end.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import tempfile
import urllib.request
from pathlib import Path

from releasekit.devserver import DevServer
from releasekit.publish.runner import PublishOptions, PublishResult, github_client, hub_client, publish


@dataclasses.dataclass(frozen=True)
class Rehearsal:
    result: PublishResult
    checked: tuple[str, ...]  # what was read back and found equal
    mismatches: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def rehearse(root: str | Path, options: PublishOptions) -> Rehearsal:
    """Publish to a fresh local server, verify the remote state, stop the server."""
    with tempfile.TemporaryDirectory(prefix="releasekit-rehearsal-") as work:
        token = "rk-rehearsal-" + secrets.token_hex(8)
        with DevServer(Path(work) / "remote", token=token) as server:
            local = dataclasses.replace(options, hub_endpoint=server.hub_url, github_url=server.github_url,
                                        hf_token=token, github_token=token if options.github_repo else None,
                                        lfs_only=True, retry_base=0.1)
            result = publish(root, local)
            if result.dry_run:
                return Rehearsal(result, (), ())
            checked: list[str] = []
            mismatches: list[str] = []
            _verify_hub(local, result, Path(work) / "download", checked, mismatches)
            if options.github_repo:
                _verify_github(local, result, checked, mismatches)
            return Rehearsal(result, tuple(checked), tuple(mismatches))


def _verify_hub(options: PublishOptions, result: PublishResult, downloads: Path, checked: list[str],
                mismatches: list[str]) -> None:
    api = hub_client(options, options.hf_token)
    plan = result.plan
    revision = options.tag or "main"
    remote = {e.path: e for e in api.list_repo_tree(options.hf_repo, revision=revision, recursive=True)
              if hasattr(e, "blob_id")}
    for f in plan.files:
        if f.path not in remote:
            mismatches.append(f"Hub: {f.path} missing at {revision}")
            continue
        path = Path(api.hf_hub_download(options.hf_repo, f.path, revision=revision, cache_dir=downloads))
        if _sha256_of(path) != f.sha256:
            mismatches.append(f"Hub: {f.path}: downloaded bytes differ from the local file")
        else:
            checked.append(f"Hub {f.path} sha256 {f.sha256[:12]}")
        path.unlink()
    extra = set(remote) - {f.path for f in plan.files} - {".gitattributes"}
    for path_name in sorted(extra):
        mismatches.append(f"Hub: {path_name} is on the Hub but not in the release")
    if options.tag:
        refs = api.list_repo_refs(options.hf_repo)
        target = next((t.target_commit for t in refs.tags if t.name == options.tag), None)
        if target != result.hub_commit:
            mismatches.append(f"Hub: tag {options.tag} points at {target}, not at {result.hub_commit}")
        else:
            checked.append(f"Hub tag {options.tag} -> {target[:12]}")


def _verify_github(options: PublishOptions, result: PublishResult, checked: list[str], mismatches: list[str]) -> None:
    plan = result.plan.github
    assert plan is not None and options.github_repo is not None
    client, _ = github_client(options, options.github_token)
    repo = client.get_repo(options.github_repo)
    head = repo.get_git_ref(f"heads/{repo.default_branch}").object.sha
    if head != result.github_commit:
        mismatches.append(f"GitHub: {repo.default_branch} is at {head}, not at the published commit")
    tree = {e.path: e.sha for e in repo.get_git_tree(repo.get_git_commit(head).tree.sha, recursive=True).tree
            if e.type == "blob"}
    wanted = {path: sha for path, _, sha, _ in plan.files}
    if tree != wanted:
        diff = sorted(set(tree.items()) ^ set(wanted.items()))
        mismatches.append(f"GitHub: the pushed tree differs from the plan ({len(diff)} entries, e.g. {diff[0][0]})")
    else:
        checked.append(f"GitHub tree of {len(tree)} files at {head[:12]}")
    if plan.tag:
        releases = [r for r in repo.get_releases() if r.tag_name == plan.tag]
        if len(releases) != 1:
            mismatches.append(f"GitHub: {len(releases)} releases for tag {plan.tag}, expected 1")
            return
        checked.append(f"GitHub release {plan.tag}")
        assets = list(releases[0].get_assets())
        names = sorted(a.name for a in assets)
        if names != sorted(a.name for a in plan.assets):
            mismatches.append(f"GitHub: release assets {names} differ from the plan")
        local = {a.name: a for a in plan.assets}
        for asset in assets:
            expected = local.get(asset.name)
            if expected is None:
                continue
            digest = _download_sha256(asset.browser_download_url, options.github_token)
            if digest != expected.sha256:
                mismatches.append(f"GitHub: asset {asset.name}: downloaded bytes differ")
            else:
                checked.append(f"GitHub asset {asset.name} sha256 {digest[:12]}")


def _download_sha256(url: str, token: str | None) -> str:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"refusing to read back from {url}: the rehearsal only talks to loopback")
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    digest = hashlib.sha256()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only, checked above
        while chunk := response.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def describe(rehearsal: Rehearsal) -> list[str]:
    lines: list[str] = [f"rehearsal: verified {len(rehearsal.checked)} item(s) read back from the local server"]
    lines += [f"  mismatch: {m}" for m in rehearsal.mismatches]
    return lines


__all__ = ["Rehearsal", "describe", "rehearse"]
