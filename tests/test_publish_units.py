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


class FakeResponse:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code, self.headers = status, headers or {}


class FakeHttpError(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status} for https://example.invalid/?token=secret-token-value")
        self.response = FakeResponse(status, headers)


def caller(sleeps: list[float]):
    from releasekit.publish.retry import Caller
    from releasekit.publish.tokens import Redactor

    return Caller("Hub", "HF_TOKEN", Redactor("secret-token-value"), retries=3, base_wait=0.5, sleep=sleeps.append)


def test_retry_honours_retry_after_and_backs_off_on_5xx():
    sleeps: list[float] = []
    answers = iter([FakeHttpError(429, {"Retry-After": "7"}), FakeHttpError(503), FakeHttpError(502), "done"])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert caller(sleeps)("commit", flaky) == "done"
    assert sleeps == [7.0, 1.0, 2.0]  # Retry-After, then exponential backoff from base_wait


@pytest.mark.parametrize("status", [401, 403, 404, 409, 413])
def test_client_errors_are_one_clear_line_without_retry_or_token(status):
    from releasekit.publish import PublishError

    sleeps: list[float] = []

    def refused():
        raise FakeHttpError(status)

    with pytest.raises(PublishError) as caught:
        caller(sleeps)("commit to lab/m", refused)
    text = str(caught.value)
    assert sleeps == [] and "\n" not in text and text.startswith(f"Hub: commit to lab/m: {status}")
    assert "secret-token-value" not in text
