"""No output format ever carries a planted secret: text, JSON, SARIF, Markdown, via the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit import formats
from test_secrets_samples import SAMPLES, Sample

FORMATS = formats.names()


def _assert_absent(secrets: tuple[str, ...], *outputs: str) -> None:
    for secret in secrets:
        for output in outputs:
            assert secret not in output


def test_every_output_format_is_covered() -> None:
    # A format added later must be added to this matrix (it is: FORMATS comes from the registry).
    assert {"text", "json", "sarif", "markdown"} <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_planted_secret_never_appears_in_output(sample: Sample, fmt: str, make_release, run_cli) -> None:
    root = make_release({sample.filename: sample.content})
    result = run_cli("check", root, "--format", fmt)
    assert result.exit_code == 1, result
    assert sample.rule in result.stdout
    _assert_absent(sample.secrets, result.stdout, result.stderr)
    if sample.shown is not None:
        assert sample.shown + "…[redacted]" in result.stdout
    else:
        assert "[redacted]" in result.stdout or sample.rule == "RK511"


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_file_written_with_output_option_is_clean(fmt: str, make_release, run_cli, tmp_path: Path) -> None:
    files = {f"{s.name}/{s.filename}": s.content for s in SAMPLES}  # every sample in one release
    root = make_release(files)
    out = tmp_path / f"report.{fmt}"
    result = run_cli("check", root, "--format", fmt, "--output", out)
    assert result.exit_code == 1
    written = out.read_text(encoding="utf-8")
    for sample in SAMPLES:
        _assert_absent(sample.secrets, written, result.stdout, result.stderr)
    if fmt == "json":
        found = {(f["rule"], f["path"].split("/")[0]) for f in json.loads(written)["findings"]}
        assert {(s.rule, s.name) for s in SAMPLES} <= found


@pytest.mark.parametrize("select", [None, "hygiene", "RK603"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_secret_quoted_by_another_rule_is_redacted(select: str | None, fmt: str, make_release, run_cli) -> None:
    # A token inside a local path: the hygiene rule quotes the path, the engine (or, when the
    # secrets check is not selected, the hygiene rule itself) must redact it.
    token = next(s for s in SAMPLES if s.name == "huggingface").secrets[0]
    root = make_release({"config.json": {"_name_or_path": f"/home/alice/{token}/ckpt", "hidden_size": 8}})
    (root / "weights").symlink_to(f"/home/alice/{token}/weights")
    args = ["check", root, "--format", fmt] + (["--select", select] if select else [])
    result = run_cli(*args)
    assert "RK603" in result.stdout
    assert token not in result.stdout and token not in result.stderr
    assert token[:4] + "…[redacted]" in result.stdout
