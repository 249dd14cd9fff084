"""The CLI: refuses a failing release, prints a plan on --dry-run, never leaks a token."""

from __future__ import annotations

import logging

import pytest

from tests.publish_support import (  # noqa: F401 - fixtures
    TOKEN,
    example,
    example_source,
    loopback_only,
    mutations,
    server,
)


def cli_args(server, release, *extra):  # noqa: F811
    return ["publish", str(release), "--hf", "lab/model", "--github", "lab/model", "--tag", "v1.0",
            "--hub-endpoint", server.hub_url, "--github-url", server.github_url, "--no-progress", *extra]


@pytest.fixture
def lfs(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)


def test_refuses_a_release_whose_check_fails(server, example, run_cli, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not part of the release")
    (example / "escape.txt").symlink_to(outside)
    result = run_cli(*cli_args(server, example))
    assert result.exit_code == 1, result
    assert "check failed" in result.stderr and "nothing was published" in result.stderr
    assert "escape.txt" in result.stderr  # the findings are printed
    assert server.requests == []  # not one request reached either service


def test_dry_run_prints_the_plan_and_changes_nothing(server, example, run_cli, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    result = run_cli(*cli_args(server, example, "--dry-run"))
    assert result.exit_code == 0, result
    assert mutations(server) == []
    out = result.stdout
    assert "upload  model-00001-of-00002.safetensors  2155984 bytes  LFS" in out
    assert "upload  config.json" in out and "regular" in out
    assert "Hub lab/model" in out and "would be created" in out and "tag v1.0: would be created" in out
    assert "release v1.0: would be created" in out and "asset upload  SHA256SUMS" in out
    assert "commit 1/1" in out and "dry run: nothing was changed" in out


def test_no_token_appears_anywhere(server, example, run_cli, monkeypatch, caplog, lfs):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    texts = []
    ok = run_cli(*cli_args(server, example))
    assert ok.exit_code == 0, ok
    texts += [ok.stdout, ok.stderr]
    json_run = run_cli(*cli_args(server, example, "--dry-run", "--format", "json"))
    texts += [json_run.stdout, json_run.stderr]
    # A wrong token: the services answer 401, and the error says so without quoting either token.
    wrong = "hf_wrongTokenABCDEF0123456789wrongtoken"
    monkeypatch.setenv("HF_TOKEN", wrong)
    monkeypatch.setenv("GITHUB_TOKEN", wrong)
    refused = run_cli(*cli_args(server, example))
    assert refused.exit_code == 2 and "401 unauthorized" in refused.stderr, refused
    assert len(refused.stderr.strip().splitlines()) == 1
    texts += [refused.stdout, refused.stderr]
    from releasekit.publish import PublishOptions, PublishError, publish

    with pytest.raises(PublishError) as caught:
        publish(example, PublishOptions(hf_repo="lab/model", hub_endpoint=server.hub_url, hf_token=wrong))
    texts += [str(caught.value), repr(caught.value), str(caught.value.__cause__), str(caught.value.__context__)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [str(record.args) for record in caplog.records]
    blob = "\n".join(texts)
    assert TOKEN not in blob and wrong not in blob
    assert TOKEN[4:] not in blob and wrong[4:] not in blob


def test_rehearse_publishes_verifies_and_stops(example, run_cli):  # noqa: F811
    result = run_cli("publish", str(example), "--hf", "lab/model", "--github", "lab/model", "--tag", "v1.0",
                     "--rehearse", "--no-progress")
    assert result.exit_code == 0, result
    assert "rehearsal: verified" in result.stdout and "mismatch" not in result.stdout
    # every file on the Hub, the tag, the tree, the release and its 4 assets (SHA256SUMS, SBOM, source, README)
    count = int(result.stdout.split("rehearsal: verified ")[1].split()[0])
    files = sum(1 for p in example.rglob("*") if p.is_file())
    assert count == files + 1 + 1 + 1 + 4


def test_rehearsal_notices_a_wrong_remote(example, monkeypatch):  # noqa: F811
    from releasekit.publish import PublishOptions
    from releasekit.publish import rehearse as rehearse_module

    original = rehearse_module.publish

    def tampering(root, options):  # the remote ends up with different bytes for one file
        result = original(root, options)
        from huggingface_hub import CommitOperationAdd, HfApi

        api = HfApi(endpoint=options.hub_endpoint, token=options.hf_token)
        api.create_commit(options.hf_repo, [CommitOperationAdd("config.json", b"{}")], commit_message="tamper")
        return result

    monkeypatch.setattr(rehearse_module, "publish", tampering)
    report = rehearse_module.rehearse(example, PublishOptions(hf_repo="lab/model", tag=None))
    assert not report.ok and any("config.json" in m for m in report.mismatches)


def test_progress_bars_cover_the_github_assets_too(example, run_cli):  # noqa: F811
    result = run_cli("publish", str(example), "--hf", "lab/model", "--github", "lab/model", "--tag", "v1.0",
                     "--rehearse", "--progress")
    assert result.exit_code == 0, result
    assert "GitHub SHA256SUMS" in result.stderr and "GitHub README.md" in result.stderr
    quiet = run_cli("publish", str(example), "--hf", "lab/model", "--github", "lab/model", "--tag", "v1.0",
                    "--rehearse", "--no-progress")
    assert "GitHub SHA256SUMS" not in quiet.stderr
