"""`--format github`: one workflow command per finding, escaped as the runner decodes it."""

from __future__ import annotations

import re
from pathlib import Path

from releasekit.formats.escape import github_data, github_property
from tests.ci_support import TOKEN, init_repo

COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _decode(text: str) -> str:
    """What the runner does to a command's message or property (actions/runner ActionCommand)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def _commands(stdout: str) -> list[dict[str, str]]:
    out = []
    for line in stdout.splitlines():
        match = COMMAND.match(line)
        if match:
            props = dict(p.split("=", 1) for p in match.group("props").split(","))
            out.append({"level": match.group("level"), "message": _decode(match.group("message")),
                        **{k: _decode(v) for k, v in props.items()}})
    return out


def test_annotations_name_file_line_and_rule_relative_to_the_repository(run_cli, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    root = repo / "models" / "v1"
    (root / "train").mkdir(parents=True)
    (root / "train" / "run.py").write_text(f"import os\n\nTOKEN = '{TOKEN}'\n")
    result = run_cli("check", root, "--format", "github")
    assert result.exit_code == 1
    commands = _commands(result.stdout)
    secret = next(c for c in commands if c["title"].startswith("RK501"))
    assert secret == {"level": "error", "file": "models/v1/train/run.py", "line": "3", "title": "RK501 (secrets)",
                      "message": secret["message"]}
    assert TOKEN not in result.stdout and "hf_Y…[redacted]" in secret["message"]
    card = [c for c in commands if c["title"].startswith("RK401")]  # no card: about the whole release
    assert card and card[0]["level"] == "error" and "line" not in card[0]
    assert card[0]["file"] == "models/v1/train/run.py"  # no card, config or license: its first file
    assert result.stdout.rstrip().splitlines()[-1].startswith("FAIL: ")


def test_levels_follow_severity(run_cli, tmp_path: Path) -> None:
    root = tmp_path / "release"
    root.mkdir()
    (root / "notes.txt").write_text("hello\n")
    levels = {c["title"].split()[0]: c["level"] for c in _commands(run_cli("check", root, "--format", "github").stdout)}
    assert levels["RK401"] == "error" and levels["RK701"] == "notice"


def test_escaping_matches_the_runner() -> None:
    assert github_data("50% done\r\nnext") == "50%25 done\\x0d\\x0anext"  # one line, visibly escaped
    assert github_property("a:b,c%d") == "a%3Ab%2Cc%25d"
    for hostile in ("x::error::y", "a,line=9,title=z", "p%0Aq", "::warning file=a::b"):
        assert _decode(github_property(hostile)) == hostile
        assert _decode(github_data(hostile)) == hostile
        assert "," not in github_property(hostile) and ":" not in github_property(hostile)
