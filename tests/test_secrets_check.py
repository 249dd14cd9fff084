"""The secrets check over release folders: which files are read, notebooks, limits, settings."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from releasekit.context import Context
from releasekit.engine import check_path
from releasekit.findings import Severity
from releasekit.report import Report
from test_secrets_samples import SAMPLES, Sample

GITHUB = next(s for s in SAMPLES if s.name == "github-ghp")
HF = next(s for s in SAMPLES if s.name == "huggingface")
TOKEN = GITHUB.secrets[0]


def secrets_report(root: Path) -> Report:
    return check_path(root, select="secrets")


def rules_at(report: Report, path: str) -> list[str]:
    return [f.rule for f in report.findings if f.path == path]


def notebook(*cells: dict, **top: object) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **top}


def code_cell(source: str, *outputs: dict) -> dict:
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": source.splitlines(True),
            "outputs": list(outputs)}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_each_planted_credential_fails_the_check_with_its_rule_and_line(sample: Sample, make_release) -> None:
    root = make_release({sample.filename: sample.content})
    report = secrets_report(root)
    found = [f for f in report.findings if f.rule == sample.rule]
    assert found and report.failed
    assert all(f.severity is Severity.ERROR for f in found)
    first_line = next(i for i, line in enumerate(sample.content.split("\n"), 1)
                      if any(v in line for v in sample.secrets) or line.startswith("-----BEGIN"))
    assert found[0].line == first_line


def test_a_clean_release_passes(make_release) -> None:
    root = make_release({
        "config.json": {"architectures": ["DeepseekV3ForCausalLM"], "hidden_size": 7168},
        "README.md": "# Model\n\nLoad it with `hf_hub_download`. Set HF_TOKEN=<your-token> first.\n",
        "model.safetensors.index.json": {"metadata": {"sha256": "ab" * 32}, "weight_map": {}},
        "inference/generate.py": "import os\ntoken = os.environ['HF_TOKEN']\n",
    })
    assert secrets_report(root).findings == ()


def test_repeated_token_is_one_finding_that_counts_the_others(make_release) -> None:
    root = make_release({"a.py": f"A = '{TOKEN}'\nB = '{TOKEN}'\nC = '{TOKEN}'\n"})
    [finding] = secrets_report(root).findings
    assert finding.line == 1 and "2 more times" in finding.message


def test_message_shows_first_four_characters_and_how_to_revoke(make_release) -> None:
    root = make_release({"a.py": f"A = '{TOKEN}'\n"})
    [finding] = secrets_report(root).findings
    assert TOKEN[:4] + "…[redacted]" in finding.message
    assert TOKEN[4:8] not in finding.message
    assert "github.com/settings/tokens" in finding.message


def test_lone_aws_key_id_is_a_warning_and_a_pair_an_error(make_release) -> None:
    pair = next(s for s in SAMPLES if s.name == "aws-pair")
    key_id = pair.secrets[0]
    root = make_release({"lone.ini": f"aws_access_key_id = {key_id}\n", "pair.ini": pair.content})
    report = secrets_report(root)
    assert [f.severity for f in report.findings if f.path == "lone.ini"] == [Severity.WARNING]
    assert {f.severity for f in report.findings if f.path == "pair.ini"} == {Severity.ERROR}
    assert len(rules_at(report, "pair.ini")) == 2


# Notebooks -----------------------------------------------------------------------------------


def test_notebook_token_in_source_and_output_named_by_cell_with_raw_line(make_release) -> None:
    nb = notebook(
        code_cell("print('hello')\n"),
        code_cell("import os\n", {"output_type": "stream", "name": "stdout", "text": [f"login ok {TOKEN}\n"]}),
        code_cell(f"HF = '{HF.secrets[0]}'\n"),
    )
    raw = json.dumps(nb, indent=1)
    root = make_release({"demo.ipynb": raw})
    by_rule = {f.rule: f for f in secrets_report(root).findings}
    github, hf = by_rule["RK502"], by_rule["RK501"]
    assert "cell 2 output 1" in github.message and "clear the notebook's outputs" in github.message
    assert "cell 3 source" in hf.message
    lines = raw.split("\n")
    assert TOKEN in lines[github.line - 1] and HF.secrets[0] in lines[hf.line - 1]


@pytest.mark.parametrize("output", [
    {"output_type": "error", "ename": "HTTPError", "evalue": "401",
     "traceback": ["\x1b[0;31mHTTPError\x1b[0m", f"token={TOKEN}"]},
    {"output_type": "execute_result", "execution_count": 1, "metadata": {},
     "data": {"text/plain": [f"'{TOKEN}'"], "text/html": [f"<pre>{TOKEN}</pre>"]}},
    {"output_type": "display_data", "metadata": {}, "data": {"application/json": {"token": TOKEN}}},
], ids=["traceback", "execute-result", "json-output"])
def test_notebook_outputs_of_every_kind_are_scanned(output: dict, make_release) -> None:
    root = make_release({"nb.ipynb": notebook(code_cell("x\n", output))})
    assert rules_at(secrets_report(root), "nb.ipynb") == ["RK502"]


def test_notebook_image_payloads_are_skipped_even_if_token_shaped(make_release) -> None:
    # A token hidden inside a base64 image payload is not text a person could have leaked.
    png = base64.b64encode(os.urandom(3000)).decode()
    nb = notebook(code_cell("plot()\n", {
        "output_type": "display_data", "metadata": {},
        "data": {"image/png": png[:1000] + "/" + TOKEN + "/" + png[1000:], "text/plain": ["<Figure>"]},
    }))
    root = make_release({"plots.ipynb": nb})
    assert secrets_report(root).findings == ()


def test_notebook_format_3_worksheets_are_scanned(make_release) -> None:
    nb = {"worksheets": [{"cells": [{"cell_type": "code", "input": ["x = 1\n"], "language": "python",
                                     "outputs": [{"output_type": "stream", "text": [TOKEN]}]}]}],
          "metadata": {}, "nbformat": 3, "nbformat_minor": 0}
    root = make_release({"old.ipynb": nb})
    [finding] = secrets_report(root).findings
    assert finding.rule == "RK502" and "cell 1 output 1" in finding.message


def test_invalid_notebook_is_scanned_as_text_and_said_so(make_release) -> None:
    root = make_release({"broken.ipynb": '{"cells": [ {"source": "' + TOKEN + '"\n'})
    report = secrets_report(root)
    assert sorted(rules_at(report, "broken.ipynb")) == ["RK502", "RK520"]
    info = next(f for f in report.findings if f.rule == "RK520")
    assert info.severity is Severity.INFO and "not valid JSON" in info.message


# What is read, and how much ------------------------------------------------------------------


def test_binary_and_weight_files_are_not_read(make_release) -> None:
    payload = f"junk {TOKEN} junk".encode()
    root = make_release({
        "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + payload,
        "pytorch_model.bin": b"\x80\x02" + payload,
        "blob.dat2": b"\x00\x01\x02" + payload,
        "image.png": payload,
    })
    assert secrets_report(root).findings == ()


def test_utf16_text_is_decoded(make_release) -> None:
    root = make_release({"notes.txt": ("token " + TOKEN + "\n").encode("utf-16")})
    assert rules_at(secrets_report(root), "notes.txt") == ["RK502"]


def test_huge_file_is_scanned_up_to_the_limit_and_says_so(make_release) -> None:
    filler = "x = 1\n" * 400  # 2400 bytes
    root = make_release({
        "releasekit.toml": "[secrets]\nmax-bytes = 2048\n",
        "early.jsonl": f'{{"t": "{TOKEN}"}}\n' + filler,
        "late.jsonl": filler + f'{{"t": "{HF.secrets[0]}"}}\n',
    })
    report = secrets_report(root)
    assert sorted(rules_at(report, "early.jsonl")) == ["RK502", "RK520"]
    assert rules_at(report, "late.jsonl") == ["RK520"]
    info = next(f for f in report.findings if f.path == "late.jsonl")
    assert info.severity is Severity.INFO
    assert "2 KiB" in info.message and "max-bytes" in info.message


def test_oversized_notebook_is_scanned_as_text_prefix(make_release) -> None:
    nb = json.dumps(notebook(code_cell(f"t = '{TOKEN}'\n" + "y = 2\n" * 300)))
    root = make_release({"releasekit.toml": "[secrets]\nnotebook-max-bytes = 1024\n", "big.ipynb": nb})
    report = secrets_report(root)
    assert sorted(rules_at(report, "big.ipynb")) == ["RK502", "RK520"]
    assert "notebook-max-bytes" in next(f.message for f in report.findings if f.rule == "RK520")


def test_symlinked_file_is_never_read(make_release, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(f"token {TOKEN}\n")
    root = make_release({"README.md": "# model\n"})
    (root / "link.txt").symlink_to(outside)
    assert secrets_report(root).findings == ()


def test_unreadable_file_is_reported_not_skipped(make_release, monkeypatch) -> None:
    root = make_release({"a.py": "x = 1\n", "b.py": f"t = '{TOKEN}'\n"})
    real = Context.read_bytes

    def read_bytes(self, file, limit=Context.read_bytes.__defaults__[0]):  # type: ignore[no-untyped-def]
        if file.path == "a.py":
            raise PermissionError(13, "Permission denied")
        return real(self, file, limit)

    monkeypatch.setattr(Context, "read_bytes", read_bytes)
    report = secrets_report(root)
    [unread] = [f for f in report.findings if f.path == "a.py"]
    assert unread.rule == "RK520" and unread.severity is Severity.WARNING and "Permission denied" in unread.message
    assert rules_at(report, "b.py") == ["RK502"]


# .env files -----------------------------------------------------------------------------------


def test_env_file_is_a_warning_and_its_secret_values_errors(make_release) -> None:
    dotenv = next(s for s in SAMPLES if s.name == "dotenv")
    root = make_release({".env": dotenv.content, ".env.example": "DB_PASSWORD=<password>\nHF_TOKEN=\n"})
    report = secrets_report(root)
    assert sorted(rules_at(report, ".env")) == ["RK513", "RK514"]
    assert rules_at(report, ".env.example") == []


def test_real_token_in_an_example_env_file_is_still_found(make_release) -> None:
    root = make_release({".env.example": f"HF_TOKEN={HF.secrets[0]}\n"})
    assert rules_at(secrets_report(root), ".env.example") == ["RK501"]


# Settings -------------------------------------------------------------------------------------


def test_exclude_setting_skips_matching_paths(make_release) -> None:
    root = make_release({
        "releasekit.toml": '[secrets]\nexclude = ["tests/fixtures/", "*.golden"]\n',
        "tests/fixtures/creds.py": f"T = '{TOKEN}'\n",
        "out.golden": f"T = '{TOKEN}'\n",
        "src/app.py": f"T = '{TOKEN}'\n",
    })
    assert [f.path for f in secrets_report(root).findings] == ["src/app.py"]


@pytest.mark.parametrize(("toml", "expected"), [
    ('max-bytes = "big"', "[secrets] max-bytes must be a positive integer"),
    ("max-bytes = 0", "[secrets] max-bytes must be a positive integer"),
    ("notebook-max-bytes = true", "[secrets] notebook-max-bytes must be a positive integer"),
    ("exclude = 3", "[secrets] exclude must be a string or a list of non-empty strings"),
    ("maxbytes = 10", "[secrets]: unknown setting 'maxbytes'"),
])
def test_bad_settings_are_usage_errors(toml: str, expected: str, make_release, run_cli) -> None:
    """A typo must not make the scan read less in silence: the run stops (exit 2) naming file and key."""
    root = make_release({"releasekit.toml": f"[secrets]\n{toml}\n", "a.py": f"T = '{TOKEN}'\n"})
    result = run_cli("check", root, "--select", "secrets")
    assert result.exit_code == 2 and f"releasekit.toml: {expected}" in result.stderr, result
    assert TOKEN not in result.stdout + result.stderr


def test_summary_section_says_what_the_scan_covered(make_release, run_cli) -> None:
    root = make_release({
        "releasekit.toml": '[secrets]\nexclude = ["vendor/"]\n',
        "a.py": f"T = '{TOKEN}'\n",
        "model.safetensors": b"\x02\x00\x00\x00\x00\x00\x00\x00{}",
        "vendor/b.py": "x = 1\n",
    })
    result = run_cli("check", root, "--select", "secrets", "--format", "json")
    section = result.json()["sections"]["secrets"]
    assert section == {"text_files": 2, "text_bytes": (root / "a.py").stat().st_size
                       + (root / "releasekit.toml").stat().st_size, "binary_files": 1, "excluded_files": 1,
                       "partly_scanned": 0, "unreadable": 0, "credentials": 1}
    text = run_cli("check", root, "--select", "secrets").stdout
    assert "2 text file(s) scanned" in text and "1 credential(s) found" in text and TOKEN not in text
