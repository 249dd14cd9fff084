"""The composite action and the example workflow, run as the GitHub runner would run them.

`ActionRunner` reads action.yml and runs each `run:` step with `bash --noprofile --norc -eo
pipefail` (the runner's bash), with the step's `env:` evaluated from the inputs, fresh
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files per step, and GITHUB_WORKSPACE, GITHUB_ACTION_PATH and
RUNNER_TEMP pointed at temporary paths. `uses:` steps (setup-python, upload-sarif) are recorded
with their evaluated `with:`, not run. Installing from PyPI needs the network, so `python3` is a
shim: `python3 -m venv DIR` makes DIR/bin/python and DIR/bin/releasekit run this checkout, and
`DIR/bin/python -m pip install ...` records what it was asked to install.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from releasekit.example import build_example
from tests.ci_support import TOKEN, commit_all, init_repo

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
WORKFLOW = yaml.safe_load((ROOT / "examples" / "workflows" / "release.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
BIN = Path(sys.executable).parent

PYTHON3_SHIM = f"""#!/bin/bash
# python3 -m venv DIR: a "venv" whose python and releasekit are this checkout's.
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  cat > "$3/bin/python" <<'EOS'
#!/bin/bash
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> "$RUNNER_TEMP/pip-calls"; exit 0; fi
exec {sys.executable} "$@"
EOS
  chmod +x "$3/bin/python"
  ln -s {BIN / "releasekit"} "$3/bin/releasekit"
  exit 0
fi
exec {sys.executable} "$@"
"""


class ActionRunner:
    def __init__(self, tmp: Path, workspace: Path) -> None:
        self.tmp, self.workspace = tmp, workspace
        self.runner_temp = tmp / "runner-temp"
        self.runner_temp.mkdir()
        shims = tmp / "shims"
        shims.mkdir()
        (shims / "python3").write_text(PYTHON3_SHIM)
        (shims / "python3").chmod(0o755)
        self.path = f"{shims}:{os.environ['PATH']}"
        self.steps: dict[str, dict[str, str]] = {}
        self.log: list[dict[str, Any]] = []
        self.summary = ""

    def evaluate(self, expression: str, inputs: dict[str, str]) -> Any:
        """The few expression forms action.yml uses: inputs, step outputs, ==, !=, &&, always()."""
        values: dict[str, Any] = {"True": True}

        def bind(value: str) -> str:
            values[f"v{len(values)}"] = value
            return f"v{len(values) - 1}"

        python = expression.replace("&&", " and ").replace("||", " or ").replace("always()", "True")
        python = re.sub(r"inputs\.([\w-]+)", lambda m: bind(inputs[m.group(1)]), python)
        python = re.sub(r"steps\.([\w-]+)\.outputs\.([\w-]+)",
                        lambda m: bind(self.steps.get(m.group(1), {}).get(m.group(2), "")), python)
        assert re.fullmatch(r"[\w\s'=!]*", python), f"unsupported expression {expression!r}"
        return eval(python, {"__builtins__": {}}, values)  # noqa: S307 - our own action.yml

    def substitute(self, text: str, inputs: dict[str, str]) -> str:
        return EXPRESSION.sub(lambda m: str(self.evaluate(m.group(1), inputs)), text)

    def run(self, **given: str) -> dict[str, Any]:
        unknown = set(given) - set(ACTION["inputs"])
        assert not unknown, f"not inputs of action.yml: {unknown}"
        inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()} | given
        failed = False
        for number, step in enumerate(ACTION["runs"]["steps"]):
            condition = step.get("if")
            if condition is not None:
                run_it = bool(self.evaluate(EXPRESSION.fullmatch(condition.strip()).group(1), inputs))  # type: ignore[union-attr]
            else:
                run_it = not failed
            if not run_it:
                self.log.append({"name": step["name"], "skipped": True})
                continue
            if "uses" in step:
                self.log.append({"name": step["name"], "uses": step["uses"],
                                 "with": {k: self.substitute(str(v), inputs) for k, v in step.get("with", {}).items()}})
                continue
            assert step["shell"] == "bash" and "${{" not in step["run"], "inputs reach scripts through env only"
            output, summary = self.tmp / f"output-{number}", self.tmp / f"summary-{number}"
            env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
            env |= {"PATH": self.path, "GITHUB_WORKSPACE": str(self.workspace), "GITHUB_ACTION_PATH": str(ROOT),
                    "RUNNER_TEMP": str(self.runner_temp), "GITHUB_OUTPUT": str(output),
                    "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true", "NO_COLOR": "1"}
            env |= {k: self.substitute(str(v), inputs) for k, v in step.get("env", {}).items()}
            script = self.tmp / f"step-{number}.sh"
            script.write_text(step["run"])
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env=env,
                                  cwd=self.workspace, capture_output=True, text=True, timeout=300, check=False)
            outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
            if "id" in step:
                self.steps[step["id"]] = outputs
            self.summary += summary.read_text() if summary.exists() else ""
            self.log.append({"name": step["name"], "exit": done.returncode, "stdout": done.stdout,
                             "stderr": done.stderr})
            failed = failed or done.returncode != 0
        return {"failed": failed, "outputs": {name: self.substitute(spec["value"], inputs)
                                               for name, spec in ACTION["outputs"].items()}}

    def step(self, name: str) -> dict[str, Any]:
        return next(entry for entry in self.log if entry["name"] == name)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checked-out repository with the release in `model/`."""
    repo = init_repo(tmp_path / "workspace")
    build_example(repo / "model")
    commit_all(repo, "release")
    return repo


