"""End to end through the real clients (huggingface_hub, PyGithub) against the local server."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from releasekit.publish import PublishError, publish
from releasekit.publish import hub as hub_module
from tests.publish_support import (  # noqa: F401 - fixtures
    TOKEN,
    example,
    example_source,
    gh_repo,
    hub_commit_count,
    hub_files,
    hub_repo,
    loopback_only,
    mutations,
    options,
    server,
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def local_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256(p) for p in root.rglob("*") if p.is_file()}


def assert_complete(server, root: Path, *, assets: int = 4) -> None:  # noqa: F811
    """Hub: every file, byte for byte, at main and at the tag; GitHub: one commit, one release, each asset once."""
    files = hub_files(server)
    expected = local_hashes(root)
    assert {p: h for p, h in files.items() if p != ".gitattributes"} == expected
    assert hub_files(server, rev="v1.0") == files
    gh = gh_repo(server)
    releases = [r for r in gh["releases"] if r["tag_name"] == "v1.0"]
    assert len(releases) == 1
    names = [a["name"] for a in releases[0]["assets"]]
    assert len(names) == assets and len(set(names)) == len(names)
    head = gh["refs"]["refs/heads/main"]
    commit = server.store.state["git"][head]
    assert len(commit["parents"]) == 1  # exactly one commit on top of the initial one
    assert server.store.state["git"][commit["parents"][0]]["parents"] == []
    assert gh["refs"]["refs/tags/v1.0"] == head


def test_publish_then_rerun_changes_nothing(server, example):  # noqa: F811
    result = publish(example, options(server))
    assert_complete(server, example)
    assert result.hub_commit == hub_repo(server)["branches"]["main"]
    assert hub_commit_count(server) == 2  # the repository's first commit, then ours
    weights = [p for p in hub_files(server) if p.endswith(".safetensors")]
    assert weights and all(hub_repo(server)["commits"][result.hub_commit]["files"][p]["lfs"] for p in weights)
    message = hub_repo(server)["commits"][result.hub_commit]["title"]
    assert "releasekit" in message and "check pass" in message
    # GitHub got the code and the README, never the weights.
    tree = server.store.state["git"][server.store.state["git"][result.github_commit]["tree"]]["entries"]
    assert "README.md" in tree and not any(name.endswith(".safetensors") for name in tree)
    body = gh_repo(server)["releases"][0]["body"]
    assert "check pass" in body and "lab/model" in body and hub_files(server)["config.json"] in body

    server.clear_log()
    again = publish(example, options(server))
    assert mutations(server) == []
    assert again.plan.hub.commits == () and not again.plan.github.commit_needed
    assert {a.action for a in again.plan.github.assets} == {"skip"}
    assert_complete(server, example)


def test_dry_run_plans_and_changes_nothing(server, example):  # noqa: F811
    result = publish(example, options(server, dry_run=True))
    assert mutations(server) == [] and server.store.state["hub"] == {} and server.store.state["github"] == {}
    lines = "\n".join(result.plan.lines())
    assert "model-00001-of-00002.safetensors" in lines and "LFS" in lines and "would be created" in lines
    publish(example, options(server))
    (example / "train" / "train.py").write_text("print('changed')\n")
    server.clear_log()
    plan = publish(example, options(server, dry_run=True, tag="v1.1")).plan
    assert mutations(server) == []
    uploads = [f.path for f, _ in plan.hub.upload]
    assert uploads == ["train/train.py"]
    assert "skip    model-00001-of-00002.safetensors" in "\n".join(plan.lines())


def test_never_publishes_junk_or_symlinks(server, example):  # noqa: F811
    # A link that leaves the folder is an error finding: the gate refuses it (test_publish_gate).
    (example / "link.txt").symlink_to("LICENSE")
    (example / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (example / "__pycache__").mkdir()
    (example / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"\x00" * 16)
    (example / "notes.txt~").write_text("backup")
    result = publish(example, options(server, github_repo=None, tag=None))
    files = hub_files(server)
    for bad in ("link.txt", ".DS_Store", "__pycache__/model.cpython-311.pyc", "notes.txt~"):
        assert bad not in files
    assert {p for p, _ in result.plan.excluded} >= {"link.txt", ".DS_Store", "notes.txt~"}


def test_commits_are_chunked_and_chained(server, example, monkeypatch):  # noqa: F811
    monkeypatch.setattr(hub_module, "MAX_FILES_PER_COMMIT", 3)
    result = publish(example, options(server, github_repo=None))
    repo = hub_repo(server)
    assert len(result.plan.hub.commits) == 4 and hub_commit_count(server) == 5
    chain, sha = [], repo["branches"]["main"]
    while sha is not None:
        chain.append(repo["commits"][sha])
        sha = chain[-1]["parent"]
    assert [c["title"].rsplit("(", 1)[-1] for c in chain[:4]] == ["part 4/4)", "part 3/4)", "part 2/4)", "part 1/4)"]
    assert "README.md" in chain[0]["files"] and "README.md" not in chain[1]["files"]  # the card goes last
    assert repo["tags"]["v1.0"]["commit"] == repo["branches"]["main"]


HUB_FAULTS = [
    pytest.param("PUT", r"^/_lfs/", dict(kind="drop", after_bytes=100_000), id="hub-drop-mid-lfs-upload"),
    pytest.param("PUT", r"/part/2$", dict(kind="drop", after_bytes=1000), id="hub-drop-mid-multipart"),
    pytest.param("POST", r"/commit/main$", dict(kind="status", status=500), id="hub-commit-500"),
    pytest.param("POST", r"/commit/main$", dict(kind="drop", after_handling=True), id="hub-commit-response-lost"),
    pytest.param("POST", r"/api/repos/create$", dict(kind="status", status=429, retry_after=0), id="hub-create-429"),
    pytest.param("POST", r"/preupload/", dict(kind="status", status=503, retry_after=0), id="hub-preupload-503"),
    pytest.param("POST", r"/tag/", dict(kind="drop", after_handling=True), id="hub-tag-response-lost"),
]
GITHUB_FAULTS = [
    pytest.param("POST", r"/git/blobs$", dict(kind="status", status=500), id="gh-blob-500"),
    pytest.param("PATCH", r"/git/refs/heads/main$", dict(kind="drop", after_handling=True), id="gh-ref-response-lost"),
    pytest.param("POST", r"/releases$", dict(kind="drop", after_handling=True), id="gh-release-response-lost"),
    pytest.param("POST", r"^/api/uploads/", dict(kind="drop", after_bytes=500), id="gh-drop-mid-asset-upload"),
    pytest.param("POST", r"^/api/uploads/", dict(kind="drop", after_handling=True), id="gh-asset-response-lost"),
    pytest.param("POST", r"/orgs/lab/repos$", dict(kind="status", status=429, retry_after=0), id="gh-create-429"),
    pytest.param("GET", r"/releases/tags/", dict(kind="status", status=502), id="gh-read-502"),
]


@pytest.mark.parametrize(("method", "path", "fault"), HUB_FAULTS + GITHUB_FAULTS)
def test_each_fault_ends_complete_and_unduplicated(server, example, method, path, fault):  # noqa: F811
    injected = server.inject(method, path, **fault)
    publish(example, options(server))
    assert injected.fired >= 1, "the fault was never triggered"
    assert_complete(server, example)
    assert hub_commit_count(server) == 2
    assert len(hub_repo(server)["tags"]) == 1


def test_a_hard_failure_then_rerun_uploads_only_what_is_missing(server, example, monkeypatch):  # noqa: F811
    monkeypatch.setattr(hub_module, "MAX_FILES_PER_COMMIT", 4)
    server.inject("POST", r"/commit/main$", kind="status", status=413, skip=1)  # the second commit is refused
    with pytest.raises(PublishError) as caught:
        publish(example, options(server))
    assert "413" in str(caught.value) and "\n" not in str(caught.value)
    committed = set(hub_files(server)) - {".gitattributes"}
    assert len(committed) == 4
    server.clear_log()
    result = publish(example, options(server))
    uploaded = {f.path for f, _ in result.plan.hub.upload}
    assert uploaded == set(local_hashes(example)) - committed
    puts = [r.path for r in server.requests if r.method == "PUT"]
    lfs_committed = {hub_files(server)[p] for p in committed if p.endswith(".safetensors")}
    assert not any(oid in path for path in puts for oid in lfs_committed)
    assert_complete(server, example)


def test_a_409_is_one_clear_line_and_a_rerun_completes(server, example):  # noqa: F811
    server.inject("POST", r"/releases$", kind="status", status=409)
    with pytest.raises(PublishError) as caught:
        publish(example, options(server))
    assert str(caught.value).startswith("GitHub: create release v1.0: 409 conflict")
    publish(example, options(server))
    assert_complete(server, example)


def test_a_concurrent_change_is_an_error_not_an_overwrite(server, example, monkeypatch, tmp_path):  # noqa: F811
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(endpoint=server.hub_url, token=TOKEN)
    api.create_repo("lab/model")
    original = hub_module.HubTarget.execute

    def racing(self, plan, **kwargs):  # someone else commits between the plan and our commit
        other = tmp_path / "other.txt"
        other.write_text("theirs")
        api.create_commit("lab/model", [CommitOperationAdd("config.json", str(other))], commit_message="theirs")
        return original(self, plan, **kwargs)

    monkeypatch.setattr(hub_module.HubTarget, "execute", racing)
    with pytest.raises(PublishError) as caught:
        publish(example, options(server, github_repo=None))
    assert "412" in str(caught.value) or "moved" in str(caught.value)
    files = hub_files(server)
    assert files["config.json"] == hashlib.sha256(b"theirs").hexdigest()  # theirs was not overwritten
    assert "model-00001-of-00002.safetensors" not in files


def test_tag_taken_by_another_revision_is_refused(server, example):  # noqa: F811
    publish(example, options(server, github_repo=None))
    (example / "train" / "train.py").write_text("print('v2')\n")
    with pytest.raises(PublishError, match="tag v1.0 already exists"):
        publish(example, options(server, github_repo=None))


def test_private_repositories_are_created_private(server, example):  # noqa: F811
    publish(example, options(server, private=True))
    assert hub_repo(server)["private"] is True and gh_repo(server)["private"] is True


def test_file_modes_and_multipart_sizes(server, example):  # noqa: F811
    big = example / "extra.safetensors.bin"
    big.write_bytes(os.urandom(5 << 20))  # over the server's multipart threshold (1 MiB)
    (example / "train" / "run.sh").write_text("#!/bin/sh\necho run\n")
    (example / "train" / "run.sh").chmod(0o755)
    publish(example, options(server))
    assert any("/part/" in r.path for r in server.requests)
    assert hub_files(server)["extra.safetensors.bin"] == sha256(big)
    tree = server.store.state["git"][server.store.state["git"][gh_repo(server)["refs"]["refs/heads/main"]]["tree"]]
    train = server.store.state["git"][tree["entries"]["train"][2]]
    assert train["entries"]["run.sh"][0] == "100755"
