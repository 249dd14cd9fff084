"""The pre-commit hook, run through the real `pre-commit` tool on a temporary git repository.

The hook repository is a local git repository holding this checkout's .pre-commit-hooks.yaml
(no network). The manifest's `language: python` would build a virtualenv from PyPI, so the
test's config overrides the language to `system` (pre-commit allows that override) and puts this
checkout's `releasekit` on PATH; id, entry, file passing and everything else come from the manifest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from releasekit.example import build_example
from tests.ci_support import NO_GIT_CONFIG, TOKEN, commit_all, git, init_repo

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_CONFIG_GLOBAL": str(NO_GIT_CONFIG),
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "NO_COLOR": "1",
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    hooks = init_repo(tmp_path / "hooks")
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks / ".pre-commit-hooks.yaml")
    rev = commit_all(hooks, "hooks")
    repo = init_repo(tmp_path / "project")
    config = {"repos": [{"repo": str(hooks), "rev": rev, "hooks": [{"id": "releasekit", "language": "system"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=_env(tmp_path),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return repo


def _commit(repo: Path, tmp_path: Path, message: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", "-A")
    return subprocess.run(["git", "commit", "-m", message], cwd=repo, env=_env(tmp_path), capture_output=True,
                          text=True, check=False, timeout=300)


def test_the_manifest_runs_the_fast_rules_on_the_files_being_committed() -> None:
    (hook,) = MANIFEST
    assert hook["id"] == "releasekit" and hook["entry"] == "releasekit pre-commit"
    assert hook["language"] == "python" and hook["pass_filenames"] is True


def test_the_hook_passes_a_clean_commit_and_blocks_one_that_adds_a_token(project: Path, tmp_path: Path) -> None:
    build_example(project / "release-files")
    for item in (project / "release-files").iterdir():
        item.rename(project / item.name)
    (project / "release-files").rmdir()
    clean = _commit(project, tmp_path, "release")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "releasekit (secrets, hygiene, card, license)" in clean.stdout + clean.stderr
    head = git(project, "rev-parse", "HEAD")

    (project / "train" / "upload.py").write_text(f"import os\n\nHF_TOKEN = '{TOKEN}'\n")
    blocked = _commit(project, tmp_path, "add a token")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert "RK501" in output and "train/upload.py" in output and TOKEN not in output
    assert git(project, "rev-parse", "HEAD") == head  # nothing was committed

    (project / "train" / "upload.py").write_text("import os\n\nHF_TOKEN = os.environ['HF_TOKEN']\n")
    fixed = _commit(project, tmp_path, "read the token from the environment")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_the_card_rules_run_when_the_card_is_committed(project: Path, tmp_path: Path) -> None:
    build_example(project / "x")
    for item in (project / "x").iterdir():
        item.rename(project / item.name)
    (project / "x").rmdir()
    assert _commit(project, tmp_path, "release").returncode == 0
    card = project / "README.md"
    card.write_text(card.read_text().replace("license: mit", "license: not-a-license"))
    blocked = _commit(project, tmp_path, "break the card")
    assert blocked.returncode != 0 and "RK404" in blocked.stdout + blocked.stderr
