"""`releasekit publish PATH --hf org/name [--github owner/repo] [--tag v1.0]`.

Exit status: 0 published (or planned, or rehearsed and verified), 1 the check failed (nothing
published) or the rehearsal read back something different, 2 a remote refused or failed (one
line saying what and why; tokens never appear).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from releasekit.config import load_file_settings
from releasekit.publish import CheckFailedError, PublishOptions, publish


def _progress(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    return sys.stderr.isatty() and not os.environ.get("CI")


@click.command("publish")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--hf", "hf_repo", metavar="ORG/NAME", default=None, help="Hub model repository (created if missing).")
@click.option("--github", "github_repo", metavar="OWNER/REPO", default=None,
              help="GitHub repository for the code, the README and the release (created if missing).")
@click.option("--tag", default=None, help="Tag the Hub revision and create the GitHub release for it.")
@click.option("--private", is_flag=True, default=None, help="Create missing repositories as private.")
@click.option("--dry-run", is_flag=True, help="Print the plan (files, sizes, LFS, what exists remotely) and change nothing.")
@click.option("--rehearse", is_flag=True,
              help="Publish to a local server on loopback instead, read it all back and compare; no credentials needed.")
@click.option("--hub-endpoint", default=None, metavar="URL", help="Hub endpoint (default: HF_ENDPOINT or huggingface.co).")
@click.option("--github-url", default=None, metavar="URL", help="GitHub API URL (default: https://api.github.com).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Upload progress bars on standard error (default: on a terminal, off in CI).")
@click.pass_context
def publish_command(ctx: click.Context, path: Path, hf_repo: str | None, github_repo: str | None, tag: str | None,
                    private: bool | None, dry_run: bool, rehearse: bool, hub_endpoint: str | None,
                    github_url: str | None, fmt: str, show_progress: bool | None) -> None:
    """Publish the checked release at PATH to the Hugging Face Hub (and GitHub), resumably.

    `check` runs first with the release's settings; an error finding stops everything.
    """
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    table = load_file_settings(path)[0].get("publish", {}) if path.is_dir() else {}
    if not isinstance(table, dict):
        raise click.UsageError("[publish] in releasekit.toml must be a table")
    hf_repo = hf_repo or table.get("hf-repo")
    github_repo = github_repo or table.get("github-repo")
    if not hf_repo:
        raise click.UsageError("--hf ORG/NAME is required (or hf-repo in [publish] of releasekit.toml)")
    options = PublishOptions(hf_repo=hf_repo, github_repo=github_repo, tag=tag,
                             private=bool(private if private is not None else table.get("private", False)),
                             dry_run=dry_run, hub_endpoint=hub_endpoint, github_url=github_url)
    if _progress(show_progress) and fmt == "text":
        enable_progress_bars()
    else:
        disable_progress_bars()
    try:
        if rehearse:
            from releasekit.publish.rehearse import describe
            from releasekit.publish.rehearse import rehearse as run_rehearsal

            rehearsal = run_rehearsal(path, options)
            result, extra = rehearsal.result, describe(rehearsal)
            code = 0 if rehearsal.ok else 1
        else:
            result, extra, code = publish(path, options), [], 0
    except CheckFailedError as exc:
        for finding in exc.report.findings:
            if finding.severity.rank >= (exc.report.fail_on.rank if exc.report.fail_on else 99):
                click.echo(f"{finding.path}: {finding.rule} [{finding.severity}] {finding.message}", err=True)
        if fmt == "json":
            click.echo(json.dumps({"command": "publish", "refused": True, "error": str(exc),
                                   "findings": [f.to_dict() for f in exc.report.findings]}, indent=2))
        click.echo(f"releasekit: error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    plan = result.plan
    if fmt == "json":
        click.echo(json.dumps({
            "command": "publish", "dry_run": result.dry_run, "rehearsal": rehearse,
            "hub": {"repo": plan.hub.repo_id, "commit": result.hub_commit, "tag": plan.hub.tag,
                    "upload": [f.path for f, _ in plan.hub.upload], "skip": [f.path for f in plan.hub.skip],
                    "commits": len(plan.hub.commits)},
            "github": None if plan.github is None else {
                "repo": plan.github.repo, "commit": result.github_commit, "changed": list(plan.github.changed),
                "assets": {a.name: a.action for a in plan.github.assets}},
            "excluded": [{"path": p, "why": w} for p, w in plan.excluded],
            "verified": code == 0, "messages": extra,
        }, indent=2))
        ctx.exit(code)
    click.echo("plan:" if result.dry_run else "plan (made before publishing; carried out below):")
    for line in plan.lines():
        click.echo(line)
    if result.dry_run:
        click.echo("dry run: nothing was changed")
    else:
        click.echo(f"Hub {plan.hub.repo_id} at {result.hub_commit}" + (f", tag {plan.hub.tag}" if plan.hub.tag else ""))
        if plan.github is not None:
            click.echo(f"GitHub {plan.github.repo} at {result.github_commit}"
                       + (f", release {plan.github.tag}" if plan.github.tag else ""))
    for line in extra:
        click.echo(line)
    ctx.exit(code)
