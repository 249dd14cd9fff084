"""The README's five-minute walkthrough runs as written: every `<!-- walkthrough -->` bash block, in
order, in an empty folder, each command exiting with the status its comment documents (0 unless
`# exit N` says otherwise). A new user follows the README alone, so the README must not rot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARK = "<!-- walkthrough -->"
README = (ROOT / "README.md").read_text(encoding="utf-8")
_BLOCK = re.compile(re.escape(MARK) + r"\s*\n```bash\n(.*?)\n```", re.S)
_HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
_EXIT = re.compile(r"#[^'\"]*\bexit (\d+)")
_STATUS = re.compile(r"^WALKTHROUGH (\d+) (-?\d+)$", re.M)


def walkthrough_blocks(text: str) -> list[str]:
    return _BLOCK.findall(text)


def commands(block: str) -> list[tuple[str, int]]:
    """Split a block into (command, expected exit status); a heredoc's body belongs to its command."""
    lines, out = block.splitlines(), []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        unit = [line]
        heredoc = _HEREDOC.search(line)
        if heredoc:
            while i < len(lines):
                unit.append(lines[i])
                i += 1
                if lines[i - 1].strip() == heredoc.group(1):
                    break
        expected = _EXIT.search(line)
        out.append(("\n".join(unit), int(expected.group(1)) if expected else 0))
    return out


def script(steps: list[tuple[str, int]]) -> str:
    """One bash script: each command runs in the same shell (so state carries), its status is echoed."""
    parts = ["set -o pipefail"]
    for n, (command, _) in enumerate(steps):
        parts.append(f"{{\n{command}\n}}\necho \"WALKTHROUGH {n} $?\"")
    return "\n".join(parts) + "\n"


def test_the_walkthrough_is_marked_and_parses() -> None:
    blocks = walkthrough_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "the README's walkthrough blocks lost their <!-- walkthrough --> marks"
    steps = [step for block in blocks for step in commands(block)]
    text = "\n".join(command for command, _ in steps)
    for needed in ("python -m releasekit.example", "releasekit check", "releasekit card", "releasekit sbom",
                   "releasekit checksums", "releasekit sign", "releasekit verify", "releasekit publish"):
        assert needed in text, needed
    assert any(status == 1 for _, status in steps), "the walkthrough shows a failing check"
    assert commands("cat > f <<'EOF'\nx = 1  # exit 3\nEOF\nfalse  # exit 1: why") == [
        ("cat > f <<'EOF'\nx = 1  # exit 3\nEOF", 0), ("false  # exit 1: why", 1)]


@pytest.mark.timeout(900)
def test_the_walkthrough_runs_as_documented(tmp_path: Path) -> None:
    """Runs every step, the publish rehearsal included (it needs `releasekit publish`)."""
    steps = [step for block in walkthrough_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
             for step in commands(block)]
    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELEASEKIT_", "HF_", "GITHUB_", "GH_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               XDG_CACHE_HOME=str(home / ".cache"), NO_COLOR="1", HF_HUB_DISABLE_TELEMETRY="1")
    done = subprocess.run(["bash", "-c", script(steps)], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=840)
    statuses = {int(n): int(rc) for n, rc in _STATUS.findall(done.stdout)}
    log = done.stdout[-4000:]
    shown = re.search(r"\*\*3\. Read the findings\.\*\*.*?```text\n(.*?)```", README, re.S).group(1)
    for line in shown.splitlines():  # the findings the README shows are the ones the check printed
        rule = re.search(r"\b(RK\d{3})\b", line)
        if rule:
            assert re.search(rf"{rule.group(1)} {re.escape(line.split(rule.group(1), 1)[1].strip()[:40])}", done.stdout), line
    for n, (command, expected) in enumerate(steps):
        assert n in statuses, f"the walkthrough stopped before: {command}\n{log}"
        assert statuses[n] == expected, f"`{command.splitlines()[0]}` exited {statuses[n]}, the README says {expected}\n{log}"
