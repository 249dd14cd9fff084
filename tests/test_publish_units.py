"""Planning rules that need no server: commit sizes, asset limits, escaping in the release notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.publish import AssetTooLargeError, publish
from releasekit.publish import github as github_module
from releasekit.publish import hub as hub_module
from releasekit.publish.files import LocalFile
from releasekit.publish.notes import md, render
from tests.publish_support import example, example_source, loopback_only, mutations, options, server  # noqa: F401


def local(path: str, size: int) -> LocalFile:
    return LocalFile(path, Path(path), size, "0" * 64, "0" * 40)


def test_batches_respect_file_count_and_inline_payload(monkeypatch):
    monkeypatch.setattr(hub_module, "MAX_FILES_PER_COMMIT", 2)
    monkeypatch.setattr(hub_module, "MAX_REGULAR_BYTES", 100)
    upload = [(local("README.md", 10), False), (local("a.py", 60), False), (local("b.py", 60), False),
              (local("w1.safetensors", 10**9), True), (local("w2.safetensors", 10**9), True)]
    commits = hub_module.batches(upload)
    assert all(len(c) <= 2 for c in commits)
    assert all(sum(f.size for f in c if not f.path.endswith(".safetensors")) <= 100 for c in commits)
    assert commits[-1][-1].path == "README.md"
    assert sorted(f.path for c in commits for f in c) == sorted(f.path for f, _ in upload)


def test_assets_over_the_github_limit_are_refused_before_any_upload(server, example, monkeypatch):  # noqa: F811
    monkeypatch.setattr(github_module, "ASSET_LIMIT", 1000)  # the source archive is larger than this
    with pytest.raises(AssetTooLargeError, match="over the 2 GiB limit"):
        publish(example, options(server))
    assert mutations(server) == []


def test_release_notes_escape_what_the_release_controls(tmp_path):
    (tmp_path / "config.json").write_text('{"architectures": ["<script>alert(1)</script>"], "model_type": "[x](http://evil)"}')
    text = render(name="m", tag="v1", root=tmp_path, hub_repo="lab/m", hub_url="http://127.0.0.1/lab/m",
                  verdict="check pass", checksums=[("a|b`c.py", 3, "ab" * 32)], version="0")
    assert "<script>" not in text and "](http://evil)" not in text
    assert "a|b`c.py" not in text and "abab" in text
    assert md("<b>") == "\\<b\\>"


def test_release_notes_refuse_missing_values(tmp_path):
    import jinja2

    with pytest.raises(TypeError):
        render(name="m", tag="v1", root=tmp_path)  # type: ignore[call-arg]
    assert jinja2.StrictUndefined  # the template environment is strict (see notes.render)
