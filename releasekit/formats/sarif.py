"""SARIF 2.1.0 for GitHub code scanning.

What code scanning needs and gets here: every registered rule in the driver with its
documentation as help text and a help URI; results whose locations are files relative to the
repository root (`--repo-root`, default the enclosing git work tree), so a release in a
subfolder is placed right; findings about the whole release or a folder attached to a real file
(the card, else the config or license) since a folder cannot carry an alert; and
`partialFingerprints` from `Finding.fingerprint()`, which leaves the line out so an alert follows
its finding when lines move. `tests/test_formats_sarif.py` validates the output against the
OASIS schema committed in tests/data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from releasekit import __version__
from releasekit.findings import Finding, Severity
from releasekit.formats.registry import RenderOptions, formatter
from releasekit.formats.escape import json_safe
from releasekit.formats.locations import place, repo_path, resolve_repo_root
from releasekit.links import homepage, rule_help_uri
from releasekit.registry import all_rules
from releasekit.report import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "releasekit/v1"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub sorts and filters alerts by this number (0-10); it maps our severities onto its scale.
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "1.0"}


def sarif_text(text: str) -> str:
    """Plain SARIF message text with no embedded link: `[text](target)` is one (SARIF 3.11.6),
    so the `]` before `(` is escaped; other brackets may stay literal."""
    return text.replace("](", "\\](")


def _driver_rules() -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.doc},
            "help": {"text": r.doc},
            "helpUri": rule_help_uri(r.id),
            "defaultConfiguration": {"level": _LEVEL[r.severity]},
            "properties": {"category": r.category, "tags": ["releasekit", r.category],
                           "security-severity": _SECURITY_SEVERITY[r.severity]},
        }
        for r in all_rules()
    ]


def _result(report: Report, f: Finding, repo_root: Path, index: dict[str, int]) -> dict[str, Any]:
    root = Path(report.root)
    uri, moved = place(root, f, repo_root)
    message = f.message
    if moved and f.path not in ("", "."):
        message = f"{f.path}/: {message}"
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": quote(uri), "uriBaseId": SRCROOT}}}
    if f.line and not moved:
        location["physicalLocation"]["region"] = {"startLine": f.line}
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "level": _LEVEL[f.severity],
        "message": {"text": sarif_text(message)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint()},
        "properties": {"category": f.category, "releasePath": f.path, "scope": "release" if moved else "file"},
    }
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    return result


@formatter("sarif")
def render_sarif(report: Report, options: RenderOptions) -> str:
    root = Path(report.root)
    repo_root = resolve_repo_root(root, options.repo_root)
    rules = _driver_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    release_dir = repo_path(root, ".", repo_root)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "releasekit",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": homepage(),
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"releasekit/{release_dir.strip('/.') or 'release'}/"},
                "originalUriBaseIds": {SRCROOT: {"uri": repo_root.as_uri().rstrip("/") + "/"}},
                "results": [_result(report, f, repo_root, index) for f in report.findings],
                "properties": {"summary": report.summary(),
                               "sections": {n: s.data for n, s in report.sections.items()}},
            }
        ],
    }
    return json_safe(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