def test_a_failing_release_fails_the_job_with_annotations_summary_outputs_and_sarif(workspace, tmp_path) -> None:
    (workspace / "model" / "train" / "secrets.py").write_text(f"import os\n\nTOKEN = '{TOKEN}'\n")
    runner = ActionRunner(tmp_path, workspace)
    result = runner.run(path="model", sarif="true")
    assert result["failed"]
    outputs = result["outputs"]
    assert outputs["verdict"] == "fail" and outputs["errors"] == "1" and outputs["warnings"] == "0"
    report = json.loads(Path(outputs["report"]).read_text())
    assert [(f["rule"], f["path"]) for f in report["findings"] if f["severity"] == "error"] == [
        ("RK501", "train/secrets.py")]
    check = runner.step("Check the release")
    assert check["exit"] == 0  # the verdict is judged last, after the summary and the upload
    annotations = [line for line in check["stdout"].splitlines() if line.startswith("::error ")]
    assert len(annotations) == 1 and annotations[0].startswith(
        "::error file=model/train/secrets.py,line=3,title=RK501 (secrets)::Hugging Face token hf_Y…[redacted]")
    assert TOKEN not in check["stdout"] + runner.summary + Path(outputs["report"]).read_text()
    assert runner.summary.startswith("## ❌ **releasekit: FAIL** — `model`")
    assert "| ❌ error | `RK501` | `train/secrets.py:3` |" in runner.summary
    upload = runner.step("Upload SARIF to code scanning")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    sarif = json.loads(Path(upload["with"]["sarif_file"]).read_text())
    secret = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "RK501")
    assert secret["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "model/train/secrets.py"
    gate = runner.step("Gate on the verdict")
    assert gate["exit"] == 1 and "::error title=releasekit::release check failed: 1 error(s)" in gate["stdout"]
    pip = (runner.runner_temp / "pip-calls").read_text().split()
    assert pip[:3] == ["-m", "pip", "install"] and pip[-1] == str(ROOT)  # the core from the action's checkout
    assert "[" not in pip[-1]  # no extras: no torch in CI


def test_a_clean_release_passes_and_skips_the_upload_unless_asked(workspace, tmp_path) -> None:
    runner = ActionRunner(tmp_path, workspace)
    result = runner.run(path="model")
    assert not result["failed"], runner.log
    assert result["outputs"]["verdict"] == "pass" and result["outputs"]["errors"] == "0"
    assert runner.step("Upload SARIF to code scanning") == {"name": "Upload SARIF to code scanning", "skipped": True}
    assert "releasekit: pass (0 error(s)" in runner.step("Gate on the verdict")["stdout"]
    assert runner.summary.startswith("## ✅ **releasekit: PASS**")


def test_baseline_select_and_fail_on_inputs_reach_the_check(workspace, tmp_path) -> None:
    release = workspace / "model"
    (release / "train" / "secrets.py").write_text(f"TOKEN = '{TOKEN}'\n")
    subprocess.run([BIN / "releasekit", "check", release, "--write-baseline", workspace / "baseline.json"],
                   capture_output=True, check=False)
    (tmp_path / "a").mkdir()
    result = ActionRunner(tmp_path / "a", workspace).run(path="model", baseline="baseline.json")
    assert result["outputs"]["verdict"] == "pass"
    assert json.loads(Path(result["outputs"]["report"]).read_text())["sections"]["baseline"]["known"] >= 1
    (tmp_path / "b").mkdir()
    only_card = ActionRunner(tmp_path / "b", workspace).run(path="model", select="card", **{"fail-on": "info"})
    assert only_card["outputs"]["verdict"] == "pass" and only_card["outputs"]["errors"] == "0"


def test_changed_since_input_checks_only_the_change(workspace, tmp_path) -> None:
    (workspace / "model" / "train" / "old.py").write_text(f"OLD = '{TOKEN}'\n")
    base = commit_all(workspace, "old problem")
    (workspace / "model" / "train" / "new.py").write_text("x = 1\n")
    runner = ActionRunner(tmp_path, workspace)
    result = runner.run(path="model", **{"changed-since": base})
    assert result["outputs"]["verdict"] == "pass", runner.log
    assert "unchanged file(s) were skipped" in runner.summary


def test_a_usage_error_fails_the_check_step_with_one_error_and_no_shell_injection(workspace, tmp_path) -> None:
    runner = ActionRunner(tmp_path, workspace)
    result = runner.run(path="model", select='"; touch pwned; echo "')
    assert result["failed"]
    check = runner.step("Check the release")
    assert check["exit"] == 2 and "unknown rule or category" in check["stderr"]
    assert "::error title=releasekit::releasekit could not check model (exit 2)" in check["stdout"]
    assert runner.step("Gate on the verdict") == {"name": "Gate on the verdict", "skipped": True}
    assert not (workspace / "pwned").exists() and not (tmp_path / "pwned").exists()


def _expressions(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [e for v in node.values() for e in _expressions(v)]
    if isinstance(node, list):
        return [e for v in node for e in _expressions(v)]
    return EXPRESSION.findall(node) if isinstance(node, str) else []


def test_action_yml_names_only_inputs_and_outputs_that_exist() -> None:
    expressions = " ".join(_expressions(ACTION["runs"]) + _expressions(ACTION["outputs"]))
    assert set(re.findall(r"inputs\.([\w-]+)", expressions)) == set(ACTION["inputs"])  # each used, none invented
    written = set(re.findall(r"^\s*echo \"([\w-]+)=", ACTION["runs"]["steps"][2]["run"], re.MULTILINE)) | {
        "verdict", "errors", "warnings"}
    assert set(re.findall(r"steps\.check\.outputs\.([\w-]+)", expressions)) <= written
    assert all(spec.get("description") for spec in ACTION["inputs"].values())


def test_the_example_workflow_gates_release_branches_and_publishes_only_a_passing_tag() -> None:
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["branches"] == ["release/**"] and triggers["pull_request"]["branches"] == ["release/**"]
    check = WORKFLOW["jobs"]["check"]
    step = next(s for s in check["steps"] if s.get("id") == "releasekit")
    assert set(step["with"]) <= set(ACTION["inputs"]), "the workflow names an input the action does not have"
    assert check["permissions"]["security-events"] == "write"
    used = set(re.findall(r"steps\.releasekit\.outputs\.([\w-]+)", " ".join(_expressions(WORKFLOW))))
    assert used <= set(ACTION["outputs"])
    publish = WORKFLOW["jobs"]["publish"]
    assert publish["needs"] == "check"
    for part in ("startsWith(github.ref, 'refs/tags/')", "needs.check.outputs.verdict == 'pass'"):
        assert part in publish["if"]
    assert check["outputs"]["verdict"] == "${{ steps.releasekit.outputs.verdict }}"
