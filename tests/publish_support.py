"""Fixtures for the publish tests: a local server, the example release, and a guard that makes
any connection outside loopback fail the test (no test may touch the network)."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.devserver import DevServer
from releasekit.example import build_example
from releasekit.publish import PublishOptions

TOKEN = "hf_publishTestToken0123456789abcdefXYZ"
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
READ_ONLY_POSTS = ("/preupload/", "/api/validate-yaml")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a test tried to reach {host}: tests never touch the network")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevServer]:
    with DevServer(tmp_path / "remote", token=TOKEN, multipart_threshold=1 << 20, multipart_chunk=512 << 10) as srv:
        yield srv


@pytest.fixture(scope="session")
def example_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_example(tmp_path_factory.mktemp("example") / "example-release")


@pytest.fixture
def example(example_source: Path, tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "example-release"
    shutil.copytree(example_source, dest)
    return dest


def options(server: DevServer, **overrides: object) -> PublishOptions:
    base = PublishOptions(hf_repo="lab/model", github_repo="lab/model", tag="v1.0", hub_endpoint=server.hub_url,
                          github_url=server.github_url, hf_token=TOKEN, github_token=TOKEN, lfs_only=True,
                          retry_base=0.01)
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def mutations(server: DevServer) -> list[tuple[str, str]]:
    """Requests that change remote state (not the read-only POSTs such as preupload)."""
    return [(r.method, r.path) for r in server.requests
            if r.method in MUTATING and not any(p in r.path for p in READ_ONLY_POSTS)]


def hub_repo(server: DevServer, repo: str = "lab/model") -> dict:
    return server.store.state["hub"][repo]


def hub_files(server: DevServer, repo: str = "lab/model", rev: str = "main") -> dict[str, str]:
    """path -> sha256 of the bytes the server stores at `rev`."""
    state = hub_repo(server, repo)
    commit = state["branches"].get(rev) or state["tags"][rev]["commit"]
    return {p: e["sha256"] for p, e in state["commits"][commit]["files"].items()}


def hub_commit_count(server: DevServer, repo: str = "lab/model") -> int:
    return len(hub_repo(server, repo)["commits"])


def gh_repo(server: DevServer, repo: str = "lab/model") -> dict:
    return server.store.state["github"][repo]
