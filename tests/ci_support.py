"""Fixture releases and git helpers shared by the CI tests (formats, action, baseline, pre-commit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from releasekit.example import build_example
from tests.builders import safetensors_bytes

EXAMPLE_DATA = Path(__file__).resolve().parent.parent / "releasekit" / "data" / "example"
# A token of the Hugging Face shape (not a live credential): every file holding it is an RK501 error.
TOKEN = "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"

# File names a release controls, each built to break one output syntax.
HOSTILE_NAMES = (
    "new\nline::error file=x::pwned.py",  # a workflow command on a line of its own
    "cr\rreturn.py",
    "::warning::start.py",  # a workflow command at the start of a line
    "##[error]legacy.py",  # the runner's legacy command syntax
    "<img src=x onerror=alert(1)>.py",  # HTML in Markdown
    "`tick`|pipe.py",  # breaks code spans and table cells
    "[link](http:evil).py",  # a Markdown link
    "## heading.py",
    "\x1b[31mred.py",  # ANSI escape
    "\u202eevil.py",  # bidi override
    "sep\u2028line.py",  # Unicode line separator
    "pct%0A,colon:.py",  # workflow-command escapes and property separators
    "[bold]rich[red]markup.py",  # rich console markup in text output
    "trailing-backslash\\",  # escapes whatever follows it in markup languages
)
HOSTILE_TENSOR = "x\n::error::tensor<b>`|"
HOSTILE_LICENSE = "<img src=x onerror=alert(1)>"


def build_hostile(root: Path) -> Path:
    """A release whose file names, tensor name and card text attack every output syntax."""
    root.mkdir(parents=True)
    shutil.copy(EXAMPLE_DATA / "LICENSE", root / "LICENSE")
    for name in HOSTILE_NAMES:
        (root / name).write_text(f"TOKEN = '{TOKEN}'\n", encoding="utf-8")
    (root / "model.safetensors").write_bytes(safetensors_bytes([("w", "F32", [4]), (HOSTILE_TENSOR, "F32", [1])]))
    (root / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 20}, "weight_map": {"w": "model.safetensors"}}))
    (root / "README.md").write_text(f'---\nlicense: "{HOSTILE_LICENSE}"\n---\n# Card\n', encoding="utf-8")
    return root


def pickle_payload() -> bytes:
    """A protocol-2 pickle calling os.system when loaded (built from opcodes, never loaded here)."""
    return b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


def build_pickled(root: Path) -> Path:
    """The example release plus a checkpoint whose pickle runs code."""
    build_example(root)
    (root / "extra.bin").write_bytes(pickle_payload())
    return root


# A global git config that does not exist reads as empty: the tests never see the user's settings.
NO_GIT_CONFIG = Path(tempfile.gettempdir()) / "releasekit-tests-no-such-gitconfig"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": str(NO_GIT_CONFIG), "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def init_repo(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit_all(repo: Path, message: str = "commit") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()
