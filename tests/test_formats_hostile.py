"""Everything a release controls comes out of every format as inert text (issue 11, class 5).

The release built by `build_hostile` has file names with newlines, workflow commands, HTML,
backticks and pipes, ANSI and bidi controls; a tensor name and card text of the same kind. Each
registered format must have a checker here (a new format cannot skip this test), and every
format must pass the checks common to all: no line that the GitHub runner would take for a
workflow command (other than the github format's own annotations), no raw control character.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt

from releasekit import formats
from releasekit.engine import check_path
from releasekit.formats.escape import md_code, md_text, neutralise_commands, printable
from releasekit.report import Report
from tests.ci_support import HOSTILE_LICENSE, HOSTILE_NAMES, HOSTILE_TENSOR, build_hostile

ANNOTATION = re.compile(r"^::(error|warning|notice) file=[^:,\r\n]*(,line=\d+)?,title=[^:,\r\n]*::[^\r\n]*$")
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Report:
    report = check_path(build_hostile(tmp_path_factory.mktemp("hostile") / "release"))
    paths = {f.path for f in report.findings}
    assert set(HOSTILE_NAMES) <= paths, "every hostile name must reach the report through a finding"
    assert any(HOSTILE_TENSOR.split("\n")[1] in f.message for f in report.findings)
    assert any(HOSTILE_LICENSE in f.message for f in report.findings)
    return report


def _check_text(report: Report, out: str) -> None:
    for name in HOSTILE_NAMES:
        assert neutralise_commands(printable(name)) in out.splitlines(), f"{name!r} is not on a line of its own, escaped"


def _check_json(report: Report, out: str) -> None:
    document = json.loads(out)
    assert {f["path"] for f in document["findings"]} >= set(HOSTILE_NAMES)  # exact round trip


def _check_sarif(report: Report, out: str) -> None:
    results = json.loads(out)["runs"][0]["results"]
    uris = {unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    assert set(HOSTILE_NAMES) <= {u.rsplit("/", 1)[-1] for u in uris}  # percent-encoded, decoded exactly
    assert not any("](" in r["message"]["text"].replace("\\](", "") for r in results)


def _check_markdown(report: Report, out: str) -> None:
    html = MarkdownIt("commonmark").enable("table").render(out)
    for tag in ("<img", "<script", "<a ", "<b>", "<h1", "<h2>## heading"):
        assert tag not in html, tag
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| Severity")
            and not line.startswith("| ---")]
    assert len(rows) == len(report.findings)
    for row in rows:
        assert len(re.split(r"(?<!\\)\|", row)) == 6, row  # four cells, whatever the names hold
    for name in HOSTILE_NAMES:
        span = md_code(f"{name}:1", in_table=True)
        assert span in out, name
    assert "&lt;img src=x onerror=alert(1)&gt;" in out  # the card's license text, as text


def _check_github(report: Report, out: str) -> None:
    commands = [line for line in out.splitlines() if line.lstrip().startswith(("::", "##["))]
    assert len(commands) == len(report.findings)
    for line in commands:
        assert ANNOTATION.match(line), line
    files = {re.search(r"file=([^,]*)", line).group(1) for line in commands}  # type: ignore[union-attr]
    decoded = {f.replace("%3A", ":").replace("%2C", ",").replace("%0D", "\r").replace("%0A", "\n")
               .replace("%25", "%") for f in files}
    for name in HOSTILE_NAMES:
        assert any(d.endswith(printable(name)) for d in decoded), name


CHECKERS: dict[str, Callable[[Report, str], None]] = {
    "text": _check_text, "json": _check_json, "sarif": _check_sarif, "markdown": _check_markdown,
    "github": _check_github,
}


def test_every_registered_format_has_a_hostile_name_checker() -> None:
    assert sorted(CHECKERS) == formats.names()


@pytest.mark.parametrize("name", formats.names())
def test_hostile_release_text_is_inert_in_every_format(hostile: Report, name: str) -> None:
    out = formats.render(hostile, name)
    for line in out.splitlines():
        if line.lstrip().startswith(("::", "##[")):
            assert name == "github" and ANNOTATION.match(line), f"{name}: a line the runner runs: {line!r}"
    assert not RAW_CONTROLS.search(out), f"{name}: raw control character {RAW_CONTROLS.search(out)!r}"
    assert "\r" not in out
    CHECKERS[name](hostile, out)


def test_a_newline_in_a_file_name_cannot_start_a_workflow_command_in_text(run_cli, tmp_path: Path) -> None:
    root = build_hostile(tmp_path / "release")
    result = run_cli("check", root)
    assert result.exit_code == 1
    assert not [line for line in result.stdout.splitlines() if line.lstrip().startswith(("::", "##["))]
    assert "new\\x0aline::error file=x::pwned.py" in result.stdout


def test_markdown_code_spans_survive_backticks() -> None:
    md = MarkdownIt("commonmark")
    for name in ("`", "a`b", "``x``", "` lead", "trail `", "plain", ""):
        html = md.renderInline(md_code(name))
        assert html.startswith("<code>") and html.endswith("</code>"), (name, html)
        inner = html[len("<code>"):-len("</code>")]
        assert inner.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").strip() == name.strip()


def test_markdown_prose_from_a_release_renders_as_plain_text() -> None:
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    for prose in ("[click](http://evil)", "![x](http://evil/i.png)", "<script>alert(1)</script>", "# title",
                  "1. item", "- item", "> quote", "**bold** ~~gone~~", "a | b", "`code`", "&amp; entity",
                  "[ref]: http://evil", "=====", "<http://evil>"):
        html = md.render(f"- {md_text(prose)}\n")
        inner = re.sub(r"^<ul>\n<li>|</li>\n</ul>\n$", "", html)
        assert "<" not in inner.replace("&lt;", ""), (prose, html)
        plain = inner.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
        assert plain == prose, (prose, html)
